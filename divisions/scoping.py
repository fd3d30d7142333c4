"""Jurisdiction: the one place that decides what a user may see and where they may enter data.

A membership (user, division, role) grants *view* of the division's whole subtree, whatever the role.
*Entry* — creating or changing records — is granted by role, for an action, and only inside the subtree.
Division codes are prefixes of their descendants' codes, so a subtree is one `LIKE 'code%'` condition,
served by the `varchar_pattern_ops` index Django creates for every indexed CharField on PostgreSQL.

Everything fails closed: an anonymous or inactive user, or one with no active membership, sees nothing.
Views and viewsets never filter by hand: they call `Model.objects.visible_to(user)` through the shared
base classes in `coalgov.views` and `coalgov.api`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coalgov.compiled import EXAMPLE_KEY, Compiled

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from .models import Division


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", gettext_lazy("District coal office")
    DISTRICT_LEADER = "district_leader", gettext_lazy("District leader / supervision group")
    SUBDISTRICT_ADMIN = "subdistrict_admin", gettext_lazy("Subdistrict administrator")
    INSPECTOR = "inspector", gettext_lazy("Inspector")
    COMMUNITY_WORKER = "community_worker", gettext_lazy("Community worker")


DISTRICT_ADMIN, DISTRICT_LEADER, SUBDISTRICT_ADMIN, INSPECTOR, COMMUNITY_WORKER = Role.values

# Which roles may create and change which kind of record, inside their own subtree.
ENTRY_ROLES: dict[str, frozenset[str]] = {
    "household": frozenset({DISTRICT_ADMIN, SUBDISTRICT_ADMIN, INSPECTOR, COMMUNITY_WORKER}),
    # Field work. Leaders and supervision groups make spot checks and lead night-check operations.
    "inspection": frozenset({DISTRICT_ADMIN, DISTRICT_LEADER, SUBDISTRICT_ADMIN, INSPECTOR, COMMUNITY_WORKER}),
    "operation": frozenset({DISTRICT_ADMIN, DISTRICT_LEADER, SUBDISTRICT_ADMIN}),
    "fieldwork": frozenset({DISTRICT_ADMIN, SUBDISTRICT_ADMIN, INSPECTOR, COMMUNITY_WORKER}),
    "fieldwork_void": frozenset({DISTRICT_ADMIN, SUBDISTRICT_ADMIN}),
    # Cases: supervision raises them; the responsible unit rectifies; a unit above verifies and closes.
    "case_open": frozenset({DISTRICT_ADMIN, DISTRICT_LEADER, SUBDISTRICT_ADMIN}),
    "case_rectify": frozenset({DISTRICT_ADMIN, SUBDISTRICT_ADMIN, INSPECTOR, COMMUNITY_WORKER}),
    "case_verify": frozenset({DISTRICT_ADMIN, DISTRICT_LEADER, SUBDISTRICT_ADMIN}),
    "accountability": frozenset({DISTRICT_ADMIN, DISTRICT_LEADER, SUBDISTRICT_ADMIN}),
    # Digest channels (the work groups' robots) are configured by district and subdistrict administrators.
    "channel": frozenset({DISTRICT_ADMIN, SUBDISTRICT_ADMIN}),
    # The weekly ranking's weights and publishing belong to the district coal office.
    "ranking": frozenset({DISTRICT_ADMIN}),
    "household_void": frozenset({DISTRICT_ADMIN, SUBDISTRICT_ADMIN}),
    "membership": frozenset({DISTRICT_ADMIN}),
    "station": frozenset({DISTRICT_ADMIN}),
}

# Roles that work with residents directly and so see their full phone numbers; others see 138****1234.
PHONE_ROLES = frozenset({DISTRICT_ADMIN, SUBDISTRICT_ADMIN, COMMUNITY_WORKER})

NOTHING = Q(pk__in=[])  # Django answers this without a query


@dataclass(frozen=True)
class Grant:
    code: str
    role: str


def grants(user: AbstractBaseUser | None) -> tuple[Grant, ...]:
    """The user's active memberships as (division code, role), read once per user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ()
    cached = getattr(user, "_jurisdiction_grants", None)
    if cached is None:
        cached = tuple(Grant(code, role) for code, role in _GRANTS.rows(user.pk))
        user._jurisdiction_grants = cached
    return cached


def _grants_of(user_id):
    from .models import Membership

    return (
        Membership.objects.filter(user_id=user_id, is_active=True, division__is_active=True)
        .values_list("division__code", "role")
        .order_by("division__code")
    )


# Read for nearly every request: compiled once (coalgov.compiled).
_GRANTS = Compiled(_grants_of, EXAMPLE_KEY)


def forget_grants(user: AbstractBaseUser) -> None:
    """Drop the cached grants after memberships change (tests and services that change them)."""
    user.__dict__.pop("_jurisdiction_grants", None)


def is_unrestricted(user: AbstractBaseUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def _outermost(codes: list[str]) -> list[str]:
    """Drop codes that lie inside another code of the list: one condition per disjoint subtree."""
    kept: list[str] = []
    for code in sorted(set(codes)):
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    return kept


def view_codes(user: AbstractBaseUser | None) -> list[str] | None:
    """Roots of the subtrees the user may view; None means everything (superuser)."""
    if is_unrestricted(user):
        return None
    return _outermost([g.code for g in grants(user)])


def entry_codes(user: AbstractBaseUser | None, action: str) -> list[str] | None:
    """Roots of the subtrees where the user may enter `action` records; None means everywhere."""
    if is_unrestricted(user):
        return None
    roles = ENTRY_ROLES[action]
    return _outermost([g.code for g in grants(user) if g.role in roles])


def codes_q(codes: list[str] | None, field: str) -> Q:
    if codes is None:
        return Q()
    if not codes:
        return NOTHING
    q = Q()
    for code in codes:
        q |= Q(**{f"{field}__startswith": code})
    return q


def codes_above(codes) -> set[str]:
    """The codes of the units above these: each code's own beginnings (410103 above 410103006), to be matched
    exactly (by prefix, 4101 would also take in every other subdistrict's people). None (everything) has none."""
    return {code[:n] for code in codes or () for n in range(1, len(code))}


def covers(codes: list[str] | None, code: str) -> bool:
    return codes is None or any(code.startswith(c) for c in codes)


def can_view(user: AbstractBaseUser | None, division: Division) -> bool:
    return covers(view_codes(user), division.code)


def can_enter(user: AbstractBaseUser | None, division: Division, action: str) -> bool:
    return covers(entry_codes(user, action), division.code)


def ensure_can_enter(user: AbstractBaseUser | None, division: Division, action: str) -> None:
    """Raise PermissionDenied unless the user may enter `action` records in `division`."""
    if not can_enter(user, division, action):
        raise PermissionDenied(_("You may not enter records for %(division)s.") % {"division": division.name})


def has_role(user: AbstractBaseUser | None, *roles: str) -> bool:
    return is_unrestricted(user) or any(g.role in roles for g in grants(user))


def sees_phone(user: AbstractBaseUser | None, division_code: str) -> bool:
    """Whether the user sees the full phone number of a record in the division with this code."""
    if is_unrestricted(user):
        return True
    return any(g.role in PHONE_ROLES and division_code.startswith(g.code) for g in grants(user))


def phone_codes(user: AbstractBaseUser | None) -> list[str] | None:
    """Roots of the subtrees where the user sees full phone numbers; None means everywhere."""
    if is_unrestricted(user):
        return None
    return _outermost([g.code for g in grants(user) if g.role in PHONE_ROLES])


def mask_phone(phone: str) -> str:
    """138****1234: keep the first three and last four digits."""
    if len(phone) < 8:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


class ScopedQuerySet(models.QuerySet):
    """A queryset that can be restricted to a user's jurisdiction.

    Subclasses name the path to the division code that decides visibility in `scope_field`.
    """

    scope_field: str = "division_code"

    def visible_to(self, user: AbstractBaseUser | None) -> ScopedQuerySet:
        return self.filter(codes_q(view_codes(user), self.scope_field))

    def enterable_by(self, user: AbstractBaseUser | None, action: str) -> ScopedQuerySet:
        return self.filter(codes_q(entry_codes(user, action), self.scope_field))


def may_enter_somewhere(user: AbstractBaseUser | None, action: str) -> bool:
    """Whether the user may enter `action` records anywhere at all (to show or hide a button)."""
    return has_role(user, *ENTRY_ROLES[action])
