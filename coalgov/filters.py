"""Pieces shared by the FilterSets of every app."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from divisions.models import Division, Level

ANY = _("Any")
MAX_ID = 2**63 - 1  # a record number beyond the database's range is refused as invalid, not a crash


def id_filter(label, field_name: str) -> django_filters.NumberFilter:
    """A filter by record number; a number beyond the database's range is invalid, not a crash."""
    return django_filters.NumberFilter(label=label, field_name=field_name, min_value=1, max_value=MAX_ID)


class YesNoAny(BooleanWidget):
    """A yes / no filter whose empty choice reads "any" rather than django-filter's "unknown"."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", ANY), ("true", _("Yes")), ("false", _("No"))]


def visible_units(request):
    """Units a user may filter by: those in their jurisdiction, down to communities."""
    user = getattr(request, "user", None)
    return (
        Division.objects.visible_to(user)
        .filter(level__in=[Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY])
        .select_related("parent")
    )


class UnitFilterSet(django_filters.FilterSet):
    """Base of the FilterSets of records that carry a `division_code`: `?division=CODE` keeps that unit's
    subtree. The choices are the units the user can see; another code is a validation error."""

    division = django_filters.ModelChoiceFilter(
        label=_("Unit"),
        queryset=visible_units,
        empty_label=ANY,
        to_field_name="code",
        field_name="division_code",
        method="filter_division",
    )

    def filter_division(self, queryset, name, value):
        return queryset.filter(division_code__startswith=value.code)
