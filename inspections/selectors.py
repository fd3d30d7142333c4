"""The field-work figures every report counts: one function, one answer, wherever it is shown.

`fieldwork_figures(codes=..., start=..., end=...)` is what the dashboard, the daily digest, the weekly
ranking and the exports ask. `codes` are jurisdiction roots (division codes; None = everything), the
period is inclusive local dates (Asia/Shanghai). Voided records count nowhere.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from coalgov.dates import EARLIEST, LATEST
from divisions.models import COMMUNITY_CODE_LENGTH
from divisions.scoping import codes_q

from .models import Ban, Conversion, DailyRollup, Inspection, Publicity, Purchase, Seizure, WeeklyRollup
from .rollups import FIRSTS, seizure_counts, visit_counts


@dataclass(frozen=True)
class FieldworkFigures:
    inspections: int = 0
    night_checks: int = 0
    priority_zone_checks: int = 0
    households_checked: int = 0
    communities_checked: int = 0
    households_with_coal_found: int = 0
    households_recovered: int = 0  # households with coal taken away (回收…户)
    briquettes_pieces: Decimal = Decimal(0)  # 散煤…块
    loose_coal_kg: Decimal = Decimal(0)
    stoves: Decimal = Decimal(0)
    charcoal_boxes: Decimal = Decimal(0)
    bans_sale_point: int = 0
    bans_storage_point: int = 0
    bans_food_stall: int = 0
    rebounds: int = 0
    purchases: int = 0
    purchase_amount: Decimal = Decimal(0)
    conversions_electricity: int = 0
    conversions_gas: int = 0
    publicity: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    def sentence(self) -> str:
        """The article's own form: 共排查X个社区Y户，回收Z户，散煤N块，已完成电代煤A户、气代煤B户。

        The article counts the coal in pieces (块); coal weighed at the door is said in kg beside them, or alone
        when no pieces were taken: "散煤0块" beside 160 kg read as if nothing had been seized."""
        pieces, kg = f"{self.briquettes_pieces:.0f}", f"{self.loose_coal_kg.normalize():f}"
        if self.loose_coal_kg and self.briquettes_pieces:
            amount = _("briquettes %(pieces)s pieces, coal %(kg)s kg") % {"pieces": pieces, "kg": kg}
        elif self.loose_coal_kg:
            amount = _("coal %(kg)s kg") % {"kg": kg}
        else:
            amount = _("briquettes %(pieces)s pieces") % {"pieces": pieces}
        # The English is worded so that a count of 1 reads as well as 1,000 (one sentence, several counts).
        return _(
            "In all: communities checked %(communities)s, households checked %(households)s, households coal was "
            "recovered from %(recovered)s (%(amount)s); conversions completed: coal-to-electricity %(electricity)s, "
            "coal-to-gas %(gas)s."
        ) % {
            "communities": self.communities_checked,
            "households": self.households_checked,
            "recovered": self.households_recovered,
            "amount": amount,
            "electricity": self.conversions_electricity,
            "gas": self.conversions_gas,
        }


def _day(value: datetime.date) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def local_bounds(start: datetime.date | None, end: datetime.date | None):
    """Aware datetimes [from, to) for inclusive local dates; None leaves that side open."""
    # Far-off dates (year 1, year 9999) would overflow on the way to UTC: nothing is recorded there anyway.
    start = max(_day(start), EARLIEST) if start else None
    end = min(_day(end), LATEST) if end else None
    zone = timezone.get_current_timezone()
    lower = datetime.datetime.combine(start, datetime.time.min, zone) if start else None
    upper = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, zone) if end else None
    return lower, upper


def _period(field: str, start, end, *, dates: bool = False) -> Q:
    q = Q()
    if dates:
        if start:
            q &= Q(**{f"{field}__gte": start})
        if end:
            q &= Q(**{f"{field}__lte": end})
        return q
    lower, upper = local_bounds(start, end)
    if lower:
        q &= Q(**{f"{field}__gte": lower})
    if upper:
        q &= Q(**{f"{field}__lt": upper})
    return q


def inspections_in(codes: list[str] | None, start=None, end=None) -> QuerySet[Inspection]:
    return Inspection.objects.current().filter(codes_q(codes, "division_code"), _period("started_at", start, end))


@dataclass(frozen=True)
class RolledUp:
    """Where a question's visit figures come from in the rollups: which rows, and which column holds the
    distinct households of the period (`first_*` sums for "up to a date": each household counts once)."""

    rows: QuerySet
    distinct: dict[str, str]


def _whole_communities(codes: list[str] | None) -> bool:
    """Whether a scope is made of whole communities (or larger), as the rollups' rows are."""
    return codes is None or all(len(code) <= COMMUNITY_CODE_LENGTH for code in codes)


def rolled_up(codes: list[str] | None, start=None, end=None) -> RolledUp | None:
    """The rollup rows answering visit figures for a scope and period, or None when they cannot: a scope
    below a community (rows are per community), or a period that is neither "up to a date", one day nor
    one Monday–Sunday week (distinct households do not add up across days)."""
    if not _whole_communities(codes):
        return None
    start, end = _day(start) if start else None, _day(end) if end else None
    scope = codes_q(codes, "code")
    same = {name: name for name in DISTINCT}
    if start is None:
        rows = DailyRollup.objects.filter(scope, **({"day__lte": min(end, LATEST)} if end else {}))
        return RolledUp(rows, dict(zip(DISTINCT, FIRSTS, strict=True)))
    if start == end:
        return RolledUp(DailyRollup.objects.filter(scope, day=start), same)
    if start.weekday() == 0 and end == start + datetime.timedelta(days=6):
        return RolledUp(WeeklyRollup.objects.filter(scope, week=start), same)
    return None


DISTINCT = ("households_checked", "households_with_coal_found", "households_recovered")
ADDITIVE = ("inspections", "night_checks", "priority_zone_checks")
AMOUNTS = ("briquettes_pieces", "loose_coal_kg", "stoves", "charcoal_boxes")


def _rollup_sums(rolled: RolledUp, names: tuple[str, ...] = ADDITIVE + DISTINCT + AMOUNTS) -> dict:
    return {name: Sum(rolled.distinct.get(name, name), default=Decimal(0) if name in AMOUNTS else 0) for name in names}


def visits_by_unit(
    *,
    codes: list[str] | None,
    length: int = COMMUNITY_CODE_LENGTH,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    briquettes: bool = True,
) -> dict[str, dict]:
    """fieldwork_figures' visit counts per unit, in one query: {unit code: {inspections, night_checks,
    households_checked, households_with_coal_found, briquettes_pieces}}, grouping by the first `length`
    digits of the division code (12: communities, a grid's visits folding into its community; 9:
    subdistricts). From the rollups where they answer the period, from the visits otherwise; then
    `briquettes=False` leaves out the pieces taken away (a second query, over the visits' seizures, that a
    caller asking only for households need not wait for)."""
    names = ("inspections", "night_checks", "households_checked", "households_with_coal_found")
    rolled = rolled_up(codes, start, end) if length <= COMMUNITY_CODE_LENGTH else None
    if rolled is not None:
        rows = (
            rolled.rows.annotate(unit=Substr("code", 1, length))
            .values("unit")
            .annotate(**_rollup_sums(rolled, (*names, "briquettes_pieces")))
            .order_by()
        )
        return {row.pop("unit"): row for row in rows}
    counts = visit_counts()
    result = {
        row.pop("unit"): row
        for row in inspections_in(codes, start, end)
        .annotate(unit=Substr("division_code", 1, length))
        .values("unit")
        .annotate(**{name: counts[name] for name in names})
        .order_by()
    }
    if not briquettes:
        return result
    pieces = (
        _seizures_in(codes, start, end)
        .annotate(unit=Substr("division_code", 1, length))
        .values("unit")
        .annotate(n=seizure_counts()["briquettes_pieces"])
        .order_by()
        .values_list("unit", "n")
    )
    for unit, n in pieces:
        result.setdefault(unit, dict.fromkeys(names, 0))["briquettes_pieces"] = n
    for row in result.values():
        row.setdefault("briquettes_pieces", Decimal(0))
    return result


def _seizures_in(codes: list[str] | None, start=None, end=None) -> QuerySet[Seizure]:
    return Seizure.objects.filter(
        codes_q(codes, "inspection__division_code"),  # the visits' index, as in rollups._recount
        _period("inspection__started_at", start, end),
        inspection__voided_at__isnull=True,
    )


def _visit_figures(codes: list[str] | None, start, end) -> dict:
    """The figures counted from visits and what they took away: from the rollups when they answer."""
    rolled = rolled_up(codes, start, end)
    if rolled is not None:
        # Named apart from the columns: a filter on `inspections` must see the column, not the sum.
        sums = {f"total_{name}": total for name, total in _rollup_sums(rolled).items()}
        figures = rolled.rows.aggregate(
            **sums, communities_checked=Count("code", distinct=True, filter=Q(inspections__gt=0))
        )
        return {name.removeprefix("total_"): value for name, value in figures.items()}
    visits = inspections_in(codes, start, end)
    communities = (
        visits.annotate(community=Substr("division_code", 1, COMMUNITY_CODE_LENGTH))
        .values("community")
        .distinct()
        .count()
    )
    return {
        **visits.aggregate(**visit_counts()),
        **_seizures_in(codes, start, end).aggregate(**seizure_counts()),
        "communities_checked": communities,
    }


def fieldwork_figures(
    *, codes: list[str] | None, start: datetime.date | None = None, end: datetime.date | None = None
) -> FieldworkFigures:
    """Every field-work figure for a scope and period, in a fixed handful of queries."""
    scope = codes_q(codes, "division_code")
    b = (
        Ban.objects.current()
        .filter(scope)
        .aggregate(
            bans_sale_point=Count("pk", filter=Q(kind=Ban.Kind.SALE_POINT) & _period("banned_at", start, end)),
            bans_storage_point=Count("pk", filter=Q(kind=Ban.Kind.STORAGE_POINT) & _period("banned_at", start, end)),
            bans_food_stall=Count("pk", filter=Q(kind=Ban.Kind.FOOD_STALL) & _period("banned_at", start, end)),
            rebounds=Count("pk", filter=Q(rebound_at__isnull=False) & _period("rebound_at", start, end)),
        )
    )
    p = (
        Purchase.objects.current()
        .filter(scope, _period("purchased_on", start, end, dates=True))
        .aggregate(purchases=Count("pk"), purchase_amount=Sum("amount", default=Decimal(0)))
    )
    completed = Q(status=Conversion.Status.COMPLETED) & _period("completed_on", start, end, dates=True)
    c = (
        Conversion.objects.current()
        .filter(scope)
        .aggregate(
            conversions_electricity=Count("pk", filter=completed & Q(kind=Conversion.Kind.ELECTRICITY)),
            conversions_gas=Count("pk", filter=completed & Q(kind=Conversion.Kind.GAS)),
        )
    )
    publicity = (
        Publicity.objects.current()
        .filter(scope, _period("date", start, end, dates=True))
        .aggregate(n=Sum("count", default=0))["n"]
    )
    return FieldworkFigures(**_visit_figures(codes, start, end), **b, **p, **c, publicity=publicity)


def visits_by_day(*, codes: list[str] | None, start: datetime.date, end: datetime.date) -> dict[datetime.date, dict]:
    """Visits, night checks and households where coal was found, per local day of a period:
    {day: {inspections, night_checks, households_with_coal_found}} (days with nothing are absent)."""
    names = ("inspections", "night_checks", "households_with_coal_found")
    if _whole_communities(codes):  # one rollup row per community and day
        rows = (
            DailyRollup.objects.filter(codes_q(codes, "code"), day__gte=start, day__lte=end)
            .values("day")
            .annotate(**{name: Sum(name) for name in names})
        )
    else:
        counts = visit_counts()
        rows = (
            inspections_in(codes, start, end)
            .annotate(day=TruncDate("started_at", tzinfo=timezone.get_current_timezone()))
            .values("day")
            .annotate(**{name: counts[name] for name in names})
        )
    return {row.pop("day"): row for row in rows.order_by()}
