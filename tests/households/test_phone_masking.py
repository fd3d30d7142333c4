"""Residents' phone numbers: in full for those who work with residents, 138****1234 for everyone else.

District and subdistrict administrators and the community worker call residents; the district leader
and inspectors see the number masked, on every page and in every API answer, history included.
"""

import pytest
from django.urls import reverse

FULL = "13812341234"
MASKED = "138****1234"
API_LIST = "/api/v1/households/"

SEES_FULL = ["qu_admin", "wulibao_admin", "wulibao_worker"]
SEES_MASKED = ["qu_leader", "wulibao_inspector"]


@pytest.fixture
def household(register, wulibao_community):
    """Registered by the community worker, so its history holds the number too."""
    return register("wulibao_worker", wulibao_community, phone=FULL)


def pages(household):
    return [
        reverse("households:list"),
        reverse("households:detail", args=[household.pk]),
        reverse("households:list") + f"?division={household.division.code}",
    ]


@pytest.mark.parametrize("username", SEES_FULL)
def test_those_who_work_with_residents_see_the_full_number_on_the_pages(client_as, household, username):
    client = client_as(username)

    for url in pages(household):
        content = client.get(url).content.decode()
        assert FULL in content, url


@pytest.mark.parametrize("username", SEES_MASKED)
def test_the_leader_and_inspectors_see_only_a_masked_number_on_the_pages(client_as, household, username):
    client = client_as(username)

    for url in pages(household):
        content = client.get(url).content.decode()
        assert MASKED in content, url
        assert FULL not in content, url


def test_the_detail_page_shows_the_masked_number_where_the_phone_goes(client_as, household):
    response = client_as("wulibao_inspector").get(reverse("households:detail", args=[household.pk]))

    assert response.context["shown_phone"] == MASKED


def test_an_inspector_editing_a_household_is_not_shown_the_full_number(client_as, household):
    response = client_as("wulibao_inspector").get(reverse("households:update", args=[household.pk]))

    assert response.status_code == 200
    assert FULL not in response.content.decode()


def test_an_inspector_saving_the_edit_form_keeps_the_number_on_record(client_as, edit_data, household):
    data = {**edit_data(household, head_name="李秀英"), "phone": ""}  # as the form comes back from the browser

    response = client_as("wulibao_inspector").post(reverse("households:update", args=[household.pk]), data)

    assert response.status_code == 302
    household.refresh_from_db()
    assert (household.head_name, household.phone) == ("李秀英", FULL)


def test_an_inspector_may_still_correct_a_number_they_cannot_read(client_as, edit_data, household):
    data = edit_data(household, phone="13987654321")

    response = client_as("wulibao_inspector").post(reverse("households:update", args=[household.pk]), data)

    assert response.status_code == 302
    household.refresh_from_db()
    assert household.phone == "13987654321"
    page = client_as("wulibao_inspector").get(household.get_absolute_url()).content.decode()
    assert "139****4321" in page
    assert "13987654321" not in page
    assert FULL not in page


def test_the_huaihelu_inspector_sees_huaihelu_numbers_masked(client_as, api_as, register, huaihelu_community):
    household = register("qu_admin", huaihelu_community, phone=FULL)

    content = client_as("huaihelu_inspector").get(household.get_absolute_url()).content.decode()
    assert MASKED in content
    assert FULL not in content
    assert api_as("huaihelu_inspector").get(f"{API_LIST}{household.pk}/").json()["phone"] == MASKED


@pytest.mark.parametrize("username", SEES_FULL)
def test_those_who_work_with_residents_get_the_full_number_from_the_api(api_as, household, username):
    api = api_as(username)

    assert api.get(f"{API_LIST}{household.pk}/").json()["phone"] == FULL
    assert [row["phone"] for row in api.get(API_LIST).json()["results"]] == [FULL]


@pytest.mark.parametrize("username", SEES_MASKED)
def test_the_leader_and_inspectors_get_a_masked_number_from_the_api(api_as, household, username):
    api = api_as(username)

    assert api.get(f"{API_LIST}{household.pk}/").json()["phone"] == MASKED
    assert [row["phone"] for row in api.get(API_LIST).json()["results"]] == [MASKED]


def test_the_api_answer_to_an_inspectors_change_keeps_the_number_masked(api_as, household):
    response = api_as("wulibao_inspector").patch(f"{API_LIST}{household.pk}/", {"heating": "gas"}, format="json")

    assert response.status_code == 200
    assert response.json()["phone"] == MASKED
    household.refresh_from_db()
    assert household.phone == FULL


def test_a_household_without_a_phone_shows_no_stars(api_as, register, wulibao_community):
    household = register("wulibao_worker", wulibao_community, phone="")

    assert api_as("wulibao_inspector").get(f"{API_LIST}{household.pk}/").json()["phone"] == ""


def test_searching_for_a_masked_number_finds_nothing_but_a_full_number_holder_finds_it(
    client_as, api_as, register, wulibao_community
):
    register("wulibao_admin", wulibao_community, phone="13912345678", head_name="王桂兰")

    inspector = api_as("wulibao_inspector").get("/api/v1/households/", {"q": "13912345678"}).json()
    admin = api_as("wulibao_admin").get("/api/v1/households/", {"q": "13912345678"}).json()

    assert inspector["results"] == []
    assert [h["head_name"] for h in admin["results"]] == ["王桂兰"]


def test_an_inspector_may_put_back_the_masked_number_unchanged(api_as, register, wulibao_community):
    household = register("wulibao_admin", wulibao_community, phone="13912345678")
    api = api_as("wulibao_inspector")
    body = api.get(f"/api/v1/households/{household.pk}/").json()
    assert body["phone"] == "139****5678"

    response = api.put(f"/api/v1/households/{household.pk}/", {**body, "notes": "夜查时核实"}, format="json")

    assert response.status_code == 200, response.json()
    household.refresh_from_db()
    assert (household.phone, household.notes) == ("13912345678", "夜查时核实")
