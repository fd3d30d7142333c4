"""Writes to the hierarchy, the stations and the memberships. Each runs in one transaction."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from coalgov.audit import audit_record, changes_between, snapshot
from coalgov.wording import with_note

from .models import Division, Level, Membership, MonitoringStation
from .scoping import ENTRY_ROLES, Role, ensure_can_enter, forget_grants, has_role

User = get_user_model()

# The level a role's membership is meant for; a membership elsewhere is refused as a likely mistake.
ROLE_LEVELS: dict[str, set[str]] = {
    Role.DISTRICT_ADMIN: {Level.PROVINCE, Level.CITY, Level.DISTRICT},
    Role.DISTRICT_LEADER: {Level.PROVINCE, Level.CITY, Level.DISTRICT},
    Role.SUBDISTRICT_ADMIN: {Level.SUBDISTRICT},
    Role.INSPECTOR: {Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY},
    Role.COMMUNITY_WORKER: {Level.COMMUNITY, Level.GRID},
}


class LoadError(Exception):
    """A reference-data file that cannot be loaded; nothing was changed."""


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)


def read_csv(path: Path | str) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


@transaction.atomic
def divisions_load(*, rows: Iterable[dict[str, str]]) -> LoadResult:
    """Create or update divisions from rows of (code, name, level, parent_code).

    Idempotent: a unit is matched by its code, so a second load changes nothing and a renamed unit is
    updated in place. Works in bulk (the whole of Henan is 55,164 rows). Any bad row aborts the load.
    """
    result = LoadResult()
    parsed: dict[str, tuple[str, str, str]] = {}
    levels = set(Level.values)
    for line, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        name = (row.get("name") or "").strip()
        level = (row.get("level") or "").strip()
        parent_code = (row.get("parent_code") or "").strip()
        if not code or not name or level not in levels:
            raise LoadError(f"line {line}: need code, name and a level in {sorted(levels)}: {row}")
        if parent_code and not code.startswith(parent_code):
            raise LoadError(f"line {line}: code {code} does not start with its parent's code {parent_code}")
        if code in parsed:
            raise LoadError(f"line {line}: code {code} appears twice")
        parsed[code] = (name, level, parent_code)

    existing = {d.code: d for d in Division.objects.all()}
    # Parents before children: codes grow longer down the tree.
    order = sorted(parsed, key=lambda c: (len(c), c))
    to_update: list[Division] = []
    for depth in sorted({len(c) for c in order}):
        batch: list[Division] = []
        for code in (c for c in order if len(c) == depth):
            name, level, parent_code = parsed[code]
            parent = existing.get(parent_code) if parent_code else None
            if parent_code and parent is None:
                result.warnings.append(f"{code} {name}: parent {parent_code} is not loaded; kept at the top")
            division = existing.get(code)
            if division is None:
                batch.append(Division(code=code, name=name, level=level, parent=parent))
            elif (division.name, division.level, division.parent_id) != (name, level, parent and parent.pk):
                division.name, division.level, division.parent = name, level, parent
                to_update.append(division)
            else:
                result.unchanged += 1
        for division in Division.objects.bulk_create(batch, batch_size=2000):
            existing[division.code] = division
        result.created += len(batch)
    Division.objects.bulk_update(to_update, ["name", "level", "parent"], batch_size=2000)
    result.updated = len(to_update)
    return result


@transaction.atomic
def stations_load(*, rows: Iterable[dict[str, str]]) -> LoadResult:
    """Create or update monitoring stations from rows of (code, name, city, lon, lat, reference).

    A station's priority-zone settings, once an administrator has changed them, are left alone.
    """
    result = LoadResult()
    for line, row in enumerate(rows, start=2):
        try:
            lon, lat = Decimal(row["lon"].strip()), Decimal(row["lat"].strip())
        except (KeyError, AttributeError, InvalidOperation) as exc:
            raise LoadError(f"line {line}: bad coordinates in {row}") from exc
        background = (row.get("reference") or "").strip().upper() == "Y"
        station, created = MonitoringStation.objects.get_or_create(
            code=row["code"].strip(),
            defaults={
                "name": row["name"].strip(),
                "city": (row.get("city") or "").strip(),
                "longitude": lon,
                "latitude": lat,
                "is_background": background,
                "has_priority_zone": not background,
            },
        )
        if created:
            result.created += 1
            continue
        new = (row["name"].strip(), lon, lat, background)
        if (station.name, station.longitude, station.latitude, station.is_background) != new:
            station.name, station.longitude, station.latitude, station.is_background = new
            station.save()
            result.updated += 1
        else:
            result.unchanged += 1
    return result


def _check_role_level(division: Division, role: str) -> None:
    if division.level not in ROLE_LEVELS[role]:
        raise ValidationError(
            _("The role %(role)s cannot be given in %(division)s.")
            % {"role": Role(role).label, "division": with_note(division.name, division.get_level_display())}
        )


@transaction.atomic
def membership_create(*, actor, user, division: Division, role: str) -> Membership:
    """Give `user` the `role` in `division`; the actor must administer users there."""
    ensure_can_enter(actor, division, "membership")
    _check_role_level(division, role)
    if Membership.objects.filter(user=user, division=division, role=role, is_active=True).exists():
        raise ValidationError(_("This user already has that role in that unit."))
    membership = Membership.objects.create(user=user, division=division, role=role, created_by=actor)
    audit_record(
        actor=actor,
        action="membership.created",
        obj=membership,
        division_code=division.code,
        changes={"user": [None, user.username], "division": [None, division.name], "role": [None, role]},
    )
    forget_grants(user)
    return membership


@transaction.atomic
def membership_deactivate(*, actor, membership: Membership, reason: str = "") -> Membership:
    ensure_can_enter(actor, membership.division, "membership")
    if membership.user_id == actor.pk and membership.role == Role.DISTRICT_ADMIN:
        raise ValidationError(_("You cannot remove your own administrator role."))
    if not reason.strip():
        # As a record is voided: the log says why someone lost their place (a click on 结束 had ended one).
        raise ValidationError(_("Give a reason for ending this membership."))
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="membership.deactivated",
        obj=membership,
        division_code=membership.division.code,
        changes={"is_active": [True, False]},
        reason=reason,
    )
    forget_grants(membership.user)
    return membership


@transaction.atomic
def user_create(*, actor, username: str, full_name: str, password: str, division: Division, role: str, phone: str = ""):
    """Create a user together with their first membership, so no user exists that nobody administers."""
    ensure_can_enter(actor, division, "membership")
    _check_role_level(division, role)
    user = User.objects.create_user(username=username, password=password, first_name=full_name)
    audit_record(
        actor=actor,
        action="user.created",
        obj=user,
        division_code=division.code,
        changes={"username": [None, username], "full_name": [None, full_name]},
    )
    membership_create(actor=actor, user=user, division=division, role=role)
    return user


def _ensure_can_manage(actor, user) -> list[Membership]:
    memberships = list(Membership.objects.filter(user=user).select_related("division"))
    if not memberships:
        raise PermissionDenied
    for membership in memberships:
        ensure_can_enter(actor, membership.division, "membership")
    return memberships


def _ensure_outranks(actor, user, memberships: list[Membership]) -> None:
    """Setting a password takes the account over: an administrator may do it only for users below them, never for
    a peer administrator of the same unit, a staff account or a superuser (a superuser may for anyone)."""
    if getattr(actor, "is_superuser", False):
        return
    if user.is_superuser or user.is_staff:
        raise PermissionDenied
    for membership in memberships:
        if membership.role in (Role.DISTRICT_ADMIN, Role.SUBDISTRICT_ADMIN):
            parent = membership.division.parent
            if parent is None:
                raise PermissionDenied
            ensure_can_enter(actor, parent, "membership")


@transaction.atomic
def user_set_active(*, actor, user, active: bool, reason: str = ""):
    """Deactivate (or reactivate) a user. Only someone who administers all of the user's units may."""
    memberships = _ensure_can_manage(actor, user)
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate yourself."))
    if user.is_active == active:
        return user
    if not active and not reason.strip():
        # A deactivation stops someone's work at once: one click with nothing typed had done it, unexplained.
        raise ValidationError(_("Give a reason for deactivating this account."))
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="user.activated" if active else "user.deactivated",
        obj=user,
        division_code=memberships[0].division.code,
        changes={"is_active": [not active, active]},
        reason=reason,
    )
    return user


@transaction.atomic
def user_set_password(*, actor, user, password: str, reason: str = ""):
    """The district office gives a user a new password (forgotten, or possibly known to someone else).

    Checked against the password rules; the user's API tokens end with the old password (divisions.signals), and
    any sign-in lockout of the user's name is lifted so they can sign in with it at once.
    """
    from axes.utils import reset as axes_reset
    from django.contrib.auth.password_validation import validate_password

    memberships = _ensure_can_manage(actor, user)
    if user.pk == actor.pk:
        raise ValidationError(_("Change your own password on the password page."))
    _ensure_outranks(actor, user, memberships)
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    axes_reset(username=user.username)
    audit_record(
        actor=actor,
        action="user.password_set",
        obj=user,
        division_code=memberships[0].division.code,
        reason=reason,
    )
    return user


STATION_FIELDS = ["name", "longitude", "latitude", "has_priority_zone", "priority_radius_m"]


@transaction.atomic
def station_update(*, actor, station: MonitoringStation, data: dict) -> MonitoringStation:
    """Change a station's place or priority zone; the households' zones are recomputed in the background."""
    from households.tasks import recompute_priority_zones  # households builds on divisions, not the reverse

    if not has_role(actor, *ENTRY_ROLES["station"]):
        raise PermissionDenied
    before = snapshot(station, STATION_FIELDS)
    for name, value in data.items():
        if name not in STATION_FIELDS:
            raise ValueError(f"not editable: {name}")
        setattr(station, name, value)
    station.full_clean()
    changes = changes_between(before, snapshot(station, STATION_FIELDS))
    if not changes:
        return station
    station.save()
    audit_record(actor=actor, action="station.updated", obj=station, changes=changes)
    transaction.on_commit(recompute_priority_zones.delay)
    return station


# --- API tokens ------------------------------------------------------------------------------------


def _token_division_code(user) -> str:
    membership = Membership.objects.filter(user=user).select_related("division").order_by("-is_active", "pk").first()
    return membership.division.code if membership else ""


def _ensure_may_revoke(actor, user) -> None:
    """A token's owner may revoke it; so may whoever administers all of the owner's units."""
    if user.pk != actor.pk:
        _ensure_can_manage(actor, user)


@transaction.atomic
def token_create(*, actor, via: str):
    """A new API token for the actor, with the configured lifetime. Returns (token record, token text): the text
    is shown once and stored only hashed.

    At most API_TOKENS_PER_USER tokens live at once: a script that asks for a token on every run would otherwise
    pile up working credentials nobody remembers. The user's row is locked so two requests at once cannot both
    take the last place. `via`, the address the token was asked for at (the API's or the tokens page), goes into
    the audit record with the token's public key and its expiry.
    """
    from knox.models import AuthToken

    User.objects.select_for_update().filter(pk=actor.pk).first()
    limit = settings.API_TOKENS_PER_USER
    if AuthToken.objects.filter(user=actor, expiry__gt=timezone.now()).count() >= limit:
        raise ValidationError(
            _(
                "You already have %(limit)d API tokens that still work. Revoke one you no longer use on "
                "“My tokens” first."
            )
            % {"limit": limit},
            code="token_limit",
        )
    instance, text = AuthToken.objects.create(user=actor)
    audit_record(
        actor=actor,
        action="token.created",
        obj=actor,
        division_code=_token_division_code(actor),
        changes={
            "tokens": [None, instance.token_key],
            "via": [None, via],
            "expiry": [None, f"{timezone.localtime(instance.expiry):%Y-%m-%d %H:%M}"],
        },
    )
    return instance, text


@transaction.atomic
def token_revoke(*, actor, user, token_key: str) -> int:
    """Revoke the user's token(s) starting with `token_key` (one in practice); all of them when it is empty."""
    from knox.models import AuthToken

    _ensure_may_revoke(actor, user)
    tokens = AuthToken.objects.filter(user=user)
    if token_key:
        tokens = tokens.filter(token_key=token_key)
    revoked = sorted(tokens.values_list("token_key", flat=True))
    if not revoked:
        raise ValidationError(_("That token no longer exists: it was revoked or has expired."))
    tokens.delete()
    audit_record(
        actor=actor,
        action="token.revoked",
        obj=user,
        division_code=_token_division_code(user),
        changes={"tokens": [", ".join(revoked), None]},
    )
    return len(revoked)


def tokens_revoke_for(user) -> int:
    """Revoke every token of `user` because their password changed or they were deactivated (divisions.signals).

    Not audited here: the change that causes it is (or is Django's own password change, which the user made).
    """
    from knox.models import AuthToken

    count, _ = AuthToken.objects.filter(user=user).delete()
    return count


def _sign_in_failure_worth_recording(username: str, ip_address: str, locked_out: bool) -> str | None:
    """The action to record for this failure, or None when the log already says enough for this cool-off window.

    The log must show an attack without being one: each wrong password counts (the throttle stops a name at
    SIGN_IN_FAILURE_LIMIT per address anyway), a lockout is written once however often the locked name is tried,
    and one address writes at most SIGN_IN_AUDIT_PER_ADDRESS rows per window — a spray of made-up names then
    leaves one more row saying the rest were not written. Counted in the cache (Redis in production): an entry
    lost with the cache means at worst a few more rows, never fewer.
    """
    window = max(int(settings.AXES_COOLOFF_TIME.total_seconds()), 1)
    name = hashlib.sha256(username.encode()).hexdigest()[:16]
    if locked_out and not cache.add(f"sign-in-audit:locked:{ip_address}:{name}", 1, window):
        return None
    per_address = f"sign-in-audit:address:{ip_address}"
    cache.add(per_address, 0, window)
    try:
        count = cache.incr(per_address)
    except ValueError:  # expired between the two calls
        count = 1
    limit = settings.SIGN_IN_AUDIT_PER_ADDRESS
    if count > limit + 1:
        return None
    if count == limit + 1:
        return "sign_in.flood"
    return "sign_in.locked_out" if locked_out else "sign_in.failed"


def sign_in_failure_record(*, username: str, ip_address: str, locked_out: bool) -> None:
    """Write a failed or refused sign-in into the audit log, for the district office to see at /audit/.

    Recorded against the user if the name exists, else against the district office's unit (a name someone
    guessed), so the district office's log shows both. Bounded per address: see above.
    """
    action = _sign_in_failure_worth_recording(username, ip_address, locked_out)
    if action is None:
        return
    user = User.objects.filter(username=username).first() if username else None
    if user is not None:
        obj, code = user, _token_division_code(user)
    else:
        office = (
            Membership.objects.filter(role=Role.DISTRICT_ADMIN, is_active=True)
            .select_related("division")
            .order_by(Length("division__code"), "division__code")
            .first()
        )
        if office is None:
            return
        obj, code = office.division, office.division.code
    audit_record(
        actor=None,
        action=action,
        obj=obj,
        division_code=code,
        changes={"username": [None, username[:150]], "ip_address": [None, ip_address]},
    )
