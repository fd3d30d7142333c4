import math
import re

import django_filters
from django import forms
from django.db.models import F, FloatField, Func, OrderBy, Q, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from coalgov.filters import ANY, NoYes, OptionsSelect, UnitFilterSet, YesNoAny
from divisions.scoping import codes_q, phone_codes

from .models import CoalStatus, Household, Kind

# "Nearby" on the phone page: households within this distance of the phone, the nearest first.
NEAR_RADIUS_M = 300
NEAR_LIMIT = 50
METRES_PER_DEGREE_LATITUDE = 111_320


class PositionField(forms.CharField):
    """A position as the phone sends it, "latitude,longitude" in degrees (WGS84); cleaned to floats."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            latitude, longitude = (float(part) for part in value.split(","))
        except ValueError:
            raise forms.ValidationError(_("Give a position as latitude,longitude."), code="invalid") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise forms.ValidationError(_("Give a position as latitude,longitude."), code="invalid")
        return latitude, longitude


class PositionFilter(django_filters.Filter):
    field_class = PositionField


class _Numbered(Func):
    """A building or stairwell as the label writes it: 7 reads 7号楼 (1 reads 1单元), anything else as typed."""

    output_field = TextField()

    def __init__(self, field: str, suffix: str):
        super().__init__(F(field))
        self.suffix = suffix

    def as_sql(self, compiler, connection, **extra):
        template = (
            f"CASE WHEN %(expressions)s ~ '^[0-9]+$' THEN %(expressions)s || '{self.suffix}' ELSE %(expressions)s END"
        )
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # No regular expressions in SQLite's SQL: "only digits" is "not empty and no character that is not one".
        template = (
            f"CASE WHEN %(expressions)s <> '' AND %(expressions)s NOT GLOB '*[^0-9]*' "
            f"THEN %(expressions)s || '{self.suffix}' ELSE %(expressions)s END"
        )
        return super().as_sql(compiler, connection, template=template, **extra)


class _PlaceText(Func):
    """The place as pages show it (Household.label: 铁路新村7号楼1单元304), then the street address, with all
    whitespace taken out, so that 铁路新村 7号楼 and 7号楼1单元304 find it too. A control character (CHR(31))
    between the two keeps a search from matching across them. Migration households/0006 indexes UPPER() of
    exactly the PostgreSQL SQL with pg_trgm, the expression Django's icontains writes, so the search stays
    index-driven (docs/households.md); SQLite (the demo) gets the same text by plainer means."""

    output_field = TextField()
    arg_joiner = " || "

    def __init__(self):
        super().__init__(
            F("estate"),
            _Numbered("building", "号楼"),
            _Numbered("unit", "单元"),
            F("room"),
            Func(template="CHR(31)", output_field=TextField()),
            F("address"),
        )

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="REGEXP_REPLACE(%(expressions)s, '\\s', '', 'g')", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        clone = self.copy()
        clone.source_expressions[4] = Func(template="CHAR(31)", output_field=TextField())
        template = "%(expressions)s"
        for space in ("' '", "CHAR(9)", "CHAR(10)", "CHAR(13)"):
            template = f"REPLACE({template}, {space}, '')"
        return Func.as_sql(clone, compiler, connection, template=template, **extra)


PLACE_TEXT = _PlaceText()
SPACES = re.compile(r"[\s\x00-\x1f]+")


class HouseholdFilterSet(UnitFilterSet):
    """The one household filter: used by the register page and by /api/v1/households/."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_text")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Kind.choices, empty_label=ANY, widget=OptionsSelect)
    unmanaged = django_filters.BooleanFilter(label=_("No property management (无主管)"), widget=YesNoAny)
    no_gas_or_heating = django_filters.BooleanFilter(
        label=_("Neither gas nor central heating (无双气)"), widget=YesNoAny
    )
    vulnerable = django_filters.BooleanFilter(label=_("Vulnerable"), widget=YesNoAny, method="filter_vulnerable")
    coal_status = django_filters.ChoiceFilter(
        label=_("Coal status"), choices=CoalStatus.choices, empty_label=ANY, widget=OptionsSelect
    )
    in_priority_zone = django_filters.BooleanFilter(label=_("In a priority zone"), widget=YesNoAny)
    estate = django_filters.CharFilter(label=_("Estate / compound"))
    building = django_filters.CharFilter(label=_("Building"))
    unit = django_filters.CharFilter(label=_("Stairwell"))
    voided = django_filters.BooleanFilter(label=_("Voided"), widget=NoYes, method="filter_voided")
    near = PositionFilter(label=_("Near"), method="filter_near", widget=forms.HiddenInput)

    class Meta:
        model = Household
        fields = ["q", "division", "kind", "unmanaged", "no_gas_or_heating", "vulnerable", "in_priority_zone"]

    def filter_queryset(self, queryset):
        # Voided households are hidden unless asked for, in the list and in the API alike.
        if self.form.cleaned_data.get("voided") is None:
            queryset = queryset.filter(voided_at__isnull=True)
        return super().filter_queryset(queryset)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # A phone number matches only where the user sees full numbers: a masked number must not be
        # confirmable by searching for it.
        user = getattr(self.request, "user", None)
        by_phone = Q(phone=value) & codes_q(phone_codes(user), "division_code")
        # The place as displayed (铁路新村7号楼1单元304), with or without spaces, or any part of it.
        # Text of nothing but spaces and control characters searches the fields as typed, never "" (every place).
        needle = SPACES.sub("", value)
        by_place = Q(place_text__icontains=needle) if needle else Q(pk__in=[])
        by_text = Q(estate__icontains=value) | Q(address__icontains=value) | Q(head_name__icontains=value)
        found = queryset.alias(place_text=PLACE_TEXT).filter(by_text | by_place | by_phone)
        # Newest first, but not by walking the primary key: PostgreSQL cannot estimate how few rows a
        # '%text%' matches, and for a rare name it would read the whole register backwards looking for the
        # first 50 (0.5 s at a million households). Ordering by an expression makes it find the matches
        # through the trigram indexes and sort them (docs/households.md).
        return found.order_by(OrderBy(F("id") + 0, descending=True))

    def filter_vulnerable(self, queryset, name, value):
        condition = Q(elderly_alone=True) | Q(low_income=True) | Q(disabled=True)
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_voided(self, queryset, name, value):
        return queryset.filter(voided_at__isnull=not value)

    @extend_schema_field(OpenApiTypes.STR)  # "latitude,longitude"
    def filter_near(self, queryset, name, value):
        """The nearest households (at most NEAR_LIMIT) within about NEAR_RADIUS_M, nearest first.

        A bounding box on latitude/longitude, ordered by squared distance in degrees of latitude. The
        queryset it narrows is already the user's jurisdiction. An API list re-orders by its cursor; the
        phone sorts by distance itself.
        """
        if value is None:
            return queryset
        latitude, longitude = value
        scale = max(math.cos(math.radians(latitude)), 0.01)  # a degree of longitude is shorter
        half_height = NEAR_RADIUS_M / METRES_PER_DEGREE_LATITUDE
        half_width = half_height / scale
        north = Cast("latitude", FloatField()) - latitude
        east = (Cast("longitude", FloatField()) - longitude) * scale
        distance = north * north + east * east
        box = queryset.filter(
            latitude__range=(latitude - half_height, latitude + half_height),
            longitude__range=(longitude - half_width, longitude + half_width),
        ).annotate(distance2=distance)
        nearest = box.order_by("distance2", "id").values("pk")[:NEAR_LIMIT]
        return box.filter(pk__in=nearest).order_by(F("distance2").asc(), "id")
