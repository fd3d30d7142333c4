from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coalgov.uploads import DeclaredCounts, photo_count_field
from divisions.models import Division, Level
from divisions.scoping import covers, view_codes
from households.models import Household

from ..models import Accountability, Case, CaseEvent, SupervisionNotice
from ..services import can_verify


@extend_schema_field(OpenApiTypes.STR)
class UnitField(serializers.SlugRelatedField):
    """A unit by code among those the caller can see (others answer as if they did not exist)."""

    levels = (Level.SUBDISTRICT, Level.COMMUNITY, Level.GRID)

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def get_queryset(self):
        return Division.objects.visible_to(self.context["request"].user).filter(level__in=self.levels)


@extend_schema_field(OpenApiTypes.INT)
class HouseholdField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Household.objects.visible_to(self.context["request"].user).current()


class CaseEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = ["at", "actor", "action", "from_status", "to_status", "note", "photos"]

    def get_photos(self, event) -> list[str]:
        return [photo.get_absolute_url() for photo in event.photos.all()]


class CaseSerializer(serializers.ModelSerializer):
    responsible_unit = UnitField()
    household = HouseholdField(required=False, allow_null=True)
    escalated_to = serializers.SlugRelatedField(slug_field="code", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    source = serializers.ChoiceField(choices=[Case.Source.TIP_OFF, Case.Source.SPOT_CHECK])
    events = CaseEventSerializer(many=True, read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "source",
            "notice",
            "inspection",
            "household",
            "responsible_unit",
            "title",
            "description",
            "severity",
            "deadline",
            "status",
            "is_overdue",
            "overdue_since",
            "escalated_to",
            "escalation_due",
            "duplicate_of",
            "rebounds",
            "accountability_flagged",
            "reporter_name",
            "reporter_contact",
            "opened_at",
            "closed_at",
            "events",
        ]
        read_only_fields = [
            "notice",
            "inspection",
            "status",
            "overdue_since",
            "duplicate_of",
            "rebounds",
            "accountability_flagged",
            "opened_at",
            "closed_at",
        ]
        extra_kwargs = {"deadline": {"required": False}}

    def to_representation(self, case):
        data = super().to_representation(case)
        if not can_verify(self.context["request"].user, case):
            # A tip-off's reporter is kept private from all but those who verify the case.
            data["reporter_name"] = data["reporter_contact"] = None
        return data


class ProblemSerializer(serializers.Serializer):
    responsible_unit = UnitField()
    title = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=Case.Severity.choices, default=Case.Severity.NORMAL)
    deadline = serializers.DateField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    household = HouseholdField(required=False, allow_null=True)


class SupervisionNoticeSerializer(serializers.ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", queryset=Division.objects.none())
    problems = ProblemSerializer(many=True, write_only=True)
    cases = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = SupervisionNotice
        fields = ["id", "division", "number", "issued_on", "level", "title", "text", "problems", "cases"]

    def get_fields(self):
        fields = super().get_fields()
        if "request" in self.context:
            fields["division"].queryset = Division.objects.visible_to(self.context["request"].user)
        return fields

    def to_representation(self, notice):
        data = super().to_representation(notice)
        if "request" in self.context and not covers(view_codes(self.context["request"].user), notice.division_code):
            # Seen through the caller's own cases only: the text may list other units' problems.
            data["text"] = None
        return data


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RectifySerializer(DeclaredCounts, NoteSerializer):
    """A rectification: a note and `photos` (files); `photo_count`, when sent, must match what arrived."""

    photo_count = photo_count_field()


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class DeadlineSerializer(serializers.Serializer):
    deadline = serializers.DateField()
    reason = serializers.CharField(max_length=500)


class AccountabilitySerializer(serializers.ModelSerializer):
    unit = UnitField()
    cases = serializers.PrimaryKeyRelatedField(many=True, required=False, queryset=Case.objects.none())

    class Meta:
        model = Accountability
        fields = ["id", "kind", "level", "unit", "person", "reason", "decided_on", "cases", "status", "decision_note"]
        read_only_fields = ["level", "status", "decision_note"]
        extra_kwargs = {"decided_on": {"required": False}}

    def get_fields(self):
        fields = super().get_fields()
        fields["unit"].levels = (Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY)
        if "request" in self.context:
            fields["cases"].child_relation.queryset = Case.objects.visible_to(self.context["request"].user)
        return fields
