"""/api/v1/night-plans/: the plans the /plan/<id>/ pages show, with the same jurisdiction and the same coverage."""

import datetime
import uuid

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inspections.services import inspection_record
from planning.selectors import night_in_progress, plan_stops
from planning.services import plan_operation_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_plan(people, wulibao, places):
    """A plan of 五里堡 turned into an operation by its administrator: make_plan(teams=2, doors=3, night=today)."""

    def make(teams=2, doors=3, night=None):
        plan, _created = plan_operation_create(
            actor=people["wulibao_admin"],
            unit=wulibao,
            night=night or night_in_progress(),
            teams=teams,
            doors=doors,
            title="零点夜查",
            leader="王组长",
            # Every team staffed (a team with doors and no one in it is refused): the inspector walks with the
            # first, the administrator with the others.
            members=[[people["wulibao_inspector"]]] + [[people["wulibao_admin"]]] * (teams - 1),
            client_uuid=uuid.uuid4(),
        )
        return plan

    return make


@pytest.fixture
def night_plan(make_plan):
    return make_plan()


def test_an_inspector_reads_the_plan_with_each_teams_doors_and_what_was_covered(
    api_as, client_as, people, night_plan, places
):
    inspector = people["wulibao_inspector"]
    inspection_record(
        actor=inspector,
        household=places["tip_off"],
        kind="night_check",
        outcome="loose_coal",
        operation=night_plan.operation,
    )
    inspection_record(actor=inspector, household=places["old"], kind="night_check", outcome="no_coal")

    plan = api_as("wulibao_inspector").get(f"/api/v1/night-plans/{night_plan.pk}/").json()

    page = client_as("wulibao_inspector").get(f"/plan/{night_plan.pk}/").context
    assert (plan["covered"], plan["found"], plan["stop_count"]) == (page["covered"], page["found"], page["total"])
    assert (plan["covered"], plan["found"], plan["stop_count"]) == (2, 1, 6)
    assert (
        plan["division"] == "410103006" and plan["title"] == "零点夜查" and plan["operation"] == night_plan.operation_id
    )
    assert [t["number"] for t in plan["team_lists"]] == [1, 2]
    assert plan["team_lists"][0]["members"] == [
        {"id": inspector.pk, "username": "wulibao_inspector", "first_name": inspector.first_name}
    ]
    stops = {s["household"]: s for t in plan["team_lists"] for s in t["stops"]}
    assert (stops[places["tip_off"].pk]["covered"], stops[places["tip_off"].pk]["found"]) == (True, True)
    assert (stops[places["old"].pk]["covered"], stops[places["old"].pk]["found"]) == (True, False)
    assert stops[places["rebound"].pk]["covered"] is False
    assert stops[places["rebound"].pk]["score"] == 75 and stops[places["rebound"].pk]["parts"] == {
        "found": 40,
        "rebound": 35,
    }
    for team in plan["team_lists"]:
        assert team["covered"] == sum(s["covered"] for s in team["stops"])
        assert [s["position"] for s in team["stops"]] == list(range(1, len(team["stops"]) + 1))


def test_a_visit_before_the_plan_was_made_does_not_cover_its_door(api_as, people, places, make_plan):
    inspection_record(
        actor=people["wulibao_inspector"],
        household=places["found"],
        kind="survey",
        outcome="no_coal",
        started_at=timezone.now() - datetime.timedelta(days=2),
    )
    plan = api_as("wulibao_admin").get(f"/api/v1/night-plans/{make_plan().pk}/").json()

    assert plan["covered"] == 0


def test_a_plan_for_the_next_night_made_in_the_small_hours_does_not_count_the_night_still_going_on(
    api_as, client_as, people, make_plan
):
    """At 02:00 yesterday (the night before still on) the office planned yesterday's night: a door visited at
    02:30 was the night before's work, not the new plan's; a visit after 06:00 covers it."""
    day = timezone.localdate() - datetime.timedelta(days=1)  # the places' own visits are two days old or more
    at = lambda hour, minute: timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))  # noqa: E731
    with time_machine.travel(at(2, 0), tick=False):
        plan = make_plan(teams=1, doors=2, night=day)
    first, second = (stop.household for stop in plan_stops(plan))
    with time_machine.travel(at(2, 30), tick=False):
        inspection_record(actor=people["wulibao_inspector"], household=first, kind="night_check", outcome="no_coal")
    url = f"/api/v1/night-plans/{plan.pk}/"
    assert api_as("wulibao_admin").get(url).json()["covered"] == 0
    page = client_as("wulibao_admin").get(f"/plan/{plan.pk}/").content.decode()
    assert f"自{day:%Y-%m-%d} 06:00起" in page  # the page says from when a visit counts
    with time_machine.travel(at(6, 30), tick=False):
        inspection_record(actor=people["wulibao_inspector"], household=second, kind="survey", outcome="no_coal")
    assert api_as("wulibao_admin").get(url).json()["covered"] == 1


@pytest.mark.parametrize("username", ["huaihelu_inspector", "wulibao_worker", "nobody"])
def test_another_subdistrict_or_no_membership_sees_no_plan(api_as, night_plan, username):
    api = api_as(username)

    assert api.get("/api/v1/night-plans/").json()["results"] == []
    assert api.get(f"/api/v1/night-plans/{night_plan.pk}/").status_code == 404


@pytest.mark.parametrize("username", ["wulibao_admin", "wulibao_inspector", "qu_admin", "qu_leader"])
def test_the_subdistrict_and_the_district_see_the_plan(api_as, night_plan, username):
    api = api_as(username)

    assert [p["id"] for p in api.get("/api/v1/night-plans/").json()["results"]] == [night_plan.pk]
    assert api.get(f"/api/v1/night-plans/{night_plan.pk}/").status_code == 200


def test_an_anonymous_caller_is_refused(api_as, night_plan):
    assert api_as(None).get("/api/v1/night-plans/").status_code == 401
    assert api_as(None).get(f"/api/v1/night-plans/{night_plan.pk}/").status_code == 401


def test_plans_are_filtered_by_night_and_unit(api_as, make_plan):
    today = night_in_progress()
    tonight, tomorrow = make_plan(), make_plan(night=today + datetime.timedelta(days=1))
    api = api_as("qu_admin")

    def ids(query):
        response = api.get(f"/api/v1/night-plans/?{query}")
        assert response.status_code == 200
        return [p["id"] for p in response.json()["results"]]

    assert ids(f"date_after={today + datetime.timedelta(days=1)}") == [tomorrow.pk]
    assert ids(f"date_before={today}") == [tonight.pk]
    assert set(ids("division=410103006")) == {tonight.pk, tomorrow.pk}
    assert ids("division=410103001") == []


@pytest.mark.parametrize(
    ("username", "query", "field"),
    [
        ("qu_admin", "date_after=2026-13-40", "date_after"),  # the parameter sent, not the range's form field
        ("qu_admin", "date_before=abc", "date_before"),
        ("qu_admin", "division=999999", "division"),
        ("huaihelu_inspector", "division=410103006", "division"),  # not a unit the caller may filter by
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field_in_chinese(api_as, night_plan, username, query, field):
    response = api_as(username).get(f"/api/v1/night-plans/?{query}", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(response.json()[field]))


def count_queries(api, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_however_many_plans(api_as, make_plan):
    api = api_as("wulibao_admin")
    make_plan()
    one = count_queries(api, "/api/v1/night-plans/")
    for days in range(1, 4):
        make_plan(night=night_in_progress() + datetime.timedelta(days=days))
    assert count_queries(api, "/api/v1/night-plans/") == one


def test_a_plan_costs_the_same_queries_however_many_teams_and_doors(api_as, people, make_plan, places, wulibao):
    api = api_as("wulibao_admin")
    small = make_plan(teams=1, doors=1)
    large = make_plan(teams=3, doors=2)
    large.team_rows.get(number=2).members.add(people["wulibao_admin"])

    assert count_queries(api, f"/api/v1/night-plans/{small.pk}/") == count_queries(
        api, f"/api/v1/night-plans/{large.pk}/"
    )
