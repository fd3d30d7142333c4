"""Filters of station readings, for the API's list of hours."""

import datetime

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField, IsoDateTimeRangeField, RangeField

from coalgov.filters import BoundedDatesFilterSet, YesNoAny
from divisions.models import MonitoringStation
from inspections.filtersets import LocalDateRangeFilter

from .models import Reading


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment, handed to the database in UTC: an offset PostgreSQL does not take (-22:18) or a moment
    outside years 1–9999 once in UTC is refused as invalid instead of failing in the database."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class UtcIsoDateTimeRangeField(IsoDateTimeRangeField):
    def __init__(self, *args, **kwargs):
        RangeField.__init__(self, (UtcIsoDateTimeField(), UtcIsoDateTimeField()), *args, **kwargs)


class UtcIsoDateTimeFromToRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    field_class = UtcIsoDateTimeRangeField


class ReadingFilterSet(BoundedDatesFilterSet):
    """Hours by station (its code) and by time: `time_after` / `time_before` (ISO 8601, inclusive, on the end of
    the hour) or `date_after` / `date_before` (local days, inclusive). Readings are public: no unit filter."""

    station = django_filters.ModelChoiceFilter(
        label=_("Monitoring station"), queryset=MonitoringStation.objects.all(), to_field_name="code"
    )
    time = UtcIsoDateTimeFromToRangeFilter(label=_("Hour ending"), field_name="hour_ending")
    date = LocalDateRangeFilter(label=_("Date"), field_name="hour_ending")

    class Meta:
        model = Reading
        fields = ["station", "time", "date"]


class StationFilterSet(BoundedDatesFilterSet):
    """The stations, those with a priority zone or those without (a yes / no filter refuses anything else)."""

    has_priority_zone = django_filters.BooleanFilter(label=_("Has a priority zone"), widget=YesNoAny)

    class Meta:
        model = MonitoringStation
        fields = ["has_priority_zone"]
