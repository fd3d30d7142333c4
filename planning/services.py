"""Every write of the night-check planner. Keyword-only, one transaction each, audited in it."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coalgov.audit import audit_record, weights_changed
from divisions.models import Division, Level
from divisions.scoping import can_enter, covers, ensure_can_enter, view_codes
from inspections.services import operation_create

from .models import NightPlan, PlanStop, PlanTeam, PlanWeights
from .selectors import DEFAULT_WEIGHTS, PART_KEYS, current_weights, district_of, night_in_progress, plan_candidates
from .walking import teams_for

LIMITS = {"stale_days": (1, 365), "rest_days": (0, 30)}
MAX_POINTS = 1000
MAX_TEAMS = 50
MAX_DOORS = 200


def may_set_weights(user, district: Division) -> bool:
    """The planner's weights belong to the district coal office, as the ranking's do (scoping rule "ranking")."""
    return can_enter(user, district, "ranking")


def check_weights(weights: dict) -> dict:
    """Whole numbers: points per reason (0–1000), stale days (1–365), rest days (0–30)."""
    if not isinstance(weights, dict) or set(weights) != set(DEFAULT_WEIGHTS):
        raise ValidationError({"weights": _("Give a weight for each reason, and only those.")})
    cleaned = {}
    for key in DEFAULT_WEIGHTS:
        value = weights[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError({"weights": _("Weights are whole numbers.")})
        low, high = LIMITS.get(key, (0, MAX_POINTS))
        if not low <= value <= high:
            raise ValidationError(
                {"weights": _("%(key)s must be from %(low)s to %(high)s.") % {"key": key, "low": low, "high": high}}
            )
        cleaned[key] = value
    if not any(cleaned[k] for k in PART_KEYS):
        raise ValidationError({"weights": _("At least one reason must weigh something.")})
    return cleaned


@transaction.atomic
def plan_weights_set(*, actor, district: Division, weights: dict, note: str = "") -> PlanWeights:
    """A new version of the district's planner weights; every plan made from now on uses it."""
    if not may_set_weights(actor, district):
        raise PermissionDenied
    cleaned = check_weights(weights)
    before, _version = current_weights(district)
    changed = weights_changed(before, cleaned)
    if not changed[1]:
        # A version the same as the one in use would be a history entry of nothing.
        raise ValidationError({"weights": _("These are the weights in use: nothing changed, nothing was saved.")})
    version = PlanWeights.objects.create(district=district, weights=cleaned, note=note.strip(), created_by=actor)
    audit_record(
        actor=actor,
        action="plan.weights_set",
        obj=version,
        division_code=district.code,
        changes={"weights": changed},
        reason=note.strip(),
    )
    return version


def check_size(teams: int, doors: int) -> None:
    if not (1 <= teams <= MAX_TEAMS and 1 <= doors <= MAX_DOORS):
        raise ValidationError(
            _("From 1 to %(teams)s teams of 1 to %(doors)s doors each.") % {"teams": MAX_TEAMS, "doors": MAX_DOORS}
        )


@transaction.atomic
def check_night(night: datetime.date) -> None:
    """A plan is for tonight or a night to come. A night gone by cannot be planned: its plan would score today's
    register and count today's visits as covering it (2016 typed for 2026 made such an operation)."""
    if night < night_in_progress():
        raise ValidationError(
            {
                "night": _("The night of %(night)s has passed: plan tonight (%(tonight)s) or a night to come.")
                % {"night": night.isoformat(), "tonight": night_in_progress().isoformat()}
            }
        )


def plan_operation_create(
    *,
    actor,
    unit: Division,
    night: datetime.date,
    teams: int,
    doors: int,
    title: str,
    leader: str,
    members: Sequence[Iterable] = (),
    client_uuid: uuid.UUID | None = None,
) -> tuple[NightPlan, bool]:
    """Turn tonight's plan for `unit` into a night-check operation (夜查行动) with its teams and their doors.

    The operation is made by inspections' own service (entry rights, dates, team members checked there); the
    plan keeps each team's doors as they were scored now. `members[i]` walk with team i + 1. A repeated
    client_uuid returns the first plan (created=False), so a double submission makes one operation.
    """
    ensure_can_enter(actor, unit, "operation")
    check_size(teams, doors)
    check_night(night)
    if client_uuid is not None:
        existing = NightPlan.objects.filter(operation__client_uuid=client_uuid).first()
        if existing is not None:
            return existing, False
    weights, version = current_weights(district_of(unit))
    plan_teams, _left = teams_for(
        plan_candidates(unit=unit, night=night, weights=weights, limit=min(4000, teams * doors * 4)),
        teams=teams,
        doors=doors,
    )
    if not any(t.stairwells for t in plan_teams):
        raise ValidationError(_("There is no place to suggest for this night: nothing to turn into an operation."))
    # A team's list shows only on its members' phones, and a plan's teams are not re-staffed afterwards: a team
    # with doors and nobody in it would leave its doors unchecked with no one told.
    members = [list(group) for group in members]
    staff = dict(enumerate(members, start=1))  # team N walks with members[N - 1]
    # Each refusal under the team it is about (team_N, as the plan page's form names the team's picker).
    unstaffed = {
        f"team_{t.number}": _(
            "Team %(teams)s has no one in it: its doors would show on no one's phone. Choose who walks with it."
        )
        % {"teams": t.number}
        for t in plan_teams
        if t.stops and not staff.get(t.number)
    }
    if unstaffed:
        raise ValidationError(unstaffed)
    # A member is shown only the team's doors they may see (a community's worker, those of the community):
    # a door that no member of its team may see would show on no one's phone.
    unseen = {}
    for team in plan_teams:
        scopes = [view_codes(person) for person in staff.get(team.number, [])]
        hidden = [s for s in team.stops if not any(covers(codes, s.division_code) for codes in scopes)]
        if hidden:
            unseen[f"team_{team.number}"] = ngettext(
                "%(count)d door of team %(team)s (%(first)s) lies outside every member's area and would show on no "
                "one's phone: add someone of %(unit)s to the team.",
                "%(count)d doors of team %(team)s (%(first)s, …) lie outside every member's area and would show on "
                "no one's phone: add someone of %(unit)s to the team.",
                len(hidden),
            ) % {"count": len(hidden), "team": team.number, "first": hidden[0].label, "unit": unit.name}
    if unseen:
        raise ValidationError(unseen)
    everyone = {user for group in members for user in group}
    if unit.level == Level.DISTRICT:
        codes = {stop.division_code[:9] for t in plan_teams for stop in t.stops}
        covered = list(Division.objects.filter(code__in=codes))
    else:
        covered = [unit]
    operation, created = operation_create(
        actor=actor,
        data={"division": unit, "date": night, "title": title, "leader": leader},
        team=everyone,
        covered=covered,
        client_uuid=client_uuid,
    )
    if not created:
        return NightPlan.objects.get(operation=operation), False
    plan = NightPlan.objects.create(
        division=unit,
        division_code=unit.code,
        date=night,
        teams=teams,
        doors_per_team=doors,
        weights=weights,
        weight_version=version,
        operation=operation,
        created_by=actor,
    )
    rows = PlanTeam.objects.bulk_create(PlanTeam(plan=plan, number=t.number) for t in plan_teams)
    for row, group in zip(rows, members, strict=False):
        row.members.set(group)
    PlanStop.objects.bulk_create(
        PlanStop(
            team=row,
            household_id=stop.pk,
            division_code=stop.division_code,
            position=position,
            score=stop.score,
            parts=stop.parts,
        )
        for row, team in zip(rows, plan_teams, strict=True)
        for position, stop in enumerate(team.stops, start=1)
    )
    audit_record(
        actor=actor,
        action="plan.created",
        obj=plan,
        division_code=plan.division_code,
        changes={
            "operation": [None, f"#{operation.pk} {operation.title}"],
            "teams": [None, teams],
            "doors_per_team": [None, doors],
            "stops": [None, sum(t.count for t in plan_teams)],
        },
    )
    return plan, True
