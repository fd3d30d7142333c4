"""The register costs the same number of queries for five households as for a full page of them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from divisions.models import MonitoringStation

API_LIST = "/api/v1/households/"


def queries_for(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries), response


@pytest.fixture
def grow(household_in, wulibao_community, wulibao_other_community, huaihelu_community):
    """Add `n` households spread over three communities and two subdistricts, some in priority zones."""
    station = MonitoringStation.objects.get(code="1323A")
    places = [wulibao_community, wulibao_other_community, huaihelu_community]

    def add(n):
        for i in range(n):
            household_in(
                places[i % 3],
                elderly_alone=i % 4 == 0,
                in_priority_zone=i % 5 == 0,
                priority_station=station if i % 5 == 0 else None,
            )

    return add


@pytest.mark.parametrize("username", ["qu_admin", "qu_leader", "wulibao_inspector", "wulibao_worker"])
def test_the_register_page_does_not_query_once_per_household(client_as, grow, username):
    client = client_as(username)
    grow(6)
    few, response = queries_for(client, reverse("households:list"))
    shown = len(response.context["object_list"])

    grow(60)
    many, response = queries_for(client, reverse("households:list"))

    assert len(response.context["object_list"]) > shown
    assert many == few


@pytest.mark.parametrize("username", ["qu_admin", "qu_leader", "wulibao_inspector", "wulibao_worker"])
def test_the_api_list_does_not_query_once_per_household(api_as, grow, username):
    api = api_as(username)
    grow(6)
    api.get(API_LIST)  # the same user object serves every request here: its grants are read once, now
    few, response = queries_for(api, API_LIST, {"page_size": 200})
    shown = len(response.json()["results"])

    grow(60)
    many, response = queries_for(api, API_LIST, {"page_size": 200})

    assert len(response.json()["results"]) > shown
    assert many == few


def test_a_filtered_register_page_does_not_query_once_per_household(client_as, grow, wulibao):
    client = client_as("qu_admin")
    params = {"division": wulibao.code, "vulnerable": "true", "q": "小区"}
    grow(6)
    few, _ = queries_for(client, reverse("households:list"), params)

    grow(60)
    many, _ = queries_for(client, reverse("households:list"), params)

    assert many == few


def test_the_register_page_needs_only_a_handful_of_queries(client_as, grow, django_assert_max_num_queries):
    client = client_as("wulibao_inspector")
    grow(60)

    # Session, user, grants, memberships for the menu, the unit filter's choices, the count, the page.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("households:list"))
    assert response.status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_the_register_search_can_use_the_trigram_indexes(people, household_in, wulibao_community, grow):
    """The indexes' expressions are the ones Django's icontains search writes, so PostgreSQL can use them
    (tried here with sequential scans off: with a handful of rows it would rightly read the table)."""
    household_in(wulibao_community, head_name="王大爷", estate="龙亭小区")
    grow(60)
    from households.filtersets import HouseholdFilterSet
    from households.models import Household

    class Request:
        user = people["qu_admin"]

    queryset = HouseholdFilterSet({"q": "王大爷"}, queryset=Household.objects.all(), request=Request()).qs.order_by()
    with connection.cursor() as cursor:
        # Statistics as a real register has them (every row in the district, no phone like the search text):
        # without them the planner's choice between the phone index and the district's code index is a coin toss.
        cursor.execute("ANALYZE households_household")
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = queryset.explain()
    for index in (
        "household_estate_trgm",
        "household_address_trgm",
        "household_head_name_trgm",
        "household_place_trgm",
        "household_phone",
    ):
        assert index in plan, plan
    assert list(queryset.values_list("head_name", flat=True)) == ["王大爷"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_searching_for_a_displayed_address_uses_the_place_index(people, household_in, wulibao_community, grow):
    """The place index (migration 0006) is on exactly the expression the search writes: a displayed address with
    spaces and the stairwell is found through it."""
    flat = household_in(wulibao_community, estate="铁路新村", building="7", unit="1", room="304")
    grow(60)
    from households.filtersets import HouseholdFilterSet
    from households.models import Household

    class Request:
        user = people["qu_admin"]

    search = HouseholdFilterSet({"q": "铁路新村 7号楼1单元304"}, queryset=Household.objects.all(), request=Request())
    queryset = search.qs.order_by()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE households_household")
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = queryset.explain()
    assert "household_place_trgm" in plan, plan
    assert list(queryset.values_list("pk", flat=True)) == [flat.pk]


def test_a_search_by_displayed_address_costs_the_same_queries_for_few_or_many(
    client_as, api_as, grow, household_in, wulibao_community
):
    client, api = client_as("qu_admin"), api_as("qu_admin")
    params = {"q": "7号楼 3单元"}  # the factory puts every twelfth household there
    household_in(wulibao_community, building="7", unit="3")
    grow(6)
    api.get(API_LIST)
    page_few, few = queries_for(client, reverse("households:list"), params)
    api_few, _ = queries_for(api, API_LIST, params)

    grow(60)
    page_many, page = queries_for(client, reverse("households:list"), params)
    api_many, _ = queries_for(api, API_LIST, params)

    assert len(page.context["object_list"]) > len(few.context["object_list"])
    assert (page_many, api_many) == (page_few, api_few)


def test_the_districts_page_counts_at_most_the_cap_and_says_there_are_more(client_as, grow, monkeypatch):
    from households.views import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "COUNT_CAP", 4)
    monkeypatch.setattr("households.views.HouseholdListView.paginate_by", 2)
    client = client_as("qu_admin")
    grow(3)
    few_queries, few = queries_for(client, "/households/")
    assert "3 户" in few.content.decode() and "共 2 页" in few.content.decode()

    grow(6)
    with CaptureQueriesContext(connection) as captured:
        many = client.get("/households/")
    page = many.content.decode()
    assert "超过 4 户" in page and "共" not in page.split('aria-label="分页"')[-1]
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 5" in counts[0]  # never the whole district's rows
    assert len(captured.captured_queries) == few_queries
    assert client.get("/households/", {"page": 2}).status_code == 200
    assert client.get("/households/", {"page": 3}).status_code == 404  # past the cap: filter instead
