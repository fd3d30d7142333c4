"""Reads of the night-check planner: the weights that apply, and tonight's places ranked by their score.

The score of a place is the sum of the weights of the reasons that hold for it (docs/planning.md lists them):
coal found and not yet cleared, a ban that rebounded, a 回头看 due, an open case, a tip-off, not visited for
`stale_days` (or never), an old courtyard without property management or without gas and heating, a street
shop, inside a priority zone (times the zone station's reading factor). It is computed in SQL: each reason is an
indexed condition or an `IN (subquery)` PostgreSQL answers with one hashed look-up, the score a sum of CASEs, and
only the best few thousand rows leave the database. The statement scores the places with a rare reason, and, when
they do not decide the plan, the few other places found by score class that can still take a place in it.
"""

from __future__ import annotations

import datetime
import functools
import operator
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Recheck
from divisions.models import Division, Level
from divisions.scoping import covers, grants, view_codes
from households.models import CoalStatus, Household, Kind
from inspections.models import Ban, Inspection
from inspections.services import night_of

from .models import PlanWeights


@dataclass(frozen=True)
class Part:
    key: str
    label: str
    help: str


# The reasons a place is suggested, in the order pages show them. The keys are stored with every frozen plan.
PARTS = [
    Part("found", _("Coal found, not cleared"), _("The latest visit that saw anything found coal or a stove.")),
    Part("rebound", _("Ban rebounded"), _("A banned place found with coal again, not checked clean since.")),
    Part(
        "recheck",
        _("Follow-up check (回头看) due"),
        _("A case's re-check is due by tonight, or a banned place has not been visited for the stale days."),
    ),
    Part("open_case", _("Open case"), _("A case about the place is not closed yet.")),
    Part("tip_off", _("Tip-off"), _("A public tip-off about the place is not closed yet.")),
    Part("stale", _("Not visited lately"), _("Never visited, or not visited for the stale days.")),
    Part(
        "courtyard",
        _("No property management / neither gas nor central heating"),
        _("No property management, or neither gas nor central heating."),
    ),
    Part("street_shop", _("Street shop"), _("A shop along the street.")),
    Part(
        "priority_zone",
        _("Priority zone"),
        _("Within a national monitoring station's zone; times the station's reading factor."),
    ),
]
PART_KEYS = [p.key for p in PARTS]
PART_LABELS = {p.key: p.label for p in PARTS}

DEFAULT_WEIGHTS: dict[str, int] = {
    "found": 40,
    "rebound": 35,
    "recheck": 25,
    "open_case": 20,
    "tip_off": 15,
    "stale": 10,
    "courtyard": 8,
    "street_shop": 6,
    "priority_zone": 12,
    # Days without a visit that make a place stale, and days a place checked clean is left alone.
    "stale_days": 14,
    "rest_days": 3,
}
SETTINGS = ("stale_days", "rest_days")
SETTING_LABELS = {
    "stale_days": _("Stale after (days)"),
    "rest_days": _("Leave a place checked clean alone for (days)"),
}
# Visits that saw nothing either way do not make a place checked.
UNSEEN = (Inspection.Outcome.REFUSED, Inspection.Outcome.NOBODY_HOME)
# A plan never reads more than this many places into Python, however large the unit.
MAX_CANDIDATES = 4000


def district_of(unit: Division) -> Division:
    return unit if unit.level == Level.DISTRICT else Division.objects.get(code=unit.code[:6])


def current_weights(district: Division) -> tuple[dict, PlanWeights | None]:
    version = PlanWeights.objects.filter(district=district).order_by("-created_at", "-id").first()
    weights = dict(DEFAULT_WEIGHTS)
    if version is not None:
        weights.update(version.weights)
    return weights, version


# The zone station's readings: the mean PM2.5 of the READINGS_HOURS before the night, over the national daily
# limit (GB 3095-2012 grade II, 75 µg/m³), makes the zone's factor, from 1 (at or under the limit: the plain
# weight) up to 3. No readings: factor 1, the zone counts at its plain weight.
READINGS_HOURS = 72
PM25_LIMIT = 75.0
MAX_FACTOR = 3.0


def station_factors(night: datetime.date, unit: Division | None = None) -> dict[int, float]:
    """{station id: factor} for stations whose recent readings raise their zone's weight (missing: 1.0).

    Only stations with a priority zone count (a background station, or one whose zone was switched off, weighs
    nobody); given a unit, only those whose zone holds some of the unit's current households, so the plan page
    names no station that weighs none of its places. The readings live in the `air` app when it is installed;
    the planner reads them without depending on it.
    """
    if not apps.is_installed("air"):
        return {}
    from django.db.models import Avg, Exists, OuterRef

    from divisions.models import MonitoringStation

    stations = MonitoringStation.objects.filter(has_priority_zone=True)
    if unit is not None:
        # The households' own link (set when a place is put in a zone, divisions.geo), as the score reads it.
        in_zone = Household.objects.current().filter(
            division_code__startswith=unit.code, in_priority_zone=True, priority_station=OuterRef("pk")
        )
        stations = stations.filter(Exists(in_zone))
    reading = apps.get_model("air", "Reading")
    end = night_start(night)
    means = (
        reading.objects.filter(
            station__in=stations,
            hour_ending__gt=end - datetime.timedelta(hours=READINGS_HOURS),
            hour_ending__lte=end,
            pm25__isnull=False,
        )
        .values("station_id")
        .annotate(mean=Avg("pm25"))
        .values_list("station_id", "mean")
    )
    # To the two decimals the page shows (×2.11): the points are the weight times the factor as printed, so an
    # office checking a door's sum by hand gets it (12 × 2.11 = 25.32, not 25.29 from an unrounded 2.1076…).
    return {pk: round(min(MAX_FACTOR, float(mean) / PM25_LIMIT), 2) for pk, mean in means if float(mean) > PM25_LIMIT}


def night_start(night: datetime.date) -> datetime.datetime:
    """When the night of `night` begins (NIGHT_START, local time)."""
    start = datetime.time.fromisoformat(settings.NIGHT_START)
    return timezone.make_aware(datetime.datetime.combine(night, start))


def _conditions(unit: Division, night: datetime.date, weights: dict) -> dict[str, Q]:
    """Each reason's condition on a household, every subquery written once (the outer query combines them)."""
    start = night_start(night)
    stale_since = start - datetime.timedelta(days=weights["stale_days"])
    unfinished = Case.objects.counted().unfinished().filter(household__isnull=False)
    banned = Ban.objects.current()
    return {
        "found": Q(coal_status=CoalStatus.FOUND),
        # Rebounded, and not checked clean since the rebound.
        "rebound": Q(
            pk__in=banned.filter(rebound_at__isnull=False)
            .exclude(household__coal_status=CoalStatus.CLEARED, household__coal_status_at__gt=F("rebound_at"))
            .values("household_id")
        ),
        "recheck_case": Q(
            pk__in=Recheck.objects.filter(
                status=Recheck.Status.SCHEDULED, due_on__lte=night, case__voided_at__isnull=True
            ).values("case__household_id")
        ),
        "banned": Q(pk__in=banned.values("household_id")),
        "open_case": Q(pk__in=unfinished.values("household_id")),
        "tip_off": Q(pk__in=unfinished.filter(source=Case.Source.TIP_OFF).values("household_id")),
        # Kept on the household by the visit services (never seen: NULL), not counted from the visits.
        "stale": Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=stale_since),
        "courtyard": Q(unmanaged=True) | Q(no_gas_or_heating=True),
        "street_shop": Q(kind=Kind.STREET_SHOP),
        "priority_zone": Q(in_priority_zone=True),
    }


# How each reason holds in the outer query, from the inner query's columns (a 回头看 is due for a case's
# scheduled re-check, or at a banned place not seen for the stale days).
HOLDS = {key: f"part_{key}" for key in PART_KEYS}
HOLDS["recheck"] = "(part_recheck_case OR (part_banned AND part_stale))"
COLUMNS = ["id", "division_id", "division_code", "estate", "building", "unit", "room", "address", "kind", "head_name"]


def _points_sql(key: str, weight: int, factors: dict[int, float]) -> tuple[str, list]:
    """The points a reason adds: its weight where it holds; the priority zone's times its station's factor.
    Whole points add up as integers (the zone's factor makes its points a float), cheaper than decimals."""
    if key == "priority_zone" and factors:
        whens = " ".join("WHEN priority_station_id = %s THEN %s" for _ in factors)
        params = [v for pk, factor in factors.items() for v in (pk, weight * factor)]
        return f"CASE WHEN NOT {HOLDS[key]} THEN 0.0 {whens} ELSE %s END", [*params, float(weight)]
    return f"CASE WHEN {HOLDS[key]} THEN {int(weight)} ELSE 0 END", []


@dataclass
class Candidate:
    """A suggested place: its address, its score and the points each reason gave it."""

    pk: int
    division_code: str
    community: str
    estate: str
    building: str
    unit: str
    room: str
    address: str
    kind: str
    head_name: str
    score: float
    parts: dict[str, float]
    last_visit: datetime.datetime | None = None
    label: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def part_list(self) -> list[tuple[str, float]]:
        return [(PART_LABELS[k], v) for k, v in self.parts.items()]


def _moment(value) -> datetime.datetime | None:
    """A timestamp read by a raw cursor: aware from PostgreSQL; from SQLite (make run) naive UTC, or its text."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


def _rare_by_id(night: datetime.date):
    """The ids of the places a rare reason other than coal found may hold for: a current ban, a counted unfinished
    case, a re-check scheduled by tonight. Never NULL: the ordinary places are those NOT IN these ids, which a NULL
    among them would empty."""
    return (
        Ban.objects.current()
        .order_by()
        .values("household_id")
        .union(
            Case.objects.counted().unfinished().filter(household__isnull=False).order_by().values("household_id"),
            Recheck.objects.filter(
                status=Recheck.Status.SCHEDULED,
                due_on__lte=night,
                case__voided_at__isnull=True,
                case__household__isnull=False,
            )
            .order_by()
            .values("case__household_id"),
            all=True,
        )
    )


def _rare(unit: Division, night: datetime.date):
    """The ids of the places a rare reason may hold for: coal found (by the partial index of found places), a
    current ban, a counted unfinished case, a re-check scheduled by tonight. Every other place scores at most
    stale + 无主管/无双气 + shop + zone."""
    found = (
        Household.objects.current()
        .filter(division_code__startswith=unit.code, coal_status=CoalStatus.FOUND)
        .order_by()
        .values("pk")
    )
    return found.union(_rare_by_id(night), all=True)


# Score classes within this of each other are taken as one (a zone's factor makes the points floats).
CLASS_EPSILON = 1e-6


def _ordinary_ids(
    unit: Division, night: datetime.date, weights: dict, factors: dict[int, float], places, need: int
) -> list[int]:
    """The ids of the unit's places without a rare reason that can rank among the `need` best of them: a superset of
    those `need` places, however many the unit has (docs/planning.md, "Score classes").

    Such a place scores only from columns of its own row (never or not lately seen, 无主管/无双气, street shop, the
    zone and its station), so the unit's places fall into a few classes of equal score. They are counted per
    class from the `household_plan_class` index alone; the classes that rank wholly within the `need` best are
    read whole, and of the class that straddles the cut only its first places in the plan's address order — the
    index's own order within a class, read without sorting — as many as can still take a place.
    """
    stale_since = night_start(night) - datetime.timedelta(days=weights["stale_days"])
    stale = Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=stale_since)
    # The places without a rare reason: coal not found (a column of the row, in the index), and none of the few
    # places with a ban, an open case or a re-check due.
    ordinary = places.exclude(coal_status=CoalStatus.FOUND).exclude(pk__in=_rare_by_id(night)).order_by()
    classes = (
        ordinary.values("in_priority_zone", "priority_station_id", "kind", "unmanaged", "no_gas_or_heating")
        .annotate(stale=ExpressionWrapper(stale, output_field=BooleanField()), n=Count("*"))
        .order_by()
    )

    def score(c: dict) -> float:
        points = int(weights["stale"]) if c["stale"] else 0
        points += int(weights["courtyard"]) if c["unmanaged"] or c["no_gas_or_heating"] else 0
        points += int(weights["street_shop"]) if c["kind"] == Kind.STREET_SHOP else 0
        zone = int(weights["priority_zone"])
        return points + (
            (zone * factors.get(c["priority_station_id"], 1.0) if factors else zone) if c["in_priority_zone"] else 0
        )

    scored = sorted(((score(c), c) for c in classes), key=lambda sc: -sc[0])
    scored = [(points, c) for points, c in scored if points > CLASS_EPSILON]
    whole, straddling, above = [], [], 0
    i = 0
    while i < len(scored) and above < need:
        # The classes of (about) this score: wholly within the best if they all fit, else the straddling ones.
        level = [(points, c) for points, c in scored[i:] if points >= scored[i][0] - CLASS_EPSILON]
        i += len(level)
        count = sum(c["n"] for _points, c in level)
        if above + count <= need:
            whole += [c for _points, c in level]
            above += count
        else:
            straddling = [c for _points, c in level]
            # Of classes that score exactly alike, the first places in address order whichever class they are in;
            # of classes only about alike the statement's own score decides, so each class's first are all kept.
            exactly_alike = len({points for points, _c in level}) == 1
            break
    remaining = need - above

    def of_class(c: dict) -> Q:
        station = Q(priority_station_id=c["priority_station_id"])
        if c["priority_station_id"] is None:
            station = Q(priority_station_id__isnull=True)
        return (
            (stale if c["stale"] else ~stale)
            & Q(in_priority_zone=c["in_priority_zone"], kind=c["kind"])
            & Q(unmanaged=c["unmanaged"], no_gas_or_heating=c["no_gas_or_heating"])
            & station
        )

    ties = ("division_code", "estate", "building", "unit", "room", "address")
    ordinary = ordinary.values("pk", *ties)
    # The plan's address order by code point: on PostgreSQL the pattern operators, the index's own order (the
    # "C" collation's); SQLite's columns compare so by default.
    quote = connection.ops.quote_name
    using = " USING ~<~" if connection.vendor == "postgresql" else ""
    table = quote(Household._meta.db_table)
    order = ", ".join([f"{table}.{quote(c)}{using}" for c in ties] + [f"{table}.{quote('id')}"])
    # One statement: the whole classes in one read of the unit's index, and the first of each straddling class.
    selects, params = [], []
    if whole:
        sql, ps = ordinary.filter(functools.reduce(operator.or_, map(of_class, whole))).query.sql_with_params()
        selects.append(f"SELECT *, 0 AS cut FROM ({sql}) AS whole_classes")
        params += ps
    for n, c in enumerate(straddling):
        sql, ps = ordinary.filter(of_class(c)).query.sql_with_params()
        selects.append(f"SELECT *, 1 AS cut FROM ({sql} ORDER BY {order} LIMIT %s) AS straddling_{n}")
        params += [*ps, remaining]
    if not selects:
        return []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        rows = cursor.fetchall()
    first = [row for row in rows if row[-1]]
    if straddling and exactly_alike:
        # By code point, as the index and the plan's "C" order compare.
        first = sorted(first, key=lambda row: (*row[1:-1], row[0]))[:remaining]
    return [row[0] for row in rows if not row[-1]] + [row[0] for row in first]


def _scored_rows(inner, weights: dict, factors: dict[int, float], limit: int) -> list[dict]:
    """The rows of `inner` (households with their reasons) scored, above zero, best first, at most `limit`."""
    inner_sql, inner_params = inner.query.sql_with_params()
    points = [_points_sql(k, int(weights[k]), factors) for k in PART_KEYS]
    # The inner query answers each reason once per place (each subquery one hashed look-up); OFFSET 0 keeps
    # PostgreSQL from folding it into the outer ones, which would repeat every subquery in each point, the
    # score, its filter and its order. The outer queries add the points up and keep the best places above zero.
    columns = ", ".join([*COLUMNS, "last_seen_at"])
    scored = ", ".join(f"{expr} AS points_{k}" for (expr, _params), k in zip(points, PART_KEYS, strict=True))
    total = " + ".join(f"points_{k}" for k in PART_KEYS)
    # Ties in address order, by code point whatever the database's collation: the order walking.py deals in.
    # SQLite (make run) knows neither a LIMIT-less OFFSET nor PostgreSQL's "C" collation: its own equivalents.
    postgres = connection.vendor == "postgresql"
    collation, fence = ('"C"', "OFFSET 0") if postgres else ("BINARY", "LIMIT -1 OFFSET 0")
    ties = ", ".join(f"{c} COLLATE {collation}" for c in COLUMNS[2:8]) + ", id"
    sql = f"""
        SELECT *, {total} AS score
        FROM (SELECT {columns}, {scored} FROM ({inner_sql} {fence}) AS parts) AS scored
        WHERE {total} > 0
        ORDER BY score DESC, {ties}
        LIMIT %s
    """
    params = [*(p for _expr, ps in points for p in ps), *inner_params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names_ = [c[0] for c in cursor.description]
        rows = [dict(zip(names_, row, strict=True)) for row in cursor.fetchall()]
    return rows


def plan_candidates(
    *, unit: Division, night: datetime.date, weights: dict, limit: int = MAX_CANDIDATES
) -> list[Candidate]:
    """The unit's places with a score above zero, best first (ties in address order), at most `limit`.

    Left out: voided places, and places checked (someone saw inside) within `rest_days` before tonight unless
    coal is still found there — a place checked clean yesterday is not knocked on again tonight.
    """
    factors = station_factors(night, unit)
    conditions = _conditions(unit, night, weights)
    rested_since = night_start(night) - datetime.timedelta(days=weights["rest_days"])
    places = (
        Household.objects.current()
        .filter(division_code__startswith=unit.code)
        .filter(Q(coal_status=CoalStatus.FOUND) | Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=rested_since))
    )
    inner = (
        places.annotate(
            **{f"part_{k}": ExpressionWrapper(q, output_field=BooleanField()) for k, q in conditions.items()}
        )
        .order_by()
        .values(*COLUMNS, "last_seen_at", "priority_station_id", *(f"part_{k}" for k in conditions))
    )
    # The best places are usually all places with a rare reason (coal found, a ban, an open case, a re-check):
    # scored from those few first, the rest of the unit need not be read when the last of them still beats anything
    # a place without such a reason can score (stale + 无主管/无双气 + shop + zone at its highest factor). That is
    # exact: such a place ranks after every one of them. Otherwise the best `limit` of the other places are found
    # by their score classes (`_ordinary_ids`), and the two sets of best places are scored together.
    rows = _scored_rows(inner.filter(pk__in=_rare(unit, night)), weights, factors, limit)
    ordinary_best = sum(int(weights[k]) for k in ("stale", "courtyard", "street_shop")) + int(
        weights["priority_zone"]
    ) * max([1.0, *factors.values()])
    if not (rows and len(rows) == limit and min(float(r["score"]) for r in rows) > ordinary_best + 1e-6):
        # The rare places scoring above what any other can rank before all of them: only the rest of the plan's rows
        # are left for the others.
        ahead = sum(1 for r in rows if float(r["score"]) > ordinary_best + 1e-6)
        ids = _ordinary_ids(unit, night, weights, factors, places, limit - ahead)
        if ids:
            rows += _scored_rows(inner.filter(pk__in=ids), weights, factors, limit)
            # In the statement's order: score, then the address by code point (as "C" and SQLite's BINARY compare).
            rows.sort(key=lambda r: (-float(r["score"]), *(r[c] for c in COLUMNS[2:8]), r["id"]))
            rows = rows[:limit]
    for r in rows:
        r["pk"] = r["id"]
    names = dict(Division.objects.filter(pk__in={r["division_id"] for r in rows}).values_list("pk", "name"))
    candidates = []
    for r in rows:
        candidate = Candidate(
            pk=r["pk"],
            division_code=r["division_code"],
            community=names.get(r["division_id"], ""),
            estate=r["estate"],
            building=r["building"],
            unit=r["unit"],
            room=r["room"],
            address=r["address"],
            kind=r["kind"],
            head_name=r["head_name"],
            score=round(float(r["score"]), 2),
            parts={k: round(float(r[f"points_{k}"]), 2) for k in PART_KEYS if r[f"points_{k}"]},
            last_visit=_moment(r["last_seen_at"]),
        )
        candidate.label = Household.label_of(r["pk"], r["estate"], r["building"], r["unit"], r["room"], r["address"])
        candidates.append(candidate)
    return candidates


def plan_units(user) -> list[Division]:
    """The units the user may plan for: the district and subdistricts they see, and their own units."""
    codes = view_codes(user)
    if codes is not None and not codes:
        return []
    visible = Division.objects.visible_to(user).filter(is_active=True)
    own = [g.code for g in grants(user)]
    return list(visible.filter(Q(level__in=[Level.DISTRICT, Level.SUBDISTRICT]) | Q(code__in=own)).order_by("code"))


def covered_since(plan) -> datetime.datetime:
    """Visits count for a plan from when it was made, and not before the night before its own has ended
    (NIGHT_END of its date): a plan for tomorrow's night made in the small hours does not count tonight's visits."""
    end = datetime.time.fromisoformat(settings.NIGHT_END)
    return max(plan.created_at, timezone.make_aware(datetime.datetime.combine(plan.date, end)))


def plan_stops(plan, team=None) -> list:
    """The plan's doors in team and walking order, each with `covered` (visited since the plan was made) and
    `found` (that visit found coal), in one query."""
    from django.db.models import Exists, OuterRef

    from .models import PlanStop

    visits = Inspection.objects.current().filter(household=OuterRef("household"), started_at__gte=covered_since(plan))
    stops = list(
        # A household voided since the plan was made (registered twice, say) is no door to reach.
        PlanStop.objects.filter(team__plan=plan, household__voided_at__isnull=True)
        .filter(**({"team": team} if team is not None else {}))
        .select_related("team", "household__division")
        .annotate(covered=Exists(visits), found=Exists(visits.filter(outcome__in=Inspection.FOUND)))
        .order_by("team__number", "position")
    )
    # Each door's number as the pages show it: 1, 2, 3 in walking order among the doors left (`position`, as
    # planned, keeps its gap where a voided household was; the API gives it as stored).
    numbers: dict[int, int] = {}
    for stop in stops:
        stop.number = numbers[stop.team_id] = numbers.get(stop.team_id, 0) + 1
    return stops


@dataclass
class TeamCoverage:
    number: int
    stops: list
    members: list = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.stops)

    @property
    def covered(self) -> int:
        return sum(1 for s in self.stops if s.covered)

    @property
    def found(self) -> int:
        return sum(1 for s in self.stops if s.found)

    @property
    def not_reached(self) -> list:
        return [s for s in self.stops if not s.covered]


def plan_coverage(plan) -> list[TeamCoverage]:
    """Each team of the plan with its doors and how many were covered and found with coal, in three queries
    however many teams (the teams and their members are read unless the caller prefetched them)."""
    prefetch_related_objects([plan], "team_rows__members")
    teams = {t.number: TeamCoverage(t.number, [], list(t.members.all())) for t in plan.team_rows.all()}
    for stop in plan_stops(plan):
        teams[stop.team.number].stops.append(stop)
    return [teams[n] for n in sorted(teams)]


def night_in_progress() -> datetime.date:
    """The night a phone is out on: before NIGHT_END (06:00), still the night that began the day before."""
    return night_of(timezone.now())


def phone_teams(user) -> list[TeamCoverage]:
    """The teams the user walks with tonight, in plans of operations not voided that the user may see, each
    with its doors in walking order (covered ones marked): what the phone page lists, in two queries."""
    from .models import NightPlan, PlanTeam

    if not getattr(user, "is_authenticated", False):
        return []
    night = night_in_progress()
    # The operation is the record of the night as it went: moved to another date, or the user taken off its
    # team by the office since the plan was made, it is no list of the user's tonight. Being on the team is
    # what shows it, not seeing the plan's unit: a community's worker walks with a subdistrict's team and is
    # shown the team's doors in the community (those they may see and record), the rest left to the others.
    plans = NightPlan.objects.filter(date=night, operation__date=night, operation__voided_at__isnull=True)
    teams = list(
        PlanTeam.objects.filter(plan__in=plans, members=user, plan__operation__team=user)
        .select_related("plan__operation")
        .order_by("plan_id", "number")
    )
    codes = view_codes(user)
    result = []
    for team in teams:
        everyone = plan_stops(team.plan, team)
        # Numbered as on the whole team's list, so "door 4" is the same door on every member's phone.
        coverage = TeamCoverage(team.number, [s for s in everyone if covers(codes, s.household.division_code)])
        if not coverage.stops:
            continue  # no door the user may see (their place ended since, say): nothing of the plan is shown
        coverage.elsewhere = len(everyone) - coverage.count  # the team's doors beyond what this user may see
        coverage.plan = team.plan
        coverage.since = covered_since(team.plan)  # the phone ticks a door only for a visit since then
        coverage.voided = []
        result.append(coverage)
    if result:
        # The user's own visits to these doors that the office voided since: the phone's list of what it sent
        # would otherwise keep them ticked. One query for every team.
        voided = list(
            Inspection.objects.filter(
                recorded_by=user,
                voided_at__isnull=False,
                household__in={stop.household_id for team in result for stop in team.stops},
                started_at__gte=min(team.since for team in result),
            ).values_list("pk", "household_id", "started_at")
        )
        for team in result:
            doors = {stop.household_id for stop in team.stops}
            team.voided = sorted(pk for pk, household, at in voided if household in doors and at >= team.since)
    return result
