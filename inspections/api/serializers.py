import copy
import json

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from coalgov.api import CodeField, DateTimeField, IdField, whole_id
from coalgov.compiled import EXAMPLE_KEY, Compiled
from coalgov.dates import PLANNING_AHEAD, date_validator
from coalgov.uploads import DeclaredCounts, photo_count_field, seizure_count_field
from divisions.models import Division, Membership
from divisions.scoping import covers, view_codes
from households.models import Household

from ..models import (
    Ban,
    Conversion,
    ConversionTarget,
    Department,
    Inspection,
    NightOperation,
    Photo,
    Publicity,
    Purchase,
    Seizure,
)
from ..services import SeizureInput, night_of


class FieldsBuiltOnce:
    """ModelSerializer mixin: the fields DRF derives from the model are worked out once per class, not per request.

    DRF builds a ModelSerializer's fields anew for every instance, looking up each model field and working out its
    arguments: a phone submission spent more time on that than on its own serializer's checks. Here they are built
    the first time a class is used, and every instance gets its own copy of each, so no field, nor its binding to a
    request's serializer, is shared between requests. A plain field is copied as it is (binding sets only its own
    attributes; DRF's deep copy would run its constructor again, the larger part of a request's serializer work);
    one with fields inside it (a nested serializer, a list, many related objects) is deep-copied, as DRF does.
    """

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built")  # this class's own: a subclass builds its own fields
        if built is None:
            built = super().get_fields()
            cls._fields_built = built
        return {name: copy.deepcopy(field) if _has_inner(field) else copy.copy(field) for name, field in built.items()}


def _has_inner(field: serializers.Field) -> bool:
    return isinstance(field, serializers.BaseSerializer) or hasattr(field, "child") or hasattr(field, "child_relation")


class PhotoSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """A photo of a visit: its address (served with the visit's jurisdiction), a thumbnail, size and where taken."""

    url = serializers.CharField(source="get_absolute_url", read_only=True)
    thumbnail_url = serializers.CharField(read_only=True)

    class Meta:
        model = Photo
        fields = ["id", "url", "thumbnail_url", "width", "height", "taken_latitude", "taken_longitude"]


class SeizureSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """Something the visit took away: what, how much (kg of loose coal; pieces, stoves, boxes) and how."""

    class Meta:
        model = Seizure
        fields = ["item", "quantity", "method", "description"]


_HOUSEHOLD_FIELDS = [f.attname for f in Household._meta.concrete_fields]
_DIVISION_FIELDS = [f.attname for f in Division._meta.concrete_fields]
# A household with its unit, by key: every phone submission asks it, so it is compiled once (Compiled).
_HOUSEHOLD_WITH_UNIT = Compiled(
    lambda pk: Household.objects.filter(pk=pk).values_list(
        *_HOUSEHOLD_FIELDS, *(f"division__{name}" for name in _DIVISION_FIELDS)
    ),
    EXAMPLE_KEY,
)
BIGINT = range(-(2**63), 2**63)


class VisibleHouseholdField(IdField):
    """A household by id, among those the caller can see; others are answered as if they did not exist."""

    def get_queryset(self):
        return Household.objects.visible_to(self.context["request"].user).select_related("division")

    def to_internal_value(self, data):
        # The row by its key, then the caller's jurisdiction checked on its code: the same answer as the
        # queryset above gives, without building the jurisdiction's filter and the model query per request.
        try:
            pk = Household._meta.pk.get_prep_value(whole_id(self, data))
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        rows = _HOUSEHOLD_WITH_UNIT.rows(pk) if pk in BIGINT else []
        code = rows[0][_HOUSEHOLD_FIELDS.index("division_code")] if rows else None
        if code is None or not covers(view_codes(self.context["request"].user), code):
            self.fail("does_not_exist", pk_value=data)
        household = Household.from_db(connection.alias, _HOUSEHOLD_FIELDS, rows[0][: len(_HOUSEHOLD_FIELDS)])
        unit = Division.from_db(connection.alias, _DIVISION_FIELDS, rows[0][len(_HOUSEHOLD_FIELDS) :])
        Household.division.field.set_cached_value(household, unit)
        return household


class VisibleOperationField(IdField):
    """An operation the caller can see. One voided since is no link at all (None), not a refusal: a phone offline
    while the office cancelled the night still sends the visits it recorded from the night's list, and the visit
    happened; refusing it would leave it on the phone as "not accepted" for good."""

    def get_queryset(self):
        return NightOperation.objects.visible_to(self.context["request"].user)

    def to_internal_value(self, data):
        operation = super().to_internal_value(data)
        return None if operation.is_voided else operation


class JSONListField(serializers.ListField):
    """A list that a multipart form (a phone sending photos) may send as one JSON string."""

    def to_representation(self, data):
        # Read back from a related manager (an inspection's seizures), written as a list.
        return super().to_representation(data.all() if hasattr(data, "all") else data)

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data or "[]")
            except (ValueError, RecursionError) as exc:  # nested too deeply to read is not valid either
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


class InspectionSerializer(FieldsBuiltOnce, DeclaredCounts, serializers.ModelSerializer):
    """A visit as the phone sends it: the household, what was found and taken, and photos.

    `photo_count` and `seizure_count`, when sent, must match the photos and seizure rows that arrived.
    """

    client_uuid = serializers.UUIDField(required=False, allow_null=True)
    household = VisibleHouseholdField()
    household_label = serializers.CharField(source="household.label", read_only=True)
    operation = VisibleOperationField(required=False, allow_null=True)
    started_at = DateTimeField(required=False, validators=[date_validator()])
    departments = IdField(queryset=Department.objects.filter(is_active=True), many=True, required=False)
    seizures = JSONListField(child=SeizureSerializer(), required=False)
    seizure_count = seizure_count_field()
    photos = PhotoSerializer(many=True, read_only=True)
    photo_count = photo_count_field()
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
            "seizure_count",
            "photos",
            "photo_count",
            "recorded_by",
            "recorded_at",
            "voided_at",
            "void_reason",
        ]
        read_only_fields = ["division_code", "is_night", "in_priority_zone", "recorded_at", "voided_at", "void_reason"]

    def service_arguments(self) -> dict:
        data = dict(self.validated_data)
        data["seizures"] = [SeizureInput(**s) for s in data.get("seizures", [])]
        # As a voided one (VisibleOperationField): an operation of another night is no link, not a refusal. A phone
        # keeps the list it loaded; a door of last night's list entered after 06:00 is a visit all the same.
        operation = data.get("operation")
        if operation is not None and night_of(data.get("started_at") or timezone.now()) != operation.date:
            data["operation"] = None
        return data


_ANSWERED_ONLY = {"id", "household_label", "photos", "recorded_by", *InspectionSerializer.Meta.read_only_fields}


class InspectionInputSerializer(InspectionSerializer):
    """What a visit's POST reads: InspectionSerializer without the fields it only answers with.

    Every request copies its serializer's fields, and the answer's nested photos were the dearest of them; a phone
    asking for a minimal answer (Prefer: return=minimal) needs none of them. A whole answer is written by
    InspectionSerializer.
    """

    household_label = None
    photos = None
    recorded_by = None

    class Meta(InspectionSerializer.Meta):
        fields = [name for name in InspectionSerializer.Meta.fields if name not in _ANSWERED_ONLY]
        read_only_fields = []


@extend_schema_serializer(component_name="FieldworkVoid")
class VoidSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


# --- The other records of field work ---------------------------------------------------------------

RECORD_FIELDS = ["recorded_by", "recorded_at", "voided_at", "void_reason"]
RECORD_READ_ONLY = ["division_code", "recorded_at", "voided_at", "void_reason"]


class VisibleDivisionField(CodeField):
    """A unit by its national code, among those the caller can see; others are answered as if they did not exist.

    Whether the caller may enter records there is the service's question (403).
    """

    def get_queryset(self):
        return Division.objects.visible_to(self.context["request"].user).filter(is_active=True)


class VisibleUserField(IdField):
    """A user by id, among those with an active membership inside the caller's view."""

    def get_queryset(self):
        members = Membership.objects.visible_to(self.context["request"].user).active().values("user")
        return get_user_model().objects.filter(pk__in=members)


class VisibleInspectionField(IdField):
    def get_queryset(self):
        return Inspection.objects.visible_to(self.context["request"].user).current()


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name"]


class OperationSerializer(serializers.ModelSerializer):
    """A night-check operation: organising unit, date, who leads, the team and the units covered."""

    client_uuid = serializers.UUIDField(required=False, allow_null=True)
    division = VisibleDivisionField(help_text=gettext_lazy("Code of the organising unit."))
    division_name = serializers.CharField(source="division.name", read_only=True)
    team = VisibleUserField(many=True, required=False)
    covered = VisibleDivisionField(many=True, required=False, help_text=gettext_lazy("Codes of the units covered."))
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = NightOperation
        fields = [
            "id",
            "client_uuid",
            "division",
            "division_name",
            "division_code",
            "date",
            "title",
            "leader",
            "team",
            "covered",
            "notes",
            *RECORD_FIELDS,
        ]
        read_only_fields = RECORD_READ_ONLY
        extra_kwargs = {"date": {"validators": [date_validator(ahead=PLANNING_AHEAD)]}}  # planned ahead

    def validate(self, attrs):
        if self.instance is None and not attrs.get("covered"):
            raise serializers.ValidationError({"covered": _("Choose the units the operation covers.")})
        return attrs


class PurchaseSerializer(serializers.ModelSerializer):
    """Coal bought from a vulnerable household above the market price; the amount is computed."""

    client_uuid = serializers.UUIDField(required=False, allow_null=True)
    household = VisibleHouseholdField()
    household_label = serializers.CharField(source="household.label", read_only=True)
    inspection = VisibleInspectionField(required=False, allow_null=True)
    purchased_on = serializers.DateField(required=False, validators=[date_validator()])
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = Purchase
        fields = [
            "id",
            "client_uuid",
            "household",
            "household_label",
            "division_code",
            "inspection",
            "purchased_on",
            "item",
            "quantity",
            "unit_price",
            "market_price",
            "amount",
            "notes",
            *RECORD_FIELDS,
        ]
        read_only_fields = [*RECORD_READ_ONLY, "amount"]


class BanSerializer(DeclaredCounts, serializers.ModelSerializer):
    """A sale point shut, a storage point cleared or a stall moved on; `rebound_at` is set by later visits."""

    client_uuid = serializers.UUIDField(required=False, allow_null=True)
    household = VisibleHouseholdField()
    household_label = serializers.CharField(source="household.label", read_only=True)
    banned_at = DateTimeField(required=False, validators=[date_validator()])
    departments = IdField(queryset=Department.objects.filter(is_active=True), many=True, required=False)
    photos = PhotoSerializer(many=True, read_only=True)
    photo_count = photo_count_field()
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = Ban
        fields = [
            "id",
            "client_uuid",
            "household",
            "household_label",
            "division_code",
            "kind",
            "banned_at",
            "officers",
            "departments",
            "notes",
            "rebound_at",
            "photos",
            "photo_count",
            *RECORD_FIELDS,
        ]
        read_only_fields = [*RECORD_READ_ONLY, "rebound_at"]


class ConversionSerializer(serializers.ModelSerializer):
    """A household's one current conversion. POST sets it: planned, or completed on a date."""

    household = VisibleHouseholdField()
    household_label = serializers.CharField(source="household.label", read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = Conversion
        fields = [
            "id",
            "household",
            "household_label",
            "division_code",
            "kind",
            "status",
            "completed_on",
            "notes",
            *RECORD_FIELDS,
        ]
        read_only_fields = RECORD_READ_ONLY
        extra_kwargs = {"status": {"required": True}, "completed_on": {"validators": [date_validator()]}}
        validators = []  # one current conversion per household: a POST for a household updates it


class ConversionTargetSerializer(serializers.ModelSerializer):
    """How many households a community is to convert in a heating season. POST sets it (create or update)."""

    division = VisibleDivisionField(help_text=gettext_lazy("Code of the community."))
    division_name = serializers.CharField(source="division.name", read_only=True)

    class Meta:
        model = ConversionTarget
        fields = ["id", "division", "division_name", "division_code", "season", "households"]
        read_only_fields = ["division_code"]
        validators = []  # one target per community and season: a POST for the same pair updates it

    def validate(self, attrs):
        target = self.instance
        if target is not None and (
            attrs.get("division", target.division) != target.division
            or attrs.get("season", target.season) != target.season
        ):
            raise serializers.ValidationError(_("Only the number of households can be changed; set a new target."))
        return attrs


class PublicitySerializer(DeclaredCounts, serializers.ModelSerializer):
    """A unit's publicity work on a day: what, how many, where, with photos."""

    client_uuid = serializers.UUIDField(required=False, allow_null=True)
    division = VisibleDivisionField(help_text=gettext_lazy("Code of the unit."))
    division_name = serializers.CharField(source="division.name", read_only=True)
    date = serializers.DateField(required=False, validators=[date_validator()])
    photos = PhotoSerializer(many=True, read_only=True)
    photo_count = photo_count_field()
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = Publicity
        fields = [
            "id",
            "client_uuid",
            "division",
            "division_name",
            "division_code",
            "date",
            "kind",
            "count",
            "place",
            "notes",
            "photos",
            "photo_count",
            *RECORD_FIELDS,
        ]
        read_only_fields = RECORD_READ_ONLY


# --- Multipart bodies, as the schema describes them (the views validate with the serializers above) ---------

PHOTOS_HELP = gettext_lazy("Photos, as repeated `photos` file parts.")


def photo_files_field():
    return serializers.ListField(child=serializers.FileField(), required=False, help_text=PHOTOS_HELP)


class InspectionUploadSerializer(InspectionSerializer):
    seizures = serializers.CharField(
        required=False, help_text=gettext_lazy("The seizure rows as a JSON list, as in a JSON body.")
    )
    photos = photo_files_field()


class BanUploadSerializer(BanSerializer):
    photos = photo_files_field()


class PublicityUploadSerializer(PublicitySerializer):
    photos = photo_files_field()
