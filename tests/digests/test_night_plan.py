"""The morning digest reports last night's plan team by team: doors checked, coal found, doors not reached."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from digests import services
from digests.selectors import digest_text
from inspections.services import fieldwork_void, inspection_record
from planning.selectors import night_in_progress
from planning.services import plan_operation_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def stairwell(household_in):
    """stairwell(community, building, rooms) -> the households of one stairwell, room by room."""

    def make(community, building, rooms):
        return [
            household_in(community, estate="龙亭小区", building=building, unit="1", room=str(room)) for room in rooms
        ]

    return make


@pytest.fixture
def plan_of(people):
    """plan_of(username, unit, teams, doors) -> tonight's plan for `unit`, turned into an operation."""

    def make(username, unit, *, teams, doors, title="零点夜查"):
        plan, _created = plan_operation_create(
            actor=people[username],
            unit=unit,
            night=night_in_progress(),
            teams=teams,
            doors=doors,
            title=title,
            leader="街道主任",
            members=[[people[username]]] * teams,  # every team staffed: one with nobody is refused
        )
        return plan

    return make


@pytest.fixture
def wulibao_night(people, wulibao, wulibao_community, stairwell, plan_of):
    """五里堡's plan of two teams: team 1 walks building 1 (rooms 101–112), team 2 building 2 (201–203).

    Team 1 checks 101 (no coal) and 102 (coal); team 2 checks 201 (a stove) and 202 (nobody home).
    """
    first = stairwell(wulibao_community, "1", range(101, 113))
    second = stairwell(wulibao_community, "2", range(201, 204))
    plan = plan_of("wulibao_admin", wulibao, teams=2, doors=12)
    inspector = people["wulibao_inspector"]
    for household, outcome in [
        (first[0], "no_coal"),
        (first[1], "loose_coal"),
        (second[0], "stove_in_use"),
        (second[1], "nobody_home"),
    ]:
        inspection_record(actor=inspector, household=household, kind="night_check", outcome=outcome)
    return plan


def test_each_team_gets_a_line_with_checked_found_and_not_reached(wulibao, wulibao_night):
    lines = digest_text(wulibao, night_in_progress()).split("\n")

    start = lines.index("**昨夜夜查计划：零点夜查**")
    team_1, team_2 = lines[start + 1], lines[start + 2]
    # Team 1: 12 doors, 101 and 102 checked, coal at 102; ten not reached, 103 to 112, all named.
    assert team_1 == (
        "第1组：计划12户，查了2户，发现燃煤1户，未到达10户："
        + "、".join(f"龙亭小区1号楼1单元{room}" for room in range(103, 113))
    )
    # Team 2: nobody home at 202 is still a door reached (a visit recorded); the stove at 201 is coal found.
    assert team_2 == "第2组：计划3户，查了2户，发现燃煤1户，未到达1户：龙亭小区2号楼1单元203"


def test_more_doors_not_reached_than_are_listed_end_in_how_many(wulibao, wulibao_community, stairwell, plan_of):
    stairwell(wulibao_community, "1", range(101, 116))

    plan_of("wulibao_admin", wulibao, teams=1, doors=15)
    text = digest_text(wulibao, night_in_progress())

    listed = "、".join(f"龙亭小区1号楼1单元{room}" for room in range(101, 111))
    assert f"第1组：计划15户，查了0户，发现燃煤0户，未到达15户：{listed}等15户" in text
    assert "龙亭小区1号楼1单元111" not in text


def test_a_team_that_reached_every_door_lists_none(people, wulibao, wulibao_community, stairwell, plan_of):
    doors = stairwell(wulibao_community, "3", range(301, 303))
    plan_of("wulibao_admin", wulibao, teams=1, doors=2)
    for household in doors:
        inspection_record(actor=people["wulibao_inspector"], household=household, kind="night_check", outcome="no_coal")

    assert "第1组：计划2户，查了2户，发现燃煤0户，未到达0户\n" in digest_text(wulibao, night_in_progress()) + "\n"


def test_a_subdistricts_digest_never_shows_another_subdistricts_plan(
    wulibao, huaihelu, huaihelu_community, stairwell, plan_of, wulibao_night
):
    stairwell(huaihelu_community, "9", range(901, 904))
    plan_of("qu_admin", huaihelu, teams=1, doors=3, title="淮河路夜查")
    today = night_in_progress()

    ours, theirs, district = (
        digest_text(wulibao, today),
        digest_text(huaihelu, today),
        digest_text(wulibao.parent, today),
    )

    assert "零点夜查" in ours and "淮河路夜查" not in ours and "9号楼" not in ours
    assert "淮河路夜查" in theirs and "零点夜查" not in theirs and "1号楼" not in theirs
    # The district's digest does not repeat the plans its subdistricts own.
    assert "夜查计划" not in district


def test_only_the_plan_of_the_digests_night_and_not_voided_is_reported(people, wulibao, wulibao_night):
    today = night_in_progress()

    assert "夜查计划" not in digest_text(wulibao, today - datetime.timedelta(days=1))
    fieldwork_void(actor=people["wulibao_admin"], record=wulibao_night.operation, reason="下雨取消")
    assert "夜查计划" not in digest_text(wulibao, today)


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_a_large_plan_reaches_each_robot_within_its_limit_every_team_once_in_order(
    request, kind, channel_for, wulibao, wulibao_community, stairwell, plan_of
):
    server = request.getfixturevalue(kind)
    channel_for(server, wulibao, kind)
    for building in range(1, 31):
        stairwell(wulibao_community, str(building), range(101, 113))
    plan_of("wulibao_admin", wulibao, teams=30, doors=12)
    (delivery,) = services.deliveries_prepare(date=night_in_progress())

    # The robots' stand-ins refuse a message over the service's limit (WeCom 40058, DingTalk 460101, Feishu 9499).
    assert services.delivery_send(delivery_id=delivery.pk) == "sent"

    received = "\n".join(server.texts)
    teams = re.findall(r"第(\d+)组：计划12户，查了0户，发现燃煤0户，未到达12户：龙亭小区\d+号楼1单元101、", received)
    assert teams == [str(n) for n in range(1, 31)]
    assert received.count("等12户") == 30
    if kind == "wecom":  # 4096 bytes a message: the plan does not fit in one
        assert len(server.texts) > 1


def test_the_digest_reads_a_plan_in_as_many_queries_however_many_teams(
    wulibao, wulibao_community, stairwell, plan_of, huaihelu, huaihelu_community
):
    """A plan of 50 teams is a digest of as many queries as a plan of two (its teams' members read at once)."""
    stairwell(wulibao_community, "1", range(101, 113))
    stairwell(huaihelu_community, "1", range(101, 113))
    plan_of("wulibao_admin", wulibao, teams=2, doors=6)
    plan_of("qu_admin", huaihelu, teams=6, doors=2)
    counts = []
    for unit in (wulibao, huaihelu):
        with CaptureQueriesContext(connection) as captured:
            text = digest_text(unit, night_in_progress())
        assert "第2组" in text
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
