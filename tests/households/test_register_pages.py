"""Every page of the register, the first and the deep ones, for each scope a person may list: the same households
in the same order (the unit's households, newest first) on the page and through the API, whatever way the database
is asked for them, and for the same number of queries on any page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from households.models import Household
from tests.factories import MembershipFactory, UserFactory

API_LIST = "/api/v1/households/"
PER_PAGE = 3  # small pages, so a register of forty has deep ones


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr("households.views.HouseholdListView.paginate_by", PER_PAGE)


@pytest.fixture
def register_of_forty(household_in, wulibao_community, grid, wulibao_other_community, huaihelu_community):
    """Forty households taking turns between the worker's community, its grid, a sibling community of 五里堡 and
    a community of 淮河路 (no unit's households are consecutive); coal found in every third, 王 heads every fifth,
    every seventh voided."""
    places = [wulibao_community, grid, wulibao_other_community, huaihelu_community]
    for i in range(40):
        household_in(
            places[i % 4],
            coal_status="found" if i % 3 == 0 else "never",
            head_name="王桂兰" if i % 5 == 0 else "李建国",
            voided_at=timezone.now() if i % 7 == 6 else None,
        )


@pytest.fixture
def grid_worker(grid):
    return MembershipFactory(user=UserFactory(username="grid_worker"), division=grid, role="community_worker").user


def expected(code_prefixes, params):
    """The register's definition of the list, written out plainly: current households under the units, newest
    first."""
    households = Household.objects.filter(voided_at__isnull=True).order_by("-id")
    if "coal_status" in params:
        households = households.filter(coal_status=params["coal_status"])
    if "q" in params:
        households = households.filter(head_name__contains=params["q"])
    return [h.pk for h in households if any(h.division_code.startswith(code) for code in code_prefixes)]


def every_page(client):
    """Walk the page's numbered pages and the API's cursor pages; the households of both, in order."""

    def walk(params):
        on_pages, number = [], 1
        while True:
            response = client.get(reverse("households:list"), {**params, "page": number})
            assert response.status_code == 200
            on_pages += [h.pk for h in response.context["object_list"]]
            if not response.context["page_obj"].has_next():
                return on_pages
            number += 1

    return walk


def every_api_page(api, params):
    in_api, url, query = [], API_LIST, {**params, "page_size": PER_PAGE}
    while url:
        response = api.get(url, query)
        assert response.status_code == 200
        in_api += [row["id"] for row in response.json()["results"]]
        url, query = response.json()["next"], None
    return in_api


FILTERS = [{}, {"coal_status": "found"}, {"q": "王"}]


@pytest.mark.parametrize("params", FILTERS, ids=["all", "coal found", "search"])
@pytest.mark.parametrize(
    ("username", "unit", "prefixes"),
    [
        ("qu_admin", None, ["410103"]),
        ("qu_admin", "erqi", ["410103"]),
        ("qu_admin", "wulibao", ["410103006"]),
        ("qu_admin", "wulibao_community", ["wulibao_community"]),  # with a grid below it
        ("qu_admin", "wulibao_other_community", ["wulibao_other_community"]),  # nothing below it
        ("qu_admin", "huaihelu_community", ["huaihelu_community"]),
        ("wulibao_inspector", None, ["410103006"]),
        ("wulibao_inspector", "wulibao_other_community", ["wulibao_other_community"]),
        ("wulibao_worker", None, ["wulibao_community"]),
        ("wulibao_worker", "wulibao_community", ["wulibao_community"]),
        ("huaihelu_inspector", None, ["410103001"]),
        ("grid_worker", None, ["grid"]),
    ],
)
def test_every_page_lists_the_scopes_households_newest_first_on_the_page_and_in_the_api(
    request, client, people, grid_worker, register_of_forty, username, unit, prefixes, params
):
    from rest_framework.test import APIClient

    user = grid_worker if username == "grid_worker" else people[username]
    codes = [request.getfixturevalue(p).code if not p.isdigit() else p for p in prefixes]
    if unit:
        params = {**params, "division": request.getfixturevalue(unit).code}
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)

    want = expected(codes, params)

    assert want  # every scope and filter here finds some
    assert every_page(client)(params) == want
    assert every_api_page(api, params) == want


def test_another_subdistricts_inspector_finds_none_of_wulibaos_households_on_any_page(
    client_as, api_as, register_of_forty, wulibao
):
    wulibao_households = set(
        Household.objects.filter(division_code__startswith=wulibao.code).values_list("pk", flat=True)
    )

    listed = every_page(client_as("huaihelu_inspector"))({}) + every_api_page(api_as("huaihelu_inspector"), {})

    assert listed and not wulibao_households & set(listed)


def test_a_user_without_membership_finds_nothing_on_any_page(client_as, api_as, register_of_forty):
    assert every_page(client_as("nobody"))({}) == []
    assert every_api_page(api_as("nobody"), {}) == []
    assert client_as("nobody").get(reverse("households:list"), {"page": 2}).status_code == 404


@pytest.mark.parametrize("unit", ["wulibao_other_community", "wulibao_community", "wulibao"])
def test_a_deep_page_costs_the_same_queries_as_the_first(client_as, register_of_forty, request, unit):
    client = client_as("qu_admin")
    params = {"division": request.getfixturevalue(unit).code}
    client.get(reverse("households:list"), params)
    counts = []
    for page in (1, 2, 3):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("households:list"), {**params, "page": page})
        assert response.context["object_list"]
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1] == counts[2]


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        # Statistics as a real register has them; with forty rows PostgreSQL would rightly read the whole table.
        cursor.execute("ANALYZE households_household")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    return queryset.explain()


def _page(client, params):
    response = client.get(reverse("households:list"), params)
    assert response.status_code == 200
    return response.context["page_obj"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_a_communitys_first_page_is_read_newest_first_from_the_unit_index_without_sorting(
    client_as, register_of_forty, wulibao_other_community
):
    """A community with nothing below it is listed by its code's equality, which the (division_code, id) index
    serves in the list's order: the page's ids are read from the index alone, newest first, never sorted."""
    shown = _page(client_as("wulibao_inspector"), {"division": wulibao_other_community.code})

    plan = _plan(shown.object_list)

    assert "Index Only Scan Backward using household_unit_newest on households_household u0" in plan, plan
    assert "Sort Key: u0" not in plan, plan


def test_a_deep_page_skips_the_pages_before_it_by_their_ids_alone(
    client_as, register_of_forty, wulibao_other_community
):
    """Page 100 of a community must not fetch the 4,950 households before it from the table to throw them away: the
    OFFSET is taken over ids (which an index holds whole), and only the page's own households are read. (At a million
    households the bench shows the plan: an index-only scan.)"""
    client = client_as("qu_admin")
    with CaptureQueriesContext(connection) as captured:
        shown = _page(client, {"division": wulibao_other_community.code, "page": 2})

    skipping = [q["sql"] for q in captured.captured_queries if "OFFSET" in q["sql"]]
    assert len(skipping) == 1
    ids_only = r'\(SELECT U0\."id"( AS "pk")? FROM "households_household" U0 .* OFFSET \d+\)'
    assert re.search(ids_only, skipping[0]), skipping[0]
    newest = expected([wulibao_other_community.code], {})
    assert [h.pk for h in shown.object_list] == newest[PER_PAGE : 2 * PER_PAGE]


def test_the_page_lists_the_households_near_a_position_nearest_first(
    client_as, household_in, wulibao_community, huaihelu_community
):
    """A list ordered by a computed value (the distance) reads its rows with that value: the nearest first."""
    here = (34.75, 113.65)
    second = household_in(wulibao_community, latitude="34.751000", longitude="113.650000")
    first = household_in(wulibao_community, latitude="34.750200", longitude="113.650000")
    household_in(wulibao_community, latitude="34.760000", longitude="113.650000")  # 1.1 km away
    household_in(huaihelu_community, latitude="34.750100", longitude="113.650000")  # another subdistrict's

    response = client_as("wulibao_inspector").get(reverse("households:list"), {"near": f"{here[0]},{here[1]}"})

    assert [h.pk for h in response.context["object_list"]] == [first.pk, second.pk]


def test_a_position_that_cannot_be_read_is_said_and_a_wrong_filter_is_shown_open_on_a_phone(client_as):
    # ?near=abc once listed "共 0 户" without a word: the position filter has no visible field to carry its error.
    page = client_as("wulibao_inspector").get(reverse("households:list"), {"near": "abc"}).content.decode()

    assert 'data-testid="hidden-filter-error"' in page and "纬度,经度" in page

    page = client_as("wulibao_inspector").get(reverse("households:list"), {"coal_status": "xyz"}).content.decode()
    assert re.search(r'class="[^"]*collapse d-md-flex show"', page)
    assert 'aria-expanded="true"' in page
    page = client_as("wulibao_inspector").get(reverse("households:list")).content.decode()
    assert not re.search(r'collapse d-md-flex show"', page) and 'aria-expanded="false"' in page


def test_a_household_without_flags_says_so_instead_of_an_empty_row(client_as, household_in, wulibao_community):
    plain = household_in(wulibao_community, room="901")
    flagged = household_in(wulibao_community, room="902", elderly_alone=True)
    client = client_as("wulibao_admin")

    def flags(household) -> str:
        html = client.get(f"/households/{household.pk}/").content.decode()
        return re.search(r"<dt[^>]*>标记</dt><dd[^>]*>(.*?)</dd>", html, re.S).group(1).strip()

    assert flags(plain) == "—"
    assert "孤寡老人" in flags(flagged) and "—" not in flags(flagged)
