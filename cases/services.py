"""Every write to cases: open, rectify, verify, close, re-check, reopen, escalate. One transaction each.

Who may do what (by role and unit, see divisions.scoping.ENTRY_ROLES):
- open a case: the district office, leaders / supervision groups, subdistrict administrators, for units
  in their subtree;
- start and report rectification: the responsible unit (and the units above it that enter data there);
- verify (close, or return for more work): a unit strictly above the responsible unit; a district-level
  case (from a province, city or district notice, or assigned to a subdistrict) only the district.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from coalgov.audit import audit_record
from coalgov.compiled import EXAMPLE_KEY, EXAMPLE_MOMENT, Compiled
from coalgov.dates import PLANNING_AHEAD, date_check
from coalgov.models import AuditEvent
from divisions.models import Division, Level
from divisions.scoping import ENTRY_ROLES, can_enter, ensure_can_enter, grants, is_unrestricted
from households.models import Household
from inspections.models import Inspection
from inspections.photos import CheckedPhoto, photos_attach

from .models import Accountability, Case, CaseEvent, Notification, Recheck, SupervisionNotice
from .numbering import NUMBER_FIELDS, notice_number_assign

DISTRICT_CODE_LENGTH = 6
DISTRICT_LEVEL_NOTICES = {
    SupervisionNotice.Level.PROVINCE,
    SupervisionNotice.Level.CITY,
    SupervisionNotice.Level.DISTRICT,
}


def default_deadline(severity: str, opened_on: datetime.date | None = None) -> datetime.date:
    opened_on = opened_on or timezone.localdate()
    return opened_on + datetime.timedelta(days=settings.CASE_DEADLINE_DAYS[severity])


def _event(
    case: Case,
    *,
    actor,
    action: str,
    note: str = "",
    from_status: str = "",
    photos=(),
    changes=None,
    inspection: Inspection | None = None,
    old_deadline: datetime.date | None = None,
    new_deadline: datetime.date | None = None,
) -> CaseEvent:
    """One step of the case: its timeline row and its audit-log row, in the caller's transaction."""
    event = CaseEvent.objects.create(
        case=case,
        division_code=case.division_code,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        from_status=from_status,
        to_status=case.status,
        note=note,
        inspection=inspection,
        old_deadline=old_deadline,
        new_deadline=new_deadline,
    )
    if photos:
        photos_attach(actor=actor, subject=event, division_code=case.division_code, photos=photos)
    if changes is None:
        changes = {"status": [from_status, case.status]} if from_status and from_status != case.status else {}
    audit_record(
        actor=actor, action=f"case.{action}", obj=case, division_code=case.division_code, changes=changes, reason=note
    )
    return event


def _notify(case: Case, unit: Division, kind: str, about: datetime.date) -> None:
    """One notification per (kind, case, unit, day it is about), however often this runs."""
    Notification.objects.bulk_create(
        [
            Notification(
                division=unit,
                division_code=unit.code,
                case=case,
                kind=kind,
                key=f"{kind}:{case.pk}:{unit.pk}:{about.isoformat()}",
            )
        ],
        ignore_conflicts=True,
    )


def _check_unit(unit: Division) -> None:
    if unit.level not in (Level.SUBDISTRICT, Level.COMMUNITY, Level.GRID):
        raise ValidationError({"responsible_unit": _("A case is assigned to a subdistrict or a community.")})


@transaction.atomic
def case_open(
    *,
    actor,
    source: str,
    responsible_unit: Division,
    title: str,
    description: str = "",
    severity: str = Case.Severity.NORMAL,
    deadline: datetime.date | None = None,
    notice: SupervisionNotice | None = None,
    inspection: Inspection | None = None,
    household: Household | None = None,
    reporter_name: str = "",
    reporter_contact: str = "",
    check_entry: bool = True,
    client_uuid: uuid.UUID | None = None,
) -> Case:
    """Open a case. A case at a place that already has an unfinished case is linked to it as a duplicate.

    Idempotent by `client_uuid` (the case form's key): a clerk who went back and sent the form again, or two sends
    at once (the second waits on the unique index, then finds the first), get the one case it opened."""
    if client_uuid is not None and (existing := Case.objects.filter(client_uuid=client_uuid).first()):
        return existing
    try:
        with transaction.atomic():
            return _case_open(
                actor=actor,
                source=source,
                responsible_unit=responsible_unit,
                title=title,
                description=description,
                severity=severity,
                deadline=deadline,
                notice=notice,
                inspection=inspection,
                household=household,
                reporter_name=reporter_name,
                reporter_contact=reporter_contact,
                check_entry=check_entry,
                client_uuid=client_uuid,
            )
    except IntegrityError:
        existing = Case.objects.filter(client_uuid=client_uuid).first() if client_uuid is not None else None
        if existing is None:
            raise
        return existing


def _case_open(
    *,
    actor,
    source: str,
    responsible_unit: Division,
    title: str,
    description: str = "",
    severity: str = Case.Severity.NORMAL,
    deadline: datetime.date | None = None,
    notice: SupervisionNotice | None = None,
    inspection: Inspection | None = None,
    household: Household | None = None,
    reporter_name: str = "",
    reporter_contact: str = "",
    check_entry: bool = True,
    unfinished_known_none: bool = False,
    client_uuid: uuid.UUID | None = None,
) -> Case:
    """case_open's work, in the caller's transaction. `unfinished_known_none`: the caller has just found, inside
    this transaction, that the place has no unfinished case, so the case cannot be a duplicate."""
    if check_entry:
        ensure_can_enter(actor, responsible_unit, "case_open")
    _check_unit(responsible_unit)
    if household is not None and not household.division_code.startswith(responsible_unit.code):
        raise ValidationError({"household": _("The place is not in the responsible unit.")})
    deadline = deadline or default_deadline(severity)
    date_check(deadline, field="deadline", ahead=PLANNING_AHEAD)  # year 1 or 9999 is a typing slip
    if deadline < timezone.localdate():
        raise ValidationError({"deadline": _("The deadline has already passed.")})
    original = None
    if household is not None and not unfinished_known_none:
        original = Case.objects.counted().unfinished().filter(household=household).order_by("opened_at", "id").first()
    case = Case(
        source=source,
        notice=notice,
        inspection=inspection,
        household=household,
        responsible_unit=responsible_unit,
        division_code=responsible_unit.code,
        title=title,
        description=description,
        severity=severity,
        deadline=deadline,
        duplicate_of=original,
        reporter_name=reporter_name,
        reporter_contact=reporter_contact,
        opened_by=actor,
        client_uuid=client_uuid,
    )
    # client_uuid: the unique index decides (case_open answers a repeat with the first case).
    case.full_clean(
        exclude=["notice", "inspection", "household", "responsible_unit", "opened_by", "duplicate_of", "client_uuid"]
    )
    if original is None:
        # The notice is issued as the case opens: numbered and dated today, once. A duplicate is fixed under its
        # original's notice and takes no number (cases/numbering.py).
        notice_number_assign(case)
    case.save()
    _event(
        case,
        actor=actor,
        action=CaseEvent.Action.OPENED,
        changes={"title": [None, title], "deadline": [None, deadline.isoformat()], "source": [None, source]},
    )
    if original is not None:
        _event(
            case,
            actor=actor,
            action=CaseEvent.Action.DUPLICATE,
            note=_("Duplicate of case #%(n)s") % {"n": original.pk},
        )
    return case


@dataclass(frozen=True)
class ProblemInput:
    responsible_unit: Division
    title: str
    severity: str = Case.Severity.NORMAL
    deadline: datetime.date | None = None
    description: str = ""
    household: Household | None = None


@transaction.atomic
def notice_record(
    *,
    actor,
    division: Division,
    number: str,
    issued_on: datetime.date,
    level: str,
    title: str,
    text: str = "",
    problems: Sequence[ProblemInput] = (),
) -> SupervisionNotice:
    """Enter a supervision notice and open one case per problem it lists, all at once or not at all."""
    ensure_can_enter(actor, division, "case_open")
    if SupervisionNotice.objects.filter(division=division, number=number).exists():
        raise ValidationError({"number": _("A notice with this number has already been entered.")})
    if not problems:
        raise ValidationError({"problems": _("List at least one problem.")})
    date_check(issued_on, field="issued_on")
    for line, problem in enumerate(problems, start=1):
        try:
            date_check(problem.deadline, ahead=PLANNING_AHEAD)
        except ValidationError as exc:
            raise ValidationError(
                {"problems": _("Problem %(n)s: %(error)s") % {"n": line, "error": exc.messages[0]}}
            ) from exc
    notice = SupervisionNotice(
        division=division,
        division_code=division.code,
        number=number,
        issued_on=issued_on,
        level=level,
        title=title,
        text=text,
        recorded_by=actor,
    )
    notice.full_clean(exclude=["division", "recorded_by"])
    notice.save()
    for problem in problems:
        if not problem.responsible_unit.is_within(division):
            raise ValidationError(
                {
                    "problems": _("%(unit)s is outside %(division)s.")
                    % {"unit": problem.responsible_unit.name, "division": division.name}
                }
            )
        case_open(
            actor=actor,
            source=Case.Source.NOTICE,
            notice=notice,
            responsible_unit=problem.responsible_unit,
            title=problem.title,
            description=problem.description,
            severity=problem.severity,
            deadline=problem.deadline,
            household=problem.household,
        )
    audit_record(
        actor=actor,
        action="notice.recorded",
        obj=notice,
        division_code=division.code,
        changes={"number": [None, number], "problems": [None, len(problems)]},
    )
    return notice


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("responsible_unit", "notice").get(pk=case.pk)


# The code of the refusal of a step the case's state no longer allows (another tab, person or request took a step
# first, under the case's lock): the page and the API answer it as a conflict (409), not as bad input.
STATE_CHANGED = "case_state_changed"


def state_label(case: Case) -> str:
    """The case's state as the pages say it: 已作废 for a voided case, whatever step it had reached."""
    return pgettext("a case's state", "voided") if case.voided_at is not None else case.get_status_display()


def _require_status(case: Case, *allowed: str) -> None:
    if case.voided_at is not None or case.status not in allowed:
        raise ValidationError(
            _("This case is %(status)s; that step is not possible now.") % {"status": state_label(case)},
            code=STATE_CHANGED,
        )


def is_district_level(case: Case) -> bool:
    return bool(case.notice and case.notice.level in DISTRICT_LEVEL_NOTICES) or (
        case.responsible_unit.level == Level.SUBDISTRICT
    )


def can_verify(actor, case: Case) -> bool:
    """A unit strictly above the responsible unit verifies; a district-level case only the district."""
    if is_unrestricted(actor):
        return True
    district_only = is_district_level(case)
    for grant in grants(actor):
        above = case.division_code.startswith(grant.code) and len(grant.code) < len(case.division_code)
        high_enough = not district_only or len(grant.code) <= DISTRICT_CODE_LENGTH
        if above and high_enough and grant.role in ENTRY_ROLES["case_verify"]:
            return True
    return False


def can_rectify(actor, case: Case) -> bool:
    return can_enter(actor, case.responsible_unit, "case_rectify")


@transaction.atomic
def case_start(*, actor, case: Case, note: str = "") -> Case:
    case = _locked(case)
    if not can_rectify(actor, case):
        raise PermissionDenied
    _require_status(case, Case.Status.OPEN)
    case.status = Case.Status.RECTIFYING
    case.save(update_fields=["status"])
    _event(case, actor=actor, action=CaseEvent.Action.STARTED, from_status=Case.Status.OPEN, note=note)
    return case


@transaction.atomic
def case_rectify(*, actor, case: Case, note: str, photos: Sequence[CheckedPhoto]) -> Case:
    """Report the problem fixed: a note and at least one photo as evidence."""
    case = _locked(case)
    if not can_rectify(actor, case):
        raise PermissionDenied
    _require_status(case, Case.Status.OPEN, Case.Status.RECTIFYING)
    if not note.strip():
        raise ValidationError({"note": _("Say what was done.")})
    if not photos:
        raise ValidationError({"photos": _("Add at least one photo as evidence.")})
    before = case.status
    case.status = Case.Status.RECTIFIED
    case.save(update_fields=["status"])
    _event(case, actor=actor, action=CaseEvent.Action.RECTIFIED, from_status=before, note=note, photos=photos)
    return case


@transaction.atomic
def case_return(*, actor, case: Case, note: str) -> Case:
    """The verifying unit finds the work not done: back to the responsible unit."""
    case = _locked(case)
    if not can_verify(actor, case):
        raise PermissionDenied
    _require_status(case, Case.Status.RECTIFIED)
    if not note.strip():
        raise ValidationError({"note": _("Say what is still wrong.")})
    case.status = Case.Status.RECTIFYING
    case.save(update_fields=["status"])
    _event(case, actor=actor, action=CaseEvent.Action.RETURNED, from_status=Case.Status.RECTIFIED, note=note)
    return case


@transaction.atomic
def case_close(*, actor, case: Case, note: str = "") -> Case:
    """Verify and close; schedule the 回头看 re-checks (RECHECK_DAYS after today)."""
    case = _locked(case)
    if not can_verify(actor, case):
        raise PermissionDenied
    _require_status(case, Case.Status.RECTIFIED)
    case.status = Case.Status.CLOSED
    case.closed_at = timezone.now()
    case.save(update_fields=["status", "closed_at"])
    _event(case, actor=actor, action=CaseEvent.Action.CLOSED, from_status=Case.Status.RECTIFIED, note=note)
    # A report of the place registered after the unit reported it rectified (a tip-off that the coal is back) was
    # linked to this case as its duplicate; closed with it, it was listed and counted nowhere while still open.
    _duplicates_stand_alone(case, actor=actor, reported_after=_last_reported(case))
    if case.household_id is None:
        return case  # a 回头看 is a visit to the place: a case with no place has none to wait for
    today = timezone.localdate()
    Recheck.objects.bulk_create(
        [
            Recheck(case=case, division_code=case.division_code, due_on=today + datetime.timedelta(days=days))
            for days in settings.RECHECK_DAYS
        ],
        ignore_conflicts=True,
    )
    return case


@transaction.atomic
def case_set_deadline(*, actor, case: Case, deadline: datetime.date, reason: str) -> Case:
    """Move a deadline (the verifying unit decides); a case given time again is no longer overdue."""
    case = _locked(case)
    if not can_verify(actor, case):
        raise PermissionDenied
    _require_status(case, Case.Status.OPEN, Case.Status.RECTIFYING, Case.Status.RECTIFIED)
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for the new deadline.")})
    date_check(deadline, field="deadline", ahead=PLANNING_AHEAD)
    if deadline < timezone.localdate():
        raise ValidationError({"deadline": _("The deadline has already passed.")})
    old = case.deadline
    case.deadline = deadline
    if case.overdue_since and deadline >= timezone.localdate():
        # Given time again: no longer overdue, and no further escalation until it is overdue again.
        case.overdue_since = case.escalation_due = None
    case.save(update_fields=["deadline", "overdue_since", "escalation_due"])
    _event(
        case,
        actor=actor,
        action=CaseEvent.Action.DEADLINE,
        from_status=case.status,
        note=reason,
        changes={"deadline": [old.isoformat(), deadline.isoformat()]},
        old_deadline=old,
        new_deadline=deadline,
    )
    return case


@transaction.atomic
def case_void(*, actor, case: Case, reason: str) -> Case:
    case = _locked(case)
    if not can_verify(actor, case):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for voiding.")})
    if case.voided_at is None:
        case.voided_at, case.void_reason = timezone.now(), reason
        case.save(update_fields=["voided_at", "void_reason"])
        # A voided case waits for no 回头看: its scheduled ones stayed on the units' lists of visits due.
        case.rechecks.filter(status=Recheck.Status.SCHEDULED).update(status=Recheck.Status.CANCELLED)
        successor = _duplicates_stand_alone(case, actor=actor)
        # The voided case's own record names the case that now stands for the place.
        note = reason
        if successor is not None:
            note = _("%(reason)s (case #%(n)s, its duplicate, is now the case of the place)") % {
                "reason": reason,
                "n": successor.pk,
            }
        _event(case, actor=actor, action=CaseEvent.Action.VOIDED, from_status=case.status, note=note)
    return case


def _duplicates_stand_alone(original: Case, *, actor, reported_after=None) -> Case | None:
    """The duplicates of a case voided, or those of a case closed that were registered after it was reported
    rectified (`reported_after`) and are still open: the earliest becomes the case of the place (counted, listed,
    its notice issued and numbered today), and the others its duplicates. Left linked to the original they were
    listed nowhere by default and counted nowhere, while the problem they report was still open."""
    closed = original.status == Case.Status.CLOSED and original.voided_at is None
    duplicates = Case.objects.current().filter(duplicate_of=original)
    if closed:
        if reported_after is None:
            return None
        duplicates = duplicates.filter(opened_at__gt=reported_after).exclude(status=Case.Status.CLOSED)
    duplicates = list(
        duplicates.select_for_update(of=("self",)).select_related("responsible_unit").order_by("opened_at", "id")
    )
    if not duplicates:
        return None
    first, *others = duplicates
    first.duplicate_of = None
    notice_number_assign(first)
    first.save(update_fields=["duplicate_of", *NUMBER_FIELDS])
    _event(
        first,
        actor=actor,
        action=CaseEvent.Action.STANDALONE,
        # By number, as every case note names a case; the documents write the clerk's reference (cases.documents).
        note=(
            _(
                "The original, case #%(old)s, was verified and closed; this was reported after its rectification "
                "was: this is now the case of the place."
            )
            if closed
            else _("The original, case #%(old)s, was voided: this is now the case of the place.")
        )
        % {"old": original.pk},
    )
    for case in others:
        case.duplicate_of = first
        case.save(update_fields=["duplicate_of"])
        _event(
            case,
            actor=actor,
            action=CaseEvent.Action.DUPLICATE,
            note=(
                _("The original, case #%(old)s, was verified and closed: now a duplicate of case #%(n)s")
                if closed
                else _("The original, case #%(old)s, was voided: now a duplicate of case #%(n)s")
            )
            % {"old": original.pk, "n": first.pk},
        )
    return first


# The keys and steps of a place's counted cases closed before a moment or reported rectified, locked: asked for
# every visit recorded, so compiled once (coalgov.compiled), and one statement for both.
_SETTLED = Compiled(
    lambda household_id, moment: (
        Case.objects.counted()
        .filter(
            Q(status=Case.Status.CLOSED, closed_at__lt=moment) | Q(status=Case.Status.RECTIFIED),
            household_id=household_id,
        )
        .select_for_update()
        .values_list("pk", "status")
    ),
    EXAMPLE_KEY,
    EXAMPLE_MOMENT,
)


def visit_recorded(*, actor, inspection: Inspection) -> None:
    """React to a visit, inside its transaction: re-checks, rebounds, and cases from night-check findings.

    - a visit after a case closed, by a team that got in, completes the earliest re-check due by then
      (a re-check may be done up to RECHECK_EARLY_DAYS early); one that finds coal completes the earliest
      scheduled re-check whatever its date;
    - coal found there after the case closed is a rebound: the case reopens, counts a rebound and is flagged
      for accountability (a finding dated before the closing, synced late from a phone, is not);
    - with CASES_FROM_FINDINGS on, coal found by a night check at a place with no unfinished case opens one
      for the place's community.
    """
    household = inspection.household
    today = timezone.localdate(inspection.started_at)
    saw_inside = inspection.outcome not in (Inspection.Outcome.REFUSED, Inspection.Outcome.NOBODY_HOME)
    early = today + datetime.timedelta(days=settings.RECHECK_EARLY_DAYS)
    # Most places never had a case closed: their keys alone (locked) say so, without reading whole cases.
    settled = _SETTLED.rows(household.pk, _minute_end(inspection.started_at))
    closed = [pk for pk, status in settled if status == Case.Status.CLOSED]
    for case in Case.objects.filter(pk__in=closed) if closed else ():
        # A clean visit counts as a re-check only near its date; a visit that finds coal again answers the
        # re-check's question whenever it comes, so it completes the earliest one (shown done, with what it found)
        # and only the later ones are cancelled with the reopening.
        due = Recheck.objects.none() if not saw_inside else case.rechecks.filter(status=Recheck.Status.SCHEDULED)
        if not inspection.found_coal:
            due = due.filter(due_on__lte=early)
        recheck = due.order_by("due_on").first()
        if recheck is not None:
            recheck.status, recheck.inspection = Recheck.Status.DONE, inspection
            recheck.save(update_fields=["status", "inspection"])
            _event(
                case,
                actor=actor,
                action=CaseEvent.Action.RECHECKED,
                from_status=case.status,
                note=inspection.get_outcome_display(),
                inspection=inspection,
            )
        if inspection.found_coal:
            old_deadline = case.deadline
            case.status = Case.Status.OPEN
            case.rebounds += 1
            case.accountability_flagged = True
            case.closed_at = None
            case.overdue_since = None
            case.deadline = default_deadline(Case.Severity.SERIOUS, today)
            case.save(
                update_fields=["status", "rebounds", "accountability_flagged", "closed_at", "overdue_since", "deadline"]
            )
            case.rechecks.filter(status=Recheck.Status.SCHEDULED).update(status=Recheck.Status.CANCELLED)
            _event(
                case,
                actor=actor,
                action=CaseEvent.Action.REOPENED,
                from_status=Case.Status.CLOSED,
                changes={
                    "status": [Case.Status.CLOSED, Case.Status.OPEN],
                    "rebounds": [case.rebounds - 1, case.rebounds],
                    "deadline": [old_deadline.isoformat(), case.deadline.isoformat()],
                },
                inspection=inspection,
                # The record says the deadline changed, as a 调整整改期限 entry does (the sheet prints 由…调整为…).
                old_deadline=old_deadline,
                new_deadline=case.deadline,
            )
            _notify(case, case.responsible_unit, Notification.Kind.REBOUND, today)
            _merged_into_reopened(case, household, actor=actor)
    reported = [pk for pk, status in settled if status == Case.Status.RECTIFIED]
    if inspection.found_coal and reported:
        _returned_by_finding(reported, inspection, actor=actor, today=today)
    if (
        settings.CASES_FROM_FINDINGS
        and inspection.found_coal
        and inspection.kind == Inspection.Kind.NIGHT_CHECK
        and not Case.objects.counted().unfinished().filter(household=household).exists()
    ):
        # Inside the visit's transaction, which holds the household's row (inspections.rollups): no other visit
        # there can open a case before this one commits, so the look-up above stands and the case is no duplicate.
        _case_open(
            actor=actor,
            source=Case.Source.NIGHT_CHECK,
            inspection=inspection,
            household=household,
            responsible_unit=household.division,
            title=(_("%(outcome)s at %(place)s") % {"outcome": inspection.get_outcome_display(), "place": household})[
                :200
            ],
            severity=Case.Severity.NORMAL,
            check_entry=False,  # the finding opens it, whoever recorded the visit
            unfinished_known_none=True,
        )


def _last_reported(case: Case) -> datetime.datetime | None:
    """When the case was last reported rectified (None: never)."""
    return case.events.filter(action=CaseEvent.Action.RECTIFIED).order_by("-at").values_list("at", flat=True).first()


def _minute_end(moment: datetime.datetime) -> datetime.datetime:
    """The end of a visit's minute, as what it is compared with: a visit entered on the page has no seconds (the form
    takes minutes), so one entered "now" read as before a report or closing made seconds earlier in that minute,
    and was ignored. A step in the same minute as the visit counts as before it."""
    return moment.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)


def _merged_into_reopened(case: Case, household, *, actor) -> None:
    """A place counts one unfinished case. One registered there after `case` closed (a tip-off that stood alone when
    it was closed: _duplicates_stand_alone) joins `case`, reopened by a rebound, as its duplicate: two open cases
    at one place were both listed, counted and due."""
    others = Case.objects.counted().unfinished().filter(household=household).exclude(pk=case.pk)
    for other in others.select_for_update(of=("self",)):
        other.duplicate_of = case
        other.save(update_fields=["duplicate_of"])
        note = _("Case #%(n)s at this place was reopened (coal found again): this case is now its duplicate.")
        _event(other, actor=actor, action=CaseEvent.Action.DUPLICATE, note=note % {"n": case.pk})


def _returned_by_finding(keys: list[int], inspection: Inspection, *, actor, today: datetime.date) -> None:
    """Coal found at a place whose case was reported rectified before the visit: the rectification did not hold,
    so the case goes back to the responsible unit (退回), as its verifier would send it, with the visit named.
    Before this, the finding left no trace on the case and the verifier could close it as rectified."""
    for case in Case.objects.filter(pk__in=keys):  # locked by _SETTLED
        reported = _last_reported(case)
        if reported is None or _minute_end(inspection.started_at) <= reported.replace(second=0, microsecond=0):
            continue  # a finding from before the report (synced late from a phone) is what the report fixed
        case.status = Case.Status.RECTIFYING
        case.save(update_fields=["status"])
        note = _("Coal found again by the visit of %(when)s after the report: back to the responsible unit.") % {
            "when": date_format(timezone.localtime(inspection.started_at), "DATETIME_FORMAT")
        }
        _event(
            case,
            actor=actor,
            action=CaseEvent.Action.RETURNED,
            from_status=Case.Status.RECTIFIED,
            note=note,
            inspection=inspection,
        )
        _notify(case, case.responsible_unit, Notification.Kind.REBOUND, today)


def visit_voided(*, actor, inspection: Inspection) -> None:
    """Undo what a voided visit did to cases, inside the void's transaction.

    A re-check it completed is scheduled again. A reopening it caused is undone — the case closed again as it
    was, the rebound no longer counted, a case that joined it as a duplicate alone again — unless the unit has
    already worked on the reopened case; then the timeline records that the visit was voided and the case stays
    as it is. A case it sent back (_returned_by_finding) awaits its verifier again unless reported or closed since.
    """
    for recheck in Recheck.objects.filter(inspection=inspection, status=Recheck.Status.DONE).select_related("case"):
        # To be done again, unless its case was voided since (a voided case waits for no 回头看: case_void).
        if recheck.case.voided_at is not None:
            recheck.status, recheck.inspection = Recheck.Status.CANCELLED, None
            recheck.save(update_fields=["status", "inspection"])
            continue
        recheck.status, recheck.inspection = Recheck.Status.SCHEDULED, None
        recheck.save(update_fields=["status", "inspection"])
        note = _("Re-check of %(date)s to be done again") % {"date": recheck.due_on}
        _event(recheck.case, actor=actor, action=CaseEvent.Action.UNDONE, note=note, inspection=inspection)
    voided_note = _("The visit that reopened this case was voided.")
    for reopening in CaseEvent.objects.filter(inspection=inspection, action=CaseEvent.Action.REOPENED):
        case = _locked(reopening.case)
        worked_on = case.events.filter(
            at__gt=reopening.at, action__in=[CaseEvent.Action.STARTED, CaseEvent.Action.RECTIFIED]
        ).exists()
        if case.status != Case.Status.OPEN or worked_on:
            _event(case, actor=actor, action=CaseEvent.Action.UNDONE, note=voided_note, inspection=inspection)
            continue
        closing = case.events.filter(action=CaseEvent.Action.CLOSED, at__lt=reopening.at).order_by("-at").first()
        reopened_deadline, earlier_deadline = case.deadline, _deadline_before(case, reopening)
        case.status = Case.Status.CLOSED
        case.rebounds = max(case.rebounds - 1, 0)
        case.accountability_flagged = case.rebounds > 0
        case.closed_at = closing.at if closing else timezone.now()
        case.deadline = earlier_deadline or case.deadline
        case.save(update_fields=["status", "rebounds", "accountability_flagged", "closed_at", "deadline"])
        if closing is not None and case.voided_at is None:
            closed_on = timezone.localdate(closing.at)
            due = [closed_on + datetime.timedelta(days=days) for days in settings.RECHECK_DAYS]
            case.rechecks.filter(status=Recheck.Status.CANCELLED, due_on__in=due).update(
                status=Recheck.Status.SCHEDULED
            )
        _event(
            case,
            actor=actor,
            action=CaseEvent.Action.UNDONE,
            from_status=Case.Status.OPEN,
            note=voided_note,
            inspection=inspection,
            changes={
                "status": [Case.Status.OPEN, Case.Status.CLOSED],
                "rebounds": [case.rebounds + 1, case.rebounds],
                "deadline": [reopened_deadline.isoformat(), case.deadline.isoformat()],
            },
        )
        # A case of the place that joined it as a duplicate when it reopened (_merged_into_reopened) stands alone
        # again, as it did before the visit.
        _duplicates_stand_alone(case, actor=actor, reported_after=_last_reported(case))
    sent_back_note = _("The visit that sent this case back was voided.")
    for sending_back in CaseEvent.objects.filter(inspection=inspection, action=CaseEvent.Action.RETURNED):
        case = _locked(sending_back.case)
        worked_on = case.events.filter(
            at__gt=sending_back.at, action__in=[CaseEvent.Action.RECTIFIED, CaseEvent.Action.CLOSED]
        ).exists()
        if case.status == Case.Status.RECTIFYING and case.voided_at is None and not worked_on:
            case.status = Case.Status.RECTIFIED  # awaiting its verifier again, as before the visit
            case.save(update_fields=["status"])
        _event(case, actor=actor, action=CaseEvent.Action.UNDONE, note=sent_back_note, inspection=inspection)


def _deadline_before(case: Case, reopening: CaseEvent) -> datetime.date | None:
    """The deadline a reopening replaced, as its audit row recorded it."""
    audit = (
        AuditEvent.objects.for_object(case).filter(action="case.reopened", at__gte=reopening.at).order_by("at").first()
    )
    deadline = (audit.changes or {}).get("deadline") if audit else None
    return datetime.date.fromisoformat(deadline[0]) if deadline else None


def cases_check_deadlines(*, today: datetime.date | None = None) -> dict[str, int]:
    """The periodic task's work: remind a day before, mark overdue and escalate one level up.

    Idempotent: each case is reminded once per deadline, marked overdue and escalated once; running it
    again the same day (or twice at once: rows are claimed with SKIP LOCKED) changes nothing more.
    """
    today = today or timezone.localdate()
    done = {"reminded": 0, "overdue": 0}
    tomorrow = today + datetime.timedelta(days=1)
    due = Case.objects.counted().unfinished().exclude(status=Case.Status.RECTIFIED)
    for pk in due.filter(deadline=tomorrow).exclude(reminded_for=tomorrow).values_list("pk", flat=True):
        with transaction.atomic():
            case = due.select_for_update(skip_locked=True).filter(pk=pk).exclude(reminded_for=tomorrow).first()
            if case is None:
                continue
            case.reminded_for = case.deadline
            case.save(update_fields=["reminded_for"])
            _event(case, actor=None, action=CaseEvent.Action.REMINDED, from_status=case.status)
            _notify(case, case.responsible_unit, Notification.Kind.REMINDER, case.deadline)
            done["reminded"] += 1
    for pk in due.filter(deadline__lt=today, overdue_since=None).values_list("pk", flat=True):
        with transaction.atomic():
            case = (
                due.select_for_update(skip_locked=True, of=("self",))
                .select_related("responsible_unit__parent")
                .filter(pk=pk, overdue_since=None)
                .first()
            )
            if case is None:
                continue
            case.overdue_since = today
            above = case.responsible_unit.parent
            if case.escalated_to_id is None and above is not None:
                case.escalated_to = above
            case.escalation_due = _escalation_due(case.escalated_to, today)
            case.save(update_fields=["overdue_since", "escalated_to", "escalation_due"])
            _event(case, actor=None, action=CaseEvent.Action.OVERDUE, from_status=case.status)
            _notify(case, case.responsible_unit, Notification.Kind.OVERDUE, case.deadline)
            if case.escalated_to is not None:
                _event(
                    case,
                    actor=None,
                    action=CaseEvent.Action.ESCALATED,
                    from_status=case.status,
                    note=case.escalated_to.name,
                )
                _notify(case, case.escalated_to, Notification.Kind.ESCALATED, case.deadline)
            done["overdue"] += 1
    done["escalated"] = _escalate_further(due, today)
    done["proposed"] = accountability_propose(today=today)
    return done


def _escalation_due(unit: Division | None, today: datetime.date) -> datetime.date | None:
    """The escalated unit's deadline; none once the case has reached the district (the top of the three)."""
    if unit is None or unit.level == Level.DISTRICT:
        return None
    return today + datetime.timedelta(days=settings.CASE_ESCALATION_DAYS)


def _escalate_further(due, today: datetime.date) -> int:
    """Still overdue after the escalated deadline: one more level up (community → subdistrict → district).

    The claim filters on `escalation_due < today` and the step moves it past today (or clears it at the
    district), so a second run the same morning, or a second worker, finds nothing to do."""
    escalated = 0
    waiting = due.filter(overdue_since__isnull=False, escalation_due__lt=today, escalated_to__isnull=False)
    for pk in waiting.values_list("pk", flat=True):
        with transaction.atomic():
            case = (
                waiting.select_for_update(skip_locked=True, of=("self",))
                .select_related("escalated_to__parent")
                .filter(pk=pk)
                .first()
            )
            if case is None:
                continue
            above = case.escalated_to.parent if case.escalated_to.level != Level.DISTRICT else None
            if above is None:
                case.escalation_due = None
                case.save(update_fields=["escalation_due"])
                continue
            case.escalated_to = above
            case.escalation_due = _escalation_due(above, today)
            case.save(update_fields=["escalated_to", "escalation_due"])
            _event(case, actor=None, action=CaseEvent.Action.ESCALATED, from_status=case.status, note=above.name)
            _notify(case, above, Notification.Kind.ESCALATED, today)
            escalated += 1
    return escalated


ACCOUNTABILITY_LEVELS = {
    Level.DISTRICT: Accountability.Level.DISTRICT,
    Level.SUBDISTRICT: Accountability.Level.SUBDISTRICT,
    Level.COMMUNITY: Accountability.Level.COMMUNITY,
    Level.GRID: Accountability.Level.COMMUNITY,
}


@transaction.atomic
def accountability_record(
    *,
    actor,
    kind: str,
    unit: Division,
    reason: str,
    decided_on: datetime.date | None = None,
    person: str = "",
    cases: Sequence[Case] = (),
) -> Accountability:
    """Record praise, criticism, an interview or another measure against a unit (and a person in it)."""
    ensure_can_enter(actor, unit, "accountability")
    if unit.level not in ACCOUNTABILITY_LEVELS:
        raise ValidationError({"unit": _("Measures are taken against a district, a subdistrict or a community.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    date_check(decided_on, field="decided_on")
    for case in cases:
        if not case.division_code.startswith(unit.code):
            raise ValidationError({"cases": _("Case #%(n)s is not the unit's.") % {"n": case.pk}})
    record = Accountability.objects.create(
        kind=kind,
        level=ACCOUNTABILITY_LEVELS[unit.level],
        unit=unit,
        division_code=unit.code,
        person=person,
        reason=reason,
        decided_on=decided_on or timezone.localdate(),
        recorded_by=actor,
    )
    record.cases.set(cases)
    audit_record(
        actor=actor,
        action="accountability.recorded",
        obj=record,
        division_code=unit.code,
        changes={"kind": [None, kind], "person": [None, person]},
        reason=reason,
    )
    return record


def _proposal_rules() -> list[tuple[str, str]]:
    return [(Accountability.Kind.CRITICISM, "overdue"), (Accountability.Kind.INTERVIEW, "rebounds")]


def _unproposed(kind: str, rule: str, today: datetime.date, unit_code: str | None = None):
    """The cases a rule counts that no measure of `kind` (proposed, confirmed or dismissed) covers yet:
    a case is proposed once for each kind, so a dismissed proposal does not come back every morning."""
    cases = Case.objects.counted().exclude(accountability__kind=kind)
    if unit_code is not None:
        cases = cases.filter(division_code=unit_code)
    if rule == "overdue":
        since = today - datetime.timedelta(days=settings.ACCOUNTABILITY_WINDOW_DAYS)
        return cases.filter(overdue_since__gte=since)
    return cases.filter(rebounds__gt=0)


def accountability_propose(*, today: datetime.date | None = None) -> int:
    """Propose measures the district office then confirms or dismisses (the morning task's last step):

    - criticism (通报批评) of a unit with ACCOUNTABILITY_OVERDUE_CASES cases overdue within
      ACCOUNTABILITY_WINDOW_DAYS;
    - an interview (约谈) of a unit whose cases rebounded ACCOUNTABILITY_REBOUNDS times.

    Each unit is locked while its proposal is made and the cases are linked to it, so a second run (or a
    second worker) finds them covered and proposes nothing more.
    """
    today = today or timezone.localdate()
    thresholds = {"overdue": settings.ACCOUNTABILITY_OVERDUE_CASES, "rebounds": settings.ACCOUNTABILITY_REBOUNDS}
    proposed = 0
    for kind, rule in _proposal_rules():
        counted = Count("pk") if rule == "overdue" else Sum("rebounds")
        units = (
            _unproposed(kind, rule, today)
            .values("responsible_unit")
            .annotate(n=counted)
            .filter(n__gte=thresholds[rule])
            .values_list("responsible_unit", flat=True)
        )
        for unit_id in list(units):
            with transaction.atomic():
                unit = Division.objects.select_for_update().get(pk=unit_id)
                cases = list(_unproposed(kind, rule, today, unit.code).order_by("id"))
                n = len(cases) if rule == "overdue" else sum(case.rebounds for case in cases)
                if n < thresholds[rule] or unit.level not in ACCOUNTABILITY_LEVELS:
                    continue
                numbers = "、".join(f"#{case.pk}" for case in cases)
                if rule == "overdue":
                    reason = _("%(n)s cases overdue within %(days)s days: %(cases)s") % {
                        "n": n,
                        "days": settings.ACCOUNTABILITY_WINDOW_DAYS,
                        "cases": numbers,
                    }
                else:
                    reason = _("Coal found again %(n)s times after cases were closed: %(cases)s") % {
                        "n": n,
                        "cases": numbers,
                    }
                record = Accountability.objects.create(
                    kind=kind,
                    level=ACCOUNTABILITY_LEVELS[unit.level],
                    unit=unit,
                    division_code=unit.code,
                    reason=reason,
                    decided_on=today,
                    status=Accountability.Status.PROPOSED,
                )
                record.cases.set(cases)
                audit_record(
                    actor=None,
                    action="accountability.proposed",
                    obj=record,
                    division_code=unit.code,
                    changes={"kind": [None, kind], "cases": [None, [case.pk for case in cases]]},
                    reason=reason,
                )
                proposed += 1
    return proposed


def can_decide(actor, record: Accountability) -> bool:
    """A proposed measure is the district office's to confirm or dismiss."""
    if is_unrestricted(actor):
        return True
    return any(
        len(grant.code) <= DISTRICT_CODE_LENGTH
        and record.division_code.startswith(grant.code)
        and grant.role in ENTRY_ROLES["accountability"]
        for grant in grants(actor)
    )


@transaction.atomic
def accountability_decide(*, actor, record: Accountability, confirm: bool, note: str = "") -> Accountability:
    """Confirm a proposed measure (it then counts as recorded, dated today) or dismiss it, with a reason."""
    record = Accountability.objects.select_for_update().get(pk=record.pk)
    if not can_decide(actor, record):
        raise PermissionDenied
    if record.status != Accountability.Status.PROPOSED:
        raise ValidationError(_("This measure has already been decided."))
    if not confirm and not note.strip():
        raise ValidationError({"note": _("Give the reason for dismissing it.")})
    before = record.status
    record.status = Accountability.Status.CONFIRMED if confirm else Accountability.Status.DISMISSED
    record.decided_by, record.decision_note = actor, note
    if confirm:
        record.decided_on = timezone.localdate()
    record.save(update_fields=["status", "decided_by", "decision_note", "decided_on"])
    audit_record(
        actor=actor,
        action="accountability.confirmed" if confirm else "accountability.dismissed",
        obj=record,
        division_code=record.division_code,
        changes={"status": [before, record.status]},
        reason=note,
    )
    return record
