"""The rectification notice's number and date (整改通知书的发文字号和成文日期), written once when the case is opened.

The notice is issued when the case is opened — that is when the responsible unit is told to fix the problem and
given its deadline — so its date is the day the case was opened, never the day someone prints or downloads it:
a case that later goes overdue still has a notice dated before its deadline, and every print and download of
it shows the same number and date.

Numbers run in one series per issuing unit and year (二七散煤办〔2026〕1号, 2号, …). The issuer is the district
office (区散煤办) above the responsible unit. A `NoticeSeries` row per issuer and year holds the last number
given; allocating locks that row (SELECT … FOR UPDATE) until the opening transaction commits, so two cases
opened at the same moment get consecutive numbers, and the unique constraint on (issuer, year, number) refuses
a duplicate whatever happens.

Numbers go only to notices actually issued. A case opened as a duplicate of an unfinished case at the same place
is fixed under the original's notice: it takes no number, and its notice page says no notice is issued. A case
voided after its notice was issued keeps its number — the series is never renumbered, so the register of
numbers has no gap — and its notice prints marked 作废, without a signature to stamp.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from coalgov.audit import audit_record
from divisions.models import Division, Level

from .models import Case, NoticeSeries

NUMBER_FIELDS = ["notice_issuer", "notice_year", "notice_serial", "notice_issued_on", "notice_deadline"]


def notice_issuer(unit: Division) -> Division:
    """The unit that issues a case's notice: the district above the responsible unit (itself if none is)."""
    return unit.ancestors().filter(level=Level.DISTRICT).last() or unit


def _next_number(*, issuer: Division, year: int) -> int:
    """The next number of the issuer's series for the year; the caller's transaction holds the row's lock."""
    series, _ = NoticeSeries.objects.get_or_create(issuer=issuer, year=year)  # a racing insert: get_or_create gets
    series = NoticeSeries.objects.select_for_update().get(pk=series.pk)
    series.last_number += 1
    series.save(update_fields=["last_number"])
    return series.last_number


def notice_number_assign(case: Case, *, issued_on: datetime.date | None = None) -> None:
    """Give an unsaved (or locked) case its notice's issuer, number and date; inside the caller's transaction."""
    issued_on = issued_on or timezone.localdate()
    issuer = notice_issuer(case.responsible_unit)
    case.notice_issuer = issuer
    case.notice_year = issued_on.year
    case.notice_serial = _next_number(issuer=issuer, year=issued_on.year)
    case.notice_issued_on = issued_on
    # What the notice demands, kept as served: a later change of deadline does not reprint it.
    case.notice_deadline = case.deadline


def takes_number(case: Case) -> bool:
    """Whether a case without a number should be given one: not a duplicate (fixed under its original's notice)
    and not voided (a case voided before its notice was issued never had one to issue)."""
    return case.duplicate_of_id is None and case.voided_at is None


def notice_number_ensure(case: Case, *, actor) -> Case:
    """Number the notice of a case that has none — one written without `case_open`, such as an import — dated
    the day the case was opened, as if numbered then, and record who caused it in the audit log (the number is
    taken when someone first opens the case's document page). A numbered case, a duplicate and a voided case
    are returned as they are, without a query."""
    if case.notice_serial is not None or not takes_number(case):
        return case
    with transaction.atomic():
        locked = Case.objects.select_for_update(of=("self",)).select_related("responsible_unit").get(pk=case.pk)
        if locked.notice_serial is None and takes_number(locked):
            notice_number_assign(locked, issued_on=timezone.localdate(locked.opened_at))
            locked.save(update_fields=NUMBER_FIELDS)
            audit_record(
                actor=actor,
                action="case.notice_numbered",
                obj=locked,
                division_code=locked.division_code,
                changes={
                    "notice_serial": [None, locked.notice_serial],
                    "notice_issued_on": [None, locked.notice_issued_on.isoformat()],
                },
            )
    for field in NUMBER_FIELDS:
        setattr(case, field, getattr(locked, field))
    return case
