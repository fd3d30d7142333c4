from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_choice_field
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coalgov.api import CodeField, IdField
from coalgov.uploads import DeclaredCounts, photo_count_field
from divisions.models import Division, Level
from divisions.scoping import covers, view_codes
from households.models import NOTES_MAX_LENGTH, Household

from ..documents import document_number, has_notice
from ..forms import UnitNames, case_units, unit_errors
from ..models import Accountability, Case, CaseEvent, SupervisionNotice
from ..services import can_verify


@extend_schema_field(OpenApiTypes.STR)
class UnitField(CodeField):
    """A unit by code among those the caller can see (others answer as if they did not exist)."""

    levels = (Level.SUBDISTRICT, Level.COMMUNITY, Level.GRID)

    def get_queryset(self):
        return Division.objects.visible_to(self.context["request"].user).filter(level__in=self.levels)


# The sources a client opens a case from; the others (a notice, a night check) are the server's own.
CLIENT_SOURCES = [(value, label) for value, label in Case.Source.choices if value in ("tip_off", "spot_check")]


class CaseSourceField(serializers.ChoiceField):
    """Any source when read; a tip-off or a spot check when sent (the schema says so per direction)."""

    def __init__(self, **kwargs):
        super().__init__(choices=Case.Source.choices, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value not in dict(CLIENT_SOURCES):
            self.fail("invalid_choice", input=data)
        return value


class CaseSourceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = CaseSourceField

    def map_serializer_field(self, auto_schema, direction):
        choices = Case.Source.choices if direction == "response" else CLIENT_SOURCES
        return build_choice_field(serializers.ChoiceField(choices=choices))


@extend_schema_field(OpenApiTypes.INT)
class HouseholdField(IdField):
    def get_queryset(self):
        return Household.objects.visible_to(self.context["request"].user).current()


class CaseEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True, allow_null=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = ["at", "actor", "action", "from_status", "to_status", "note", "photos"]

    def get_photos(self, event) -> list[str]:
        return [photo.get_absolute_url() for photo in event.photos.all()]


VOIDED = "voided"  # a case's status in the API once voided (the model keeps the step it had reached)


class CaseSerializer(serializers.ModelSerializer):
    client_uuid = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "The sender's own key for this case, drawn once: sent again (a lost answer, a retry), the case it "
            "opened is answered with 200, and no second case is opened."
        ),
    )
    responsible_unit = UnitField(
        required=False,
        help_text=gettext_lazy("The responsible unit's code; left out, the community of the `household` given."),
    )
    household = HouseholdField(required=False, allow_null=True)
    escalated_to = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    source = CaseSourceField()
    events = CaseEventSerializer(many=True, read_only=True)
    status = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            'The case\'s step; "voided" for a voided case, whatever step it had reached (as the case page shows '
            "已作废)."
        )
    )
    voided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    void_reason = serializers.CharField(read_only=True)
    notice_number = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "The rectification notice's number (发文字号), such as 二七散煤办〔2026〕12号; null when no notice was "
            "issued (a duplicate, or a case voided before its notice was issued). A voided case keeps its number."
        )
    )
    notice_date = serializers.DateField(
        source="notice_issued_on",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("The day the rectification notice was issued (its 成文日期); null when none was."),
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "client_uuid",
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
            "voided_at",
            "void_reason",
            "notice_number",
            "notice_date",
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

    @extend_schema_field(serializers.ChoiceField(choices=[*Case.Status.choices, (VOIDED, gettext_lazy("Voided"))]))
    def get_status(self, case) -> str:
        return VOIDED if case.voided_at is not None else case.status

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_notice_number(self, case) -> str | None:
        return document_number(case) if has_notice(case) else None

    def validate(self, attrs):
        # As the case form: a place given brings its community as the responsible unit.
        if attrs.get("responsible_unit") is None:
            if attrs.get("household") is None:
                message = _("Give the responsible unit, or the place (its community is then the unit).")
                raise serializers.ValidationError({"responsible_unit": [message]})
            attrs["responsible_unit"] = attrs["household"].division
        return attrs

    def to_representation(self, case):
        data = super().to_representation(case)
        if not can_verify(self.context["request"].user, case):
            # A tip-off's reporter is kept private from all but those who verify the case.
            data["reporter_name"] = data["reporter_contact"] = None
        return data


class ProblemSerializer(serializers.Serializer):
    # A unit's code, or its name as the paste form takes it (建新南街社区, 五里堡街道建新南街社区, 尖岗村): resolved
    # within the notice's receiving unit by SupervisionNoticeSerializer.validate.
    responsible_unit = serializers.CharField(max_length=100)
    title = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=Case.Severity.choices, default=Case.Severity.NORMAL)
    deadline = serializers.DateField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    household = HouseholdField(required=False, allow_null=True)


class SupervisionNoticeSerializer(serializers.ModelSerializer):
    division = CodeField(queryset=Division.objects.none())
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

    def validate(self, attrs):
        """Each problem's unit as the paste form finds it: a code of a unit the caller sees, or a name of a unit
        the caller may assign within the receiving unit; an ambiguous or unknown name is refused on its problem."""
        division, problems = attrs.get("division"), attrs.get("problems") or []
        if division is None or "request" not in self.context:
            return attrs
        user = self.context["request"].user
        texts = [problem["responsible_unit"].strip() for problem in problems]
        by_code = {
            unit.code: unit
            for unit in Division.objects.visible_to(user).filter(level__in=UnitField.levels, code__in=texts)
        }
        names = UnitNames(case_units(user).filter(code__startswith=division.code), within=division)
        errors, found = [], False
        for problem, text in zip(problems, texts, strict=True):
            unit, message = (by_code[text], "") if text in by_code else unit_errors(names, text, division)
            problem["responsible_unit"] = unit
            errors.append({"responsible_unit": [message]} if message else {})
            found = found or bool(message)
        if found:
            raise serializers.ValidationError({"problems": errors})
        return attrs

    def to_representation(self, notice):
        data = super().to_representation(notice)
        if "request" in self.context and not covers(view_codes(self.context["request"].user), notice.division_code):
            # Seen through the caller's own cases only: the text may list other units' problems.
            data["text"] = None
        return data


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTES_MAX_LENGTH)


class RectifySerializer(DeclaredCounts, NoteSerializer):
    """A rectification: a note and `photos` (files); `photo_count`, when sent, must match what arrived."""

    photo_count = photo_count_field()


class RectifyUploadSerializer(RectifySerializer):
    """A rectification as multipart, with its photos (the schema's; the view validates with RectifySerializer)."""

    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text=gettext_lazy("Photos, as repeated `photos` file parts."),
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class DeadlineSerializer(serializers.Serializer):
    deadline = serializers.DateField()
    reason = serializers.CharField(max_length=500)


class AccountabilitySerializer(serializers.ModelSerializer):
    unit = UnitField()
    cases = IdField(many=True, required=False, queryset=Case.objects.none())

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
