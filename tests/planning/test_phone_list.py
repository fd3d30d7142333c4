"""Which lists a phone shows tonight: the plan's team as the operation now records it."""

import datetime
import re

import pytest

from inspections.services import operation_save
from planning.selectors import night_in_progress, phone_teams
from planning.services import plan_operation_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def tonight(people, wulibao, places):
    plan, _created = plan_operation_create(
        actor=people["wulibao_admin"],
        unit=wulibao,
        night=night_in_progress(),
        teams=1,
        doors=3,
        title="零点夜查",
        leader="王组长",
        members=[[people["wulibao_inspector"], people["wulibao_admin"]]],
    )
    return plan


def test_a_member_of_the_team_gets_the_list(people, tonight):
    assert [team.plan for team in phone_teams(people["wulibao_inspector"])] == [tonight]


def test_a_community_worker_on_the_team_gets_the_doors_of_the_community_numbered_as_the_team_has_them(
    client_as, people, wulibao, places, household_in, wulibao_other_community
):
    """An outside tester could not put a community's worker on a plan's team; once on it, the worker's phone
    lists the team's doors in the community, and says how many the teammates check elsewhere."""
    household_in(wulibao_other_community, estate="幸福小区", building="1", unit="1", room="101")
    worker, inspector = people["wulibao_worker"], people["wulibao_inspector"]
    plan, _created = plan_operation_create(
        actor=people["wulibao_admin"],
        unit=wulibao,
        night=night_in_progress(),
        teams=1,
        doors=50,
        title="零点夜查",
        leader="王组长",
        members=[[inspector, worker]],
    )

    (whole,) = phone_teams(inspector)
    (own,) = phone_teams(worker)
    community = places["found"].division_code
    assert {s.household.division_code for s in whole.stops} == {community, wulibao_other_community.code}
    assert own.plan == plan and own.count == whole.count - 1 and own.elsewhere == 1
    assert {s.household.division_code for s in own.stops} == {community}
    # Door numbers are the team's: the same door has the same number on both phones.
    numbers = {s.household_id: s.number for s in whole.stops}
    assert all(numbers[s.household_id] == s.number for s in own.stops)

    page = client_as("wulibao_worker").get("/field/").content.decode()
    assert "今晚名单：零点夜查 第1组" in page and "本组另有1户不在您的辖区内，由队友检查。" in page
    assert "幸福小区" not in page


def test_taken_off_the_operations_team_by_the_office_the_member_gets_no_list(people, tonight):
    operation_save(actor=people["wulibao_admin"], operation=tonight.operation, data={}, team=[people["wulibao_admin"]])

    assert phone_teams(people["wulibao_inspector"]) == []
    assert [team.plan for team in phone_teams(people["wulibao_admin"])] == [tonight]


def test_an_operation_moved_to_another_night_is_no_list_of_tonight(people, tonight):
    operation_save(
        actor=people["wulibao_admin"],
        operation=tonight.operation,
        data={"date": tonight.date + datetime.timedelta(days=1)},
    )

    assert phone_teams(people["wulibao_inspector"]) == []


def test_a_household_voided_since_the_plan_is_left_off_the_list(people, tonight):
    from households.services import household_void

    (team,) = phone_teams(people["wulibao_inspector"])
    gone = team.stops[0].household
    household_void(actor=people["wulibao_admin"], household=gone, reason="重复登记")

    (team,) = phone_teams(people["wulibao_inspector"])
    assert gone.pk not in {stop.household_id for stop in team.stops} and team.count == 2


def test_the_plan_api_counts_the_same_doors_as_the_lists(api_as, people, tonight):
    from households.services import household_void

    gone = tonight.team_rows.get().stops.first().household
    household_void(actor=people["wulibao_admin"], household=gone, reason="重复登记")
    api = api_as("wulibao_admin")

    (listed,) = api.get("/api/v1/night-plans/").json()["results"]
    one = api.get(f"/api/v1/night-plans/{tonight.pk}/").json()
    assert listed["stop_count"] == one["stop_count"] == sum(len(t["stops"]) for t in one["team_lists"]) == 2


def test_a_household_voided_in_the_middle_of_the_list_leaves_no_gap_in_the_numbers(client_as, people, tonight):
    """The plan page and the phone number the doors left 1, 2 (before: 1, 3 where the second was voided)."""
    from households.services import household_void

    middle = tonight.team_rows.get().stops.order_by("position")[1]
    household_void(actor=people["wulibao_admin"], household=middle.household, reason="重复登记")

    (team,) = phone_teams(people["wulibao_inspector"])
    assert [stop.number for stop in team.stops] == [1, 2]
    assert [stop.position for stop in team.stops] == [1, 3]  # as planned: the API gives it as stored
    rows = client_as("wulibao_admin").get(f"/plan/{tonight.pk}/").content.decode()
    numbers = re.findall(r'data-testid="stop"[^>]*>\s*<td>(\d+)</td>', rows)
    phone = client_as("wulibao_inspector").get("/field/").content.decode()
    labels = [stop.household.label for stop in team.stops]
    assert f"1. {labels[0]}" in phone and f"2. {labels[1]}" in phone
    assert f"3. {labels[1]}" not in phone
    assert numbers == ["1", "2"], numbers


def test_the_plan_page_says_when_the_office_moved_the_operation_or_took_a_member_off_it(client_as, people, tonight):
    """The phones follow the operation; the plan page kept showing the plan as made, as if the lists were out."""
    page = client_as("wulibao_admin").get(f"/plan/{tonight.pk}/").content.decode()
    assert 'data-testid="operation-moved"' not in page and 'data-testid="off-operation"' not in page

    operation_save(actor=people["wulibao_admin"], operation=tonight.operation, data={}, team=[people["wulibao_admin"]])
    page = client_as("wulibao_admin").get(f"/plan/{tonight.pk}/").content.decode()
    inspector = people["wulibao_inspector"].first_name or people["wulibao_inspector"].username
    assert f'<del data-testid="off-operation">{inspector}</del>' in page
    assert "不再在手机上看到" in page

    moved = tonight.date + datetime.timedelta(days=1)
    operation_save(actor=people["wulibao_admin"], operation=tonight.operation, data={"date": moved})
    page = client_as("wulibao_admin").get(f"/plan/{tonight.pk}/").content.decode()
    assert 'data-testid="operation-moved"' in page
    assert f"{moved.year}年{moved.month}月{moved.day}日" in page


def test_a_member_whose_place_ended_since_gets_no_list_and_nothing_of_the_plan(people, tonight):
    """Being on the team shows the list, but only its doors the member may see: with no place left, none, and not
    the operation's name or a count of doors either."""
    from divisions.services import membership_deactivate

    inspector = people["wulibao_inspector"]
    membership_deactivate(actor=people["qu_admin"], membership=inspector.memberships.get(), reason="调离")

    assert phone_teams(inspector) == []
