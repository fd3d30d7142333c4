"""The weekly ranking's figures, scores and ranks, checked against numbers worked out by hand.

The data set is `town` (tests/reports/conftest.py). By hand, for the week of 2025-11-03:

| unit | homes | visited | night | coverage | night/100 | problems | due / on time | rebounds | overdue | conversion |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| A1 | 10 | 5  | 2 | 50  | 20 | 1 | 2 / 1 → 50   | 0 | 0 | 5/10 → 50 |
| A2 | 10 | 10 | 0 | 100 | 0  | 0 | none         | 1 | 0 | 4/4 → 100 |
| A3 | 20 | 5  | 1 | 25  | 5  | 2 | 1 / 1 → 100  | 0 | 1 | no target |
| B1 | 10 | 0  | 0 | 0   | 0  | 0 | 1 / 0 → 0    | 0 | 1 | 0/10 → 0  |
| B2 | 5  | 5  | 1 | 100 | 20 | 1 | none         | 0 | 0 | 1/5 → 20  |
| B3 | 10 | 5  | 0 | 50  | 0  | 0 | 2 / 2 → 100  | 2 | 0 | 3/10 → 30 |

Normalised (100 best; lower-is-better reversed; no value → 50), then the default weights
(.25 .15 .15 .15 .10 .10 .10):

A1 = .25·50 + .15·100 + .15·50 + .15·50 + .10·100 + .10·100 + .10·50 = 67.5
A2 = .25·100 + .15·0 + .15·100 + .15·50 + .10·50 + .10·100 + .10·100 = 72.5
A3 = .25·25 + .15·25 + .15·0 + .15·100 + .10·100 + .10·0 + .10·50 = 40.0
B1 = 0 + 0 + .15·100 + 0 + .10·100 + 0 + 0 = 25.0
B2 = .25·100 + .15·100 + .15·50 + .15·50 + .10·100 + .10·100 + .10·20 = 77.0
B3 = .25·50 + 0 + .15·100 + .15·100 + 0 + .10·100 + .10·30 = 55.5

The week before (only B1 visited, 1 of 10; A3's case due 10-30 not done, overdue): B1 62.5, A2 47.5,
A1 42.5, B3 40.5, B2 39.5, A3 32.5.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coalgov.models import AuditEvent
from divisions.models import Division, Level
from households.models import Household
from inspections.models import Ban
from reports.models import RankingRow, RankingWeek
from reports.ranking import (
    DEFAULT_WEIGHTS,
    KEYS,
    Community,
    community_inputs,
    compute,
    normalise,
    printed_mean,
    ranking_for,
    ranking_publish,
    ranking_withdraw,
    two_places,
    weights_set,
)

from ..factories import HouseholdFactory, MembershipFactory, UserFactory
from .conftest import WEEK, at

# In the order coverage, night_checks, problems, on_time, rebounds, overdue, conversion.
EXPECTED_VALUES = {
    "A1": (50, 20, 1, 50, 0, 0, 50),
    "A2": (100, 0, 0, None, 1, 0, 100),
    "A3": (25, 5, 2, 100, 0, 1, None),
    "B1": (0, 0, 0, 0, 0, 1, 0),
    "B2": (100, 20, 1, None, 0, 0, 20),
    "B3": (50, 0, 0, 100, 2, 0, 30),
}
EXPECTED_NORMALISED = {
    "A1": (50, 100, 50, 50, 100, 100, 50),
    "A2": (100, 0, 100, 50, 50, 100, 100),
    "A3": (25, 25, 0, 100, 100, 0, 50),
    "B1": (0, 0, 100, 0, 100, 0, 0),
    "B2": (100, 100, 50, 50, 100, 100, 20),
    "B3": (50, 0, 100, 100, 0, 100, 30),
}
EXPECTED_SCORES = {"A1": 67.5, "A2": 72.5, "A3": 40.0, "B1": 25.0, "B2": 77.0, "B3": 55.5}
EXPECTED_DISTRICT_ORDER = ["B2", "A2", "A1", "B3", "A3", "B1"]
EXPECTED_IN_SUBDISTRICT = {"A2": 1, "A1": 2, "A3": 3, "B2": 1, "B3": 2, "B1": 3}
EXPECTED_PREVIOUS = {"B1": 1, "A2": 2, "A1": 3, "B3": 4, "B2": 5, "A3": 6}


def _by_name(town, ranking):
    names = {division.code: name for name, division in town.unit.items()}
    return {names[row.code]: row for row in ranking.rows}


def test_every_indicator_score_and_rank_matches_the_hand_computed_week(town):
    ranking = ranking_for(district=town.district, week_start=WEEK)
    rows = _by_name(town, ranking)

    for name, expected in EXPECTED_VALUES.items():
        for key, value in zip(KEYS, expected, strict=True):
            assert rows[name].values[key] == (None if value is None else pytest.approx(value)), (name, key)
        for key, value in zip(KEYS, EXPECTED_NORMALISED[name], strict=True):
            assert rows[name].normalised[key] == pytest.approx(value), (name, key)
        assert rows[name].score == pytest.approx(EXPECTED_SCORES[name]), name
        assert rows[name].rank_in_subdistrict == EXPECTED_IN_SUBDISTRICT[name]
        assert rows[name].previous_rank_in_district == EXPECTED_PREVIOUS[name]

    assert [town.unit[n].code for n in EXPECTED_DISTRICT_ORDER] == [r.code for r in ranking.rows]
    assert [r.rank_in_district for r in ranking.rows] == [1, 2, 3, 4, 5, 6]
    assert {n: rows[n].movement for n in rows} == {"B2": 4, "A2": 0, "A1": 0, "B3": 0, "A3": 1, "B1": -5}
    # Subdistricts by mean community score: A (67.5 + 72.5 + 40) / 3 = 60, B (25 + 77 + 55.5) / 3 = 52.5.
    assert [(s.name, s.rank) for s in ranking.subdistricts] == [("A街道", 1), ("B街道", 2)]
    assert [s.mean_score for s in ranking.subdistricts] == [pytest.approx(60.0), pytest.approx(52.5)]
    assert [s.movement for s in ranking.subdistricts] == [1, -1]  # last week B 47.5, A 40.83
    # Top 3 praised, bottom 3 named.
    assert [r.name for r in ranking.praised] == ["B2社区", "A2社区", "A1社区"]
    assert [r.name for r in ranking.named] == ["B3社区", "A3社区", "B1社区"]


def test_the_raw_counts_behind_the_indicators(town):
    inputs = community_inputs(district=town.district, week_start=WEEK)
    a1 = inputs[town.unit["A1"].code]
    assert (a1["households"], a1["visited"], a1["night_checks"], a1["due"], a1["rectified_on_time"]) == (10, 5, 2, 2, 1)
    b3 = inputs[town.unit["B3"].code]
    assert (b3["rebounds"], b3["converted"], b3["target"]) == (2, 3, 10)


def test_the_inputs_take_the_same_number_of_queries_whatever_the_number_of_communities(town):
    with CaptureQueriesContext(connection) as few:
        community_inputs(district=town.district, week_start=WEEK)
    for n in range(4, 10):
        Division.objects.create(code=f"419901002{n:03d}", name=f"B{n}", level=Level.COMMUNITY, parent=town.sub["B"])
    with CaptureQueriesContext(connection) as many:
        inputs = community_inputs(district=town.district, week_start=WEEK)
    assert len(inputs) == 12
    assert len(many) == len(few) <= 12


def test_a_subdistricts_mean_is_that_of_its_communities_printed_scores():
    """A reader who averages the printed scores gets the printed mean: 65.63 and 70.00 make 67.82, where the
    unrounded scores' mean (67.8145) would be printed 67.81."""
    assert two_places(printed_mean([65.625, 70.004])) == two_places(67.815) == Decimal("67.82")
    assert printed_mean([50.0]) == 50.0
    assert printed_mean([100 / 3, 200 / 3]) == 50.0  # 33.33 and 66.67


def test_normalisation_min_max_all_equal_and_missing():
    assert normalise([0, 5, 10], higher_is_better=True) == [0, 50, 100]
    assert normalise([0, 5, 10], higher_is_better=False) == [100, 50, 0]
    assert normalise([3, 3, 3], higher_is_better=True) == [50, 50, 50]
    assert normalise([None, 2, 4], higher_is_better=True) == [50, 0, 100]
    assert normalise([None, None], higher_is_better=False) == [50, 50]


def _community(code, name="c", sub="419901001"):
    return Community(code=code, name=name, subdistrict_code=sub, subdistrict_name="S")


def _inputs(*, visited=0, overdue=0, night_checks=0):
    return {
        "households": 10,
        "visited": visited,
        "night_checks": night_checks,
        "problems": 0,
        "due": 0,
        "rectified_on_time": 0,
        "rebounds": 0,
        "overdue": overdue,
        "converted": 0,
        "target": None,
    }


def test_equal_scores_share_a_rank_and_a_tie_is_listed_by_higher_coverage_then_fewer_overdue_then_code():
    weights = {**dict.fromkeys(DEFAULT_WEIGHTS, 0.0), "coverage": 0.5, "overdue": 0.5}
    # X: coverage 100 (norm 100), 1 overdue (norm 0) → 50. Y: coverage 0, no overdue → 50. Tie: X first.
    communities = [_community("419901001002", "Y"), _community("419901001001", "X")]
    rows, _subs = compute(
        communities,
        {"419901001001": _inputs(visited=10, overdue=1), "419901001002": _inputs(visited=0, overdue=0)},
        weights,
    )
    assert [(r.name, r.score, r.rank_in_district) for r in rows] == [("X", 50.0, 1), ("Y", 50.0, 1)]

    # All scores equal (night checks weigh everything and are all equal) and coverage equal:
    # fewer overdue first, then the code.
    weights = {**dict.fromkeys(DEFAULT_WEIGHTS, 0.0), "night_checks": 1.0}
    codes = ["419901001003", "419901001002", "419901001001"]
    rows, _subs = compute(
        [_community(c, c[-1]) for c in codes],
        {
            codes[0]: _inputs(overdue=0, night_checks=1),
            codes[1]: _inputs(overdue=0, night_checks=1),
            codes[2]: _inputs(overdue=2, night_checks=1),
        },
        weights,
    )
    assert [r.code for r in rows] == ["419901001002", "419901001003", "419901001001"]
    assert {r.score for r in rows} == {50.0}
    assert [r.rank_in_district for r in rows] == [1, 1, 1]


def test_ranks_are_standard_competition_ranks_in_the_district_and_the_subdistrict():
    weights = {**dict.fromkeys(DEFAULT_WEIGHTS, 0.0), "coverage": 1.0}
    visited = {"419901001001": 10, "419901001002": 5, "419901001003": 5, "419901002001": 0}
    communities = [_community(c, c[-4:], sub=c[:9]) for c in visited]
    rows, subs = compute(communities, {c: _inputs(visited=v) for c, v in visited.items()}, weights)
    assert [(r.code, r.score, r.rank_in_district) for r in rows] == [
        ("419901001001", 100.0, 1),
        ("419901001002", 50.0, 2),
        ("419901001003", 50.0, 2),
        ("419901002001", 0.0, 4),
    ]
    assert [r.rank_in_subdistrict for r in rows] == [1, 2, 2, 1]
    assert [(s.code, s.rank) for s in subs] == [("419901001", 1), ("419901002", 2)]


def test_the_newest_weight_version_applies_and_bad_weights_change_nothing(town):
    with pytest.raises(ValidationError):
        weights_set(actor=town.admin, district=town.district, weights={**DEFAULT_WEIGHTS, "coverage": 0.5})
    inspector = MembershipFactory(user=UserFactory(), division=town.sub["A"], role="subdistrict_admin").user
    with pytest.raises(PermissionDenied):
        weights_set(actor=inspector, district=town.district, weights=DEFAULT_WEIGHTS)
    weights_set(actor=town.admin, district=town.district, weights={**dict.fromkeys(DEFAULT_WEIGHTS, 0), "coverage": 1})

    ranking = ranking_for(district=town.district, week_start=WEEK)

    rows = _by_name(town, ranking)
    assert rows["A2"].score == pytest.approx(100) and rows["B1"].score == pytest.approx(0)
    # Equal coverage (A2, B2 at 100): fewer overdue (both 0), then code: A2 before B2.
    assert [r.name for r in ranking.rows[:2]] == ["A2社区", "B2社区"]
    assert AuditEvent.objects.filter(action="ranking.weights_set").count() == 1


def test_a_published_week_stays_as_it_was_after_new_records(town):
    before = ranking_for(district=town.district, week_start=WEEK)
    week = ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)

    assert RankingRow.objects.filter(week=week).count() == 6
    assert AuditEvent.objects.filter(action="ranking.published", object_id=str(week.pk)).count() == 1
    # B1 now visits every household in the week: its live figures change, the published week does not.
    for i in range(10):
        town.visit("B1", i, at("2025-11-06"))
    assert community_inputs(district=town.district, week_start=WEEK)[town.unit["B1"].code]["visited"] == 10

    after = ranking_for(district=town.district, week_start=WEEK)
    assert after.published == week
    assert [(r.code, r.score, r.rank_in_district, r.values) for r in after.rows] == [
        (r.code, pytest.approx(r.score), r.rank_in_district, r.values) for r in before.rows
    ]
    assert _by_name(town, after)["B1"].values["coverage"] == 0


def test_an_unpublished_week_is_recomputed_the_same_way_each_time(town):
    first = ranking_for(district=town.district, week_start=WEEK)
    again = ranking_for(district=town.district, week_start=WEEK + datetime.timedelta(days=3))  # any day of it
    assert [(r.code, r.score) for r in first.rows] == [(r.code, r.score) for r in again.rows]
    assert not RankingWeek.objects.exists()


def test_publishing_twice_is_refused_and_only_district_admins_publish(town):
    subdistrict_admin = MembershipFactory(user=UserFactory(), division=town.sub["A"], role="subdistrict_admin").user
    with pytest.raises(PermissionDenied):
        ranking_publish(actor=subdistrict_admin, district=town.district, week_start=WEEK)
    ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    with pytest.raises(ValidationError, match="已经发布"):
        ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    with pytest.raises(ValidationError, match="周一"):
        ranking_publish(actor=town.admin, district=town.district, week_start=WEEK + datetime.timedelta(days=1))
    assert RankingWeek.objects.count() == 1


def test_the_next_week_moves_against_the_published_ranks(town):
    ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    following = ranking_for(district=town.district, week_start=WEEK + datetime.timedelta(days=7))
    published = {r.community_code: r.rank_in_district for r in RankingRow.objects.all()}
    assert {r.code: r.previous_rank_in_district for r in following.rows} == published


def test_the_number_praised_and_named_is_a_setting(town, settings):
    settings.RANKING_PRAISE_COUNT = 2
    ranking = ranking_for(district=town.district, week_start=WEEK)
    assert [r.name for r in ranking.praised] == ["B2社区", "A2社区"]
    assert [r.name for r in ranking.named] == ["A3社区", "B1社区"]


def test_the_publish_command(town):
    from django.core.management import CommandError, call_command

    call_command("ranking_publish", district=town.district.code, week="2025-11-06", user="town_admin")
    assert RankingWeek.objects.get().week_start == WEEK
    with pytest.raises(CommandError, match="已经发布"):
        call_command("ranking_publish", district=town.district.code, week="2025-11-06", user="town_admin")


# --- Communities without data ----------------------------------------------------------------------------


def _add_community(town, name, sub="A"):
    n = len([k for k in town.unit if k.startswith(sub)]) + 1
    parent = town.sub[sub]
    town.unit[name] = Division.objects.create(
        code=f"{parent.code}00{n}", name=f"{name}社区", level=Level.COMMUNITY, parent=parent
    )
    town.households[name] = []
    return town.unit[name]


def _ban(town, name, when, *, rebound=None):
    household = HouseholdFactory(division=town.unit[name], kind="coal_sale_point", estate="", address="某路1号")
    Household.objects.filter(pk=household.pk).update(created_at=at("2025-09-01"))
    town.households[name].append(household)
    return Ban.objects.create(
        household=household,
        division_code=household.division_code,
        kind=Ban.Kind.SALE_POINT,
        banned_at=when,
        rebound_at=rebound,
        recorded_by=town.admin,
    )


def test_communities_with_nothing_to_survey_and_no_work_are_no_data_not_ranked_praised_or_named(town):
    _add_community(town, "A4")  # nothing registered, nothing recorded
    _add_community(town, "B4", sub="B")
    _ban(town, "B4", at("2025-10-20"))  # its only record: a sale point shut before the week

    ranking = ranking_for(district=town.district, week_start=WEEK)

    rows = _by_name(town, ranking)
    assert not rows["A4"].ranked and not rows["B4"].ranked
    assert rows["A4"].score is None and rows["B4"].rank_in_district is None
    assert rows["B4"].inputs["households"] == 1 and rows["B4"].inputs["shut_places"] == 1
    # The six with data keep the hand-computed scores and ranks; the two without come last.
    assert [r.code for r in ranking.rows] == [town.unit[n].code for n in [*EXPECTED_DISTRICT_ORDER, "A4", "B4"]]
    assert [r.rank_in_district for r in ranking.rows] == [1, 2, 3, 4, 5, 6, None, None]
    assert {n: rows[n].score for n in EXPECTED_SCORES} == pytest.approx(EXPECTED_SCORES)
    assert [r.name for r in ranking.named] == ["B3社区", "A3社区", "B1社区"]
    assert [s.communities for s in ranking.subdistricts] == [3, 3]
    assert rows["B4"].movement is None and rows["B4"].contributions(ranking.weights) == []


def test_a_place_shut_in_the_week_is_work_and_one_found_trading_again_is_to_survey_again(town):
    _add_community(town, "A4")
    _ban(town, "A4", at("2025-11-05"))  # shut in the week: work recorded, nothing left to survey
    _add_community(town, "B4", sub="B")
    _ban(town, "B4", at("2025-10-01"), rebound=at("2025-10-15"))  # trading again: a household to survey

    rows = _by_name(town, ranking_for(district=town.district, week_start=WEEK))

    assert rows["A4"].ranked and rows["A4"].values["coverage"] is None
    assert rows["B4"].ranked and rows["B4"].values["coverage"] == 0
    assert rows["B4"].normalised["coverage"] == 0  # the worst coverage of the district


def test_movement_is_shown_only_between_weeks_the_community_was_ranked(town):
    _add_community(town, "A4")
    town.homes("A4", 0)
    town.case("A4", source="spot_check", opened="2025-11-04")  # its first record, in the week

    ranking = ranking_for(district=town.district, week_start=WEEK)
    rows = _by_name(town, ranking)

    assert rows["A4"].ranked and rows["A4"].previous_rank_in_district is None and rows["A4"].movement is None
    last = ranking_for(district=town.district, week_start=WEEK - datetime.timedelta(days=7))
    assert not _by_name(town, last)["A4"].ranked
    assert rows["B2"].movement == 4  # the others move as before


def test_a_tie_at_the_praised_place_is_praised_together_and_never_also_named(town, settings):
    weights_set(actor=town.admin, district=town.district, weights={**dict.fromkeys(DEFAULT_WEIGHTS, 0), "overdue": 1})
    # Overdue: A3 and B1 one each (score 0), everyone else none (100).
    ranking = ranking_for(district=town.district, week_start=WEEK)
    assert [r.rank_in_district for r in ranking.rows] == [1, 1, 1, 1, 5, 5]
    assert {r.name for r in ranking.praised} == {"A1社区", "A2社区", "B2社区", "B3社区"}
    assert {r.name for r in ranking.named} == {"A3社区", "B1社区"}


# --- Withdrawing a publication ----------------------------------------------------------------------------


def test_a_district_admin_withdraws_a_published_week_with_a_reason_and_publishes_it_again(town):
    first = ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    with pytest.raises(ValidationError):
        ranking_withdraw(actor=town.admin, week=first, reason="  ")
    subdistrict_admin = MembershipFactory(user=UserFactory(), division=town.sub["A"], role="subdistrict_admin").user
    with pytest.raises(PermissionDenied):
        ranking_withdraw(actor=subdistrict_admin, week=first, reason="错")
    first.refresh_from_db()
    assert first.withdrawn_at is None

    ranking_withdraw(actor=town.admin, week=first, reason="B1社区的走访漏录，补录后重新发布")

    event = AuditEvent.objects.get(action="ranking.withdrawn", object_id=str(first.pk))
    assert "补录" in event.reason
    for i in range(10):
        town.visit("B1", i, at("2025-11-06"))
    live = ranking_for(district=town.district, week_start=WEEK)
    assert live.published is None
    assert [w.withdraw_reason for w in live.withdrawn] == ["B1社区的走访漏录，补录后重新发布"]
    assert _by_name(town, live)["B1"].values["coverage"] == 100

    again = ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    assert again.pk != first.pk
    shown = ranking_for(district=town.district, week_start=WEEK)
    assert shown.published == again and [w.pk for w in shown.withdrawn] == [first.pk]
    assert _by_name(town, shown)["B1"].values["coverage"] == 100
    with pytest.raises(ValidationError):
        ranking_withdraw(actor=town.admin, week=first, reason="again")
    # The next week moves against the publication that stands.
    following = ranking_for(district=town.district, week_start=WEEK + datetime.timedelta(days=7))
    assert {r.code: r.previous_rank_in_district for r in following.rows} == {
        r.community_code: r.rank_in_district for r in again.rows.all()
    }


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "1989-12-31", "2999-01-01", "someday"])
def test_the_publish_command_refuses_a_week_out_of_range_or_garbage_clearly(town, week):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("ranking_publish", district=town.district.code, week=week, user="town_admin")
    assert not RankingWeek.objects.exists()


# --- A week nobody worked -----------------------------------------------------------------------------------


@pytest.mark.parametrize("week", [datetime.date(2025, 12, 1), datetime.date(1990, 1, 1)])
def test_a_week_with_no_work_in_the_district_ranks_praises_and_names_nobody_and_cannot_be_published(town, week):
    # 2025-12-01: households registered, cases overdue since November, but nothing recorded in the week.
    # 1990-01-01: before anything was registered.
    ranking = ranking_for(district=town.district, week_start=week)

    assert not ranking.has_work
    assert ranking.ranked_rows == [] and ranking.praised == [] and ranking.named == []
    assert all(r.score is None and r.rank_in_district is None for r in ranking.rows)
    assert all(not s.ranked for s in ranking.subdistricts)
    with pytest.raises(ValidationError, match="无工作记录"):
        ranking_publish(actor=town.admin, district=town.district, week_start=week)
    assert not RankingWeek.objects.exists()


def test_only_a_community_that_worked_is_praised_and_one_level_with_the_best_without_work_is_not_named(town, settings):
    settings.RANKING_PRAISE_COUNT = 1
    weights_set(actor=town.admin, district=town.district, weights={**dict.fromkeys(DEFAULT_WEIGHTS, 0), "problems": 1})
    # The week of 11-24: a supervision notice in A1, nothing else recorded (cases overdue since November are
    # no work of the week). Everyone else ties at the top (no problem found) without having done anything:
    # none is praised, none is named; A1 is named.
    week = datetime.date(2025, 11, 24)
    town.case("A1", source="notice", opened="2025-11-25", deadline="2025-12-20")

    ranking = ranking_for(district=town.district, week_start=week)

    assert ranking.has_work and len(ranking.ranked_rows) == 6
    top = ["A2社区", "A3社区", "B1社区", "B2社区", "B3社区"]
    assert sorted(r.name for r in ranking.rows if r.rank_in_district == 1) == top
    assert ranking.praised == []
    assert [r.name for r in ranking.named] == ["A1社区"]
    # With a visit of its own, a community at the top is praised.
    town.visit("B2", 0, at("2025-11-26"))
    assert [r.name for r in ranking_for(district=town.district, week_start=week).praised] == ["B2社区"]


# --- The register as it stood at the week's end -------------------------------------------------------------


@pytest.mark.parametrize("probe", [20_000, 1], ids=["counted-directly", "today-less-changes-since"])
def test_households_count_as_registered_by_the_weeks_end_not_as_of_today(town, monkeypatch, probe):
    from reports import ranking as ranking_module

    monkeypatch.setattr(ranking_module, "REGISTER_PROBE", probe)  # both ways of counting give one answer
    b2 = town.unit["B2"].code
    town.homes("B2", 3, registered="2025-11-20")  # imported with a 登记日期 after the week
    town.homes("B2", 2, registered="2025-11-09")  # registered on the week's Sunday: counts
    HouseholdFactory(division=town.unit["B2"])  # registered today
    voided_after = town.households["B2"][1]
    Household.objects.filter(pk=voided_after.pk).update(voided_at=at("2025-11-15"))  # voided after: counted
    voided_before = town.households["B2"][2]
    Household.objects.filter(pk=voided_before.pk).update(voided_at=at("2025-11-02"))  # voided before: not
    from households.services import register_counts_refresh

    register_counts_refresh([b2])  # today's count, as the services keep it: 5 + 3 + 2 + 1 − 2 = 9

    inputs = community_inputs(district=town.district, week_start=WEEK)

    assert inputs[b2]["households"] == 5 + 2 - 1  # the 5 of the fixture, the 2 of Sunday, less the one voided before
    assert community_inputs(district=town.district, week_start=datetime.date(1990, 1, 1))[b2]["households"] == 0
    assert inputs[town.unit["A3"].code]["households"] == 20


def test_registering_today_does_not_change_an_ended_week_and_a_published_week_keeps_its_figures(town):
    before = ranking_for(district=town.district, week_start=WEEK)
    HouseholdFactory(division=town.unit["A3"], kind="coal_sale_point", estate="", address="某路9号")
    unchanged = ranking_for(district=town.district, week_start=WEEK)
    assert [(r.code, r.score) for r in unchanged.rows] == [(r.code, r.score) for r in before.rows]
    assert [s.mean_score for s in unchanged.subdistricts] == [s.mean_score for s in before.subdistricts]

    ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    town.homes("A3", 20, registered="2025-10-01")  # found missing from the register, imported with its date
    assert community_inputs(district=town.district, week_start=WEEK)[town.unit["A3"].code]["households"] == 40
    shown = ranking_for(district=town.district, week_start=WEEK)
    assert _by_name(town, shown)["A3"].inputs["households"] == 20
    assert [(r.code, r.score) for r in shown.rows] == [(r.code, pytest.approx(r.score)) for r in before.rows]


def test_a_published_week_keeps_whom_it_praised_and_named_when_the_setting_changes(town, settings):
    week = ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    assert [town.unit[n].code for n in ("B2", "A2", "A1")] == week.praised

    settings.RANKING_PRAISE_COUNT = 1
    shown = ranking_for(district=town.district, week_start=WEEK)

    assert [r.name for r in shown.praised] == ["B2社区", "A2社区", "A1社区"]
    assert [r.name for r in shown.named] == ["B3社区", "A3社区", "B1社区"]
    # Published before they were kept: computed by today's rule.
    RankingWeek.objects.filter(pk=week.pk).update(praised=None, named=None)
    assert [r.name for r in ranking_for(district=town.district, week_start=WEEK).praised] == ["B2社区"]
