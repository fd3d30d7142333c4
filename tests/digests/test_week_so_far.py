"""The digest's "this week so far" counts each household once from Monday to the digest's day, from the daily
rollups' count of each household's first visit of the week (`week_first_checked`), whatever day it is asked."""

import datetime

import pytest
import time_machine
from django.db.models import Count
from django.db.models.functions import Substr
from django.utils import timezone

from digests.selectors import digest_text, households_checked_week_so_far
from inspections.selectors import inspections_in
from inspections.services import inspection_record, inspection_void

pytestmark = pytest.mark.django_db
MONDAY = datetime.date(2026, 11, 16)


def on(weekday: int, hour: int = 21) -> datetime.datetime:
    day = MONDAY + datetime.timedelta(days=weekday)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


@pytest.fixture
def week(people, household_in, wulibao_community, wulibao_other_community):
    """In the first community: A on Monday and Thursday, B on Wednesday, C on Friday only, D on Tuesday and
    Tuesday again, E on Wednesday (voided). In the second: F on Monday, G on Saturday."""
    inspector = people["wulibao_inspector"]
    first = {name: household_in(wulibao_community, room=name) for name in "ABCDE"}
    second = {name: household_in(wulibao_other_community, room=name) for name in "FG"}
    visits = [
        (first["A"], 0),
        (first["A"], 3),
        (first["B"], 2),
        (first["C"], 4),
        (first["D"], 1),
        (first["D"], 1),
        (second["F"], 0),
        (second["G"], 5),
    ]
    for household, weekday in visits:
        inspection_record(
            actor=inspector, household=household, kind="night_check", outcome="no_coal", started_at=on(weekday)
        )
    voided = inspection_record(
        actor=inspector, household=first["E"], kind="night_check", outcome="no_coal", started_at=on(2)
    )[0]
    inspection_void(actor=people["wulibao_admin"], inspection=voided, reason="录错")
    return wulibao_community.code, wulibao_other_community.code


def test_each_day_of_the_week_counts_the_households_checked_since_monday(wulibao, week):
    first, second = week
    expected = {  # by hand, from the fixture's visits
        0: {first: 1, second: 1},  # A; F
        1: {first: 2, second: 1},  # A D; F
        2: {first: 3, second: 1},  # A D B (E voided); F
        3: {first: 3, second: 1},  # A again adds nobody
        4: {first: 4, second: 1},  # C
        5: {first: 4, second: 2},  # G
        6: {first: 4, second: 2},
    }
    for weekday, counts in expected.items():
        got = households_checked_week_so_far(wulibao, MONDAY + datetime.timedelta(days=weekday))
        assert {code: n for code, n in got.items() if n} == counts, weekday


def test_it_agrees_with_counting_the_visits(wulibao, week):
    for weekday in range(7):
        day = MONDAY + datetime.timedelta(days=weekday)
        got = households_checked_week_so_far(wulibao, day)
        assert {code: n for code, n in got.items() if n} == counted_from_the_visits(wulibao, day)


def counted_from_the_visits(division, day):
    return dict(
        inspections_in([division.code], MONDAY, day)
        .annotate(unit=Substr("division_code", 1, 12))
        .values("unit")
        .annotate(n=Count("household", distinct=True))
        .order_by()
        .values_list("unit", "n")
    )


def test_the_morning_after_each_day_agrees_with_counting_the_visits(
    wulibao, week, people, household_in, wulibao_community
):
    """The morning after (when the digest is sent) Monday to the day is the week's row less the households first
    visited since midnight: a visit in the small hours to a household new this week is taken off, one to a
    household already seen this week is not."""
    inspector = people["wulibao_inspector"]
    seen, new = household_in(wulibao_community, room="X"), household_in(wulibao_community, room="Y")
    for household, started_at in ((seen, on(1)), (seen, on(3, hour=1)), (new, on(3, hour=2))):
        inspection_record(
            actor=inspector, household=household, kind="night_check", outcome="no_coal", started_at=started_at
        )
    for weekday in range(7):
        day = MONDAY + datetime.timedelta(days=weekday)
        with time_machine.travel(on(weekday + 1, hour=10), tick=False):
            got = households_checked_week_so_far(wulibao, day)
        assert {code: n for code, n in got.items() if n} == counted_from_the_visits(wulibao, day), weekday
    with time_machine.travel(on(3, hour=10), tick=False):
        wednesday = households_checked_week_so_far(wulibao, MONDAY + datetime.timedelta(days=2))
    assert wednesday[wulibao_community.code] == 4  # A D B, and X on Tuesday; not Y, first seen on Thursday


def test_the_digest_of_wednesday_names_the_best_community_by_households_checked_to_wednesday(
    wulibao, wulibao_community, wulibao_other_community, week
):
    text = digest_text(wulibao, MONDAY + datetime.timedelta(days=2))

    assert f"排名靠前：{wulibao_community.name}（3）、{wulibao_other_community.name}（1）" in text


def test_a_late_visit_and_a_voided_first_visit_move_the_households_week_mark(
    wulibao, week, people, household_in, wulibao_community
):
    """The week's first visit of a household moves: to an earlier day when a visit recorded late started before
    it, to the next visit's day when it is voided. Every day of the week still agrees with the visits."""
    inspector = people["wulibao_inspector"]
    household = household_in(wulibao_community, room="Z")

    def record(weekday):
        return inspection_record(
            actor=inspector, household=household, kind="night_check", outcome="no_coal", started_at=on(weekday)
        )[0]

    def agrees():
        for weekday in range(7):
            day = MONDAY + datetime.timedelta(days=weekday)
            got = households_checked_week_so_far(wulibao, day)
            assert {code: n for code, n in got.items() if n} == counted_from_the_visits(wulibao, day), weekday

    record(4)  # Friday
    thursday = MONDAY + datetime.timedelta(days=3)
    assert households_checked_week_so_far(wulibao, thursday)[wulibao_community.code] == 3  # A D B
    tuesday = record(1)  # recorded after Friday's, started before it
    assert households_checked_week_so_far(wulibao, thursday)[wulibao_community.code] == 4
    agrees()
    inspection_void(actor=people["wulibao_admin"], inspection=tuesday, reason="录错")
    assert households_checked_week_so_far(wulibao, thursday)[wulibao_community.code] == 3
    agrees()


def test_a_grids_week_so_far_is_counted_from_its_visits(people, household_in, grid):
    """A grid is below the rollups' communities: its digest counts its own visits."""
    household = household_in(grid, room="1")
    for weekday in (0, 2):
        inspection_record(
            actor=people["wulibao_inspector"],
            household=household,
            kind="night_check",
            outcome="no_coal",
            started_at=on(weekday),
        )
    assert households_checked_week_so_far(grid, MONDAY + datetime.timedelta(days=2)) == {grid.code[:12]: 1}
