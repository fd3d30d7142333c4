import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coalgov.dates import PLANNING_AHEAD, date_check, date_validator
from divisions.models import Division, Level
from households.models import Household
from inspections.forms import PhotosField, date_widget

from .models import Accountability, Case, SupervisionNotice
from .services import ProblemInput

SEVERITY_WORDS = {
    "严重": Case.Severity.SERIOUS,
    "serious": Case.Severity.SERIOUS,
    "一般": Case.Severity.NORMAL,
    "normal": Case.Severity.NORMAL,
    "轻微": Case.Severity.MINOR,
    "minor": Case.Severity.MINOR,
}


class UnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Division) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent and obj.level != Level.SUBDISTRICT else obj.name


def case_units(user):
    """Subdistricts and communities where the user may open cases."""
    return (
        Division.objects.enterable_by(user, "case_open")
        .filter(level__in=[Level.SUBDISTRICT, Level.COMMUNITY])
        .select_related("parent")
    )


class NoticeForm(forms.Form):
    """A supervision notice and its problems: typed into rows, or pasted as a table from a document."""

    division = forms.ModelChoiceField(label=_("Receiving unit"), queryset=Division.objects.none())
    number = forms.CharField(label=_("Number"), max_length=60)
    issued_on = forms.DateField(label=_("Issued on"), widget=date_widget(), validators=[date_validator()])
    level = forms.ChoiceField(label=_("Issued by"), choices=SupervisionNotice.Level.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    table = forms.CharField(
        label=_("Problems"),
        widget=forms.Textarea(attrs={"rows": 10, "placeholder": "五里堡街道\t楼道堆放散煤\t严重\t2017-01-10"}),
        help_text=_(
            "One problem per line: responsible unit (name or code), problem, and optionally severity "
            "(严重 / 一般 / 轻微) and deadline (YYYY-MM-DD), separated by tabs or commas — a table copied from "
            "a document or spreadsheet pastes as it is."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["division"].queryset = Division.objects.enterable_by(user, "case_open").filter(
            level__in=[Level.DISTRICT, Level.SUBDISTRICT]
        )

    def clean(self):
        cleaned = super().clean()
        division, table = cleaned.get("division"), cleaned.get("table", "")
        if division is None or not table:
            return cleaned
        units = {u.code: u for u in case_units(self.user).filter(code__startswith=division.code)}
        by_name = {}
        for unit in units.values():
            by_name.setdefault(unit.name, []).append(unit)
        problems, errors = [], []
        for number, line in enumerate(table.splitlines(), start=1):
            if not line.strip():
                continue
            cells = [c.strip() for c in re.split(r"\t|,|，", line)]
            cells += [""] * (4 - len(cells))
            unit_text, title, severity_text, deadline_text = cells[:4]
            unit = units.get(unit_text) or (by_name.get(unit_text) or [None])[0]
            if unit is None or len(by_name.get(unit_text, [])) > 1:
                errors.append(
                    _("Line %(n)s: no unit %(unit)s that you may assign in %(division)s.")
                    % {"n": number, "unit": unit_text, "division": division.name}
                )
                continue
            if not title:
                errors.append(_("Line %(n)s: the problem is missing.") % {"n": number})
                continue
            severity = SEVERITY_WORDS.get(severity_text.lower() if severity_text else "normal")
            if severity is None:
                errors.append(_("Line %(n)s: severity is 严重, 一般 or 轻微.") % {"n": number})
                continue
            try:
                deadline = datetime.date.fromisoformat(deadline_text) if deadline_text else None
            except ValueError:
                errors.append(_("Line %(n)s: the deadline is not a date (YYYY-MM-DD).") % {"n": number})
                continue
            try:
                date_check(deadline, ahead=PLANNING_AHEAD)
            except ValidationError as exc:
                errors.append(_("Line %(line)s: %(message)s") % {"line": number, "message": exc.messages[0]})
                continue
            if deadline is not None and deadline < timezone.localdate():
                errors.append(_("Line %(n)s: the deadline has already passed.") % {"n": number})
                continue
            problems.append(ProblemInput(responsible_unit=unit, title=title, severity=severity, deadline=deadline))
        if errors:
            self.add_error("table", errors)
        cleaned["problems"] = problems
        return cleaned


class CaseOpenForm(forms.Form):
    """A case from a public tip-off or a supervision spot check."""

    source = forms.ChoiceField(
        label=_("Source"),
        choices=[(value, label) for value, label in Case.Source.choices if value in ("tip_off", "spot_check")],
    )
    responsible_unit = UnitField(label=_("Responsible unit"), queryset=Division.objects.none())
    title = forms.CharField(label=_("Problem"), max_length=200)
    description = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=Case.Severity.choices, initial=Case.Severity.NORMAL)
    deadline = forms.DateField(
        label=_("Deadline"),
        required=False,
        widget=date_widget(),
        validators=[date_validator(ahead=PLANNING_AHEAD)],
        help_text=_("Leave empty for the default of the severity."),
    )
    household = forms.ModelChoiceField(
        label=_("Place (household number)"),
        queryset=Household.objects.none(),
        required=False,
        widget=forms.NumberInput,
        help_text=_("The register number of the place, if it is registered."),
    )
    reporter_name = forms.CharField(label=_("Reporter"), max_length=50, required=False)
    reporter_contact = forms.CharField(label=_("Reporter's contact (kept private)"), max_length=50, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_unit"].queryset = case_units(user)
        self.fields["household"].queryset = Household.objects.visible_to(user).current()


class RectifyForm(forms.Form):
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label=_("Evidence photos"))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class DeadlineForm(forms.Form):
    deadline = forms.DateField(
        label=_("New deadline"), widget=date_widget(), validators=[date_validator(ahead=PLANNING_AHEAD)]
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class AccountabilityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Measure"), choices=Accountability.Kind.choices)
    unit = UnitField(label=_("Unit"), queryset=Division.objects.none())
    person = forms.CharField(label=_("Person held responsible"), max_length=100, required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    decided_on = forms.DateField(label=_("Date"), widget=date_widget(), validators=[date_validator()])
    cases = forms.ModelMultipleChoiceField(
        label=_("Cases"), queryset=Case.objects.none(), required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (
            Division.objects.enterable_by(user, "accountability")
            .filter(level__in=[Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY])
            .select_related("parent")
        )
        self.fields["cases"].queryset = (
            Case.objects.visible_to(user).counted().filter(Q(rebounds__gt=0) | Q(overdue_since__isnull=False))
        )
