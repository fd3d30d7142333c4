"""Forms of the field-work pages: validation only. Views hand the cleaned data to the services."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from coalgov.dates import PLANNING_AHEAD, date_validator
from divisions.models import Division, Level
from divisions.scoping import codes_above, codes_q, entry_codes
from households.models import Household

from .models import (
    Ban,
    Conversion,
    ConversionTarget,
    Department,
    Inspection,
    NightOperation,
    Publicity,
    Purchase,
    Seizure,
)
from .photos import photos_check
from .seasons import heating_season, is_season
from .services import BAN_PLACES, NOT_NIGHT, SeizureInput, is_night

User = get_user_model()

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
MAX_SEIZURE_ROWS = 4


def now_local() -> str:
    """The value a datetime-local input starts with: now, to the minute, local time."""
    return timezone.localtime().strftime(DATETIME_LOCAL)


def datetime_local_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)


def date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def notes_widget() -> forms.Textarea:
    return forms.Textarea(attrs={"rows": 3})


def bound_dates(form: forms.BaseForm, *names: str, ahead=None, asked: bool = False) -> None:
    """Refuse a far-off date on the form itself (year 1, year 9999), with the services' one rule and message
    (`asked`: a date a report is asked for, see coalgov.dates.date_check)."""
    for name in names:
        form.fields[name].validators.append(date_validator(ahead=ahead, asked=asked))


class UnitChoiceField(forms.ModelChoiceField):
    """A unit shown with its parent: 五里堡街道 · 某某社区."""

    def label_from_instance(self, obj: Division) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id and obj.parent else obj.name


class UnitsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Division) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id and obj.parent else obj.name


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.first_name or obj.username


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from one input; each is checked (content, size) and returned as a CheckedPhoto."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Photos"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [super(PhotosField, self).clean(f, initial) for f in files if f]
        return photos_check(files)


class ServiceValidatedForm(forms.ModelForm):
    """A model form whose record the service builds and validates; the form's own instance is never saved,
    so Django's model validation of it (which would need fields the service fills in) is skipped."""

    def _post_clean(self):
        return


class FieldworkForm(ServiceValidatedForm):
    """A form for one record. `client_uuid` makes a repeated submission (a double click) harmless."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())


class InspectionForm(FieldworkForm):
    photos = PhotosField()
    # A 夜查 entered for a moment outside the night window is stored as a visit not at night, which the
    # ranking and the digest do not count as a night check. The form says so before it saves, and saves
    # only once the clerk has ticked this (the phone page says the same as the moment is chosen).
    not_night_ok = forms.BooleanField(
        required=False, label=_("Save it anyway; I know it will not count as a night check")
    )

    class Meta:
        model = Inspection
        fields = ["kind", "outcome", "started_at", "operation", "leaders", "departments", "notes"]
        widgets = {
            "started_at": datetime_local_widget(),
            "departments": forms.CheckboxSelectMultiple,
            "notes": notes_widget(),
        }

    def __init__(self, *args, user, household: Household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["started_at"].initial = now_local
        bound_dates(self, "started_at")
        # Operations the household can be part of: not voided, visible, organised by one of its units.
        code = household.division_code
        prefixes = [code[:n] for n in range(1, len(code) + 1)]
        self.fields["operation"].queryset = (
            NightOperation.objects.visible_to(user).current().filter(division_code__in=prefixes).order_by("-date")
        )
        # A form left open while the office voided the operation it chose gets more than "not a valid choice".
        self.fields["operation"].error_messages["invalid_choice"] = _(
            "This operation was voided or is not one of this household's units: choose another, or none."
        )
        self.fields["departments"].queryset = Department.objects.filter(is_active=True)
        self.fields["departments"].required = False
        self.asks_not_night_ok = bool(self.data.get(self.add_prefix("not_night_ok")))

    def clean(self):
        data = super().clean()
        started_at = data.get("started_at")
        if (
            data.get("kind") == Inspection.Kind.NIGHT_CHECK
            and started_at
            and not is_night(started_at)
            and not data.get("not_night_ok")
        ):
            self.asks_not_night_ok = True
            self.add_error("started_at", not_night_message(started_at))
        return data


def not_night_message(moment) -> str:
    return NOT_NIGHT % {
        "time": timezone.localtime(moment).strftime("%H:%M"),
        "start": settings.NIGHT_START,
        "end": settings.NIGHT_END,
    }


class SeizureForm(forms.Form):
    """One row of what a visit took away; an untouched row is skipped."""

    # The empty choice names the field: on a phone the table's header is hidden.
    item = forms.ChoiceField(
        label=capfirst(_("item")), choices=[("", format_lazy("— {} —", capfirst(_("item")))), *Seizure.Item.choices]
    )
    quantity = forms.DecimalField(label=capfirst(_("quantity")), max_digits=12, decimal_places=2)
    method = forms.ChoiceField(
        label=capfirst(_("how")), choices=[("", format_lazy("— {} —", capfirst(_("how")))), *Seizure.Method.choices]
    )
    description = forms.CharField(label=capfirst(_("description")), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].widget.attrs.update(inputmode="decimal", step="any")

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity is not None and quantity <= 0:
            raise ValidationError(_("Quantities must be greater than zero."))
        return quantity

    def seizure(self) -> SeizureInput:
        data = self.cleaned_data
        return SeizureInput(
            item=data["item"], quantity=data["quantity"], method=data["method"], description=data["description"]
        )


SeizureFormSet = forms.formset_factory(
    SeizureForm, extra=MAX_SEIZURE_ROWS, max_num=MAX_SEIZURE_ROWS, validate_max=True, absolute_max=MAX_SEIZURE_ROWS
)


def seizures_from(formset) -> list[SeizureInput]:
    return [form.seizure() for form in formset.forms if form.has_changed() and form.cleaned_data]


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


class OperationForm(ServiceValidatedForm):
    """A night-check operation. Team members and covered units must lie within the organising unit."""

    class Meta:
        model = NightOperation
        fields = ["division", "date", "title", "leader", "team", "covered", "notes"]
        field_classes = {"division": UnitChoiceField, "team": MemberChoiceField, "covered": UnitsChoiceField}
        widgets = {"date": date_widget(), "notes": notes_widget(), "team": forms.CheckboxSelectMultiple}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = Division.objects.enterable_by(user, "operation").filter(is_active=True).select_related("parent")
        self.fields["division"].queryset = units.filter(level__in=[Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY])
        if not self.instance.pk:
            self.initial.setdefault("date", timezone.localdate())
        bound_dates(self, "date", ahead=PLANNING_AHEAD)  # operations are planned ahead
        # Narrow the team and the covered units to the organising unit once it is known.
        organiser = self._organiser(units)
        # Shown: what the organising unit may take, once it is known. Sent: anything within the user's reach, so
        # that a unit or person outside the organiser chosen meanwhile is refused by the service by name ("陈队员
        # does not work in 五里堡街道"), not by the choice field by number ("6 不在可用的选项中").
        roots = [organiser.code] if organiser and not self.is_bound else entry_codes(user, "operation")
        self.fields["covered"].queryset = (
            Division.objects.filter(codes_q(roots, "code"), is_active=True)
            .exclude(level=Level.GRID)
            .select_related("parent")
        )
        self.fields["covered"].widget.attrs["size"] = 10
        self.fields["covered"].help_text = _("Hold Ctrl (⌘ on a Mac) to choose several.")
        # The people of the organising unit and the units within it, and those of a unit above it (a leader of
        # the district office on a subdistrict's night), as the service and the planner allow: offered only the
        # first, an edit of the title silently took the planner's district members off their teams.
        self.fields["team"].queryset = (
            User.objects.filter(
                codes_q(roots, "memberships__division__code") | Q(memberships__division__code__in=codes_above(roots)),
                is_active=True,
                memberships__is_active=True,
            )
            .distinct()
            .order_by("username")
        )

    def _organiser(self, units) -> Division | None:
        value = self.data.get("division") if self.is_bound else self.initial.get("division")
        if value is None and self.instance.pk:
            value = self.instance.division_id
        if isinstance(value, Division):
            return value
        if value:
            try:
                return units.filter(pk=value).first()
            except (ValueError, TypeError):
                return None
        only = list(units[:2])
        if len(only) == 1:
            self.initial.setdefault("division", only[0].pk)
            return only[0]
        return None

    def clean(self):
        cleaned = super().clean()
        division = cleaned.get("division")
        if division is None:
            return cleaned
        for unit in cleaned.get("covered") or []:
            if not unit.is_within(division):
                self.add_error("covered", _("%(unit)s is outside the organising unit.") % {"unit": unit.name})
        # Who may be on the team is the service's check (operation_save): a second rule here, narrower than the
        # service's, took the planner's district members off the teams at an edit of the title.
        return cleaned


class PurchaseForm(FieldworkForm):
    class Meta:
        model = Purchase
        fields = ["purchased_on", "item", "quantity", "unit_price", "market_price", "notes"]
        widgets = {"purchased_on": date_widget(), "notes": notes_widget()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("purchased_on", timezone.localdate())
        bound_dates(self, "purchased_on")
        for name in ("quantity", "unit_price", "market_price"):
            self.fields[name].widget.attrs.update(inputmode="decimal", step="any")


class BanForm(FieldworkForm):
    photos = PhotosField()

    class Meta:
        model = Ban
        fields = ["kind", "banned_at", "officers", "departments", "notes"]
        widgets = {
            "banned_at": datetime_local_widget(),
            "departments": forms.CheckboxSelectMultiple,
            "notes": notes_widget(),
        }

    def __init__(self, *args, household: Household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["banned_at"].initial = now_local
        bound_dates(self, "banned_at")
        self.fields["departments"].queryset = Department.objects.filter(is_active=True)
        self.fields["departments"].required = False
        # The kind of ban follows from the kind of place; offer only that one when it is clear.
        fitting = [kind for kind, place in BAN_PLACES.items() if place == household.kind]
        if fitting:
            self.fields["kind"].choices = [(k.value, k.label) for k in fitting]
            self.initial.setdefault("kind", fitting[0].value)


class ConversionForm(ServiceValidatedForm):
    class Meta:
        model = Conversion
        fields = ["kind", "status", "completed_on", "notes"]
        widgets = {"completed_on": date_widget(), "notes": notes_widget()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_dates(self, "completed_on")


class ConversionTargetForm(ServiceValidatedForm):
    class Meta:
        model = ConversionTarget
        fields = ["division", "season", "households"]
        field_classes = {"division": UnitChoiceField}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = (
            Division.objects.enterable_by(user, "fieldwork_void")
            .filter(level=Level.COMMUNITY, is_active=True)
            .select_related("parent")
        )
        self.fields["season"].widget.attrs["pattern"] = r"\d{4}-\d{4}"
        self.initial.setdefault("season", heating_season())

    def clean_season(self):
        season = self.cleaned_data["season"].strip()
        if not is_season(season):
            raise ValidationError(_("Write the heating season as two years, e.g. 2016-2017."))
        return season


class PublicityForm(FieldworkForm):
    photos = PhotosField()

    class Meta:
        model = Publicity
        fields = ["division", "date", "kind", "count", "place", "notes"]
        field_classes = {"division": UnitChoiceField}
        widgets = {"date": date_widget(), "notes": notes_widget()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = (
            Division.objects.enterable_by(user, "fieldwork")
            .filter(Q(level__in=[Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY]), is_active=True)
            .select_related("parent")
        )
        self.initial.setdefault("date", timezone.localdate())
        bound_dates(self, "date")
        self.fields["count"].widget.attrs["inputmode"] = "numeric"
