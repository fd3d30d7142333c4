"""The one bound on dates a person enters, for every form, serializer and service.

A date before the campaign or centuries ahead is a typing slip (year 1, year 9999), and it would overflow
on the way to UTC in the reports. Past records (visits, bans, purchases) may not lie in the future; planned
ones (a night-check operation, a case deadline) may lie `ahead` of today, but not further.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EARLIEST = datetime.date(1990, 1, 1)  # before the campaign
LATEST = datetime.date(2999, 12, 31)  # the far end of what a report may be asked for
# A phone's clock may run a little fast; a moment this much ahead of now still counts as now.
CLOCK_SKEW = datetime.timedelta(minutes=10)
# How far ahead a planned date may lie: plans are made for the coming heating season, not for decades.
PLANNING_AHEAD = datetime.timedelta(days=366)


def date_check(
    value: datetime.date | datetime.datetime | None,
    *,
    field: str | None = None,
    ahead: datetime.timedelta | None = None,
    asked: bool = False,
) -> None:
    """Refuse a date (or moment) a person entered before EARLIEST, or in the future (beyond `ahead` if given).

    With `field` the error is keyed by it (for services, so the page and the API show it on that field);
    without, it is a plain message (for a form's clean_<field> or a field validator). `asked`: a date a report
    or a filter is asked for, not one being planned, is said to be too far ahead rather than beyond planning.
    """
    if value is None:
        return
    now = timezone.now()
    today = timezone.localdate(now)
    last_day = today + (ahead or datetime.timedelta(0))
    if isinstance(value, datetime.datetime):
        # Compared as moments, never converted: year 9999 in UTC is past the end of the calendar in Beijing.
        zone = timezone.get_current_timezone()
        moment = timezone.make_aware(value, zone) if timezone.is_naive(value) else value
        too_early = moment < _day_start(EARLIEST, zone)
        end = now + CLOCK_SKEW if ahead is None else _day_start(last_day + datetime.timedelta(days=1), zone)
        too_late = moment > end if ahead is None else moment >= end
    else:
        too_early, too_late = value < EARLIEST, value > last_day
    if too_late:
        if ahead is None and isinstance(value, datetime.datetime):
            # A moment is refused as ahead of the server's clock: saying that clock's time shows a phone that
            # runs fast what is wrong.
            message = _("This time is in the future: it is now %(now)s.") % {
                "now": timezone.localtime(now).strftime("%Y-%m-%d %H:%M")
            }
        elif ahead is None:
            message = _("This date is in the future.")
        elif asked:
            message = _("This date is too far ahead (after %(latest)s).") % {"latest": last_day.isoformat()}
        else:
            message = _("Check the date: it lies beyond what can be planned (the latest is %(latest)s).") % {
                "latest": last_day.isoformat()
            }
    elif too_early:
        message = _("This date is too far in the past (before %(earliest)s).") % {"earliest": EARLIEST.isoformat()}
    else:
        return
    error = ValidationError(message, code="date_out_of_range")
    raise ValidationError({field: error}) if field else error


def date_validator(*, ahead: datetime.timedelta | None = None, asked: bool = False):
    """`date_check` as a field validator: forms and DRF serializers both take it in `validators=[...]`."""

    def validate(value):
        date_check(value, ahead=ahead, asked=asked)

    return validate


def _day_start(day: datetime.date, zone) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, zone)
