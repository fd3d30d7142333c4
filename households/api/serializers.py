from rest_framework import serializers

from coalgov.api import CodeField
from divisions.models import Division, Level
from divisions.scoping import mask_phone, sees_phone

from ..models import CoalStatus, Household, phone_validator
from ..services import EDITABLE_FIELDS


class VisibleUnitField(CodeField):
    """A community or grid by its code, among those the requesting user can see.

    A unit outside the user's view is answered as if it did not exist; one they can see but not
    enter is refused by the service (403).
    """

    def get_queryset(self):
        request = self.context["request"]
        return Division.objects.visible_to(request.user).filter(level__in=[Level.COMMUNITY, Level.GRID])


class HouseholdSerializer(serializers.ModelSerializer):
    division = VisibleUnitField(slug_field="code")
    division_name = serializers.CharField(source="division.name", read_only=True)
    subdistrict_name = serializers.CharField(
        source="division.parent.name", read_only=True, default=None, allow_null=True
    )
    label = serializers.CharField(read_only=True)
    priority_station = serializers.CharField(
        source="priority_station.code", read_only=True, default=None, allow_null=True
    )
    client_uuid = serializers.UUIDField(required=False, allow_null=True)
    # Derived from the visits, never sent: ChoiceField so the schema lists the three codes.
    coal_status = serializers.ChoiceField(
        choices=CoalStatus.choices, read_only=True, label=Household._meta.get_field("coal_status").verbose_name
    )
    # Validated in validate_phone, after a masked number sent back unchanged is recognised.
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)

    class Meta:
        model = Household
        fields = [
            "id",
            "client_uuid",
            *EDITABLE_FIELDS,
            "division_name",
            "subdistrict_name",
            "label",
            "in_priority_zone",
            "priority_station",
            "coal_status",
            "coal_status_at",
            "created_at",
            "updated_at",
            "voided_at",
            "void_reason",
        ]
        # coal_status_at: when the status was last set (the visit that found coal or cleared it). Both are
        # columns of the row, so the list costs no more queries with them.
        read_only_fields = [
            "in_priority_zone",
            "coal_status_at",
            "created_at",
            "updated_at",
            "voided_at",
            "void_reason",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data.get("phone") and not sees_phone(self.context["request"].user, instance.division_code):
            data["phone"] = mask_phone(data["phone"])
        return data

    def validate_phone(self, value):
        # A client that sees the number masked may send the masked form back unchanged (a full PUT).
        household = self.instance
        if (
            household is not None
            and household.phone
            and value == mask_phone(household.phone)
            and not sees_phone(self.context["request"].user, household.division_code)
        ):
            return household.phone
        if value:
            phone_validator(value)
        return value

    def validate(self, attrs):
        # Run the model's own checks (both coordinates or neither, an address) so the API answers
        # with the same messages as the form. The service validates again before it writes.
        Household(**{**self._current(), **{k: v for k, v in attrs.items() if k != "client_uuid"}}).clean()
        return attrs

    def _current(self) -> dict:
        if self.instance is None:
            return {}
        return {name: getattr(self.instance, name) for name in EDITABLE_FIELDS}


class VoidSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
