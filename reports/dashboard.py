"""The dashboard: the running totals of the user's jurisdiction, by unit, by day, in the priority zone, on a map.

Every total comes from `fieldwork_figures` / `case_figures`, as on the unit pages and in the digests; the
table by unit and the daily trend count the same records grouped by division-code prefix or by local date,
in a fixed number of queries whatever the number of units.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, FloatField, Q
from django.db.models.functions import Cast, Substr
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from air.selectors import dashboard_station_chart
from cases.models import Case
from cases.selectors import case_figures
from divisions.models import Division, Level, MonitoringStation
from divisions.scoping import codes_q, view_codes
from households.models import CoalStatus, Household
from inspections.models import Conversion
from inspections.selectors import fieldwork_figures, visits_by_day, visits_by_unit

# The code length of the units a scope's table shows (a grid's code extends its community's).
CODE_LENGTH = {Level.SUBDISTRICT: 9, Level.COMMUNITY: 12}
TREND_DAYS = 30
MAP_MARKER_LIMIT = 2000
CENTRE_STATION = "1323A"  # 河医大, the national station of 二七区


@dataclass
class Scope:
    """Whose records the dashboard counts: jurisdiction roots (None: everything) and the unit asked for."""

    codes: list[str] | None
    unit: Division | None = None
    row_level: str | None = None
    units: list[Division] = field(default_factory=list)

    @property
    def filter_code(self) -> str:
        """The `division` parameter of the list links: the one root, or nothing (the lists are scoped anyway)."""
        return self.codes[0] if self.codes and len(self.codes) == 1 else ""


def dashboard_scope(user, division_code: str | None = None) -> Scope:
    """The user's jurisdiction, narrowed to a visible unit by `division_code` (404 if not visible)."""
    if division_code:
        unit = get_object_or_404(Division.objects.visible_to(user), code=division_code)
        codes = [unit.code]
    else:
        codes = view_codes(user)
        unit = Division.objects.filter(code=codes[0]).first() if codes and len(codes) == 1 else None
    if codes is None:
        row_level = Level.SUBDISTRICT
    elif not codes:
        row_level = None
    else:
        shortest = min(len(code) for code in codes)
        row_level = Level.SUBDISTRICT if shortest < 9 else Level.COMMUNITY if shortest < 12 else None
    return Scope(codes=codes, unit=unit, row_level=row_level)


def unit_rows(scope: Scope) -> list[dict]:
    """One row per subdistrict (or community) in scope, in four queries however many units there are."""
    if scope.row_level is None:
        return []
    length = CODE_LENGTH[scope.row_level]
    units = list(
        Division.objects.filter(codes_q(scope.codes, "code"), level=scope.row_level, is_active=True).order_by("code")
    )
    if not units:
        return []
    prefix = Substr("division_code", 1, length)
    visits = visits_by_unit(codes=scope.codes, length=length)
    conversions = dict(
        Conversion.objects.current()
        .filter(codes_q(scope.codes, "division_code"), status=Conversion.Status.COMPLETED)
        .annotate(unit=prefix)
        .values("unit")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("unit", "n")
    )
    overdue = dict(
        Case.objects.counted()
        .overdue()
        .filter(codes_q(scope.codes, "division_code"))
        .annotate(unit=prefix)
        .values("unit")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("unit", "n")
    )
    rows = []
    for unit in units:
        v = visits.get(unit.code, {})
        rows.append(
            {
                "unit": unit,
                "visits": v.get("inspections", 0),
                "households_checked": v.get("households_checked", 0),
                "households_with_coal_found": v.get("households_with_coal_found", 0),
                "briquettes_pieces": v.get("briquettes_pieces", Decimal(0)),
                "conversions_completed": conversions.get(unit.code, 0),
                "overdue_cases": overdue.get(unit.code, 0),
            }
        )
    return rows


def daily_trend(scope: Scope, today: datetime.date | None = None, days: int = TREND_DAYS) -> dict:
    """Visits, night checks and households where coal was found, by local day over the last `days` days."""
    today = today or timezone.localdate()
    first = today - datetime.timedelta(days=days - 1)
    by_day = visits_by_day(codes=scope.codes, start=first, end=today)
    dates = [first + datetime.timedelta(days=n) for n in range(days)]
    names = {"visits": "inspections", "night_checks": "night_checks", "coal_found": "households_with_coal_found"}
    series = {name: [by_day.get(d, {}).get(column, 0) for d in dates] for name, column in names.items()}
    return {
        "dates": [f"{d:%m-%d}" for d in dates],
        "series": [
            {"key": "visits", "name": _("Visits"), "data": series["visits"]},
            {"key": "night_checks", "name": _("Night checks"), "data": series["night_checks"]},
            {"key": "coal_found", "name": _("Households where coal was found"), "data": series["coal_found"]},
        ],
    }


def map_data(scope: Scope, limit: int | None = None) -> dict:
    """Households in scope where coal was found and not yet cleared (located ones, the latest `limit`,
    default MAP_MARKER_LIMIT), and the monitoring stations with their priority zones."""
    limit = MAP_MARKER_LIMIT if limit is None else limit
    found = (
        Household.objects.current()
        .filter(codes_q(scope.codes, "division_code"), coal_status=CoalStatus.FOUND, latitude__isnull=False)
        .order_by("-coal_status_at", "-pk")
    )
    # Plain tuples and one reverse(): two thousand model instances and URL reversals cost more than the query.
    # The position as floats from PostgreSQL: the same numbers as float(Decimal) without a Decimal made per value.
    found = found.annotate(lat=Cast("latitude", FloatField()), lng=Cast("longitude", FloatField()))
    fields = (*Household.LABEL_FIELDS, "lat", "lng", "in_priority_zone")
    rows = list(found.values_list(*fields)[: limit + 1])
    capped = len(rows) > limit
    rows = rows[:limit]
    detail = reverse("households:detail", args=[0]).removesuffix("0/")
    stations = list(MonitoringStation.objects.filter(has_priority_zone=True).order_by("code"))
    in_scope = set(
        Household.objects.current()
        .filter(codes_q(scope.codes, "division_code"), priority_station__isnull=False)
        .values_list("priority_station__code", flat=True)
        .order_by()  # without it the household's default ordering (its id) joins the DISTINCT: a row per household
        .distinct()
    )
    centre = next((s for s in stations if s.code == CENTRE_STATION and s.code in in_scope), None)
    return {
        "households": [
            {
                "id": row[0],
                "lat": lat,
                "lng": lng,
                "label": Household.label_of(*row),
                "url": f"{detail}{row[0]}/",
                "zone": zone,
            }
            for *row, lat, lng, zone in rows
        ],
        "capped": capped,
        "limit": limit,
        "stations": [
            {
                "code": s.code,
                "name": s.name,
                "lat": float(s.latitude),
                "lng": float(s.longitude),
                "radius": s.priority_radius_m,
                "in_scope": s.code in in_scope,
            }
            for s in stations
        ],
        "centre": [float(centre.latitude), float(centre.longitude)] if centre else None,
        "default_centre": next(
            ([float(s.latitude), float(s.longitude)] for s in stations if s.code == CENTRE_STATION),
            [float(stations[0].latitude), float(stations[0].longitude)] if stations else [34.75, 113.65],
        ),
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }


def _link(name: str, code: str, **params) -> str:
    query = {"division": code, **params} if code else params
    return f"{reverse(name)}?{urlencode(query)}" if query else reverse(name)


@login_required
def dashboard(request):
    """The user's jurisdiction (or a visible unit of it, `?division=CODE`) at a glance."""
    scope = dashboard_scope(request.user, request.GET.get("division") or None)
    figures = fieldwork_figures(codes=scope.codes)
    cases = case_figures(codes=scope.codes)
    code = scope.filter_code
    # Both counts of households with coal found and not cleared (all, and in the priority zones) in one query.
    found_now = (
        Household.objects.current()
        .filter(codes_q(scope.codes, "division_code"), coal_status=CoalStatus.FOUND)
        .aggregate(all=Count("pk"), zone=Count("pk", filter=Q(in_priority_zone=True)))
    )
    cards = [
        ("inspections", _("Visits"), figures.inspections, _link("inspections:list", code)),
        ("night_checks", _("Night checks"), figures.night_checks, _link("inspections:list", code, is_night="true")),
        (
            "households_checked",
            _("Households checked"),
            figures.households_checked,
            _link("inspections:list", code),
        ),
        (
            "households_with_coal_found",
            _("Households where coal was found"),
            figures.households_with_coal_found,
            _link("inspections:list", code, found_coal="true"),
        ),
        (
            "households_found_now",
            _("Coal found, not yet cleared"),
            found_now["all"],
            _link("households:list", code, coal_status=CoalStatus.FOUND),
        ),
        (
            "briquettes_pieces",
            _("Briquettes / honeycomb coal (pieces)"),
            figures.briquettes_pieces,
            _link("inspections:list", code, found_coal="true"),
        ),
        (
            "conversions",
            _("Conversions completed"),
            figures.conversions_electricity + figures.conversions_gas,
            _link("inspections:conversion-list", code, status=Conversion.Status.COMPLETED),
        ),
        ("overdue_cases", _("Cases overdue now"), cases.overdue_now, _link("cases:list", code, overdue="true")),
    ]
    zone = [
        (
            "priority_zone_checks",
            _("Checks in priority zones"),
            figures.priority_zone_checks,
            _link("inspections:list", code, in_priority_zone="true"),
        ),
        (
            "priority_zone_found",
            _("Households in priority zones with coal found, not yet cleared"),
            found_now["zone"],
            _link("households:list", code, in_priority_zone="true", coal_status=CoalStatus.FOUND),
        ),
    ]
    context = {
        "scope": scope,
        "figures": figures,
        "cards": cards,
        "zone": zone,
        "rows": unit_rows(scope),
        "row_level_label": _("Community") if scope.row_level == Level.COMMUNITY else _("Subdistrict"),
        "trend": daily_trend(scope),
        "map": map_data(scope),
        # PM2.5 at the zone's station beside the zone's night checks (docs/air.md); None without readings.
        "station_chart": dashboard_station_chart(user=request.user, codes=scope.codes, prefer=CENTRE_STATION),
    }
    return render(request, "reports/dashboard.html", context)
