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
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from divisions.scoping import codes_q

from .models import Ban, Conversion, Inspection, Publicity, Purchase, Seizure

COMMUNITY_CODE_LENGTH = 12  # 410103006001: a grid's code extends its community's
EARLIEST, LATEST = datetime.date(1990, 1, 1), datetime.date(2999, 12, 31)


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
        """The article's own form: 共排查X个社区Y户，回收Z户，散煤N块，已完成电代煤A户、气代煤B户。"""
        return _(
            "In all, %(communities)s communities and %(households)s households checked, coal recovered from "
            "%(recovered)s households, %(pieces)s pieces of briquettes; %(electricity)s coal-to-electricity and "
            "%(gas)s coal-to-gas conversions completed."
        ) % {
            "communities": self.communities_checked,
            "households": self.households_checked,
            "recovered": self.households_recovered,
            "pieces": f"{self.briquettes_pieces:.0f}",
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


def visits_by_unit(
    *,
    codes: list[str] | None,
    length: int = COMMUNITY_CODE_LENGTH,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> dict[str, dict]:
    """fieldwork_figures' visit counts per unit, in one query: {unit code: {inspections, night_checks,
    households_checked, households_with_coal_found}}, grouping by the first `length` digits of the division
    code (12: communities, a grid's visits folding into its community; 9: subdistricts)."""
    rows = (
        inspections_in(codes, start, end)
        .annotate(unit=Substr("division_code", 1, length))
        .values("unit")
        .annotate(
            inspections=Count("pk"),
            night_checks=Count("pk", filter=Q(is_night=True)),
            households_checked=Count("household", distinct=True),
            households_with_coal_found=Count("household", distinct=True, filter=Q(outcome__in=Inspection.FOUND)),
        )
        .order_by()
    )
    return {row.pop("unit"): row for row in rows}


def fieldwork_figures(
    *, codes: list[str] | None, start: datetime.date | None = None, end: datetime.date | None = None
) -> FieldworkFigures:
    """Every field-work figure for a scope and period, in a fixed handful of queries."""
    scope = codes_q(codes, "division_code")
    visits = inspections_in(codes, start, end)
    found = Q(outcome__in=Inspection.FOUND)
    v = visits.aggregate(
        inspections=Count("pk"),
        night_checks=Count("pk", filter=Q(is_night=True)),
        priority_zone_checks=Count("pk", filter=Q(in_priority_zone=True)),
        households_checked=Count("household", distinct=True),
        households_with_coal_found=Count("household", distinct=True, filter=found),
    )
    communities = (
        visits.annotate(community=Substr("division_code", 1, COMMUNITY_CODE_LENGTH))
        .values("community")
        .distinct()
        .count()
    )
    seized = Seizure.objects.filter(
        scope, _period("inspection__started_at", start, end), inspection__voided_at__isnull=True
    )
    s = seized.aggregate(
        households_recovered=Count(
            "inspection__household",
            distinct=True,
            filter=Q(item__in=[Seizure.Item.LOOSE_COAL, Seizure.Item.BRIQUETTE]),
        ),
        briquettes_pieces=Sum("quantity", filter=Q(item=Seizure.Item.BRIQUETTE), default=Decimal(0)),
        loose_coal_kg=Sum("quantity", filter=Q(item=Seizure.Item.LOOSE_COAL), default=Decimal(0)),
        stoves=Sum("quantity", filter=Q(item=Seizure.Item.STOVE), default=Decimal(0)),
        charcoal_boxes=Sum("quantity", filter=Q(item=Seizure.Item.CHARCOAL), default=Decimal(0)),
    )
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
    return FieldworkFigures(**v, communities_checked=communities, **s, **b, **p, **c, publicity=publicity)
