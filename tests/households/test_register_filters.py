"""Narrowing the register: by unit (with everything below it), kind, vulnerability and free text.

The page and the API share one FilterSet, so every case is asked of both and must answer the same.
"""

import datetime
import re

import pytest
from django.urls import reverse

API_LIST = "/api/v1/households/"


@pytest.fixture
def register_book(household_in, wulibao_community, wulibao_other_community, huaihelu_community):
    """A small register with one distinguishing feature per household."""
    return {
        "flat": household_in(wulibao_community, estate="龙亭小区", head_name="张建国", phone="13812341234"),
        "elderly": household_in(wulibao_community, estate="铁路新村", elderly_alone=True, head_name="王桂兰"),
        "bathhouse": household_in(
            wulibao_other_community, kind="bathhouse", estate="", address="大学路88号", head_name="刘老板"
        ),
        "disabled": household_in(wulibao_other_community, estate="中铁院家属楼", disabled=True),
        "stall": household_in(huaihelu_community, kind="food_stall", estate="", address="淮河路夜市", low_income=True),
    }


def found(client_as, api_as, username, params):
    """The households a filter finds, asked of the page and the API; both must agree."""
    page = client_as(username).get(reverse("households:list"), params)
    api = api_as(username).get(API_LIST, params)
    assert (page.status_code, api.status_code) == (200, 200)
    on_page = {h.pk for h in page.context["object_list"]}
    in_api = {row["id"] for row in api.json()["results"]}
    assert on_page == in_api
    return on_page


def ids(book, *names):
    return {book[name].pk for name in names}


def test_a_subdistrict_filter_includes_all_of_its_communities(client_as, api_as, register_book, wulibao):
    result = found(client_as, api_as, "qu_admin", {"division": wulibao.code})

    assert result == ids(register_book, "flat", "elderly", "bathhouse", "disabled")


def test_a_community_filter_keeps_only_that_community(client_as, api_as, register_book, wulibao_community):
    result = found(client_as, api_as, "qu_admin", {"division": wulibao_community.code})

    assert result == ids(register_book, "flat", "elderly")


def test_the_district_filter_keeps_everything(client_as, api_as, register_book, erqi):
    assert found(client_as, api_as, "qu_admin", {"division": erqi.code}) == ids(register_book, *register_book)


def test_a_unit_filter_cannot_reach_beyond_the_users_jurisdiction(client_as, api_as, register_book, huaihelu):
    page = client_as("wulibao_inspector").get(reverse("households:list"), {"division": huaihelu.code})
    api = api_as("wulibao_inspector").get(API_LIST, {"division": huaihelu.code})

    assert list(page.context["object_list"]) == []
    assert api.status_code == 400
    assert "division" in api.json()


def test_the_unit_filter_offers_only_units_in_the_users_jurisdiction(client_as, register_book, wulibao):
    response = client_as("wulibao_inspector").get(reverse("households:list"))

    offered = {unit.code for unit in response.context["filter"].form.fields["division"].queryset}
    assert offered == {wulibao.code, *wulibao.children.values_list("code", flat=True)}


@pytest.mark.parametrize(
    ("kind", "expected"), [("bathhouse", ["bathhouse"]), ("food_stall", ["stall"]), ("coal_sale_point", [])]
)
def test_the_kind_filter(client_as, api_as, register_book, kind, expected):
    assert found(client_as, api_as, "qu_admin", {"kind": kind}) == ids(register_book, *expected)


def test_the_vulnerable_filter_finds_the_elderly_the_poor_and_the_disabled(client_as, api_as, register_book):
    vulnerable = found(client_as, api_as, "qu_admin", {"vulnerable": "true"})
    others = found(client_as, api_as, "qu_admin", {"vulnerable": "false"})

    assert vulnerable == ids(register_book, "elderly", "disabled", "stall")
    assert others == ids(register_book, "flat", "bathhouse")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("龙亭", ["flat"]),  # the estate
        ("大学路", ["bathhouse"]),  # the street address
        ("王桂兰", ["elderly"]),  # the head of household
        ("13812341234", ["flat"]),  # a whole phone number
        ("  龙亭  ", ["flat"]),  # spaces around the words
        ("1381234", []),  # part of a phone number finds nothing
        ("不存在的小区", []),
        ("\x01\x02", []),  # nothing but control characters is no search for "everything"
    ],
)
def test_the_search_box(client_as, api_as, register_book, q, expected):
    assert found(client_as, api_as, "qu_admin", {"q": q}) == ids(register_book, *expected)


def test_the_search_box_stays_inside_the_jurisdiction(client_as, api_as, register_book):
    assert found(client_as, api_as, "wulibao_worker", {"q": "淮河路"}) == set()


def test_filters_combine(client_as, api_as, register_book, wulibao):
    result = found(client_as, api_as, "wulibao_inspector", {"division": wulibao.code, "vulnerable": "true"})

    assert result == ids(register_book, "elderly", "disabled")


def test_the_register_page_keeps_the_filters_on_the_next_page(client_as, household_in, wulibao_community, wulibao):
    for _ in range(55):
        household_in(wulibao_community)

    first = client_as("qu_admin").get(reverse("households:list"), {"division": wulibao.code})
    second = client_as("qu_admin").get(reverse("households:list"), {"division": wulibao.code, "page": 2})

    assert f"division={wulibao.code}&amp;page=2" in first.content.decode()
    assert len(first.context["object_list"]) + len(second.context["object_list"]) == 55


@pytest.fixture
def coal_book(people, register_book):
    """The flat had coal found last week and still has it; the elderly woman's was found, then cleared."""
    from django.utils import timezone

    from inspections.services import inspection_record

    now = timezone.now()

    def visit(household, outcome, days_ago):
        inspection_record(
            actor=people["wulibao_inspector"],
            household=household,
            kind="survey",
            outcome=outcome,
            started_at=now - datetime.timedelta(days=days_ago),
        )

    visit(register_book["flat"], "loose_coal", 7)
    visit(register_book["elderly"], "loose_coal", 7)
    visit(register_book["elderly"], "no_coal", 2)
    visit(register_book["bathhouse"], "no_coal", 2)  # checked, never found: still "never"
    return register_book


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("found", ["flat"]),
        ("cleared", ["elderly"]),
        ("never", ["bathhouse", "disabled", "stall"]),
    ],
)
def test_the_coal_status_filter_on_the_page_and_the_api(client_as, api_as, coal_book, status, expected):
    assert found(client_as, api_as, "qu_admin", {"coal_status": status}) == ids(coal_book, *expected)


def test_an_unknown_coal_status_is_a_clear_error_in_the_api_and_filters_nothing_on_the_page(
    client_as, api_as, coal_book
):
    api = api_as("qu_admin").get(API_LIST, {"coal_status": "burning"})
    assert api.status_code == 400 and "coal_status" in api.json()
    page = client_as("qu_admin").get(reverse("households:list"), {"coal_status": "burning"})
    assert page.status_code == 200
    assert "coal_status" in page.context["filter"].form.errors


def test_the_coal_status_filter_stays_inside_the_jurisdiction(client_as, api_as, coal_book):
    assert found(client_as, api_as, "huaihelu_inspector", {"coal_status": "found"}) == set()


def test_the_register_page_shows_each_households_coal_status(client_as, coal_book):
    response = client_as("qu_admin").get(reverse("households:list"))
    html = response.content.decode()

    assert "散煤状态" in html  # the column and the filter
    for name, status in (("flat", "found"), ("elderly", "cleared"), ("bathhouse", "never")):
        row = re.search(rf'<a href="/households/{coal_book[name].pk}/">.*?</tr>', html, re.S)[0]
        assert f'data-coal-status="{status}"' in row, name
    shown = {h.pk: h.get_coal_status_display() for h in response.context["object_list"]}
    assert shown[coal_book["flat"].pk] == "已发现，未清零"


@pytest.fixture
def displayed(household_in, wulibao_community):
    """Households whose pages show 铁路新村7号楼1单元304, 铁路新村7号楼2单元304 and 大学路 88号 (a shop)."""
    return {
        "flat": household_in(wulibao_community, estate="铁路新村", building="7", unit="1", room="304"),
        "next_door": household_in(wulibao_community, estate="铁路新村", building="7", unit="2", room="304"),
        "shop": household_in(wulibao_community, estate="", building="", unit="", room="", address="大学路 88号"),
        "other": household_in(wulibao_community, estate="龙亭小区", building="3", unit="1", room="304"),
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("铁路新村7号楼1单元304", ["flat"]),  # exactly as pages show it
        ("铁路新村 7号楼 1单元 304", ["flat"]),  # with spaces
        ("铁路新村 7号楼", ["flat", "next_door"]),
        ("7号楼1单元304", ["flat"]),  # a part of it
        ("1单元304", ["flat", "other"]),
        ("大学路88号", ["shop"]),  # a street address typed without its space
        ("304大学路", []),  # never across the label and the street address
    ],
)
def test_a_household_is_found_by_its_address_as_pages_display_it(client_as, api_as, displayed, q, expected):
    labels = {displayed[name].label for name in ("flat", "next_door")}
    assert labels == {"铁路新村7号楼1单元304", "铁路新村7号楼2单元304"}
    assert found(client_as, api_as, "qu_admin", {"q": q}) == ids(displayed, *expected)
