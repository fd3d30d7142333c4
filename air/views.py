"""Station pages: readings are public to every signed-in user; the zone's night work beside them is scoped.

Uploading readings belongs to the district coal office (the `station` entry right); anyone else gets 403, as
on the household import page.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from divisions.models import MonitoringStation
from divisions.scoping import may_enter_somewhere

from . import selectors
from .forms import PeriodForm, ReadingsUploadForm
from .models import ReadingImport
from .services import readings_import


def _station(code: str) -> MonitoringStation:
    return get_object_or_404(MonitoringStation, code=code)


def _period(request, station):
    """The asked period (or the default fortnight); a wrong one is shown with its error and the default used."""
    form = PeriodForm(request.GET) if request.GET else None
    start = end = None
    if form is not None and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        if start and not end:
            end = start + datetime.timedelta(days=settings.AIR_DEFAULT_DAYS - 1)
    start, end = selectors.period(station, start, end)
    if form is None or form.is_valid():
        form = PeriodForm(initial={"start": start, "end": end})
    return form, start, end


@login_required
def station_list(request):
    """Every station, those with a priority zone first, with yesterday's PM2.5 daily mean and grade."""
    stations = list(MonitoringStation.objects.order_by("-has_priority_zone", "code"))
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    means = selectors.daily_means(station_ids=[s.pk for s in stations], start=yesterday, end=yesterday)
    rows = []
    for station in stations:
        mean = means.get(station.pk, {}).get(yesterday)
        value = mean.pm25 if mean else None
        rows.append({"station": station, "mean": selectors.whole(value), "grade": selectors.grade(value)})
    context = {
        "rows": rows,
        "yesterday": yesterday,
        "may_upload": may_enter_somewhere(request.user, "station"),
    }
    return render(request, "air/station_list.html", context)


@login_required
def station_detail(request, code):
    """A station's PM2.5 over a period, beside the night checks in its zone that the user may see."""
    station = _station(code)
    form, start, end = _period(request, station)
    chart = selectors.station_chart(station=station, user=request.user, start=start, end=end)
    context = {
        "station": station,
        "form": form,
        "start": start,
        "end": end,
        "chart": chart,
        "in_jurisdiction": chart["counted"],
    }
    return render(request, "air/station_detail.html", context)


@login_required
def readings(request, code):
    """The station's hours of a period: the figures behind every mean and point on the chart."""
    station = _station(code)
    form, start, end = _period(request, station)
    hours = list(selectors.hourly(station=station, start=start, end=end))
    context = {"station": station, "form": form, "start": start, "end": end, "hours": hours}
    return render(request, "air/readings.html", context)


@login_required
def upload(request):
    """The district office imports station files; every line is checked and nothing is written if one is wrong."""
    if not may_enter_somewhere(request.user, "station"):
        raise PermissionDenied
    form = ReadingsUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            outcome = readings_import(
                actor=request.user, files=[(upload.name, upload.read())], source=ReadingImport.Source.UPLOAD
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            messages.success(
                request,
                _("Readings imported: %(created)s hours added, %(changed)s changed, %(unchanged)s unchanged.")
                % {"created": outcome.created, "changed": outcome.changed, "unchanged": outcome.unchanged},
            )
            if outcome.unknown_stations:
                messages.warning(
                    request,
                    _("Not imported, no such station in the station list: %(codes)s")
                    % {"codes": "、".join(outcome.unknown_stations)},
                )
            return redirect("air:upload")
    imports = ReadingImport.objects.select_related("actor")[:10]
    return render(request, "air/upload.html", {"form": form, "imports": imports})
