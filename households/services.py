"""Every write to the household register. Keyword-only, one transaction each, audited in it."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from coalgov.audit import audit_record, changes_between, snapshot
from coalgov.locks import REGISTER_COUNTS, xact_lock
from divisions.geo import priority_station_for, zone_stations
from divisions.models import COMMUNITY_CODE_LENGTH, Division, Level, community_code
from divisions.scoping import codes_q, ensure_can_enter

from .models import Household, RegisterCount

# The fields a person edits; the audit log compares these before and after every change.
EDITABLE_FIELDS = [
    "division",
    "kind",
    "estate",
    "building",
    "unit",
    "room",
    "address",
    "head_name",
    "phone",
    "unmanaged",
    "no_gas_or_heating",
    "elderly_alone",
    "low_income",
    "disabled",
    "heating",
    "latitude",
    "longitude",
    "notes",
]
AUDITED_FIELDS = [*EDITABLE_FIELDS, "in_priority_zone"]

# The register's one rule for "the same address": the same community and the same estate, building, stairwell,
# room and street address once the whitespace around each part is removed — the whitespace Python's str.strip()
# removes, which is what the form and the API store (so 龙亭小区 and 龙亭小区 followed by an ideographic space
# are one address, while 7号楼 1单元 and 7号楼1单元 are not). The import compares in SQL with btrim(part, SPACES).
SPACES = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
ADDRESS_PARTS = ("estate", "building", "unit", "room", "address")


def address_key(household: Household) -> tuple[str, ...]:
    """The household's address as the register compares addresses (see SPACES)."""
    return (household.division_code, *(getattr(household, name).strip(SPACES) for name in ADDRESS_PARTS))


def _check_division(division: Division) -> None:
    if division.level not in (Level.COMMUNITY, Level.GRID):
        raise ValidationError({"division": _("A household belongs to a community or a grid.")})


def _place(household: Household, stations=None) -> None:
    station = priority_station_for(household.latitude, household.longitude, stations)
    household.priority_station = station
    household.in_priority_zone = station is not None


@transaction.atomic
def household_create(*, actor, data: dict[str, Any], client_uuid: uuid.UUID | None = None) -> tuple[Household, bool]:
    """Register a household. A repeated `client_uuid` returns the first record with created=False."""
    if client_uuid is not None:
        existing = Household.objects.filter(client_uuid=client_uuid).first()
        if existing is not None:
            return existing, False
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    division = data["division"]
    ensure_can_enter(actor, division, "household")
    _check_division(division)
    household = Household(**data, division_code=division.code, client_uuid=client_uuid, created_by=actor)
    _place(household)
    household.full_clean(exclude=["client_uuid"])
    try:
        with transaction.atomic():
            household.save()
            register_counts_refresh([household.division_code])
    except IntegrityError:
        # The same submission, sent twice at once, won the race in another request: answer with it.
        existing = Household.objects.filter(client_uuid=client_uuid).first() if client_uuid else None
        if existing is None:
            raise
        return existing, False
    audit_record(
        actor=actor,
        action="household.created",
        obj=household,
        division_code=household.division_code,
        changes=changes_between({}, snapshot(household, AUDITED_FIELDS)),
    )
    return household, True


@transaction.atomic
def household_update(*, actor, household: Household, data: dict[str, Any]) -> Household:
    """Change a household's fields; moving it to another community needs entry rights at both ends."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    if household.is_voided:
        raise ValidationError(_("A voided household cannot be changed."))
    ensure_can_enter(actor, household.division, "household")
    before = snapshot(household, AUDITED_FIELDS)
    for name, value in data.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"not editable: {name}")
        setattr(household, name, value)
    moved_from = household.division_code
    if household.division_code != household.division.code:
        ensure_can_enter(actor, household.division, "household")
        _check_division(household.division)
        household.division_code = household.division.code
    _place(household)
    household.full_clean(exclude=["client_uuid"])
    changes = changes_between(before, snapshot(household, AUDITED_FIELDS))
    if not changes:
        return household
    household.save()
    if household.division_code != moved_from:
        register_counts_refresh([moved_from, household.division_code])
    audit_record(
        actor=actor,
        action="household.updated",
        obj=household,
        division_code=household.division_code,
        changes=changes,
    )
    return household


@transaction.atomic
def household_void(*, actor, household: Household, reason: str, source: str = "") -> Household:
    """Void a household registered in error. It stays in the database and in the audit log. `source` names the
    file whose row voided it (an import), recorded with the change."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for voiding.")})
    household = Household.objects.select_for_update().get(pk=household.pk)
    ensure_can_enter(actor, household.division, "household_void")
    if household.is_voided:
        return household
    household.voided_at = timezone.now()
    household.void_reason = reason
    household.save(update_fields=["voided_at", "void_reason", "updated_at"])
    register_counts_refresh([household.division_code])
    audit_record(
        actor=actor,
        action="household.voided",
        obj=household,
        division_code=household.division_code,
        changes={
            "voided_at": [None, household.voided_at.isoformat()],
            **({"download_file": [None, source]} if source else {}),  # shown as 文件 in the history
        },
        reason=reason,
    )
    return household


def households_recompute_priority_zones(*, batch_size: int = 2000) -> int:
    """Recompute every located household's zone after stations change; returns how many changed.

    Streams the register and writes in batches, so a city's two million households need neither
    memory nor one save() each.
    """
    stations = zone_stations()
    changed: list[Household] = []
    count = 0
    located = Household.objects.filter(latitude__isnull=False, longitude__isnull=False).only(
        "id", "latitude", "longitude", "in_priority_zone", "priority_station"
    )
    for household in located.iterator(chunk_size=batch_size):
        before = (household.in_priority_zone, household.priority_station_id)
        _place(household, stations)
        if (household.in_priority_zone, household.priority_station_id) != before:
            changed.append(household)
        if len(changed) >= batch_size:
            count += _write_zones(changed)
            changed = []
    return count + _write_zones(changed)


def _write_zones(households: list[Household]) -> int:
    with transaction.atomic():
        Household.objects.bulk_update(households, ["in_priority_zone", "priority_station"])
    return len(households)


def register_counts_refresh(codes) -> None:
    """Recount the current households of the communities of `codes`, inside the writing transaction
    (under a per-community lock, so two registrations at once both count)."""
    for code in sorted({community_code(code) for code in codes}):
        xact_lock(REGISTER_COUNTS, code)
        n = Household.objects.current().filter(division_code__startswith=code).count()
        RegisterCount.objects.update_or_create(code=code, defaults={"households": n})


@transaction.atomic
def register_counts_rebuild(codes: list[str] | None = None) -> int:
    """Recount every community under `codes` (None: all) set-wise, after households were written without
    the services (an import). Returns the number of communities counted."""
    if codes is not None:
        codes = sorted({community_code(code) for code in codes})
    if connection.vendor == "postgresql":
        # A registration committing meanwhile waits for the recount instead of being overwritten by it.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {RegisterCount._meta.db_table} IN EXCLUSIVE MODE")
    counts = (
        Household.objects.current()
        .filter(codes_q(codes, "division_code"))
        .annotate(community=Substr("division_code", 1, COMMUNITY_CODE_LENGTH))
        .values("community")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("community", "n")
    )
    rows = [RegisterCount(code=code, households=n) for code, n in counts]
    RegisterCount.objects.filter(codes_q(codes, "code")).delete()
    RegisterCount.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
