from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from coalgov.dates import PLANNING_AHEAD
from divisions.models import Division, Level
from inspections.forms import bound_dates, date_widget

from .ledgers import check_request
from .models import LedgerExport


class PeriodForm(forms.Form):
    """An inclusive range of local dates; either side may stay open (the whole history by default)."""

    start = forms.DateField(label=_("From"), required=False, widget=date_widget())
    end = forms.DateField(label=_("To"), required=False, widget=date_widget())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_dates(self, "start", "end", ahead=PLANNING_AHEAD, asked=True)  # year 1 or 9999 is a slip

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return cleaned


class LedgerForm(forms.Form):
    """A ledger request: a unit the user may view (district, subdistrict or community), a period, the sheets."""

    LEVELS = (Level.CITY, Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY)

    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=Division.objects.none(),
        to_field_name="code",
        error_messages={"invalid_choice": _("Choose a unit within your jurisdiction.")},
    )
    # ISO dates: the browser's date input takes no other format (zh-hans would render 2026/11/01).
    start = forms.DateField(label=_("From"), widget=date_widget())
    end = forms.DateField(label=_("To"), widget=date_widget())
    sheets = forms.MultipleChoiceField(
        label=_("Sheets"),
        choices=LedgerExport.Sheet.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one sheet.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (
            Division.objects.visible_to(user).filter(level__in=self.LEVELS, is_active=True).order_by("code")
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            try:  # the service's own rules; the sheets field has checked the sheets already
                check_request(start=start, end=end, sheets=None)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    for message in messages:
                        self.add_error(name, message)
        return cleaned
