"""Daily and weekly per-community rollups of the visits: what the dashboard, the ranking and the digest add up
instead of scanning millions of visits (docs/rollups.md).

- `rollups_visit_changed(inspection)` runs inside the transaction that records or voids a visit: it recounts
  the community's day and week from the visits and moves the household's "first visit" marks. It holds a
  per-community advisory lock (PostgreSQL) until the transaction ends, so two visits entered in one
  community at the same moment recount one after the other, the second seeing the first.
- `rollups_rebuild(codes)` recomputes every row of a scope set-wise; the `rollups_rebuild` command runs it
  after anything has written visits without the services (an import, the benchmark's generator).

The counting expressions (`visit_counts`, `seizure_counts`) are the definitions every figure uses, raw or
rolled up.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, DateField, F, Min, Q, Sum
from django.db.models.functions import Substr, Trunc, TruncDate
from django.utils import timezone

from coalgov.locks import VISIT_ROLLUPS, xact_lock
from divisions.models import COMMUNITY_CODE_LENGTH, community_code
from divisions.scoping import codes_q

from .models import DailyRollup, Inspection, Seizure, WeeklyRollup

RECOVERED_ITEMS = (Seizure.Item.LOOSE_COAL, Seizure.Item.BRIQUETTE)  # 回收…户: coal taken away
FIRSTS = ("first_checked", "first_found", "first_recovered")


def visit_counts() -> dict:
    """The aggregates over visits (Inspection rows) that every report counts."""
    return {
        "inspections": Count("pk"),
        "night_checks": Count("pk", filter=Q(is_night=True)),
        "priority_zone_checks": Count("pk", filter=Q(in_priority_zone=True)),
        "households_checked": Count("household", distinct=True),
        "households_with_coal_found": Count("household", distinct=True, filter=Q(outcome__in=Inspection.FOUND)),
    }


def seizure_counts() -> dict:
    """The aggregates over what visits took away (Seizure rows)."""

    def total(item):
        return Sum("quantity", filter=Q(item=item), default=Decimal(0))

    return {
        "households_recovered": Count("inspection__household", distinct=True, filter=Q(item__in=RECOVERED_ITEMS)),
        "briquettes_pieces": total(Seizure.Item.BRIQUETTE),
        "loose_coal_kg": total(Seizure.Item.LOOSE_COAL),
        "stoves": total(Seizure.Item.STOVE),
        "charcoal_boxes": total(Seizure.Item.CHARCOAL),
    }


def week_monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _local_day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment else None


def _bounds(first: datetime.date, days: int):
    zone = timezone.get_current_timezone()
    lower = datetime.datetime.combine(first, datetime.time.min, zone)
    return lower, datetime.datetime.combine(first + datetime.timedelta(days=days), datetime.time.min, zone)


def _recount(model, period_field: str, code: str, first: datetime.date, days: int) -> None:
    lower, upper = _bounds(first, days)
    visits = Inspection.objects.current().filter(
        division_code__startswith=code, started_at__gte=lower, started_at__lt=upper
    )
    # Scoped through the visit's code: the visits' (division_code, started_at) index finds them, and each
    # visit's seizures by its key (the seizure's own copy of the code has no index worth keeping).
    seizures = Seizure.objects.filter(
        inspection__division_code__startswith=code,
        inspection__voided_at__isnull=True,
        inspection__started_at__gte=lower,
        inspection__started_at__lt=upper,
    )
    values = {**visits.aggregate(**visit_counts()), **seizures.aggregate(**seizure_counts())}
    model.objects.update_or_create(code=code, **{period_field: first}, defaults=values)


def _firsts(household_id: int, code: str, *, include: int | None = None, exclude: int | None = None) -> tuple:
    """The local dates of the household's first visit, first finding and first recovery in the community
    (None where there is none), counting the current visits, plus `include`, minus `exclude`."""
    current = Q(voided_at__isnull=True)
    if include is not None:
        current |= Q(pk=include)
    visits = Inspection.objects.filter(current, household_id=household_id, division_code__startswith=code)
    if exclude is not None:
        visits = visits.exclude(pk=exclude)
    firsts = visits.aggregate(
        first_checked=Min("started_at"),
        first_found=Min("started_at", filter=Q(outcome__in=Inspection.FOUND)),
        first_recovered=Min("started_at", filter=Q(seizures__item__in=RECOVERED_ITEMS)),
    )
    return tuple(_local_day(firsts[name]) for name in FIRSTS)


def rollups_visit_changed(inspection: Inspection, *, voided: bool = False) -> None:
    """Bring the community's rollups up to date after `inspection` was recorded (with its seizures) or
    voided, inside that transaction."""
    code = community_code(inspection.division_code)
    xact_lock(VISIT_ROLLUPS, code)
    if voided:
        before = _firsts(inspection.household_id, code, include=inspection.pk)
    else:
        before = _firsts(inspection.household_id, code, exclude=inspection.pk)
    after = _firsts(inspection.household_id, code)
    day = _local_day(inspection.started_at)
    # The visit's day changes; a day that gains or loses a household's first mark must have its row.
    for each in {day, *before, *after} - {None}:
        _recount(DailyRollup, "day", code, each, 1)
    _recount(WeeklyRollup, "week", code, week_monday(day), 7)
    for name, old, new in zip(FIRSTS, before, after, strict=True):
        if old != new:
            if old:
                DailyRollup.objects.filter(code=code, day=old).update(**{name: F(name) - 1})
            if new:
                DailyRollup.objects.filter(code=code, day=new).update(**{name: F(name) + 1})


@transaction.atomic
def rollups_rebuild(codes: list[str] | None = None) -> tuple[int, int]:
    """Recompute the rollups of the communities under `codes` (None: all) from the visits, set-wise.
    Returns the numbers of daily and weekly rows written."""
    if codes is not None:
        # A grid's rows are its community's: rebuild whole communities.
        codes = sorted({community_code(code) for code in codes})
    if connection.vendor == "postgresql":
        # Writers wait (at their rollup step) until the rebuild is in; readers carry on with the old rows.
        # EXCLUSIVE, not SHARE ROW EXCLUSIVE: that one lets a writer's SELECT … FOR UPDATE lock a row the
        # rebuild is about to delete, and the two deadlock.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {DailyRollup._meta.db_table}, {WeeklyRollup._meta.db_table} IN EXCLUSIVE MODE")
    zone = timezone.get_current_timezone()
    visits = Inspection.objects.current().filter(codes_q(codes, "division_code"))
    seizures = Seizure.objects.filter(codes_q(codes, "division_code"), inspection__voided_at__isnull=True)
    community = Substr("division_code", 1, COMMUNITY_CODE_LENGTH)
    periods = {
        "day": lambda field: TruncDate(field, tzinfo=zone),
        "week": lambda field: Trunc(field, "week", output_field=DateField(), tzinfo=zone),
    }
    rows: dict[str, dict[tuple, dict]] = {"day": defaultdict(dict), "week": defaultdict(dict)}
    for period, trunc in periods.items():
        for qs, counts, field in (
            (visits, visit_counts(), "started_at"),
            (seizures, seizure_counts(), "inspection__started_at"),
        ):
            grouped = qs.annotate(c=community, p=trunc(field)).values("c", "p").annotate(**counts).order_by()
            for row in grouped.iterator(chunk_size=5000):
                rows[period][(row.pop("c"), row.pop("p"))].update(row)
    # The first visit (finding, recovery) of each household in each community, counted on its local day.
    for name, qs, household, field in (
        ("first_checked", visits, "household", "started_at"),
        ("first_found", visits.filter(outcome__in=Inspection.FOUND), "household", "started_at"),
        (
            "first_recovered",
            seizures.filter(item__in=RECOVERED_ITEMS),
            "inspection__household",
            "inspection__started_at",
        ),
    ):
        firsts = qs.annotate(c=community).values("c", household).annotate(first=Min(field)).values_list("c", "first")
        for code, first in firsts.order_by().iterator(chunk_size=10000):
            row = rows["day"][(code, _local_day(first))]
            row[name] = row.get(name, 0) + 1

    for model, period in ((DailyRollup, "day"), (WeeklyRollup, "week")):
        model.objects.filter(codes_q(codes, "code")).delete()
        model.objects.bulk_create(
            (model(code=code, **{period: key}, **values) for (code, key), values in rows[period].items()),
            batch_size=5000,
        )
    return len(rows["day"]), len(rows["week"])
