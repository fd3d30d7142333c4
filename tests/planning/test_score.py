"""The planner's order and score parts on the known data set of conftest.py, computed by hand."""

import datetime

import pytest
from django.apps import apps
from django.utils import timezone

from inspections.services import inspection_record
from planning.selectors import DEFAULT_WEIGHTS, night_start, plan_candidates
from planning.services import plan_weights_set
from planning.walking import teams_for

pytestmark = pytest.mark.django_db


def plan(unit, night=None, weights=None):
    return plan_candidates(unit=unit, night=night or timezone.localdate(), weights=weights or dict(DEFAULT_WEIGHTS))


def test_tonights_places_come_in_the_hand_computed_order_with_their_score_parts(places, wulibao):
    result = plan(wulibao)

    by_name = {v.pk: k for k, v in places.items()}
    assert [(by_name[c.pk], c.score) for c in result] == [
        ("rebound", 75),
        ("tip_off", 53),
        ("found", 40),
        ("banned", 35),
        ("shop", 28),
        ("old", 10),
    ]
    parts = {by_name[c.pk]: c.parts for c in result}
    assert parts["rebound"] == {"found": 40, "rebound": 35}
    assert parts["tip_off"] == {"open_case": 20, "tip_off": 15, "stale": 10, "courtyard": 8}
    assert parts["found"] == {"found": 40}
    assert parts["banned"] == {"recheck": 25, "stale": 10}
    assert parts["shop"] == {"stale": 10, "street_shop": 6, "priority_zone": 12}
    assert parts["old"] == {"stale": 10}


def test_a_place_cleared_tonight_drops_out_of_tomorrows_plan(places, people, wulibao):
    inspection_record(
        actor=people["wulibao_inspector"], household=places["found"], kind="night_check", outcome="no_coal"
    )

    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    names = {c.pk for c in plan(wulibao, night=tomorrow)}

    assert places["found"].pk not in names
    assert places["tip_off"].pk in names


def test_a_refused_door_is_not_a_check_and_stays_in_the_plan(places, people, wulibao):
    inspection_record(
        actor=people["wulibao_inspector"], household=places["found"], kind="night_check", outcome="refused"
    )

    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert places["found"].pk in {c.pk for c in plan(wulibao, night=tomorrow)}


def test_the_district_plan_takes_every_subdistrict_and_a_subdistrict_only_its_own(places, erqi, wulibao, huaihelu):
    assert places["elsewhere"].pk in {c.pk for c in plan(erqi)}
    assert places["elsewhere"].pk not in {c.pk for c in plan(wulibao)}
    assert [c.pk for c in plan(huaihelu)] == [places["elsewhere"].pk]


def test_a_new_weights_version_changes_the_order(places, people, erqi, wulibao):
    weights = {**DEFAULT_WEIGHTS, "street_shop": 100}
    plan_weights_set(actor=people["qu_admin"], district=erqi, weights=weights, note="沿街门店专项")

    from planning.selectors import current_weights

    current, version = current_weights(erqi)
    assert version.note == "沿街门店专项"
    assert plan(wulibao, weights=current)[0].pk == places["shop"].pk


@pytest.mark.skipif(not apps.is_installed("air"), reason="station readings are not installed")
def test_high_readings_at_the_zone_station_raise_its_zone(places, wulibao):
    from divisions.models import MonitoringStation

    reading = apps.get_model("air", "Reading")
    station = MonitoringStation.objects.get(code="1323A")
    end = night_start(timezone.localdate())
    reading.objects.bulk_create(
        reading(station=station, hour_ending=end - datetime.timedelta(hours=h), pm25=150) for h in range(72)
    )

    shop = next(c for c in plan(wulibao) if c.pk == places["shop"].pk)

    # 150 µg/m³ over the 75 µg/m³ limit: the zone's 12 points count twice.
    assert shop.parts["priority_zone"] == 24
    assert shop.score == 40


def test_teams_get_whole_stairwells_in_address_order(places, wulibao):
    teams, left = teams_for(plan(wulibao), teams=2, doors=3)

    # All six fit; dealt out in address order, so the two shops on 大学路 walk with the storage point beside them.
    names = {v.pk: k for k, v in places.items()}
    assert [[names[s.pk] for s in t.stops] for t in teams] == [
        ["banned", "rebound", "shop"],
        ["tip_off", "found", "old"],
    ]
    assert not left
    assert [(e.name.split()[-1], e.count) for e in teams[1].estates] == [("铁路新村", 1), ("龙亭小区", 2)]
    assert [(b.name, b.count) for b in teams[1].estates[1].children] == [("1", 1), ("2", 1)]


def test_what_does_not_fit_the_teams_is_the_lowest_scored(places, wulibao):
    teams, _left = teams_for(plan(wulibao), teams=1, doors=4)

    names = {v.pk: k for k, v in places.items()}
    assert sorted(names[s.pk] for s in teams[0].stops) == ["banned", "found", "rebound", "tip_off"]


def test_a_stairwell_larger_than_a_team_keeps_its_best_doors(household_in, wulibao_community, wulibao):
    for room in ("101", "201", "301", "401"):
        household_in(wulibao_community, estate="龙亭小区", building="5", unit="1", room=room, unmanaged=room == "401")

    teams, _left = teams_for(plan(wulibao), teams=1, doors=2)

    rooms = [stop.room for stop in teams[0].stops]
    assert len(rooms) == 2 and "401" in rooms


@pytest.mark.skipif(not apps.is_installed("air"), reason="station readings are not installed")
def test_only_zone_stations_holding_the_units_places_weigh_or_are_named(places, wulibao):
    # 岗李水库 is a background station with no priority zone; 经开区管委 has a zone, but none of 五里堡's places lie
    # in it. Both read high: neither may weigh 五里堡's plan; 河医大 (the shop's zone) does.
    from divisions.models import MonitoringStation
    from planning.selectors import station_factors

    reading = apps.get_model("air", "Reading")
    end = night_start(timezone.localdate())
    stations = {s.code: s for s in MonitoringStation.objects.filter(code__in=["1323A", "1324A", "1320A"])}
    assert not stations["1324A"].has_priority_zone and stations["1320A"].has_priority_zone
    reading.objects.bulk_create(
        reading(station=s, hour_ending=end - datetime.timedelta(hours=h), pm25=150)
        for s in stations.values()
        for h in range(72)
    )

    assert set(station_factors(timezone.localdate(), wulibao)) == {stations["1323A"].pk}
    assert set(station_factors(timezone.localdate())) == {stations["1323A"].pk, stations["1320A"].pk}


@pytest.mark.skipif(not apps.is_installed("air"), reason="station readings are not installed")
def test_the_plan_page_names_only_the_stations_that_weigh_its_places(client_as, places):
    from divisions.models import MonitoringStation

    reading = apps.get_model("air", "Reading")
    end = night_start(timezone.localdate())
    stations = MonitoringStation.objects.filter(code__in=["1323A", "1324A", "1320A"])
    reading.objects.bulk_create(
        reading(station=s, hour_ending=end - datetime.timedelta(hours=h), pm25=150) for s in stations for h in range(72)
    )

    page = client_as("wulibao_inspector").get("/plan/?teams=2&doors=4").content.decode()

    assert "河医大" in page
    assert "经开区管委" not in page and "岗李水库" not in page


def test_three_teams_share_the_doors_evenly_in_whole_stairwells(household_in, wulibao_community, wulibao):
    # 41 doors in 41 stairwells of one estate: dealt team by team to 20 doors each, they went out 20 / 20 / 1.
    for building in range(1, 42):
        household_in(wulibao_community, estate="龙亭小区", building=str(building), unit="1", room="101")

    teams, left = teams_for(plan(wulibao), teams=3, doors=20)

    assert [t.count for t in teams] == [14, 13, 14]
    assert not left
    # Neighbours together: each team walks a run of consecutive buildings.
    buildings = [[int(s.building) for s in t.stairwells] for t in teams]
    assert buildings == [list(range(1, 15)), list(range(15, 28)), list(range(28, 42))]


def test_even_shares_keep_stairwells_whole_and_the_same_places(household_in, wulibao_community, wulibao):
    # Stairwells of 6, 6, 6, 6, 6 and 5 doors (35) for three teams of up to 15: 12 / 12 / 11, never a split stairwell.
    for building, doors in enumerate((6, 6, 6, 6, 6, 5), start=1):
        for floor in range(1, doors + 1):
            household_in(wulibao_community, estate="龙亭小区", building=str(building), unit="1", room=f"{floor}01")
    candidates = plan(wulibao)

    teams, left = teams_for(candidates, teams=3, doors=15)

    assert [t.count for t in teams] == [12, 12, 11] and not left
    assert sorted(s.pk for t in teams for s in t.stops) == sorted(c.pk for c in candidates)
    for team in teams:
        assert all(len({s.building for s in w.stops}) == 1 and w.count in (5, 6) for w in team.stairwells)


def test_a_zones_points_are_its_weight_times_the_factor_the_page_prints(client_as, places, wulibao):
    """An outside tester read ×2.11 on the page beside 25.29 points (12 × 2.1076…), not 25.32."""
    from divisions.models import MonitoringStation

    reading = apps.get_model("air", "Reading")
    station = MonitoringStation.objects.get(code="1323A")
    end = night_start(timezone.localdate())
    reading.objects.bulk_create(  # a mean of 158.07 µg/m³: 2.1076 times the limit
        reading(station=station, hour_ending=end - datetime.timedelta(hours=h), pm25=158.07) for h in range(72)
    )

    shop = next(c for c in plan(wulibao) if c.pk == places["shop"].pk)

    assert shop.parts["priority_zone"] == pytest.approx(25.32)
    assert "×2.11" in client_as("wulibao_admin").get("/plan/").content.decode()
