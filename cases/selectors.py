"""Reads about cases that more than one page needs: the work list, and the case figures reports count."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from divisions.scoping import codes_q, entry_codes
from inspections.selectors import LATEST, local_bounds

from .models import Case, Notification, Recheck, undone_reopenings
from .services import can_verify

DUE_DAYS = 7  # the work list's "due in the next 7 days", as its re-checks


def worklist_for(user) -> dict:
    """What is the user's to do: cases of the units where they rectify (due soon, overdue), cases
    escalated to their units, cases awaiting their verification, re-checks due, and notifications."""
    today = timezone.localdate()
    rectify = codes_q(entry_codes(user, "case_rectify"), "division_code")
    verify = codes_q(entry_codes(user, "case_verify"), "division_code")
    unfinished = Case.objects.counted().unfinished().select_related("responsible_unit")
    return {
        # Due within the week, soonest first: "due" was every open case not yet overdue, one due next year too.
        "due": unfinished.filter(rectify, deadline__gte=today, deadline__lte=today + datetime.timedelta(days=DUE_DAYS))
        .exclude(status=Case.Status.RECTIFIED)
        .order_by("deadline", "id")[:20],
        "overdue": unfinished.overdue(today).filter(rectify)[:20],
        "escalated": unfinished.filter(codes_q(entry_codes(user, "case_verify"), "escalated_to__code"))[:20],
        # Those the user may verify: a unit above, and the district for district-level cases.
        "to_verify": [
            case
            for case in unfinished.filter(verify, status=Case.Status.RECTIFIED).select_related("notice")[:100]
            if can_verify(user, case)
        ][:20],
        "rechecks": Recheck.objects.filter(
            rectify, status=Recheck.Status.SCHEDULED, due_on__lte=today + datetime.timedelta(days=7)
        )
        .select_related("case__household")
        .order_by("due_on")[:20],
        "notifications": Notification.objects.visible_to(user).select_related("case", "division")[:10],
    }


@dataclass(frozen=True)
class CaseFigures:
    opened: int
    rectified: int
    closed: int
    overdue_now: int
    rebounds: int


def case_figures(*, codes: list[str] | None, start: datetime.date | None = None, end: datetime.date | None = None):
    """Cases opened, reported rectified, closed in a period; overdue now; rebounds in the period."""
    lower, upper = local_bounds(start, end)
    period = Q()
    if lower:
        period &= Q(events__at__gte=lower)
    if upper:
        period &= Q(events__at__lt=upper)
    counted = Case.objects.counted().filter(codes_q(codes, "division_code"))
    by_event = counted.aggregate(
        opened=Count("pk", distinct=True, filter=period & Q(events__action="opened")),
        rectified=Count("pk", distinct=True, filter=period & Q(events__action="rectified")),
        closed=Count("pk", distinct=True, filter=period & Q(events__action="closed")),
        rebounds=Count("events", filter=period & Q(events__action="reopened") & ~Q(events__pk__in=undone_reopenings())),
    )
    # Overdue as of the period's last day (a digest of yesterday counts yesterday's overdue cases).
    overdue_now = counted.overdue(min(end, LATEST) + datetime.timedelta(days=1) if end else None).count()
    return CaseFigures(overdue_now=overdue_now, **by_event)
