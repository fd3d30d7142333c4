"""The dashboard counts the user's jurisdiction only, says what the digest says, and costs the same
number of queries however many units have data."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case
from digests.selectors import digest_text
from divisions.models import Division, Level
from inspections.selectors import fieldwork_figures
from inspections.services import SeizureInput, conversion_set, inspection_record

pytestmark = pytest.mark.django_db

NEAR_HEYIDA = {"latitude": Decimal("34.753000"), "longitude": Decimal("113.642000")}  # ~70 m from 1323A
FAR_AWAY = {"latitude": Decimal("34.700000"), "longitude": Decimal("113.600000")}


def yesterday_at(hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def visit(people):
    """visit(username, household, outcome="no_coal", at=None, pieces=0) -> the inspection, through the service."""

    def make(username, household, outcome="no_coal", at=None, pieces=0):
        seizures = [SeizureInput("briquette", pieces, "confiscated")] if pieces else []
        return inspection_record(
            actor=people[username],
            household=household,
            kind="night_check",
            outcome=outcome,
            started_at=at or yesterday_at(23, 30),
            seizures=seizures,
        )

    return make


@pytest.fixture
def work(people, register, visit, wulibao_community, huaihelu_community):
    """五里堡: coal found near 河医大 (40 pieces), a clean visit, a completed conversion, an overdue case.
    淮河路: coal found far away (7 pieces)."""
    found = register("wulibao_admin", wulibao_community, room="101", **NEAR_HEYIDA)
    visit("wulibao_inspector", found, "loose_coal", pieces=40)
    clean = register("wulibao_admin", wulibao_community, room="102")
    visit("wulibao_inspector", clean, "no_coal", at=yesterday_at(15))
    conversion_set(
        actor=people["wulibao_admin"],
        household=clean,
        kind="electricity",
        status="completed",
        completed_on=timezone.localdate(),
    )
    theirs = register("qu_admin", huaihelu_community, estate="淮河苑", room="909", **FAR_AWAY)
    visit("huaihelu_inspector", theirs, "stove_in_use", pieces=7)
    # The night checks that found coal opened cases; make them overdue.
    Case.objects.update(deadline=timezone.localdate() - datetime.timedelta(days=3))
    return {"found": found, "clean": clean, "theirs": theirs}


def figure(response, name):
    return {n: v for n, _label, v, _url in response.context["cards"] + response.context["zone"]}[name]


def test_an_inspector_sees_only_their_subdistrict(client_as, wulibao, work):
    response = client_as("wulibao_inspector").get("/dashboard/")

    assert response.status_code == 200
    assert response.context["figures"] == fieldwork_figures(codes=[wulibao.code])
    assert figure(response, "briquettes_pieces") == 40
    assert figure(response, "households_checked") == 2
    assert figure(response, "overdue_cases") == 1
    assert figure(response, "priority_zone_found") == 1
    page = response.content.decode()
    assert "淮河苑" not in page and "散煤40块" in page
    # The table is by community within 五里堡, each row linking to its unit page.
    rows = response.context["rows"]
    assert {r["unit"].level for r in rows} == {Level.COMMUNITY}
    assert all(r["unit"].code.startswith(wulibao.code) for r in rows)
    mine = next(r for r in rows if r["visits"])
    assert (mine["visits"], mine["households_checked"], mine["households_with_coal_found"]) == (2, 2, 1)
    assert (mine["briquettes_pieces"], mine["conversions_completed"], mine["overdue_cases"]) == (40, 1, 1)
    assert f'href="/units/{mine["unit"].code}/"' in page
    # Every card links to the records behind it, filtered to the subdistrict.
    assert f'href="/cases/?division={wulibao.code}&amp;overdue=true"' in page
    assert f'href="/households/?division={wulibao.code}&amp;coal_status=found"' in page
    assert f'href="/fieldwork/inspections/?division={wulibao.code}"' in page


def test_another_subdistrict_cannot_be_asked_for(client_as, wulibao, huaihelu, work):
    assert client_as("huaihelu_inspector").get("/dashboard/", {"division": wulibao.code}).status_code == 404
    assert client_as("huaihelu_inspector").get("/dashboard/", {"division": "nonsense"}).status_code == 404
    response = client_as("huaihelu_inspector").get("/dashboard/", {"division": huaihelu.code})
    assert response.status_code == 200 and figure(response, "briquettes_pieces") == 7


def test_the_district_narrows_to_a_subdistrict(client_as, wulibao, work):
    whole = client_as("qu_admin").get("/dashboard/")
    narrowed = client_as("qu_admin").get("/dashboard/", {"division": wulibao.code})

    assert figure(whole, "briquettes_pieces") == 47
    assert {r["unit"].level for r in whole.context["rows"]} == {Level.SUBDISTRICT}
    assert (
        len(whole.context["rows"])
        == Division.objects.filter(level=Level.SUBDISTRICT, code__startswith="410103").count()
    )
    assert figure(narrowed, "briquettes_pieces") == 40
    assert narrowed.context["figures"] == fieldwork_figures(codes=[wulibao.code])


def test_nobody_sees_zeros(client_as, work):
    response = client_as("nobody").get("/dashboard/")

    assert response.status_code == 200
    assert response.context["figures"] == fieldwork_figures(codes=[])
    assert all(value == 0 for _name, _label, value, _url in response.context["cards"] + response.context["zone"])
    assert response.context["rows"] == []
    assert response.context["map"]["households"] == []
    assert all(sum(s["data"]) == 0 for s in response.context["trend"]["series"])


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_totals_are_the_digests_running_totals(client_as, wulibao, work):
    response = client_as("wulibao_inspector").get("/dashboard/")
    sentence = fieldwork_figures(codes=[wulibao.code]).sentence()

    assert response.context["figures"].sentence() == sentence
    assert sentence in response.content.decode()
    # A digest's running totals stand at the end of its day: today's has everything so far, as the dashboard.
    assert sentence in digest_text(wulibao, timezone.localdate())


def test_the_trend_counts_yesterdays_visits(client_as, work):
    trend = client_as("wulibao_inspector").get("/dashboard/").context["trend"]
    series = {s["key"]: s["data"] for s in trend["series"]}

    assert len(trend["dates"]) == 30
    assert series["visits"][-2] == 2 and series["night_checks"][-2] == 1 and series["coal_found"][-2] == 1
    assert sum(series["visits"]) == 2


def test_the_map_shows_only_households_in_scope(client_as, work):
    response = client_as("wulibao_inspector").get("/dashboard/")
    data = response.context["map"]

    assert [h["id"] for h in data["households"]] == [work["found"].pk]  # not the clean one, not 淮河路's
    assert data["centre"] == [34.7525, 113.64164]  # 河医大, whose zone holds a household in scope
    heyida = next(s for s in data["stations"] if s["code"] == "1323A")
    assert heyida["radius"] == 1000 and heyida["in_scope"]
    assert data["tile_url"] == ""
    # The page carries the same data for the script.
    page = response.content.decode()
    assert json.loads(page.split('id="dashboard-map-data" type="application/json">')[1].split("</script>")[0]) == data
    assert "淮河苑" not in page

    theirs = client_as("huaihelu_inspector").get("/dashboard/").context["map"]
    assert [h["id"] for h in theirs["households"]] == [work["theirs"].pk]
    assert theirs["centre"] is None


def test_the_map_says_when_it_is_capped(client_as, work, monkeypatch):
    from reports import dashboard

    monkeypatch.setattr(dashboard, "MAP_MARKER_LIMIT", 1)
    response = client_as("qu_admin").get("/dashboard/")
    assert len(response.context["map"]["households"]) == 1 and response.context["map"]["capped"]
    assert 'data-testid="map-capped"' in response.content.decode()
    assert not client_as("wulibao_inspector").get("/dashboard/").context["map"]["capped"]


def _work_in(subdistricts, people, register, visit):
    for subdistrict in subdistricts:
        community = subdistrict.children.order_by("code").first()
        household = register("qu_admin", community, room="1", **NEAR_HEYIDA)
        visit("qu_admin", household, "loose_coal", pieces=3)
        conversion_set(
            actor=people["qu_admin"],
            household=register("qu_admin", community, room="2"),
            kind="gas",
            status="completed",
            completed_on=timezone.localdate(),
        )
    Case.objects.update(deadline=timezone.localdate() - datetime.timedelta(days=3))


def _queries(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/dashboard/")
    assert response.status_code == 200
    return len(captured), response


def test_the_query_count_does_not_grow_with_the_units(client_as, erqi, people, register, visit):
    subdistricts = list(Division.objects.filter(level=Level.SUBDISTRICT, parent=erqi).order_by("code"))
    client = client_as("qu_admin")
    _work_in(subdistricts[:2], people, register, visit)
    two, response = _queries(client)
    assert sum(1 for r in response.context["rows"] if r["visits"]) == 2

    _work_in(subdistricts[2:6], people, register, visit)
    six, response = _queries(client)
    assert sum(1 for r in response.context["rows"] if r["visits"]) == 6
    assert sum(r["overdue_cases"] for r in response.context["rows"]) == figure(response, "overdue_cases") == 6
    assert two == six


def test_the_tile_url_comes_from_the_settings(client_as, settings, work):
    settings.MAP_TILE_URL = "https://tiles.intranet.example/{z}/{x}/{y}.png"
    data = client_as("wulibao_inspector").get("/dashboard/").context["map"]
    assert data["tile_url"] == settings.MAP_TILE_URL
