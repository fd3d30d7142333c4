"""When the places with a rare reason do not fill the plan, the planner reads the other places by score class (never
or not lately seen, 无主管/无双气, street shop, zone) instead of scoring the whole unit: the plan is the same, cut
anywhere, ties in address order, and only the places that can take a place in it are scored."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from divisions.models import MonitoringStation
from households.models import Household
from inspections.services import inspection_record
from planning.selectors import DEFAULT_WEIGHTS, plan_candidates

pytestmark = pytest.mark.django_db


def ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def unit(people, household_in, wulibao_community):
    """One place with coal found (40), two never visited in 河医大's zone (10 + 12), nine that score 18 in two
    classes (never visited and 无主管, or seen 20 days ago and 无双气) interleaved in address order, three street shops
    never visited (16), six places only never visited (10), and one checked clean yesterday (left out)."""
    admin = people["wulibao_admin"]

    def make(estate, room, **fields):
        return household_in(wulibao_community, estate=estate, building="1", unit="1", room=room, **fields)

    found = make("龙亭小区", "101")
    inspection_record(actor=admin, household=found, kind="survey", outcome="loose_coal", started_at=ago(5))
    station = MonitoringStation.objects.get(code="1323A")
    for room in ("402", "401"):
        zone = make("河医小区", room)
        Household.objects.filter(pk=zone.pk).update(in_priority_zone=True, priority_station=station)
    for n, estate in enumerate(["C小区", "A小区", "E小区", "B小区", "D小区", "A小区", "C小区", "B小区", "A小区"]):
        if n % 3 == 1:
            seen = make(estate, f"{n}02", no_gas_or_heating=True)
            inspection_record(actor=admin, household=seen, kind="survey", outcome="no_coal", started_at=ago(20))
        else:
            make(estate, f"{n}01", unmanaged=True)
    for n in range(3):
        make("", "", kind="street_shop", address=f"大学路{9 - n}号")
    for n in range(6):
        make("F小区" if n % 2 else "B小区", f"{n}03")
    rested = make("A小区", "001", unmanaged=True)
    inspection_record(actor=admin, household=rested, kind="survey", outcome="no_coal", started_at=ago(1))
    return wulibao_community


def plan(unit, limit):
    with CaptureQueriesContext(connection) as captured:
        candidates = plan_candidates(unit=unit, night=timezone.localdate(), weights=dict(DEFAULT_WEIGHTS), limit=limit)
    scoring = [q["sql"] for q in captured.captured_queries if "AS score" in q["sql"]]
    return candidates, scoring


def test_the_plan_cut_anywhere_is_the_start_of_the_whole_ranking(unit):
    everything, _ = plan(unit, 4000)

    assert [c.score for c in everything] == [40, 22, 22] + [18] * 9 + [16] * 3 + [10] * 6
    # Each score's places in address order (code point order, as walking.py deals in), whatever their class.
    for score in (22, 18, 16, 10):
        tied = [c for c in everything if c.score == score]
        keys = [(c.estate, c.building, c.unit, c.room, c.address) for c in tied]
        assert keys == sorted(keys)
    # The 18s are both classes, interleaved: never visited and 无主管, and seen 20 days ago and 无双气.
    eighteen = [c.parts for c in everything if c.score == 18]
    assert eighteen.count({"stale": 10, "courtyard": 8}) == 9
    assert [c.last_visit is not None for c in everything if c.score == 18] != sorted(
        c.last_visit is not None for c in everything if c.score == 18
    )
    for limit in range(1, len(everything) + 1):
        best, _ = plan(unit, limit)
        assert [(c.pk, c.score, c.parts) for c in best] == [(c.pk, c.score, c.parts) for c in everything[:limit]]


def test_only_the_places_that_can_take_a_place_are_scored(unit):
    best, scoring = plan(unit, 4)

    assert [c.score for c in best] == [40, 22, 22, 18]
    assert len(scoring) == 2  # the rare places could not decide it
    # The place with coal found outscores any other (40 > 10 + 8 + 6 + 12), so three rows are left: the second
    # statement scores the zone's two places and, of the nine that score 18 in two classes, the first in address
    # order — not the unit's 20 places without coal found.
    (ids,) = re.findall(r'"id" IN \(([0-9, ]+)\)', scoring[1])
    assert len(ids.split(",")) == 3
    first_18 = min((c for c in plan(unit, 4000)[0] if c.score == 18), key=lambda c: (c.estate, c.room))
    assert best[3].pk == first_18.pk
