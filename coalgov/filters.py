"""Pieces shared by the FilterSets of every app."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.forms.models import ModelChoiceIterator
from django.forms.utils import ErrorDict, ErrorList
from django.utils.html import conditional_escape, escape, format_html, strip_tags
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_bootstrap5.css import merge_css_classes
from django_bootstrap5.forms import render_field, render_label
from django_filters.fields import DateRangeField, RangeField
from django_filters.widgets import BooleanWidget, DateRangeWidget

from coalgov.dates import PLANNING_AHEAD, date_validator
from divisions.models import Division, Level

ANY = _("Any")
MAX_ID = 2**63 - 1  # a record number beyond the database's range is refused as invalid, not a crash


class OrderedDateRangeField(DateRangeField):
    """A date range whose end is not before its start: reversed, it is an error to show, not an empty list."""

    def compress(self, data_list):
        value = super().compress(data_list)
        if value is not None and value.start and value.stop and value.start > value.stop:
            raise forms.ValidationError(_("The end date is before the start date."), code="reversed")
        return value


class DateRangeFilter(django_filters.DateFromToRangeFilter):
    """From one date to another: each box the browser's date picker (not free text that takes 2026-12-08 but not
    12/08/2026), the end not before the start."""

    field_class = OrderedDateRangeField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", DateRangeWidget(attrs={"type": "date"}))
        super().__init__(*args, **kwargs)


def id_filter(label, field_name: str) -> django_filters.NumberFilter:
    """A filter by record number; a number beyond the database's range is invalid, not a crash."""
    return django_filters.NumberFilter(label=label, field_name=field_name, min_value=1, max_value=MAX_ID)


def _attrs_html(attrs: dict) -> str:
    """A widget's attributes as Django's attrs.html writes them: in order, `True` a bare name, `False` left out."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _select_html(name: str, attrs: dict, options) -> str:
    """A <select> with its options, (value, label, selected) each, as forms.Select's templates write it less the
    whitespace between options; every text escaped here, once."""
    lines = [
        f'<option value="{escape(value)}"{" selected" if selected else ""}>{escape(label)}</option>'
        for value, label, selected in options
    ]
    return mark_safe(f'<select name="{escape(name)}"{_attrs_html(attrs)}>\n' + "\n".join(lines) + "\n</select>")


class OptionsSelect(forms.Select):
    """A filter's <select>, its options written here rather than through Django's option template once each
    (a list page's dozen filters, each a template per option, cost about as much as its rows). Options in groups
    are written ungrouped: no filter's choices have groups."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = (
            (option["value"], option["label"], option["selected"])
            for _group, group_options, _index in widget["optgroups"]
            for option in group_options
        )
        return _select_html(widget["name"], widget["attrs"], options)


class YesNoAny(BooleanWidget, OptionsSelect):
    """A yes / no filter whose empty choice reads "any" rather than django-filter's "unknown"."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", ANY), ("true", _("Yes")), ("false", _("No"))]


class NoYes(YesNoAny):
    """A yes / no filter whose empty choice reads "no": for what a list hides unless asked (voided records,
    duplicate cases), where "any" read as if those were shown with the rest."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", _("No")), ("true", _("Yes"))]


class UnitSelect(OptionsSelect):
    """The unit filter's <select>: a district's two hundred units cost a list page more through Django's option
    template than its fifty rows (docs/households.md). The units are read as (code, name) pairs, not as Division
    objects with their parents (a unit's label is its name, Division.__str__): still one query, without two hundred
    model instances built to be thrown away. `selected` on the first option matching, as forms.Select."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = self.choices
        if not isinstance(choices, ModelChoiceIterator):
            return super().render(name, value, attrs, renderer)
        field = choices.field
        pairs = [("", field.empty_label)] if field.empty_label is not None else []
        if getattr(field, "null_label", None) is not None:
            pairs.append((field.null_value, field.null_label))
        pairs += field.queryset.values_list(field.to_field_name or "pk", "name")
        chosen, found, options = set(self.format_value(value)), False, []
        for option_value, label in pairs:
            option_value = "" if option_value is None else str(option_value)
            selected = not found and option_value in chosen
            found |= selected
            options.append((option_value, label, selected))
        return _select_html(name, self.build_attrs(self.attrs, attrs), options)


def filter_field_html(field) -> str:
    """One filter of a list page as `{% bootstrap_field field size="sm" server_side_validation=False %}` writes it
    (label, widget and their wrapper), written here for a filter's plain text boxes and selects: django-bootstrap5
    takes about a millisecond a field. A field with errors or help text, or another widget, is left to it."""
    widget = field.field.widget
    if field.is_hidden:
        return str(field)
    if isinstance(widget, forms.Select) and not widget.allow_multiple_selected:
        kind = "form-select"
    elif type(widget) is forms.TextInput:
        kind = "form-control"
    else:
        kind = None
    if kind is None or field.errors or field.help_text or field.field.required:
        return render_field(field, size="sm", server_side_validation=False)
    attrs = {**widget.attrs, "class": merge_css_classes(kind, widget.attrs.get("class", ""), "", f"{kind}-sm")}
    if kind == "form-control":
        placeholder = widget.attrs.get("placeholder", field.label)
        if placeholder:
            attrs["placeholder"] = conditional_escape(strip_tags(placeholder))
    label = render_label(field.label, label_for=field.id_for_label, label_class="form-label") if field.label else ""
    return format_html('<div class="mb-3">{}{}</div>', label, field.as_widget(attrs=attrs))


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


class StrictBooleans:
    """Filter form mixin: a yes / no filter given something other than true or false is refused, not read as "any".
    django-filter's widgets take `?is_night=perhaps` for no choice at all: an integrator who misspelt true got
    every record, day and night, with a 200."""

    def clean(self):
        data = super().clean()
        for name, field in self.fields.items():
            if not isinstance(field, forms.NullBooleanField):
                continue
            key = self.add_prefix(name)
            raw = self.data.get(key)
            if raw not in (None, "") and field.widget.value_from_datadict(self.data, self.files, key) is None:
                self.add_error(name, _("Give true or false, not %(value)s.") % {"value": str(raw)[:20]})
        return data


class SentNameErrors:
    """A FilterSet whose errors (what the API answers 400 with) are keyed by the parameters sent.

    A range filter is one form field (`date`) read from two parameters (`date_after`, `date_before`); its error
    names the one that was wrong, as the API documents, and stays on the range only when neither alone is.
    The pages keep the form's own errors, shown on the range's field.
    """

    @property
    def errors(self):
        errors = ErrorDict()
        for name, messages in self.form.errors.as_data().items():
            field = self.form.fields.get(name)
            sent = {}
            if isinstance(field, RangeField):
                for subfield, suffix in zip(field.fields, field.widget.suffixes, strict=False):
                    key = field.widget.suffixed(self.form.add_prefix(name), suffix)
                    try:
                        subfield.clean(self.form.data.get(key))
                    except ValidationError as exc:
                        sent[key] = ErrorList(exc.error_list)
            errors.update(sent or {name: ErrorList(messages)})
        return errors


class BoundedDatesFilterSet(SentNameErrors, django_filters.FilterSet):
    """A FilterSet whose date filters are bounded (`BoundedDates`), whose yes / no filters take only yes or no
    (`StrictBooleans`), and whose errors name the parameters sent (`SentNameErrors`: every list of the API)."""

    def get_form_class(self):
        form = super().get_form_class()
        return type(form.__name__, (BoundedDates, StrictBooleans, form), {})


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
