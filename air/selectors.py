"""Reads of station readings: hourly values, daily means, grade bands, and the zone's night work beside them.

The day of a reading is the local date (Asia/Shanghai) of the hour it ends: a day's mean is over the hours the
national files list under that date (hour 0 to 23, ending 00:00 to 23:00), the same grouping as the files' own
`PM2.5_24h` column, which starts again at hour 0. Missing hours are left out of a mean, never counted as zero; a
mean of fewer than MIN_HOURS_FOR_DAY hours is shown and marked as incomplete (HJ 663-2013 asks for 20 hours).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Avg, Count, Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from divisions.models import Division, MonitoringStation
from divisions.scoping import codes_q, view_codes
from households.models import Household
from inspections.models import Inspection
from inspections.selectors import local_bounds

from .models import Reading

MIN_HOURS_FOR_DAY = 20

# PM2.5 24-hour breakpoints of the national AQI (HJ 633-2012, table 1: IAQI 50/100/150/200/300 at 35/75/115/150/250
# µg/m³) and the grades they bound (HJ 633-2012, table 2).
GRADES = [
    (Decimal(0), Decimal(35), "good", gettext_lazy("Excellent"), "#00e400"),
    (Decimal(35), Decimal(75), "moderate", gettext_lazy("Good"), "#ffff00"),
    (Decimal(75), Decimal(115), "light", gettext_lazy("Lightly polluted"), "#ff7e00"),
    (Decimal(115), Decimal(150), "medium", gettext_lazy("Moderately polluted"), "#ff0000"),
    (Decimal(150), Decimal(250), "heavy", gettext_lazy("Heavily polluted"), "#99004c"),
    (Decimal(250), None, "severe", gettext_lazy("Severely polluted"), "#7e0023"),
]


def grade(pm25: Decimal | None) -> str:
    """The grade of a PM2.5 24-hour mean: 优 up to 35, 良 to 75 … 严重污染 above 250 (a boundary value belongs to the
    lower grade, as in HJ 633-2012's table: IAQI 50 at exactly 35 µg/m³ is still 优)."""
    if pm25 is None:
        return ""
    for _low, high, _key, label, _colour in GRADES:
        if high is None or pm25 <= high:
            return str(label)
    return ""


def whole(value: Decimal | None) -> int | None:
    return None if value is None else int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class DailyMean:
    day: datetime.date
    pm25: Decimal | None
    hours: int  # hours with a PM2.5 value

    @property
    def complete(self) -> bool:
        return self.hours >= MIN_HOURS_FOR_DAY


def daily_means(
    *, station_ids: list[int], start: datetime.date, end: datetime.date
) -> dict[int, dict[datetime.date, DailyMean]]:
    """PM2.5 daily means per station and local day, in one query: {station id: {day: DailyMean}}."""
    lower, upper = local_bounds(start, end)
    rows = (
        Reading.objects.filter(station_id__in=station_ids, hour_ending__gte=lower, hour_ending__lt=upper)
        .annotate(day=TruncDate("hour_ending", tzinfo=timezone.get_default_timezone()))
        .values("station_id", "day")
        .annotate(mean=Avg("pm25"), hours=Count("pm25"))
        .order_by()
    )
    out: dict[int, dict[datetime.date, DailyMean]] = {}
    for row in rows:
        out.setdefault(row["station_id"], {})[row["day"]] = DailyMean(row["day"], row["mean"], row["hours"])
    return out


def hourly(*, station: MonitoringStation, start: datetime.date, end: datetime.date):
    """The station's readings of the local days start…end, oldest first."""
    lower, upper = local_bounds(start, end)
    return Reading.objects.filter(station=station, hour_ending__gte=lower, hour_ending__lt=upper).order_by(
        "hour_ending"
    )


def latest_day(station: MonitoringStation) -> datetime.date | None:
    last = Reading.objects.filter(station=station).order_by("-hour_ending").values_list("hour_ending", flat=True)[:1]
    return timezone.localtime(last[0], timezone.get_default_timezone()).date() if last else None


def zone_nights(
    *, station: MonitoringStation, user, start: datetime.date, end: datetime.date
) -> dict[datetime.date, dict[str, int]]:
    """Night checks in the station's priority zone, and those that found coal, per night (a night is named by
    the date it begins: checks from noon of D to noon of D+1), counting only what `user` may see."""
    codes = view_codes(user)
    lower, upper = local_bounds(start, end + datetime.timedelta(days=1))
    rows = (
        Inspection.objects.current()
        .filter(
            codes_q(codes, "division_code"),
            is_night=True,
            household__priority_station=station,
            started_at__gte=lower + datetime.timedelta(hours=12),
            started_at__lt=upper - datetime.timedelta(hours=12),
        )
        .annotate(
            night=TruncDate(F("started_at") - datetime.timedelta(hours=12), tzinfo=timezone.get_default_timezone())
        )
        .values("night")
        .annotate(checks=Count("pk"), found=Count("pk", filter=Q(outcome__in=Inspection.FOUND)))
        .order_by()
    )
    return {row["night"]: {"checks": row["checks"], "found": row["found"]} for row in rows}


def zone_in_jurisdiction(*, station: MonitoringStation, user) -> bool:
    """Whether any household of the user's jurisdiction lies in the station's priority zone."""
    mine = codes_q(view_codes(user), "division_code")
    return Household.objects.current().filter(mine, priority_station=station).exists()


def period(station: MonitoringStation, start: datetime.date | None, end: datetime.date | None):
    """The period a page shows: as asked, else the fortnight up to the station's last reading (or today)."""
    end = end or latest_day(station) or timezone.localdate()
    start = start or end - datetime.timedelta(days=settings.AIR_DEFAULT_DAYS - 1)
    return start, end


def station_chart(*, station: MonitoringStation, user, start: datetime.date, end: datetime.date) -> dict:
    """Everything the station chart and its table show, in four queries or five: hourly PM2.5, daily means with
    their grade, whether the user has households in the zone (`counted`) and if so the zone's night checks and
    findings the user may see, and the nights that stand out (a complete day's mean at or above AIR_HIGH_PM25
    with fewer than AIR_FEW_NIGHT_CHECKS night checks). Every figure carries its link."""
    readings_url = reverse("air:readings", args=[station.code])
    hours = [
        # Milliseconds since the epoch, as the chart's time axis reads them (no time-zone parsing in the browser).
        [int(r.hour_ending.timestamp() * 1000), None if r.pm25 is None else float(r.pm25)]
        for r in hourly(station=station, start=start, end=end)
    ]
    means = daily_means(station_ids=[station.pk], start=start, end=end).get(station.pk, {})
    # Without a household of the user's jurisdiction in the zone there are no checks of theirs to show: not 0 a
    # night (which marked nights as 高值少查 for a user with nothing to check there).
    counted = zone_in_jurisdiction(station=station, user=user)
    nights = zone_nights(station=station, user=user, start=start, end=end) if counted else {}
    days = []
    day = start
    while day <= end:
        mean = means.get(day)
        night = nights.get(day, {"checks": 0, "found": 0})
        value = whole(mean.pm25) if mean else None
        complete = bool(mean and mean.complete)
        # Graded and marked only as a valid daily mean (MIN_HOURS_FOR_DAY hours), and by the value shown: 35.05
        # shows as 35, which is 优, not 良.
        high = complete and value >= settings.AIR_HIGH_PM25
        days.append(
            {
                "day": day.isoformat(),
                "mean": value,
                "hours": mean.hours if mean else 0,
                "complete": complete,
                "grade": grade(Decimal(value)) if complete else "",
                "checks": night["checks"] if counted else None,
                "found": night["found"] if counted else None,
                "flagged": counted and high and night["checks"] < settings.AIR_FEW_NIGHT_CHECKS,
                "readings_url": f"{readings_url}?start={day}&end={day}",
                "checks_url": _inspections_url(station, day, found=False),
                "found_url": _inspections_url(station, day, found=True),
            }
        )
        day += datetime.timedelta(days=1)
    return {
        "station": {"code": station.code, "name": station.name},
        "counted": counted,
        "hours": hours,
        "days": days,
        "bands": [
            {"from": float(low), "to": None if high is None else float(high), "label": str(label), "colour": colour}
            for low, high, _key, label, colour in GRADES
        ],
        "night": _night_hours(),
        "high": settings.AIR_HIGH_PM25,
        "few": settings.AIR_FEW_NIGHT_CHECKS,
        "readings_url": f"{readings_url}?start={start}&end={end}",
        "labels": {
            "hourly": _("PM2.5 hourly"),
            "daily": _("PM2.5 daily mean"),
            "checks": _("Night checks in the zone"),
            "found": _("Night checks that found coal"),
            "flagged": _("High reading, few checks"),
            "unit": "μg/m³",
        },
    }


def _night_hours() -> dict:
    """The night-check window as hours from the midnight a night begins after (22:00–06:00: 22 to 30), so the
    chart marks every night over exactly the same span."""

    def hours(text: str) -> float:
        moment = datetime.time.fromisoformat(text)
        return moment.hour + moment.minute / 60

    start, end = hours(settings.NIGHT_START), hours(settings.NIGHT_END)
    return {"start": start, "end": end + 24 if end <= start else end}


def _inspections_url(station: MonitoringStation, day: datetime.date, *, found: bool) -> str:
    # Exactly the visits zone_nights counts: night checks in this station's zone, from noon of the day to noon of
    # the next; the list applies the viewer's jurisdiction as the count does.
    query = f"is_night=true&station={station.code}&night={day}"
    return f"{reverse('inspections:list')}?{query}" + ("&found_coal=true" if found else "")


def digest_stations(division: Division):
    """The priority-zone stations whose zone holds households of the division and that have readings."""
    in_zone = Household.objects.current().filter(
        division_code__startswith=division.code, priority_station=OuterRef("pk")
    )
    return MonitoringStation.objects.filter(
        Exists(in_zone), Exists(Reading.objects.filter(station=OuterRef("pk"))), has_priority_zone=True
    ).order_by("code")


def digest_air_lines(division: Division, day: datetime.date) -> list[str]:
    """One line per priority station of the division: the day's PM2.5 daily mean and its change on the day before,
    e.g. 河医大PM2.5日均值158μg/m³，较前日上升23%. Readings only: the digest states no cause."""
    stations = list(digest_stations(division))
    if not stations:
        return []
    before = day - datetime.timedelta(days=1)
    means = daily_means(station_ids=[s.pk for s in stations], start=before, end=day)
    return [station_day_line(s, means.get(s.pk, {}).get(day), means.get(s.pk, {}).get(before)) for s in stations]


def change_percent(today: Decimal, before: Decimal) -> int | None:
    """The day-on-day change in percent, of the unrounded means, rounded half up; None without a base."""
    if not before:
        return None
    return whole((Decimal(today) - Decimal(before)) * 100 / Decimal(before))


def station_day_line(station: MonitoringStation, today: DailyMean | None, before: DailyMean | None) -> str:
    if today is None or today.pm25 is None:
        return _("%(station)s: no PM2.5 readings for the day") % {"station": station.name}
    line = _("%(station)s PM2.5 daily mean %(mean)s μg/m³") % {"station": station.name, "mean": whole(today.pm25)}
    change = change_percent(today.pm25, before.pm25) if before and before.pm25 is not None else None
    if change is None:
        line += _(", no readings the day before")
    elif change > 0:
        line += _(", up %(n)s%% on the day before") % {"n": change}
    elif change < 0:
        line += _(", down %(n)s%% on the day before") % {"n": -change}
    else:
        line += _(", the same as the day before")
    if not today.complete:
        line += _(" (only %(n)s hours reported)") % {"n": today.hours}
    return line


def dashboard_station_chart(*, user, codes: list[str] | None, prefer: str) -> dict | None:
    """The dashboard's station chart: the priority-zone station with readings whose zone holds households of the
    dashboard's scope (`prefer`, 河医大, if it is one), over the fortnight to its last reading; None if no such
    station. Five queries whatever the data."""
    in_zone = Household.objects.current().filter(codes_q(codes, "division_code"), priority_station=OuterRef("pk"))
    stations = MonitoringStation.objects.filter(
        Exists(in_zone), Exists(Reading.objects.filter(station=OuterRef("pk"))), has_priority_zone=True
    ).order_by("code")
    station = next(iter(sorted(stations, key=lambda s: (s.code != prefer, s.code))), None)
    if station is None:
        return None
    start, end = period(station, None, None)
    return station_chart(station=station, user=user, start=start, end=end)
