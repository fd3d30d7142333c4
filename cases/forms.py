import datetime
import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coalgov.dates import PLANNING_AHEAD, date_check, date_validator
from divisions.models import Division, Level
from households.filtersets import HouseholdFilterSet
from households.models import NOTES_MAX_LENGTH, Household
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


# How people shorten a unit's official name in a notice: 建新南街社区 for 建新南街社区居民委员会, 尖岗村 for
# 尖岗村委会. Longest first, so that 社区居民管理委员会 is not read as 社区 + 居民管理委员会.
COMMUNITY_SUFFIXES = (
    "社区居民管理委员会",
    "社区居民委员会",
    "社区管理委员会",
    "社区委员会",
    "社区居委会",
    "拟居委会",
    "居民委员会",
    "居委会",
)
VILLAGE_SUFFIXES = ("村民委员会", "村委会")
SEPARATORS = re.compile(r"[\s·•/\-—]+")


def unit_names(unit: Division) -> set[str]:
    """The names a unit goes by in notices: its official name and the short forms people write."""
    names = {unit.name}
    if unit.level == Level.SUBDISTRICT:
        names |= {f"{unit.name}办事处", f"{unit.name}办"}
    for suffix in COMMUNITY_SUFFIXES:
        if unit.name.endswith(suffix):
            base = unit.name.removesuffix(suffix)
            names |= {f"{base}社区", f"{base}社区居委会", f"{base}社区居民委员会", f"{base}居委会"}
            break
    for suffix in VILLAGE_SUFFIXES:
        if unit.name.endswith(suffix):
            base = unit.name.removesuffix(suffix)
            names |= {f"{base}村", f"{base}村委会", f"{base}村民委员会"}
            break
    return names


def _unit_label(unit: Division) -> str:
    return f"{unit.parent.name}{unit.name}（{unit.code}）" if unit.level != Level.SUBDISTRICT else unit.name


class UnitNames:
    """Find the unit a notice means by what it says: a 12-digit code, the official name, or a short name
    (建新南街社区), with or without the subdistrict (and district) in front (五里堡街道建新南街社区)."""

    def __init__(self, units, within: Division | list[Division]):
        self.by_code = {unit.code: unit for unit in units}
        self.by_name: dict[str, list[Division]] = {}
        for unit in self.by_code.values():  # units come with their parent (select_related)
            parent = unit.parent if unit.level != Level.SUBDISTRICT else None
            for name in unit_names(unit):
                self._add(name, unit)
                for prefix in unit_names(parent) if parent else ():
                    self._add(prefix + name, unit)
        # A notice may name the whole path: 郑州市二七区五里堡街道…; what is above the notice's unit adds nothing.
        # (An import by a user entering in several districts reads names within any of them.)
        withins = within if isinstance(within, list) else [within]
        self.prefixes = sorted(
            {a.name for w in withins for a in w.ancestors()} | {w.name for w in withins}, key=len, reverse=True
        )

    def _add(self, name: str, unit: Division) -> None:
        found = self.by_name.setdefault(name, [])
        if unit not in found:
            found.append(unit)

    def find(self, text: str) -> list[Division]:
        """The units `text` may mean: none, one, or several (an ambiguous name)."""
        if text in self.by_code:
            return [self.by_code[text]]
        name = SEPARATORS.sub("", text)
        stripped = True
        while stripped:
            stripped = False
            for prefix in self.prefixes:
                if name.startswith(prefix) and name != prefix:
                    name, stripped = name.removeprefix(prefix), True
        return self.by_name.get(name, [])


DATE_LIKE = re.compile(r"^\d{4}[\d\s./\-年月日]*$")
# A deadline as notices and spreadsheets write it: 2026-12-20, 2026/12/20, 2026.12.20, 2026年12月20日, 20261220.
PASTED_DATE = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?$|^(\d{4})(\d{2})(\d{2})$")


def pasted_date(text: str) -> datetime.date:
    """A pasted deadline; ValueError when it is not a date in one of PASTED_DATE's forms."""
    found = PASTED_DATE.match(text.strip())
    if found is None:
        raise ValueError(text)
    year, month, day = (int(part) for part in found.groups() if part is not None)
    return datetime.date(year, month, day)


COMMAS = re.compile(r"([,，])")


def split_row(line: str) -> tuple[str, str, str, str] | None:
    """A pasted row as (unit, problem, severity, deadline); None when a tabbed row has more than four columns.

    A row with a tab came from a table (a document or a spreadsheet): it is split on tabs only, so the problem
    may contain commas. A row without one is split on commas; the problem text may contain commas too, so the
    unit is the first cell and the severity and the deadline, both optional, are taken from the end."""
    if "\t" in line:
        cells = [cell.strip() for cell in line.split("\t")]
        while len(cells) > 4 and not cells[-1]:
            cells.pop()  # a spreadsheet's empty trailing columns
        if len(cells) > 4:
            return None
        cells += [""] * (4 - len(cells))
        return cells[0], cells[1], cells[2], cells[3]
    parts = COMMAS.split(line)  # cells at even indexes, the commas between them at odd ones
    cells = [cell.strip() for cell in parts[0::2]]
    unit, rest = cells[0], cells[1:]
    deadline = severity = ""
    if len(rest) > 1 and (DATE_LIKE.match(rest[-1]) or not rest[-1]):
        deadline = rest.pop()
    if len(rest) > 1 and (rest[-1].lower() in SEVERITY_WORDS or not rest[-1]):
        severity = rest.pop()
    # The problem keeps the commas it was written with.
    problem = "".join(parts[2 : 2 * len(rest) + 1]).strip() if rest else ""
    return unit, problem, severity, deadline


def unit_errors(units: UnitNames, text: str, division: Division) -> tuple[Division | None, str]:
    """The unit a notice's problem names, or why it names none: the paste form and the API say the same."""
    candidates = units.find(text)
    if len(candidates) > 1:
        message = _("%(unit)s may mean %(candidates)s; put the subdistrict in front or give the code.")
        return None, message % {"unit": text, "candidates": "、".join(_unit_label(c) for c in candidates)}
    if not candidates:
        message = _("No unit %(unit)s that you may assign in %(division)s.")
        return None, message % {"unit": text, "division": division.name}
    return candidates[0], ""


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
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "One problem per line: responsible unit (its name as written, e.g. 建新南街社区 or 五里堡街道建新南街社区, "
            "or its code), problem, and optionally severity (严重 / 一般 / 轻微) and deadline (2026-12-20 or "
            "2026年12月20日), separated by tabs or commas — a table copied from a document or spreadsheet pastes "
            "as it is, and in a row with tabs the problem may contain commas."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["division"].queryset = Division.objects.enterable_by(user, "case_open").filter(
            level__in=[Level.DISTRICT, Level.SUBDISTRICT]
        )
        # An example row whose deadline the form accepts: a fortnight from today.
        example = timezone.localdate() + datetime.timedelta(days=14)
        self.fields["table"].widget.attrs["placeholder"] = f"五里堡街道\t楼道堆放散煤\t严重\t{example:%Y-%m-%d}"

    def clean(self):
        cleaned = super().clean()
        division, table = cleaned.get("division"), cleaned.get("table", "")
        if division is None or not table:
            return cleaned
        units = UnitNames(case_units(self.user).filter(code__startswith=division.code), within=division)
        problems, errors = [], []
        for number, line in enumerate(table.splitlines(), start=1):
            if not line.strip():
                continue
            cells = split_row(line)
            if cells is None:
                errors.append(
                    _("Line %(n)s: more than four columns (unit, problem, severity, deadline).") % {"n": number}
                )
                continue
            unit_text, title, severity_text, deadline_text = cells
            unit, message = unit_errors(units, unit_text, division)
            if unit is None:
                errors.append(_("Line %(n)s: %(message)s") % {"n": number, "message": message})
                continue
            if not title:
                errors.append(_("Line %(n)s: the problem is missing.") % {"n": number})
                continue
            severity = SEVERITY_WORDS.get(severity_text.lower() if severity_text else "normal")
            if severity is None:
                errors.append(_("Line %(n)s: severity is 严重, 一般 or 轻微.") % {"n": number})
                continue
            try:
                deadline = pasted_date(deadline_text) if deadline_text else None
            except ValueError:
                errors.append(
                    _("Line %(n)s: the deadline is not a date (2026-12-20 or 2026年12月20日).") % {"n": number}
                )
                continue
            try:
                date_check(deadline, ahead=PLANNING_AHEAD)
            except ValidationError as exc:
                errors.append(_("Line %(n)s: %(message)s") % {"n": number, "message": exc.messages[0]})
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

    # The form's own key, drawn when the page is shown: sent again (back, then send), it opens no second case.
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, required=False)

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
    place = forms.CharField(
        label=_("Find the place"),
        required=False,
        max_length=100,
        help_text=_("Type part of the address or the name of the household or operator, then pick it below."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-household-search": "/api/v1/households/"}),
    )
    household = forms.ModelChoiceField(
        label=_("Place"),
        queryset=Household.objects.none(),
        required=False,
        help_text=_("Only registered places within your jurisdiction; leave empty if the place is not registered."),
    )
    reporter_name = forms.CharField(label=_("Reporter"), max_length=50, required=False)
    reporter_contact = forms.CharField(label=_("Reporter's contact (kept private)"), max_length=50, required=False)

    MATCHES = 20
    field_order = ["source", "place", "household", "responsible_unit"]

    def full_clean(self):
        if self.is_bound and "find" in self.data:
            # Only searching for the place: nothing is checked or saved yet, so no field shows an error.
            self._errors, self.cleaned_data = ErrorDict(), {}
            return
        super().full_clean()

    def __init__(self, *args, user, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())
        self.fields["responsible_unit"].queryset = case_units(user)
        self.fields["responsible_unit"].required = False  # a picked place brings its community
        places = Household.objects.visible_to(user).current().select_related("division")
        self.fields["household"].queryset = places
        # The list offers only what the search found (and the place already picked), never the whole register:
        # without JavaScript the "Find" button searches on the server; with it, static/js/household-picker.js
        # fills the same list from the households API as one types.
        matches = []
        if self.is_bound:
            text = (self.data.get(self.add_prefix("place")) or "").strip()
            if text:
                found = HouseholdFilterSet(data={"q": text}, queryset=places, request=request).qs
                matches = list(found[: self.MATCHES])
            picked = str(self.data.get(self.add_prefix("household")) or "")
            if picked.isascii() and picked.isdigit() and all(str(h.pk) != picked for h in matches):
                matches += list(places.filter(pk=picked))
        self.no_match = self.is_bound and bool(self.data.get(self.add_prefix("place"))) and not matches
        self.fields["household"].widget.choices = [("", _("— none —"))] + [(h.pk, place_label(h)) for h in matches]

    def clean(self):
        cleaned = super().clean()
        household, unit = cleaned.get("household"), cleaned.get("responsible_unit")
        if unit is None and household is not None:
            unit = self.fields["responsible_unit"].queryset.filter(pk=household.division_id).first()
            cleaned["responsible_unit"] = unit
        if unit is None and "responsible_unit" not in self.errors:
            self.add_error("responsible_unit", _("Choose the responsible unit, or pick a place in your units."))
        cleaned.pop("place", None)
        return cleaned


def place_label(household: Household) -> str:
    """How a place is offered in the list: its address, who lives or trades there, and its community."""
    who = f" · {household.head_name}" if household.head_name else ""
    return f"{household.label}{who} · {household.division.name}"


class RectifyForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=NOTES_MAX_LENGTH
    )
    photos = PhotosField(label=_("Evidence photos"))


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=NOTES_MAX_LENGTH
    )


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
