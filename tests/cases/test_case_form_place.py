"""A case is raised against a place found by its address or name within the user's jurisdiction, never by
typing an internal number; without JavaScript the form's "Find" button searches on the server."""

import re

import pytest

from cases.models import Case

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(register, wulibao_community, huaihelu_community):
    """Two 五里堡 places and one of 淮河路 with the same estate name."""
    return {
        "mine": register("wulibao_admin", wulibao_community, estate="龙亭小区", room="501", head_name="王建国"),
        "neighbour": register("wulibao_admin", wulibao_community, estate="龙亭小区", room="502", head_name="李秀英"),
        "theirs": register("qu_admin", huaihelu_community, estate="龙亭小区", room="601", head_name="赵德胜"),
    }


def _options(html: str) -> list[str]:
    select = re.search(r'<select name="household".*?</select>', html, re.S).group(0)
    return [value for value in re.findall(r'<option value="(\d*)"', select) if value]


def test_the_form_asks_for_an_address_or_name_not_a_number_and_lists_no_places_before_a_search(client_as, places):
    html = client_as("wulibao_admin").get("/cases/new/").content.decode()

    assert 'type="number"' not in html
    assert 'name="place"' in html and "data-household-search" in html
    assert _options(html) == []
    assert "js/household-picker.js" in html


def test_find_lists_the_places_matching_an_address_within_the_jurisdiction_and_saves_nothing(client_as, places):
    response = client_as("wulibao_admin").post("/cases/new/", {"place": "龙亭", "find": "1"})

    html = response.content.decode()
    assert response.status_code == 200
    assert sorted(_options(html)) == sorted([str(places["mine"].pk), str(places["neighbour"].pk)])
    assert "王建国" in html and "赵德胜" not in html
    assert "is-invalid" not in html  # searching is not submitting: no field is marked wrong
    assert not Case.objects.exists()


def test_find_by_the_head_of_household(client_as, places):
    html = client_as("wulibao_admin").post("/cases/new/", {"place": "李秀英", "find": "1"}).content.decode()

    assert _options(html) == [str(places["neighbour"].pk)]


def test_a_search_that_finds_nothing_says_so_in_chinese(client_as, places):
    html = client_as("wulibao_admin").post("/cases/new/", {"place": "不存在的小区", "find": "1"}).content.decode()

    assert _options(html) == []
    assert "没有找到" in html


def test_a_picked_place_opens_the_case_for_its_community(client_as, places, wulibao_community):
    response = client_as("wulibao_admin").post(
        "/cases/new/",
        {"source": "tip_off", "place": "龙亭", "household": places["mine"].pk, "title": "烧散煤", "severity": "normal"},
    )

    assert response.status_code == 302
    case = Case.objects.get()
    assert case.household == places["mine"] and case.responsible_unit == wulibao_community


def test_a_place_outside_the_jurisdiction_cannot_be_picked_even_by_its_number(client_as, places):
    response = client_as("wulibao_admin").post(
        "/cases/new/", {"source": "tip_off", "household": places["theirs"].pk, "title": "烧散煤", "severity": "normal"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["household"]
    assert not Case.objects.exists()


def test_without_a_place_the_responsible_unit_is_required_with_a_clear_message(client_as, places):
    response = client_as("wulibao_admin").post("/cases/new/", {"source": "tip_off", "title": "烧散煤"})

    assert response.context["form"].errors["responsible_unit"] == ["请选择责任单位，或在您的单位内选择地点。"]
    assert not Case.objects.exists()


@pytest.mark.parametrize("typed", ["铁路新村7号楼1单元304", "铁路新村 7号楼", "7号楼1单元304"])
def test_find_lists_a_place_by_its_address_as_the_site_displays_it(client_as, register, wulibao_community, typed):
    flat = register("wulibao_admin", wulibao_community, estate="铁路新村", building="7", unit="1", room="304")
    assert flat.label == "铁路新村7号楼1单元304"

    html = client_as("wulibao_admin").post("/cases/new/", {"place": typed, "find": "1"}).content.decode()

    assert _options(html) == [str(flat.pk)]
    api = client_as("wulibao_admin").get("/api/v1/households/", {"q": typed}).json()
    assert [row["id"] for row in api["results"]] == [flat.pk]


def test_a_picked_number_that_is_no_register_number_is_refused_not_a_server_error(client_as, places):
    response = client_as("wulibao_admin").post(
        "/cases/new/", {"source": "tip_off", "household": "²", "title": "烧散煤", "severity": "normal"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["household"]
    assert not Case.objects.exists()


def test_the_form_sent_again_after_going_back_opens_one_case(client_as, places, people, wulibao_community):
    """An outside tester opened a case, went back and sent the same form again: two identical cases."""
    from cases.services import case_open

    client = client_as("wulibao_admin")
    key = re.search(r'name="client_uuid" value="([0-9a-f-]{36})"', client.get("/cases/new/").content.decode())
    data = {"source": "tip_off", "responsible_unit": wulibao_community.pk, "title": "后退测试", "severity": "normal"}

    first = client.post("/cases/new/", {**data, "client_uuid": key.group(1)})
    again = client.post("/cases/new/", {**data, "client_uuid": key.group(1)})

    case = Case.objects.get()
    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    assert case.get_absolute_url() in first["Location"]
    # The service answers the same key with the same case, whoever sends it (two sends at once: the unique index).
    assert (
        case_open(
            actor=people["wulibao_admin"],
            source="tip_off",
            responsible_unit=wulibao_community,
            title="后退测试",
            client_uuid=case.client_uuid,
        )
        == case
    )
    # A new form is a new case.
    fresh = re.search(r'name="client_uuid" value="([0-9a-f-]{36})"', client.get("/cases/new/").content.decode())
    assert fresh.group(1) != key.group(1)
