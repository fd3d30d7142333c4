"""The planner scores the places with a rare reason (coal found, a ban, an open case, a re-check) first and reads the
whole unit only when one of the others could still rank among the best: the plan is the same either way."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inspections.services import inspection_record
from planning.selectors import DEFAULT_WEIGHTS, plan_candidates

pytestmark = pytest.mark.django_db


def ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def unit(people, household_in, wulibao_community):
    """Three places with coal found 5 days ago (found 40, + 8 for the 无主管 one), and ordinary places that score at
    most 24 (never visited 10, 无主管 8, street shop 6), one of them first in address order."""
    admin = people["wulibao_admin"]
    for room, unmanaged in (("301", True), ("302", False), ("303", False)):
        home = household_in(
            wulibao_community, estate="龙亭小区", building="9", unit="1", room=room, unmanaged=unmanaged
        )
        inspection_record(actor=admin, household=home, kind="survey", outcome="loose_coal", started_at=ago(5))
    household_in(
        wulibao_community, estate="A小区", building="1", unit="1", room="101", unmanaged=True, kind="street_shop"
    )
    for n in range(5):
        household_in(wulibao_community, estate="B小区", building="1", unit="1", room=f"{n}01")
    return wulibao_community


def plan(unit, limit, **weights) -> tuple[list, int]:
    with CaptureQueriesContext(connection) as captured:
        candidates = plan_candidates(
            unit=unit, night=timezone.localdate(), weights={**DEFAULT_WEIGHTS, **weights}, limit=limit
        )
    scoring = [q for q in captured.captured_queries if "AS score" in q["sql"]]
    return [(c.label, c.score, c.parts) for c in candidates], len(scoring)


def test_when_the_places_with_coal_found_fill_the_plan_the_rest_of_the_unit_is_not_scored(unit):
    everything, _ = plan(unit, 4000)  # more than the rare places: the whole unit is scored
    best, scorings = plan(unit, 3)

    assert best == everything[:3]
    assert [score for _label, score, _parts in best] == [48, 40, 40]
    assert scorings == 1  # the rare places alone decided it


def test_an_ordinary_place_that_ties_with_the_last_rare_one_still_takes_its_place_in_address_order(unit):
    # Found counts 24 now: the 无主管 place with coal found scores 32 and the others 24, as many as the street shop
    # that is never visited and 无主管 (10 + 8 + 6), which comes first in address order.
    everything, _ = plan(unit, 4000, found=24)
    best, scorings = plan(unit, 3, found=24)

    assert best == everything[:3]
    assert [score for _label, score, _parts in best] == [32, 24, 24]
    assert best[1][2] == {"stale": 10, "courtyard": 8, "street_shop": 6}
    assert scorings == 2  # it could not be decided from the rare places
