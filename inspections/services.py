"""Every write of field work. Keyword-only, one transaction each, audited in it.

Phone submissions carry a client-generated `client_uuid`: a repeat returns the first record with
created=False, also when two copies race (the unique index decides, the loser answers with the winner).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coalgov.audit import audit_event, audit_record, changes_between, snapshot
from coalgov.dates import PLANNING_AHEAD, date_check
from divisions.models import Division, Level
from divisions.scoping import ensure_can_enter, grants
from households.models import CoalStatus, Household
from households.models import Kind as HouseholdKind

from .batch import Batch
from .models import Ban, Conversion, ConversionTarget, Inspection, NightOperation, Publicity, Purchase, Seizure
from .photos import CheckedPhoto, photo_files_removed_on_failure, photos_attach
from .rollups import household_lock, rollups_visit_changed
from .seasons import is_season
from .signals import visit_recorded, visit_voided

# Coal found at a banned place counts as a rebound only this long after the ban.
REBOUND_GRACE = datetime.timedelta(hours=12)
WHOLE_ITEMS = {Seizure.Item.BRIQUETTE, Seizure.Item.STOVE, Seizure.Item.CHARCOAL}
COAL_ITEMS = (Seizure.Item.LOOSE_COAL, Seizure.Item.BRIQUETTE)
NO_COAL_WITH_COAL = gettext_lazy(
    "Coal was taken away, so coal was found: choose “Loose coal found” or “Stove in use”, not “No coal”."
)


@dataclass(frozen=True)
class SeizureInput:
    item: str
    quantity: Decimal
    method: str
    description: str = ""

    def __post_init__(self):
        if self.quantity is not None and not isinstance(self.quantity, Decimal):
            object.__setattr__(self, "quantity", Decimal(str(self.quantity)))


def _first_or_create(model: type[models.Model], client_uuid: uuid.UUID | None, create: Callable[[], Any]):
    """Run `create` unless `client_uuid` was seen before; return (record, created)."""
    if client_uuid is not None:
        existing = model.objects.filter(client_uuid=client_uuid).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            return create(), True
    except IntegrityError:
        existing = model.objects.filter(client_uuid=client_uuid).first() if client_uuid else None
        if existing is None:
            raise
        return existing, False


def _check_household(household: Household) -> None:
    if household.is_voided:
        raise ValidationError({"household": _("This household has been voided.")})


def _check_not_future(value: datetime.datetime | datetime.date, field: str) -> None:
    date_check(value, field=field)


OPERATION_OTHER_NIGHT = gettext_lazy(
    "This operation is on the night of %(date)s; the visit was on the night of %(night)s."
)
# Said before a 夜查 outside the window is saved: by the phone page as the moment is chosen, by the desk's form.
NOT_NIGHT = gettext_lazy(
    "%(time)s is outside the night window (%(start)s–%(end)s): this visit will not count as a night check."
)


def is_night(moment: datetime.datetime) -> bool:
    """Whether a moment falls in the night window (NIGHT_START–NIGHT_END, local time; may wrap midnight)."""
    local = timezone.localtime(moment).time()
    start = datetime.time.fromisoformat(settings.NIGHT_START)
    end = datetime.time.fromisoformat(settings.NIGHT_END)
    return (start <= local or local < end) if start > end else (start <= local < end)


def night_of(moment: datetime.datetime) -> datetime.date:
    """The night a moment belongs to, by its date: before NIGHT_END (06:00), the night that began the day before."""
    local = timezone.localtime(moment)
    end = datetime.time.fromisoformat(settings.NIGHT_END)
    return local.date() - datetime.timedelta(days=1) if local.time() < end else local.date()


def household_visit_marks_refresh(household: Household) -> None:
    """Derive the household's coal status and when it was last seen inside from its visits, newest first.

    Found: the latest visit that saw anything found coal. Cleared: a clean visit came after the last
    finding. Never: no visit ever found coal. Refused entry and nobody home say nothing either way, and do not
    count as seen. Runs under the household's lock (a void, a visit entered late), so it reads every visit
    the household has.
    """
    visits = (
        Inspection.objects.current()
        .filter(household=household)
        .exclude(outcome__in=[Inspection.Outcome.REFUSED, Inspection.Outcome.NOBODY_HOME])
        .order_by("-started_at", "-id")
        .values_list("outcome", "started_at")
    )
    status, since, last_seen = CoalStatus.NEVER, None, None
    clean_after = None
    for outcome, started_at in visits:
        last_seen = last_seen or started_at
        if outcome in Inspection.FOUND:
            status, since = (CoalStatus.CLEARED, clean_after) if clean_after else (CoalStatus.FOUND, started_at)
            break
        clean_after = started_at
    # Written whatever `household` says: it may have been read before the lock, and a write costs what a read would.
    marks = {"coal_status": status, "coal_status_at": since, "last_seen_at": last_seen}
    Household.objects.filter(pk=household.pk).update(**marks)
    for name, value in marks.items():
        setattr(household, name, value)


@transaction.atomic
def households_last_seen_rebuild(codes: list[str] | None = None) -> int:
    """Recompute when each household under `codes` (None: all) was last seen inside from its visits, in one
    set-based statement; returns how many households changed. For after visits were written without the
    services (an import, the benchmark's generator); the services keep the field as they record and void."""
    unseen = [Inspection.Outcome.REFUSED, Inspection.Outcome.NOBODY_HOME]
    scope = " OR ".join("h.division_code LIKE %s" for _code in codes or [])
    if codes is not None and not codes:
        return 0
    # Only the rows that change are written; NULL-safe, in each database's words.
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE households_household SET last_seen_at = seen.last
            FROM (
                SELECT h.id, MAX(v.started_at) AS last
                FROM households_household h
                LEFT JOIN inspections_inspection v
                    ON v.household_id = h.id AND v.voided_at IS NULL AND v.outcome NOT IN (%s, %s)
                {f"WHERE {scope}" if scope else ""}
                GROUP BY h.id
            ) AS seen
            WHERE households_household.id = seen.id
              AND households_household.last_seen_at {distinct} seen.last
            """,
            [*unseen, *(f"{code}%" for code in codes or [])],
        )
        return cursor.rowcount


# Five items, three ways each, with room for several described "other" things: more rows than this is not a
# household's visit but a runaway script or a form sent wrong.
SEIZURE_ROWS_MAX = 30
# Per row: a hundred tonnes of loose coal, or a hundred thousand pieces, boxes or stoves, is past any one place; a
# figure beyond is a slip (9999999999.99 kg was stored at one household) that would swamp every total.
SEIZURE_QUANTITY_MAX = Decimal(100_000)


def _check_seizures(outcome: str, seizures: Sequence[SeizureInput]) -> None:
    if len(seizures) > SEIZURE_ROWS_MAX:
        raise ValidationError(
            {"seizures": _("At most %(max)s rows of things taken away per visit.") % {"max": SEIZURE_ROWS_MAX}}
        )
    if seizures and outcome in (Inspection.Outcome.REFUSED, Inspection.Outcome.NOBODY_HOME):
        raise ValidationError({"seizures": _("Nothing can be taken away when nobody let the team in.")})
    # Coal taken away means coal was found: a "no coal" visit with coal would put seized coal in the bulletin
    # beside 0 households found. A stove handed over, or charcoal, may come from a household without coal.
    if outcome == Inspection.Outcome.NO_COAL and any(s.item in COAL_ITEMS for s in seizures):
        raise ValidationError({"seizures": NO_COAL_WITH_COAL})
    for seizure in seizures:
        if seizure.item not in Seizure.Item.values or seizure.method not in Seizure.Method.values:
            raise ValidationError({"seizures": _("Unknown item or method.")})
        if seizure.quantity is None or seizure.quantity <= 0:
            raise ValidationError({"seizures": _("Quantities must be greater than zero.")})
        if seizure.quantity > SEIZURE_QUANTITY_MAX:
            message = _("%(quantity)s is more than one place holds (at most %(max)s a row): check the figure.")
            raise ValidationError({"seizures": message % {"quantity": seizure.quantity, "max": SEIZURE_QUANTITY_MAX}})
        if seizure.item in WHOLE_ITEMS and seizure.quantity != seizure.quantity.to_integral_value():
            raise ValidationError(
                {"seizures": _("%(item)s are counted in whole numbers.") % {"item": Seizure.Item(seizure.item).label}}
            )


def inspection_record(*, client_uuid: uuid.UUID | None = None, **fields) -> tuple[Inspection, bool]:
    """Record a visit with what it took away and its photos; a repeated client_uuid returns the first.

    Takes the arguments of `_inspection_record`. A repeat is found only when the submission fails (a refusal,
    or the unique index on client_uuid): a first submission, the usual case, costs no look-up and no
    savepoint, and a repeat still answers with the first record even if it would now be refused.
    """
    try:
        with photo_files_removed_on_failure(), transaction.atomic():
            return _inspection_record(client_uuid=client_uuid, **fields), True
    # DatabaseError as well: SQLite reports the unique index's refusal of a repeat sent at the same moment as a
    # plain DatabaseError when the insert returns its row. A record found by the uuid is the answer either way;
    # without one the error stands.
    except (ValidationError, PermissionDenied, IntegrityError, DatabaseError):
        existing = Inspection.objects.filter(client_uuid=client_uuid).first() if client_uuid else None
        if existing is None:
            raise
        return existing, False


def _inspection_record(
    *,
    actor,
    household: Household,
    kind: str,
    outcome: str,
    started_at: datetime.datetime | None = None,
    client_uuid: uuid.UUID | None = None,
    notes: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    operation: NightOperation | None = None,
    inspectors: Iterable = (),
    leaders: str = "",
    departments: Iterable = (),
    seizures: Sequence[SeizureInput] = (),
    photos: Sequence[CheckedPhoto] = (),
) -> Inspection:
    ensure_can_enter(actor, household.division, "inspection")
    _check_household(household)
    started_at = started_at or timezone.now()
    _check_not_future(started_at, "started_at")
    _check_seizures(outcome, seizures)
    if operation is not None and (
        operation.is_voided or not NightOperation.objects.visible_to(actor).filter(pk=operation.pk).exists()
    ):
        raise ValidationError({"operation": _("Choose an operation of your unit.")})
    if operation is not None and night_of(started_at) != operation.date:
        raise ValidationError(
            {"operation": OPERATION_OTHER_NIGHT % {"date": operation.date, "night": night_of(started_at)}}
        )

    # The household first: its row lock orders visits to it, and on PostgreSQL the same statement draws the
    # visit's key, so the visit's row goes to the database with everything else below, in one statement.
    locked = household_lock(household.pk, draw_visit_id=True)
    inspection = Inspection(
        pk=locked["visit_id"],
        household=household,
        division_code=household.division_code,
        kind=kind,
        outcome=outcome,
        started_at=started_at,
        is_night=is_night(started_at),
        in_priority_zone=household.in_priority_zone,
        operation=operation,
        leaders=leaders,
        notes=notes,
        latitude=latitude,
        longitude=longitude,
        client_uuid=client_uuid,
        recorded_by=actor,
    )
    # Not validate_unique: its one unique field, client_uuid, is the database's to decide (a repeat is answered
    # with the first record), and the key drawn above would be looked up as if it might be taken.
    inspection.full_clean(exclude=["client_uuid", "household", "operation", "recorded_by"], validate_unique=False)
    # The visit, its relations, its rollups, the household's coal status and the audit row are written together,
    # in one statement on PostgreSQL (inspections.batch): the visit is new, so there is nothing to compare as
    # .set() would, and nothing here reads what another of these writes. Elsewhere the visit is saved first
    # (its key comes from the insert) and the rest follows one by one.
    batch = Batch()
    if inspection.pk is None:
        inspection.save()
    else:
        batch.insert([inspection], with_pk=True)
        inspection._state.adding, inspection._state.db = False, connection.alias
    batch.insert([Inspection.inspectors.through(inspection=inspection, user=user) for user in {actor, *inspectors}])
    departments = sorted(set(departments), key=lambda d: (d.name, d.pk))  # as Department.Meta.ordering
    batch.insert([Inspection.departments.through(inspection=inspection, department=d) for d in departments])
    taken = [
        Seizure(
            inspection=inspection,
            division_code=inspection.division_code,
            item=s.item,
            quantity=s.quantity,
            method=s.method,
            description=s.description,
        )
        for s in seizures
    ]
    batch.insert(taken)
    stored = photos_attach(actor=actor, subject=inspection, division_code=inspection.division_code, photos=photos)
    facts = rollups_visit_changed(inspection, seizures=taken, batch=batch, locked=locked)
    late = _coal_status_after_visit(household, inspection, facts, batch)
    batch.insert(
        [
            audit_event(
                actor=actor,
                action="inspection.recorded",
                obj=inspection,
                division_code=inspection.division_code,
                changes={
                    "kind": [None, kind],
                    "outcome": [None, outcome],
                    "started_at": [None, started_at.isoformat()],
                    "seizures": [None, seizures_audited(seizures)],
                },
            )
        ]
    )
    batch.execute()
    if late:
        household_visit_marks_refresh(household)  # reads the visit just written
    if inspection.found_coal and facts["banned"]:
        # A banned place found with coal again: the ban has rebounded (反弹).
        ban_rebounds_refresh(household)
    visit_recorded.send(sender=Inspection, actor=actor, inspection=inspection)
    # What the API answers with is what was just written: no queries to read it back.
    _prefetched(inspection, seizures=taken, photos=stored, departments=departments)
    return inspection


def _prefetched(record: models.Model, **related: list) -> None:
    """Fill `record`'s prefetch cache for the named relations with rows already in hand (in their order)."""
    cache = getattr(record, "_prefetched_objects_cache", {})
    for name, rows in related.items():
        # A bare queryset of the related model, as a prefetch leaves: the related manager's .all() would build
        # the relation's filter, which costs more than the answer's other fields together.
        queryset = models.QuerySet(model=record._meta.get_field(name).related_model)
        queryset._result_cache, queryset._prefetch_done = list(rows), True
        cache[name] = queryset
    record._prefetched_objects_cache = cache


def seizures_audited(seizures: Sequence[SeizureInput]) -> list[str]:
    """A visit's seizures as its audit entry keeps them: "item quantity method" each (seizures_readable)."""
    return [f"{s.item} {s.quantity} {s.method}" for s in seizures]


def seizures_readable(value: Any) -> Any:
    """The audit entry's seizures (seizures_audited) in the reader's words: "散煤（公斤） 12 没收"."""
    if not isinstance(value, list):
        return value
    readable = []
    for entry in value:
        try:
            item, quantity, method = str(entry).split(" ")
            amount = Decimal(quantity)
        except (ValueError, InvalidOperation):
            readable.append(entry)
            continue
        item = dict(Seizure.Item.choices).get(item, item)
        method = dict(Seizure.Method.choices).get(method, method)
        readable.append(f"{item} {amount.normalize():f} {method}")
    return readable


def _coal_status_after_visit(household: Household, inspection: Inspection, facts: dict, batch: Batch) -> bool:
    """The household's coal status and last seen inside with a newly recorded visit, as
    household_visit_marks_refresh derives them.

    A visit later than every other visit that saw inside decides them alone: it is the last seen; coal found
    sets found since then; a clean visit after a finding clears it (since then); refused entry and nobody home
    change nothing. A visit entered late (backdated, or at the same moment as another) derives them again from
    all: True is returned, and the caller runs household_visit_marks_refresh once the visit is written.
    `facts` carries the status as read under the household's lock and its latest visit that saw inside.
    The update joins the visit's other writes in `batch`: no statement of its own on PostgreSQL.
    """
    household.coal_status, household.coal_status_at = facts["coal_status"], facts["coal_status_at"]
    if inspection.outcome in (Inspection.Outcome.REFUSED, Inspection.Outcome.NOBODY_HOME):
        return False
    latest = facts["latest_seen"]
    if latest is not None and inspection.started_at <= latest:
        return True
    status, since = household.coal_status, household.coal_status_at
    if inspection.found_coal:
        status, since = CoalStatus.FOUND, inspection.started_at
    elif status == CoalStatus.FOUND:
        status, since = CoalStatus.CLEARED, inspection.started_at
    # Later than every other visit that saw inside: it is the last seen, whatever the row said (not read here).
    marks = {"coal_status": status, "coal_status_at": since, "last_seen_at": inspection.started_at}
    # Written as SQL of its own: the ORM took longer to compile this UPDATE than PostgreSQL takes to run it.
    adapt = connection.ops.adapt_datetimefield_value
    batch.add(
        f"UPDATE {Household._meta.db_table} SET coal_status = %s, coal_status_at = %s, last_seen_at = %s WHERE id = %s",
        [status, adapt(since), adapt(inspection.started_at), household.pk],
    )
    for name, value in marks.items():
        setattr(household, name, value)
    return False


def _void(*, actor, record, reason: str, division: Division, action: str) -> None:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for voiding.")})
    ensure_can_enter(actor, division, "fieldwork_void")
    if record.is_voided:
        return
    record.voided_at = timezone.now()
    record.void_reason = reason
    record.save(update_fields=["voided_at", "void_reason"])
    audit_record(
        actor=actor,
        action=action,
        obj=record,
        division_code=record.division_code,
        changes={"voided_at": [None, record.voided_at.isoformat()]},
        reason=reason,
    )


@transaction.atomic
def inspection_void(*, actor, inspection: Inspection, reason: str) -> Inspection:
    """Void a visit entered in error; the household's coal status and last seen inside are derived again
    without it."""
    inspection = Inspection.objects.select_for_update().select_related("household__division").get(pk=inspection.pk)
    already_voided = inspection.is_voided
    _void(
        actor=actor,
        record=inspection,
        reason=reason,
        division=inspection.household.division,
        action="inspection.voided",
    )
    if not already_voided:
        rollups_visit_changed(inspection, voided=True)
    household_visit_marks_refresh(inspection.household)
    ban_rebounds_refresh(inspection.household)
    visit_voided.send(sender=Inspection, actor=actor, inspection=inspection)
    return inspection


def ban_rebounds_refresh(household: Household) -> None:
    """Date each ban of the place from the first finding after it, whatever order the visits were entered in.

    A finding within REBOUND_GRACE of the ban is the enforcement visit itself, not a rebound; a ban whose
    only later finding was voided has not rebounded after all.
    """
    for ban in Ban.objects.current().filter(household=household):
        first = (
            Inspection.objects.current()
            .filter(household=household, outcome__in=Inspection.FOUND, started_at__gt=ban.banned_at + REBOUND_GRACE)
            .order_by("started_at")
            .values_list("started_at", flat=True)
            .first()
        )
        if first != ban.rebound_at:
            Ban.objects.filter(pk=ban.pk).update(rebound_at=first)


OPERATION_FIELDS = ["division", "date", "title", "leader", "notes"]


@transaction.atomic
def operation_save(
    *,
    actor,
    data: dict[str, Any],
    team: Iterable | None = None,
    covered: Iterable[Division] | None = None,
    operation: NightOperation | None = None,
    client_uuid: uuid.UUID | None = None,
) -> NightOperation:
    """Plan a night-check operation, or change one; the organising unit and every covered unit are the actor's.

    A change that leaves `team` or `covered` out (None, or no covered units) keeps what the operation had;
    the units it keeps must still lie within the organising unit.
    """
    if operation is not None:
        operation = NightOperation.objects.select_for_update().get(pk=operation.pk)
    division = data.get("division") or (operation and operation.division)
    ensure_can_enter(actor, division, "operation")
    if operation is not None:
        ensure_can_enter(actor, operation.division, "operation")
        if operation.is_voided:
            raise ValidationError(_("A voided operation cannot be changed."))
    if "date" in data:
        date_check(data["date"], field="date", ahead=PLANNING_AHEAD)  # planned ahead, but not for decades
        # Its visits were on its night: moved to another, the operation would count visits of a night it was not.
        if operation is not None and data["date"] != operation.date and operation.inspections.current().exists():
            raise ValidationError({"date": _("Visits were already recorded as part of this operation on its night.")})
    covered = list(covered or (operation.covered.all() if operation is not None else ()))
    for unit in covered:
        if not unit.is_within(division):
            raise ValidationError({"covered": _("%(unit)s is outside the organising unit.") % {"unit": unit.name}})
    for member in team or ():
        # A team member belongs to the organising unit, a unit within it, or a unit above it (a leader).
        if not any(g.code.startswith(division.code) or division.code.startswith(g.code) for g in grants(member)):
            raise ValidationError(
                {
                    "team": _("%(name)s does not work in %(unit)s.")
                    % {"name": member.first_name or member.username, "unit": division.name}
                }
            )
    record = operation or NightOperation(recorded_by=actor, client_uuid=client_uuid)
    before = snapshot(record, OPERATION_FIELDS) if operation else {}
    for name, value in data.items():
        if name not in OPERATION_FIELDS:
            raise ValueError(f"not editable: {name}")
        setattr(record, name, value)
    record.division_code = record.division.code
    record.full_clean(exclude=["recorded_by", "client_uuid"])
    record.save()
    if team is not None:
        record.team.set(team)
    if covered:
        record.covered.set(covered)
    audit_record(
        actor=actor,
        action="operation.updated" if operation else "operation.created",
        obj=record,
        division_code=record.division_code,
        changes=changes_between(before, snapshot(record, OPERATION_FIELDS)),
    )
    return record


@transaction.atomic
def operation_create(
    *,
    actor,
    data: dict[str, Any],
    team: Iterable = (),
    covered: Iterable[Division] = (),
    client_uuid: uuid.UUID | None = None,
) -> tuple[NightOperation, bool]:
    """Plan a night-check operation from a submission; a repeated client_uuid returns the first (created=False)."""
    return _first_or_create(
        NightOperation,
        client_uuid,
        lambda: operation_save(actor=actor, data=data, team=team, covered=covered, client_uuid=client_uuid),
    )


@transaction.atomic
def purchase_record(
    *,
    actor,
    household: Household,
    item: str,
    quantity: Decimal,
    unit_price: Decimal,
    market_price: Decimal,
    purchased_on: datetime.date | None = None,
    inspection: Inspection | None = None,
    notes: str = "",
    client_uuid: uuid.UUID | None = None,
) -> tuple[Purchase, bool]:
    """Buy coal from a vulnerable household, above the market price (the article's rule)."""
    if client_uuid is not None and (existing := Purchase.objects.filter(client_uuid=client_uuid).first()):
        return existing, False
    ensure_can_enter(actor, household.division, "fieldwork")
    _check_household(household)
    if not household.is_vulnerable:
        raise ValidationError(
            {
                "household": _(
                    "Purchases are only made from vulnerable households (elderly alone, low-income, disabled)."
                )
            }
        )
    if quantity is None or quantity <= 0:
        raise ValidationError({"quantity": _("Quantities must be greater than zero.")})
    if item == Purchase.Item.BRIQUETTE and quantity != quantity.to_integral_value():
        raise ValidationError(
            {"quantity": _("%(item)s are counted in whole numbers.") % {"item": Purchase.Item(item).label}}
        )
    if inspection is not None and (inspection.household_id != household.pk or inspection.is_voided):
        raise ValidationError({"inspection": _("Choose a visit to this household.")})
    if unit_price <= market_price:
        raise ValidationError(
            {
                "unit_price": _("The price paid must be above the market price (%(market)s yuan).")
                % {"market": market_price}
            }
        )
    purchased_on = purchased_on or timezone.localdate()
    _check_not_future(purchased_on, "purchased_on")

    def create() -> Purchase:
        purchase = Purchase(
            household=household,
            division_code=household.division_code,
            inspection=inspection,
            purchased_on=purchased_on,
            item=item,
            quantity=quantity,
            unit_price=unit_price,
            market_price=market_price,
            amount=(quantity * unit_price).quantize(Decimal("0.01")),
            notes=notes,
            client_uuid=client_uuid,
            recorded_by=actor,
        )
        purchase.full_clean(exclude=["client_uuid", "household", "inspection", "recorded_by"])
        purchase.save()
        return purchase

    purchase, created = _first_or_create(Purchase, client_uuid, create)
    if created:
        audit_record(
            actor=actor,
            action="purchase.recorded",
            obj=purchase,
            division_code=purchase.division_code,
            changes={
                "quantity": [None, str(quantity)],
                "unit_price": [None, str(unit_price)],
                "market_price": [None, str(market_price)],
                "amount": [None, str(purchase.amount)],
            },
        )
    return purchase, created


# What kind of place each kind of ban applies to.
BAN_PLACES = {
    Ban.Kind.SALE_POINT: HouseholdKind.COAL_SALE_POINT,
    Ban.Kind.STORAGE_POINT: HouseholdKind.STORAGE_POINT,
    Ban.Kind.FOOD_STALL: HouseholdKind.FOOD_STALL,
}


@transaction.atomic
def ban_record(
    *,
    actor,
    household: Household,
    kind: str,
    banned_at: datetime.datetime | None = None,
    officers: str = "",
    departments: Iterable = (),
    notes: str = "",
    photos: Sequence[CheckedPhoto] = (),
    client_uuid: uuid.UUID | None = None,
) -> tuple[Ban, bool]:
    """Shut an unlicensed sale point, clear a storage point or move a stall on (取缔)."""
    if client_uuid is not None and (existing := Ban.objects.filter(client_uuid=client_uuid).first()):
        return existing, False
    ensure_can_enter(actor, household.division, "fieldwork")
    _check_household(household)
    if kind in BAN_PLACES and household.kind != BAN_PLACES[kind]:
        raise ValidationError(
            {
                "household": _("%(ban)s applies to a place registered as %(place)s.")
                % {"ban": Ban.Kind(kind).label, "place": HouseholdKind(BAN_PLACES[kind]).label}
            }
        )
    banned_at = banned_at or timezone.now()
    _check_not_future(banned_at, "banned_at")

    def create() -> Ban:
        ban = Ban(
            household=household,
            division_code=household.division_code,
            kind=kind,
            banned_at=banned_at,
            officers=officers,
            notes=notes,
            client_uuid=client_uuid,
            recorded_by=actor,
        )
        ban.full_clean(exclude=["client_uuid", "household", "recorded_by"])
        ban.save()
        return ban

    ban, created = _first_or_create(Ban, client_uuid, create)
    if created:
        ban.departments.set(departments)
        photos_attach(actor=actor, subject=ban, division_code=ban.division_code, photos=photos)
        audit_record(
            actor=actor,
            action="ban.recorded",
            obj=ban,
            division_code=ban.division_code,
            changes={"kind": [None, kind], "banned_at": [None, banned_at.isoformat()]},
        )
    return ban, created


@transaction.atomic
def conversion_set(
    *, actor, household: Household, kind: str, status: str, completed_on: datetime.date | None = None, notes: str = ""
) -> Conversion:
    """Plan or complete a household's clean-heating conversion (one current conversion per household)."""
    ensure_can_enter(actor, household.division, "fieldwork")
    _check_household(household)
    if status == Conversion.Status.COMPLETED and completed_on is None:
        raise ValidationError({"completed_on": _("Give the date the conversion was completed.")})
    if completed_on is not None:
        _check_not_future(completed_on, "completed_on")
    if status == Conversion.Status.PLANNED:
        completed_on = None
    fields = ["kind", "status", "completed_on", "notes"]
    # Lock the household: with no conversion yet there is no row to lock, and two first settings at once
    # would both insert (the second failing on the one-per-household constraint).
    Household.objects.select_for_update().only("pk").get(pk=household.pk)
    conversion = Conversion.objects.select_for_update().current().filter(household=household).first()
    before = snapshot(conversion, fields) if conversion else {}
    conversion = conversion or Conversion(household=household, division_code=household.division_code, recorded_by=actor)
    conversion.kind, conversion.status, conversion.completed_on, conversion.notes = kind, status, completed_on, notes
    conversion.full_clean(exclude=["household", "recorded_by"])
    changes = changes_between(before, snapshot(conversion, fields))
    if changes:
        conversion.save()
        audit_record(
            actor=actor,
            action="conversion.set",
            obj=conversion,
            division_code=conversion.division_code,
            changes=changes,
        )
    return conversion


@transaction.atomic
def conversion_target_set(*, actor, division: Division, season: str, households: int) -> ConversionTarget:
    ensure_can_enter(actor, division, "fieldwork_void")  # targets are set by the district and subdistricts
    if division.level not in (Level.COMMUNITY, Level.GRID):
        raise ValidationError({"division": _("Targets are set per community.")})
    if not is_season(season or ""):
        raise ValidationError({"season": _("Write the heating season as two years, e.g. 2016-2017.")})
    if households is None or households < 0:
        raise ValidationError({"households": _("The number of households cannot be negative.")})
    target, _created = ConversionTarget.objects.update_or_create(
        division=division, season=season, defaults={"households": households, "division_code": division.code}
    )
    audit_record(
        actor=actor,
        action="conversion_target.set",
        obj=target,
        division_code=division.code,
        changes={"households": [None, households]},
    )
    return target


@transaction.atomic
def publicity_record(
    *,
    actor,
    division: Division,
    kind: str,
    count: int,
    date: datetime.date | None = None,
    place: str = "",
    notes: str = "",
    photos: Sequence[CheckedPhoto] = (),
    client_uuid: uuid.UUID | None = None,
) -> tuple[Publicity, bool]:
    """Record a unit's publicity work on a day: what, how many, where."""
    if client_uuid is not None and (existing := Publicity.objects.filter(client_uuid=client_uuid).first()):
        return existing, False
    ensure_can_enter(actor, division, "fieldwork")
    date = date or timezone.localdate()
    _check_not_future(date, "date")

    def create() -> Publicity:
        publicity = Publicity(
            division=division,
            division_code=division.code,
            date=date,
            kind=kind,
            count=count,
            place=place,
            notes=notes,
            client_uuid=client_uuid,
            recorded_by=actor,
        )
        publicity.full_clean(exclude=["client_uuid", "division", "recorded_by"])
        publicity.save()
        return publicity

    publicity, created = _first_or_create(Publicity, client_uuid, create)
    if created:
        photos_attach(actor=actor, subject=publicity, division_code=publicity.division_code, photos=photos)
        audit_record(
            actor=actor,
            action="publicity.recorded",
            obj=publicity,
            division_code=publicity.division_code,
            changes={"kind": [None, kind], "count": [None, count]},
        )
    return publicity, created


VOID_ACTIONS = {
    Purchase: "purchase.voided",
    Ban: "ban.voided",
    Publicity: "publicity.voided",
    Conversion: "conversion.voided",
    NightOperation: "operation.voided",
}


@transaction.atomic
def fieldwork_void(*, actor, record: Purchase | Ban | Publicity | Conversion | NightOperation, reason: str):
    """Void a purchase, ban, publicity record, conversion or operation entered in error."""
    record = type(record).objects.select_for_update().get(pk=record.pk)
    division = record.household.division if hasattr(record, "household") else record.division
    _void(actor=actor, record=record, reason=reason, division=division, action=VOID_ACTIONS[type(record)])
    return record
