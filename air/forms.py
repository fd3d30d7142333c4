from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from coalgov.dates import PLANNING_AHEAD
from inspections.forms import bound_dates, date_widget

from .imports import max_bytes


class PeriodForm(forms.Form):
    """The period a station page or its readings show (local dates, both included)."""

    # date_widget: the ISO value a date box shows; the locale's 2026/11/25 left both boxes looking empty.
    start = forms.DateField(label=_("From"), required=False, widget=date_widget())
    end = forms.DateField(label=_("To"), required=False, widget=date_widget())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The project's one bound on entered dates: year 1900 or 9999 is a slip, and 9999-12-31 would overflow
        # when the page adds the default fortnight or the day after the end. The chart also shows planned night
        # checks, so a period may reach as far ahead as a plan may.
        bound_dates(self, "start", "end", ahead=PLANNING_AHEAD, asked=True)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The start of the period is after its end."))
            if (end - start).days + 1 > settings.AIR_MAX_DAYS:
                raise forms.ValidationError(_("Choose a period of at most %(n)s days.") % {"n": settings.AIR_MAX_DAYS})
        return data


class ReadingsUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Station files (.csv, or a .zip of them)"),
        help_text=_(
            "The national stations' hourly files (date,hour,type,<station codes>…, one a day), or the long form "
            "station,time,pm25,pm10,aqi. Days already imported are replaced by the file's values."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".zip")):
            raise forms.ValidationError(_("Give a .csv file, or a .zip of .csv files."))
        if upload.size > max_bytes():
            raise forms.ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": max_bytes() // 2**20})
        return upload
