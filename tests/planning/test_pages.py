"""/plan/: who sees which plan, what the page shows, bad input, the operation made from it, and query counts."""

import datetime
import io
import re
import uuid

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from docx import Document

from inspections.models import NightOperation
from inspections.services import inspection_record
from planning.models import NightPlan, PlanStop, PlanWeights
from planning.selectors import DEFAULT_WEIGHTS, night_in_progress
from planning.services import plan_operation_create

User = get_user_model()

pytestmark = pytest.mark.django_db

WULIBAO = "410103006"


def test_a_subdistrict_inspector_sees_tonights_plan_with_each_places_score_parts(client_as, places):
    response = client_as("wulibao_inspector").get("/plan/")

    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["unit"].code == WULIBAO
    stops = [s for t in response.context["teams"] for s in t.stops]
    assert {s.pk for s in stops} == {places[k].pk for k in ("rebound", "tip_off", "found", "banned", "shop", "old")}
    assert "大学路12号" in html and ">75<" in html
    # The parts of the score, in Chinese.
    assert "发现散煤未清" in html and "取缔点反弹" in html


def test_another_subdistricts_plan_is_not_found(client_as, places):
    assert client_as("huaihelu_inspector").get(f"/plan/?unit={WULIBAO}").status_code == 404


def test_a_user_without_membership_sees_nothing(client_as, places):
    assert client_as("nobody").get("/plan/").status_code == 404
    assert client_as("nobody").get("/plan/weights/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, places):
    response = client.get("/plan/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_district_office_plans_across_its_subdistricts(client_as, places):
    response = client_as("qu_admin").get("/plan/?unit=410103&teams=3&doors=10")

    assert response.status_code == 200
    pks = {s.pk for t in response.context["teams"] for s in t.stops}
    assert places["elsewhere"].pk in pks and places["rebound"].pk in pks


@pytest.mark.parametrize(
    "query", ["teams=0", "doors=1000", "teams=abc", "night=2026-13-40", "night=0001-01-01", "unit=x"]
)
def test_bad_plan_sizes_and_dates_are_refused_in_chinese(client_as, places, query):
    response = client_as("wulibao_admin").get(f"/plan/?{query}")

    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert response.context["form"].errors
        assert not response.context.get("teams")


def test_the_page_makes_the_same_number_of_queries_however_many_places(client_as, household_in, wulibao_community):
    client = client_as("wulibao_admin")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/plan/?teams=3&doors=20").status_code == 200
        return len(captured)

    household_in(wulibao_community, estate="甲小区", building="1", unit="1", room="101")
    few = queries()
    for n in range(40):
        household_in(wulibao_community, estate=f"小区{n % 3}", building=str(n % 5), unit="1", room=f"{n}01")
    assert queries() == few
    # Nor with the number of teams (each team's list of people is read once for all).
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/plan/?teams=12&doors=3").status_code == 200
    assert len(captured) == few


def test_the_plan_downloads_as_a_docx_with_each_teams_doors(client_as, places):
    response = client_as("wulibao_inspector").get("/plan/?teams=2&doors=4&format=docx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    text = "\n".join(c.text for t in Document(io.BytesIO(response.content)).tables for r in t.rows for c in r.cells)
    assert "大学路12号" in text


def operation_post(client, **extra):
    """Two teams of three doors: the inspector walks with team 1, the administrator with team 2, unless told."""
    staff = dict(User.objects.filter(username__in=["wulibao_inspector", "wulibao_admin"]).values_list("username", "pk"))
    data = {
        "unit": WULIBAO,
        "teams": "2",
        "doors": "3",
        "title": "今晚夜查",
        "leader": "街道主任",
        "client_uuid": str(uuid.uuid4()),
        "team_1": [staff.get("wulibao_inspector")],
        "team_2": [staff.get("wulibao_admin")],
        **extra,
    }
    return client.post("/plan/operation/", data)


def test_a_subdistrict_administrator_turns_the_plan_into_an_operation_once(client_as, people, places):
    client = client_as("wulibao_admin")
    key = str(uuid.uuid4())
    inspector = people["wulibao_inspector"].pk

    first = operation_post(client, client_uuid=key, team_1=[inspector])
    again = operation_post(client, client_uuid=key, team_1=[inspector])

    night_plan = NightPlan.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/plan/{night_plan.pk}/"
    assert NightOperation.objects.count() == 1
    operation = night_plan.operation
    assert operation.division.code == WULIBAO
    assert set(operation.team.all()) == {people["wulibao_inspector"], people["wulibao_admin"]}
    assert list(night_plan.team_rows.get(number=1).members.all()) == [people["wulibao_inspector"]]
    assert list(night_plan.team_rows.get(number=2).members.all()) == [people["wulibao_admin"]]
    assert PlanStop.objects.filter(team__plan=night_plan).count() == 6
    assert night_plan.weights == DEFAULT_WEIGHTS


def test_one_person_in_two_teams_is_refused_and_nothing_is_made(client_as, people, places):
    inspector = people["wulibao_inspector"].pk

    response = operation_post(client_as("wulibao_admin"), team_1=[inspector], team_2=[inspector])

    assert response.status_code == 200
    assert "已在另一组" in response.content.decode()
    assert not NightOperation.objects.exists()


def test_a_team_with_doors_and_no_one_in_it_is_refused_and_nothing_is_made(client_as, people, places):
    """Its list would show on no one's phone, and a plan's teams are not re-staffed afterwards."""
    response = operation_post(client_as("wulibao_admin"), team_2=[])

    assert response.status_code == 200
    assert "第2组还没有队员" in response.content.decode()
    # Under team 2's picker, which is marked as the one to correct; no field marked valid beside it.
    form = response.context["operation_form"]
    assert list(form.errors) == ["team_2"]
    assert "is-valid" not in response.content.decode()
    assert not NightOperation.objects.exists() and not NightPlan.objects.exists()


def test_the_plan_page_offers_a_fresh_submission_key(client_as, places):
    form = client_as("wulibao_admin").get("/plan/").context["operation_form"]

    assert form.initial["client_uuid"]


def test_an_inspector_may_not_plan_an_operation(client_as, places):
    assert operation_post(client_as("wulibao_inspector")).status_code == 403
    assert not NightOperation.objects.exists()


def test_another_subdistrict_may_not_plan_ours(client_as, places):
    assert operation_post(client_as("huaihelu_inspector")).status_code == 404
    assert not NightOperation.objects.exists()


def test_an_operation_without_a_title_is_refused_and_nothing_is_made(client_as, places):
    response = operation_post(client_as("wulibao_admin"), title="")

    assert response.status_code == 200
    assert "该字段是必填项" in response.content.decode()
    assert not NightOperation.objects.exists() and not NightPlan.objects.exists()


def test_the_plan_shows_what_was_covered_as_visits_come_in(client_as, people, places):
    operation_post(client_as("wulibao_admin"))
    night_plan = NightPlan.objects.get()
    client = client_as("wulibao_inspector")
    assert client.get(f"/plan/{night_plan.pk}/").context["covered"] == 0

    inspection_record(
        actor=people["wulibao_inspector"],
        household=places["tip_off"],
        kind="night_check",
        outcome="loose_coal",
        operation=night_plan.operation,
    )
    inspection_record(actor=people["wulibao_inspector"], household=places["old"], kind="night_check", outcome="no_coal")

    response = client.get(f"/plan/{night_plan.pk}/")
    assert (response.context["covered"], response.context["found"], response.context["total"]) == (2, 1, 6)
    assert "6户中已查2户" in response.content.decode()
    # Who leads the night, as the operation's .docx says it (an outside planner missed it on the page).
    assert f"带队领导：{night_plan.operation.leader}" in response.content.decode()
    # The operation's page counts the one visit sent as part of it, and says why the plan's figure is 2: an outside
    # tester met 4 on one page and 7 on the other with no word of why.
    operation = client.get(night_plan.operation.get_absolute_url())
    assert operation.context["households_visited"] == 1
    said = operation.content.decode()
    assert "本行动由夜查计划生成：计划6户，已查2户，发现散煤1户。" in said and f'href="/plan/{night_plan.pk}/"' in said


def test_another_subdistricts_plan_and_operation_are_not_found(client_as, places):
    operation_post(client_as("wulibao_admin"))
    night_plan = NightPlan.objects.get()

    assert client_as("huaihelu_inspector").get(f"/plan/{night_plan.pk}/").status_code == 404
    assert client_as("huaihelu_inspector").get(night_plan.operation.get_absolute_url()).status_code == 404
    assert client_as("nobody").get(f"/plan/{night_plan.pk}/").status_code == 404
    assert client_as("wulibao_worker").get(f"/plan/{night_plan.pk}/").status_code == 404
    assert client_as("qu_leader").get(f"/plan/{night_plan.pk}/").status_code == 200


def test_only_the_district_office_changes_the_weights(client_as, places):
    data = {**{k: str(v) for k, v in DEFAULT_WEIGHTS.items()}, "found": "60", "note": "加重"}

    assert client_as("wulibao_admin").post("/plan/weights/", data).status_code == 403
    assert not PlanWeights.objects.exists()

    assert client_as("qu_admin").post("/plan/weights/", data).status_code == 302
    assert PlanWeights.objects.get().weights["found"] == 60


def test_bad_weights_are_refused_and_nothing_is_saved(client_as, places):
    data = {**{k: str(v) for k, v in DEFAULT_WEIGHTS.items()}, "stale_days": "0", "found": "-1"}

    response = client_as("qu_admin").post("/plan/weights/", data)

    assert response.status_code == 200
    assert "确保该值大于或等于" in response.content.decode()
    assert not PlanWeights.objects.exists()


def test_the_plan_page_names_no_station_without_a_priority_zone(client_as, places):
    # 岗李水库 is a background station: /air/ lists it without a zone, so its readings weigh no place.
    import datetime

    from django.apps import apps
    from django.utils import timezone

    from divisions.models import MonitoringStation
    from planning.selectors import night_start

    reading = apps.get_model("air", "Reading")
    end = night_start(timezone.localdate())
    reading.objects.bulk_create(
        reading(station=s, hour_ending=end - datetime.timedelta(hours=h), pm25=150)
        for s in MonitoringStation.objects.filter(code__in=["1323A", "1324A"])
        for h in range(72)
    )
    page = client_as("wulibao_inspector").get("/plan/").content.decode()
    assert "河医大" in page and "岗李水库" not in page


def test_the_team_pickers_offer_only_people_who_work_in_the_plans_unit(client_as, people, places):
    # 淮河路's inspector was offered on 五里堡's plan (and then refused by the operation service).
    form = client_as("wulibao_admin").get("/plan/").context["operation_form"]
    offered = {value for value, _label in form.fields["team_1"].choices}

    assert str(people["wulibao_inspector"].pk) in offered
    assert str(people["qu_admin"].pk) in offered  # the district above: a leader may walk with a team
    assert str(people["huaihelu_inspector"].pk) not in offered
    # A community's worker walks with a team too (an outside tester found no way to put one on it); the phone
    # shows them the team's doors in the community (tests/planning/test_phone_list.py).
    assert str(people["wulibao_worker"].pk) in offered
    response = operation_post(client_as("wulibao_admin"), team_1=[people["huaihelu_inspector"].pk])
    assert response.status_code == 200 and not NightOperation.objects.exists()


def test_a_team_with_a_door_none_of_its_members_may_see_is_refused(
    people, wulibao, places, household_in, wulibao_other_community
):
    """A community's worker alone on a team sees only the community's doors: a door of the next community would
    show on no one's phone (an earlier tester's worker alone on a team got no list at all)."""
    from django.core.exceptions import ValidationError

    from planning.services import plan_operation_create

    next_door = household_in(wulibao_other_community, estate="幸福小区", building="1", unit="1", room="101")
    plan = {"unit": wulibao, "night": night_in_progress(), "teams": 1, "doors": 50, "title": "零点夜查"}
    plan["leader"] = "街道主任"
    with pytest.raises(ValidationError) as refused:
        plan_operation_create(actor=people["wulibao_admin"], members=[[people["wulibao_worker"]]], **plan)

    assert list(refused.value.message_dict) == ["team_1"]
    (message,) = refused.value.messages
    assert message == (
        f"第1组有1户不在任何队员的辖区内（包括{next_door.label}），不会显示在任何人的手机上：请给该组加一名五里堡街道的人员。"
    )
    assert not NightOperation.objects.exists() and not NightPlan.objects.exists()

    # With someone of the subdistrict beside the worker, the team is made.
    made, created = plan_operation_create(
        actor=people["wulibao_admin"], members=[[people["wulibao_worker"], people["wulibao_inspector"]]], **plan
    )
    assert created and set(made.operation.team.all()) == {people["wulibao_worker"], people["wulibao_inspector"]}


def test_only_the_night_in_progress_is_titled_tonight(client_as, places):
    client = client_as("wulibao_admin")
    tonight = night_in_progress()

    assert "<title>今晚查哪里" in client.get("/plan/").content.decode()
    for night in (tonight + datetime.timedelta(days=3), tonight + datetime.timedelta(days=1)):
        html = client.get("/plan/", {"unit": "410103006", "night": night.isoformat()}).content.decode()
        heading = re.search(r"<h1.*?</h1>", html, re.S).group()
        assert "<title>查哪里" in html and "今晚" not in heading  # the menu's link still says 今晚查哪里: it is
        assert f"{night.month}月{night.day}日夜" in heading


def test_a_night_gone_by_is_not_planned_nor_turned_into_an_operation(client_as, places, people):
    """An outside tester planned 2016-12-21 (for 2026) and made it an operation: today's register scored for a
    night ten years ago, today's visits counted as covering it."""
    from django.core.exceptions import ValidationError

    from divisions.models import Division
    from planning.models import NightPlan
    from planning.services import plan_operation_create

    past = night_in_progress() - datetime.timedelta(days=1)
    client = client_as("wulibao_admin")
    html = client.get("/plan/", {"unit": "410103006", "night": past.isoformat()}).content.decode()
    assert f"{past.isoformat()}这一夜已经过去" in html and 'data-testid="stop"' not in html
    with pytest.raises(ValidationError) as refused:
        plan_operation_create(
            actor=people["wulibao_admin"],
            unit=Division.objects.get(code="410103006"),
            night=past,
            teams=1,
            doors=3,
            title="补录",
            leader="",
            members=[[people["wulibao_inspector"]]],
        )
    assert "night" in refused.value.message_dict
    assert not NightPlan.objects.exists()


def test_the_plan_speaks_english_with_english_dates_and_reasons(client_as, places):
    from django.utils import translation

    client = client_as("wulibao_inspector")
    try:
        client.post("/i18n/setlang/", {"language": "en", "next": "/plan/"})
        html = client.get("/plan/").content.decode()
    finally:
        translation.activate("zh-hans")  # the request left English active in this thread

    assert "Where to check tonight" in html and "night of " in html
    assert "年" not in html and "日夜" not in html
    assert "回头看到期" not in html and "无主管" not in html
    assert "Not visited lately" in html


def test_after_midnight_the_page_plans_the_night_still_going_on_as_the_phones_count_it(client_as, places):
    """At 00:45 on the 5th the night of the 4th is still on: the page offers the 4th, the night the inspectors'
    phones show a plan for, not the 5th."""
    zone = timezone.get_current_timezone()
    with time_machine.travel(datetime.datetime(2026, 12, 5, 0, 45, tzinfo=zone), tick=False):
        page = client_as("wulibao_admin").get("/plan/")
        assert night_in_progress() == datetime.date(2026, 12, 4)
    assert page.status_code == 200
    assert page.context["form"]["night"].value() == "2026-12-04"
    assert 'value="2026-12-04"' in page.content.decode()
    with time_machine.travel(datetime.datetime(2026, 12, 5, 7, 0, tzinfo=zone), tick=False):
        assert client_as("wulibao_admin").get("/plan/").context["form"]["night"].value() == "2026-12-05"


def test_editing_an_operation_keeps_a_district_leader_the_planner_put_on_a_team(client_as, people, wulibao, places):
    """An outside tester changed only the title of an operation made from a plan: its district member was not
    offered on the form, and saving took him off his team (and its list off his phone)."""
    from django.urls import reverse

    from tests.inspections.test_pages_operations import form_data

    leader, inspector = people["qu_admin"], people["wulibao_inspector"]
    plan, _created = plan_operation_create(
        actor=people["wulibao_admin"],
        unit=wulibao,
        night=night_in_progress(),
        teams=2,
        doors=3,
        title="零点夜查",
        leader="区委书记",
        members=[[inspector], [leader]],
    )
    operation = plan.operation
    url = reverse("inspections:operation-update", args=[operation.pk])
    client = client_as("wulibao_admin")

    form = client.get(url).context["form"]
    assert leader in form.fields["team"].queryset and set(form.initial["team"]) == {leader, inspector}
    data = form_data(operation.division, operation.covered.all(), team=[inspector, leader], title="零点夜查（改）")
    data["date"] = operation.date.isoformat()
    assert client.post(url, data).status_code == 302

    operation.refresh_from_db()
    assert operation.title == "零点夜查（改）"
    assert set(operation.team.all()) == {leader, inspector}
    # One of another subdistrict is still not offered, nor taken.
    outsider = people["huaihelu_inspector"]
    assert outsider not in client.get(url).context["form"].fields["team"].queryset
    refused = client.post(url, {**data, "team": [inspector.pk, outsider.pk]})
    assert refused.status_code == 200 and "team" in refused.context["form"].errors


def test_places_a_stairwell_holds_beyond_a_teams_doors_are_counted_not_dropped_silently(
    client_as, people, household_in, wulibao_community
):
    """An outside planner: a stairwell with more scoring doors than a team's list lost the rest without a word."""
    for room in ("101", "201", "301", "401", "501"):
        household = household_in(wulibao_community, estate="铁路新村", building="4", unit="2", room=room)
        inspection_record(
            actor=people["wulibao_admin"],
            household=household,
            kind="survey",
            outcome="loose_coal",
            started_at=timezone.now() - datetime.timedelta(days=3),
        )

    page = client_as("wulibao_admin").get("/plan/", {"teams": 1, "doors": 3})

    assert page.context["suggested"] == 3
    assert page.context["cut"] == 2
    assert "名单上的楼道里另有2处得分靠前，但超出每组3户的上限" in re.sub(r"\s+", "", page.content.decode())
