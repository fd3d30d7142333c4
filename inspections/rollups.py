"""Daily and weekly per-community rollups of the visits: what the dashboard, the ranking and the digest add up
instead of scanning millions of visits (docs/rollups.md).

- `rollups_visit_changed(inspection)` runs inside the transaction that records or voids a visit: it adds the
  visit's own contribution to (or takes it from) the community's day and week rows and moves the household's
  "first visit" marks. It locks the household's row first, so two visits to one household count one after
  the other, the second seeing the first; visits to different households only meet at the rollup rows,
  where their additions commute (docs/rollups.md).
- `rollups_rebuild(codes)` recomputes every row of a scope set-wise; the `rollups_rebuild` command runs it
  after anything has written visits without the services (an import, the benchmark's generator).

The counting expressions (`visit_counts`, `seizure_counts`) are the definitions every figure uses, raw or
rolled up.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, DateField, Exists, F, Min, OuterRef, Q, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr, Trunc, TruncDate
from django.utils import timezone

from coalgov.compiled import EXAMPLE_KEY, EXAMPLE_OTHER_KEY, Compiled
from divisions.models import COMMUNITY_CODE_LENGTH, community_code
from divisions.scoping import codes_q
from households.models import Household

from .batch import Batch
from .models import Ban, DailyRollup, Inspection, Seizure, WeeklyRollup

RECOVERED_ITEMS = (Seizure.Item.LOOSE_COAL, Seizure.Item.BRIQUETTE)  # 回收…户: coal taken away
FIRSTS = ("first_checked", "first_found", "first_recovered")
WEEK_FIRST = "week_first_checked"  # the household's first visit of the week in the community
QUANTITIES = {
    "briquettes_pieces": Seizure.Item.BRIQUETTE,
    "loose_coal_kg": Seizure.Item.LOOSE_COAL,
    "stoves": Seizure.Item.STOVE,
    "charcoal_boxes": Seizure.Item.CHARCOAL,
}


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


_OTHER_VISITS = Compiled(
    lambda household_id, visit_id: (
        Inspection.objects.filter(household_id=household_id, voided_at__isnull=True)
        .exclude(pk=visit_id)
        .values_list("pk", "started_at", "division_code", "outcome", "seizures__item")
    ),
    EXAMPLE_KEY,
    EXAMPLE_OTHER_KEY,
)


def _locking(household_id, draw_visit_id: bool = False):
    # NO KEY UPDATE: visits being inserted for this household (their foreign key takes KEY SHARE) are not
    # blocked by it, so two submissions that each inserted their visit before locking cannot deadlock.
    locked = (
        Household.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=household_id)
        .annotate(banned=Exists(Ban.objects.filter(household=OuterRef("pk"), voided_at__isnull=True)))
    )
    if draw_visit_id:
        # The new visit's key, drawn from its table's sequence in the same statement: the visit's row can then
        # be inserted together with everything that refers to it (inspections.batch).
        sequence = RawSQL("nextval(pg_get_serial_sequence(%s, 'id'))", [Inspection._meta.db_table])
        return locked.annotate(visit_id=sequence).values_list("coal_status", "coal_status_at", "banned", "visit_id")
    return locked.values_list("coal_status", "coal_status_at", "banned")


_LOCK = Compiled(_locking, EXAMPLE_KEY)
_LOCK_DRAWING_VISIT_ID = Compiled(lambda household_id: _locking(household_id, draw_visit_id=True), EXAMPLE_KEY)


def household_lock(household_id: int, *, draw_visit_id: bool = False) -> dict:
    """Lock the household's row for a visit's rollups and coal status; return its coal status as locked,
    whether it has current bans (`banned`) and, on PostgreSQL when asked, a key for the new visit (`visit_id`,
    else None: the visit is saved first, as on SQLite).

    Two visits to one household count one after the other, the second seeing the first.
    """
    postgres = connection.vendor == "postgresql"
    query = _LOCK_DRAWING_VISIT_ID if draw_visit_id and postgres else _LOCK
    (row,) = query.rows(household_id)
    coal_status, coal_status_at, banned, *visit_id = row
    return {
        "coal_status": coal_status,
        "coal_status_at": coal_status_at,
        "banned": banned,
        "visit_id": visit_id[0] if visit_id else None,
    }


def _household_facts(inspection: Inspection, code: str) -> dict:
    """What the household's other current visits say: its first visit / finding / recovery in the community,
    its first visit there in the visit's week, how many of its visits there checked it, found coal or recovered
    coal on the visit's day and in its week, and its latest visit that saw inside (any community).

    One query by the `(household, started_at)` index, each visit's seizures by key; a household has a handful
    of visits, so they are added up here (cheaper than compiling a dozen filtered aggregates per submission).
    """
    day = _local_day(inspection.started_at)
    periods = {"day": _bounds(day, 1), "week": _bounds(week_monday(day), 7)}
    facts = dict.fromkeys((*FIRSTS, WEEK_FIRST, "latest_seen"))
    facts.update({f"{period}_{what}": 0 for period in periods for what in ("checked", "found", "recovered")})
    visits: dict[int, tuple] = {}
    recovered: set[int] = set()
    for pk, started_at, division_code, outcome, item in _OTHER_VISITS.rows(inspection.household_id, inspection.pk):
        visits[pk] = (started_at, division_code, outcome)
        if item in RECOVERED_ITEMS:
            recovered.add(pk)

    def first(name, moment):
        facts[name] = moment if facts[name] is None else min(facts[name], moment)

    for pk, (started_at, division_code, outcome) in visits.items():
        if outcome not in (Inspection.Outcome.REFUSED, Inspection.Outcome.NOBODY_HOME):
            facts["latest_seen"] = max(filter(None, (facts["latest_seen"], started_at)))
        if not division_code.startswith(code):
            continue
        found = outcome in Inspection.FOUND
        first("first_checked", started_at)
        if found:
            first("first_found", started_at)
        if pk in recovered:
            first("first_recovered", started_at)
        for period, (lower, upper) in periods.items():
            if lower <= started_at < upper:
                facts[f"{period}_checked"] += 1
                facts[f"{period}_found"] += found
                facts[f"{period}_recovered"] += pk in recovered
                if period == "week":
                    first(WEEK_FIRST, started_at)
    return facts


@functools.cache
def _upsert(model, period_field: str, grown: frozenset[str], vendor: str) -> tuple[list[str], str]:
    """The columns and the statement that add to a rollup row (`_add`): the same text for every visit that
    grows the same counts, so made once."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [f.column for f in model._meta.concrete_fields if f.column not in ("id", "code", period_field)]
    quoted = [connection.ops.quote_name(c) for c in columns]
    pairs = zip(columns, quoted, strict=True)
    increments = ", ".join(f"{q} = {table}.{q} + EXCLUDED.{q}" for c, q in pairs if c in grown)
    sql = (
        f"INSERT INTO {table} (code, {connection.ops.quote_name(period_field)}, {', '.join(quoted)}) "
        f"VALUES (%s, %s, {', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT (code, {connection.ops.quote_name(period_field)}) DO UPDATE SET {increments}"
    )
    return columns, sql


def _add(batch: Batch, model, period_field: str, code: str, key: datetime.date, deltas: dict) -> None:
    """Add `deltas` to the row (code, key). Growth is one upsert, so the first visit of a day in a community
    creates the row however many phones submit at once; the row lock it takes serialises the additions,
    which commute. A shrink only ever meets an existing row (the counts it takes back were added to it).
    """
    grow = {name: value for name, value in deltas.items() if value > 0}
    shrink = {name: value for name, value in deltas.items() if value < 0}
    # A visit only ever adds to a row or only ever takes from it (rollups_visit_changed), and a batch must not
    # touch one row twice.
    assert not (grow and shrink), deltas
    if grow:
        columns, sql = _upsert(model, period_field, frozenset(grow), connection.vendor)
        batch.add(sql, [code, key, *(grow.get(column, 0) for column in columns)])
    if shrink:
        batch.update(
            model.objects.filter(code=code, **{period_field: key}),
            **{name: F(name) + value for name, value in shrink.items()},
        )


def rollups_visit_changed(
    inspection: Inspection,
    *,
    voided: bool = False,
    seizures: list[Seizure] | None = None,
    batch: Batch | None = None,
    locked: dict | None = None,
) -> dict:
    """Add the visit just recorded (with its `seizures`, read when not given) to its community's rollups, or
    take a visit just voided away from them, inside that transaction, and move the household's "first visit"
    marks.

    Only the visit's own contribution is added (or taken away): its day's and week's rows grow by its counts
    and quantities, and by one household where it is the household's first visit (finding, recovery) of that
    day or week in the community. Whether it is comes from the household's other visits, read after locking
    the household's row, so two visits to one household count one after the other; visits to different
    households only meet at the rollup rows, where additions commute.

    The rollup writes go into `batch` when given (the caller executes it), else they are executed here.
    `locked` is what `household_lock` answered when the caller has locked the household already.
    Returns what the household's other visits say (`_household_facts`), with its coal status as locked and
    whether it has current bans (`banned`).
    """
    code = community_code(inspection.division_code)
    status = locked or household_lock(inspection.household_id)
    facts = {**_household_facts(inspection, code), **status}
    if not voided and inspection.voided_at is not None:
        return facts  # written already voided (tests, imports): it counts nowhere
    if seizures is None:
        seizures = list(inspection.seizures.all())
    sign = -1 if voided else 1
    found = inspection.outcome in Inspection.FOUND
    recovered = any(s.item in RECOVERED_ITEMS for s in seizures)
    own = {
        "inspections": sign,
        "night_checks": sign * inspection.is_night,
        "priority_zone_checks": sign * inspection.in_priority_zone,
    }
    for column, item in QUANTITIES.items():
        own[column] = sign * sum((s.quantity for s in seizures if s.item == item), Decimal(0))
    day = _local_day(inspection.started_at)
    periods = {}
    for period in ("day", "week"):
        periods[period] = {
            **own,
            "households_checked": sign * (not facts[f"{period}_checked"]),
            "households_with_coal_found": sign * (found and not facts[f"{period}_found"]),
            "households_recovered": sign * (recovered and not facts[f"{period}_recovered"]),
        }
    days = defaultdict(dict, {day: periods["day"]})
    mine = (
        inspection.started_at,
        inspection.started_at if found else None,
        inspection.started_at if recovered else None,
        inspection.started_at,  # WEEK_FIRST: the other visits it is compared with are of the same week
    )
    marks = (*FIRSTS, WEEK_FIRST)
    for name, other, this in zip(marks, (facts[name] for name in marks), mine, strict=True):
        with_this = min(filter(None, (other, this)), default=None)
        old, new = (with_this, other) if voided else (other, with_this)
        old, new = _local_day(old), _local_day(new)
        if old != new:
            for each, delta in ((old, -1), (new, 1)):
                if each is not None:
                    days[each][name] = days[each].get(name, 0) + delta
    # Rows in one order (days ascending, then the week) in every transaction: two visits moving marks between
    # the same days in opposite directions must not each hold a row the other waits for.
    execute, batch = batch is None, batch or Batch()
    for each in sorted(days):
        _add(batch, DailyRollup, "day", code, each, days[each])
    _add(batch, WeeklyRollup, "week", code, week_monday(day), periods["week"])
    if execute:
        batch.execute()
    return facts


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
    # And each household's first visit of each week in each community.
    week_firsts = (
        visits.annotate(c=community, w=periods["week"]("started_at"))
        .values("c", "household", "w")
        .annotate(first=Min("started_at"))
        .values_list("c", "first")
    )
    for code, first in week_firsts.order_by().iterator(chunk_size=10000):
        row = rows["day"][(code, _local_day(first))]
        row[WEEK_FIRST] = row.get(WEEK_FIRST, 0) + 1

    for model, period in ((DailyRollup, "day"), (WeeklyRollup, "week")):
        model.objects.filter(codes_q(codes, "code")).delete()
        model.objects.bulk_create(
            (model(code=code, **{period: key}, **values) for (code, key), values in rows[period].items()),
            batch_size=5000,
        )
    return len(rows["day"]), len(rows["week"])
