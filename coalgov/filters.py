"""Pieces shared by the FilterSets of every app."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from coalgov.dates import PLANNING_AHEAD, date_validator
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


class UnitSelect(forms.Select):
    """The unit filter's <select>, its options written here rather than through Django's option template once
    each: a district's two hundred units cost a list page more that way than its fifty rows (docs/households.md).
    The same markup as forms.Select: value, `selected`, the label escaped."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "\n",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], mark_safe(" selected") if option["selected"] else "", option["label"])
                for _group, group_options, _index in widget["optgroups"]
                for option in group_options
            ),
        )
        return format_html('<select name="{}"{}>\n{}\n</select>', widget["name"], flatatt(widget["attrs"]), options)


def visible_units(request):
    """Units a user may filter by: those in their jurisdiction, down to communities. Each says whether units lie
    below it (`has_children`), read with the chosen unit itself, so the filter needs no query of its own."""
    user = getattr(request, "user", None)
    return (
        Division.objects.visible_to(user)
        .filter(level__in=[Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY])
        .annotate(has_children=Exists(Division.objects.filter(parent=OuterRef("pk"))))
        .select_related("parent")
    )


class BoundedDates:
    """Filter form mixin: a date filter's day, or either end of a date range, lies between the campaign's start
    and a year ahead, or that parameter is refused with the project's one message for it. Year 1 or 9999 in a
    link is a slip; read as given it listed nothing, or overflowed on its way to UTC."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            for day in getattr(field, "fields", None) or (field,):
                if isinstance(day, forms.DateField):
                    day.validators.append(date_validator(ahead=PLANNING_AHEAD, asked=True))


class BoundedDatesFilterSet(django_filters.FilterSet):
    """A FilterSet whose date filters are bounded (`BoundedDates`)."""

    def get_form_class(self):
        form = super().get_form_class()
        return type(form.__name__, (BoundedDates, form), {})


class UnitFilterSet(BoundedDatesFilterSet):
    """Base of the FilterSets of records that carry a `division_code`: `?division=CODE` keeps that unit's
    subtree. The choices are the units the user can see; another code is a validation error."""

    division = django_filters.ModelChoiceFilter(
        label=_("Unit"),
        queryset=visible_units,
        empty_label=ANY,
        to_field_name="code",
        field_name="division_code",
        method="filter_division",
        widget=UnitSelect,
    )

    def filter_division(self, queryset, name, value):
        # A unit with nothing below it (a community without grids, most of them) is its code alone: equality
        # lets an index on (division_code, id) hand over the unit's newest records in order, where a prefix
        # (LIKE 'code%') is a range whose rows must be sorted, or the table walked backwards by id.
        if getattr(value, "has_children", True):
            return queryset.filter(division_code__startswith=value.code)
        return queryset.filter(division_code=value.code)
