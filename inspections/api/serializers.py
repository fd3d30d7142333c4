import json

from django.utils.translation import gettext as _
from rest_framework import serializers

from households.models import Household

from ..models import Department, Inspection, NightOperation, Photo, Seizure
from ..services import SeizureInput


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    thumbnail_url = serializers.CharField(read_only=True)

    class Meta:
        model = Photo
        fields = ["id", "url", "thumbnail_url", "width", "height", "taken_latitude", "taken_longitude"]


class SeizureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Seizure
        fields = ["item", "quantity", "method", "description"]


class VisibleHouseholdField(serializers.PrimaryKeyRelatedField):
    """A household by id, among those the caller can see; others are answered as if they did not exist."""

    def get_queryset(self):
        return Household.objects.visible_to(self.context["request"].user).select_related("division")


class VisibleOperationField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return NightOperation.objects.visible_to(self.context["request"].user).current()


class JSONListField(serializers.ListField):
    """A list that a multipart form (a phone sending photos) may send as one JSON string."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data or "[]")
            except ValueError as exc:
                raise serializers.ValidationError(_("Not valid JSON.")) from exc
        elif hasattr(data, "getlist"):
            data = data.getlist(self.field_name)
        return super().to_internal_value(data)

    def get_value(self, dictionary):
        if (
            hasattr(dictionary, "getlist")
            and self.field_name in dictionary
            and len(dictionary.getlist(self.field_name)) == 1
        ):
            return dictionary[self.field_name]
        return super().get_value(dictionary)


class InspectionSerializer(serializers.ModelSerializer):
    """A visit as the phone sends it: the household, what was found and taken, and photos."""

    client_uuid = serializers.UUIDField(required=False, allow_null=True)
    household = VisibleHouseholdField()
    household_label = serializers.CharField(source="household.label", read_only=True)
    operation = VisibleOperationField(required=False, allow_null=True)
    started_at = serializers.DateTimeField(required=False)
    departments = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.filter(is_active=True), many=True, required=False
    )
    seizures = JSONListField(child=SeizureSerializer(), required=False, write_only=True)
    photos = PhotoSerializer(many=True, read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "client_uuid",
            "household",
            "household_label",
            "division_code",
            "kind",
            "started_at",
            "is_night",
            "in_priority_zone",
            "outcome",
            "operation",
            "leaders",
            "departments",
            "notes",
            "latitude",
            "longitude",
            "seizures",
            "photos",
            "recorded_by",
            "recorded_at",
            "voided_at",
            "void_reason",
        ]
        read_only_fields = ["division_code", "is_night", "in_priority_zone", "recorded_at", "voided_at", "void_reason"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["seizures"] = SeizureSerializer(instance.seizures.all(), many=True).data
        return data

    def service_arguments(self) -> dict:
        data = dict(self.validated_data)
        data["seizures"] = [SeizureInput(**s) for s in data.get("seizures", [])]
        return data


class VoidSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
