import datetime

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from coalgov.filters import ANY, DateRangeFilter, NoYes, UnitFilterSet, YesNoAny, id_filter
from divisions.models import MonitoringStation

from .models import Ban, Conversion, ConversionTarget, Inspection, NightOperation, Publicity, Purchase
from .selectors import local_bounds


class FieldFilterSet(UnitFilterSet):
    """What every field-work list filters by: a unit's subtree, and voided records hidden unless asked."""

    # field_name names the column filtered, so the API schema describes the parameter as a code (a string).
    voided = django_filters.BooleanFilter(label=_("Voided"), widget=NoYes, method="filter_voided")

    def filter_queryset(self, queryset):
        if self.form.cleaned_data.get("voided") is None:
            queryset = queryset.filter(voided_at__isnull=True)
        return super().filter_queryset(queryset)

    def filter_voided(self, queryset, name, value):
        return queryset.filter(voided_at__isnull=not value)


class LocalDateRangeFilter(DateRangeFilter):
    """Inclusive local dates (Asia/Shanghai) on a datetime field."""

    def filter(self, qs, value):
        if not value:
            return qs
        lower, upper = local_bounds(value.start, value.stop)
        if lower:
            qs = qs.filter(**{f"{self.field_name}__gte": lower})
        if upper:
            qs = qs.filter(**{f"{self.field_name}__lt": upper})
        return qs


class InspectionFilterSet(FieldFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Inspection.Kind.choices, empty_label=ANY)
    outcome = django_filters.ChoiceFilter(label=_("Outcome"), choices=Inspection.Outcome.choices, empty_label=ANY)
    date = LocalDateRangeFilter(label=_("Date"), field_name="started_at")
    is_night = django_filters.BooleanFilter(label=_("At night"), widget=YesNoAny)
    in_priority_zone = django_filters.BooleanFilter(label=_("In a priority zone"), widget=YesNoAny)
    found_coal = django_filters.BooleanFilter(label=_("Coal or stove found"), widget=YesNoAny, method="filter_found")
    household = id_filter(label=_("Household"), field_name="household_id")
    operation = id_filter(label=_("Night-check operation"), field_name="operation_id")
    # A station's priority zone (by code) and a night (checks from noon of the date to noon of the next day): what
    # a station page counts for each night, so its counts link to exactly the visits they count.
    station = django_filters.ModelChoiceFilter(
        label=_("Monitoring station"),
        queryset=MonitoringStation.objects.filter(has_priority_zone=True),
        to_field_name="code",
        field_name="household__priority_station",
        empty_label=ANY,
    )
    night = django_filters.DateFilter(
        label=_("Night of"),
        method="filter_night",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    class Meta:
        model = Inspection
        fields = [
            "division",
            "kind",
            "outcome",
            "date",
            "is_night",
            "in_priority_zone",
            "found_coal",
            "station",
            "night",
        ]

    def filter_night(self, queryset, name, value):
        lower, upper = local_bounds(value, value)
        if lower is None or upper is None:
            return queryset
        noon = datetime.timedelta(hours=12)
        return queryset.filter(started_at__gte=lower + noon, started_at__lt=upper + noon)

    def filter_found(self, queryset, name, value):
        return (
            queryset.filter(outcome__in=Inspection.FOUND) if value else queryset.exclude(outcome__in=Inspection.FOUND)
        )


class NightOperationFilterSet(FieldFilterSet):
    date = DateRangeFilter(label=_("Date"))

    class Meta:
        model = NightOperation
        fields = ["division", "date"]


class PurchaseFilterSet(FieldFilterSet):
    date = DateRangeFilter(label=_("Date"), field_name="purchased_on")
    household = id_filter(label=_("Household"), field_name="household_id")

    class Meta:
        model = Purchase
        fields = ["division", "date", "item"]


class BanFilterSet(FieldFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Ban.Kind.choices, empty_label=ANY)
    date = LocalDateRangeFilter(label=_("Date"), field_name="banned_at")
    rebounded = django_filters.BooleanFilter(
        label=_("Found trading again"), widget=YesNoAny, field_name="rebound_at", lookup_expr="isnull", exclude=True
    )
    household = id_filter(label=_("Household"), field_name="household_id")

    class Meta:
        model = Ban
        fields = ["division", "kind", "date", "rebounded"]


class ConversionFilterSet(FieldFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Conversion.Kind.choices, empty_label=ANY)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Conversion.Status.choices, empty_label=ANY)
    completed = DateRangeFilter(label=_("Completed on"), field_name="completed_on")

    class Meta:
        model = Conversion
        fields = ["division", "kind", "status", "completed"]


class PublicityFilterSet(FieldFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Publicity.Kind.choices, empty_label=ANY)
    date = DateRangeFilter(label=_("Date"))

    class Meta:
        model = Publicity
        fields = ["division", "kind", "date"]


class ConversionTargetFilterSet(UnitFilterSet):
    """Targets have no voided state: a unit's subtree and a heating season."""

    season = django_filters.CharFilter(label=_("Heating season"))

    class Meta:
        model = ConversionTarget
        fields = ["division", "season"]
