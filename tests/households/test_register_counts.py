"""How many households each person finds in the register: exact, on the page and through the API."""

import pytest
from django.urls import reverse

from divisions.services import membership_create, membership_deactivate
from households.services import household_void

API_LIST = "/api/v1/households/"

# 3 in the worker's community, 2 in a sibling community of 五里堡, 4 in a community of 淮河路.
EXPECTED = {
    "qu_admin": 9,
    "qu_leader": 9,
    "wulibao_admin": 5,
    "wulibao_inspector": 5,
    "wulibao_worker": 3,
    "huaihelu_inspector": 4,
    "nobody": 0,
}


@pytest.fixture
def register_of_nine(household_in, wulibao_community, wulibao_other_community, huaihelu_community):
    return (
        [household_in(wulibao_community) for _ in range(3)]
        + [household_in(wulibao_other_community) for _ in range(2)]
        + [household_in(huaihelu_community) for _ in range(4)]
    )


def page_count(client):
    response = client.get(reverse("households:list"))
    assert response.status_code == 200
    assert len(response.context["object_list"]) == response.context["paginator"].count
    return response.context["paginator"].count


def api_count(api):
    response = api.get(API_LIST)
    assert response.status_code == 200
    return len(response.json()["results"])


@pytest.mark.parametrize(("username", "count"), EXPECTED.items())
def test_the_register_page_shows_exactly_the_households_in_the_users_jurisdiction(
    client_as, register_of_nine, username, count
):
    assert page_count(client_as(username)) == count


@pytest.mark.parametrize(("username", "count"), EXPECTED.items())
def test_the_api_lists_exactly_the_households_in_the_callers_jurisdiction(api_as, register_of_nine, username, count):
    assert api_count(api_as(username)) == count


def test_the_home_page_counts_the_same_households_as_the_register(client_as, register_of_nine):
    response = client_as("wulibao_worker").get(reverse("home"))

    assert response.context["totals"]["total"] == EXPECTED["wulibao_worker"]


def test_a_voided_household_leaves_the_register_and_its_counts(client_as, api_as, people, register_of_nine):
    household_void(actor=people["qu_admin"], household=register_of_nine[0], reason="重复登记")

    assert page_count(client_as("wulibao_worker")) == 2
    assert client_as("wulibao_worker").get(reverse("home")).context["totals"]["total"] == 2
    assert api_count(api_as("wulibao_worker")) == 2
    assert page_count(client_as("qu_admin")) == 8


def test_voided_households_can_still_be_found_when_asked_for(client_as, api_as, people, register_of_nine):
    voided = household_void(actor=people["qu_admin"], household=register_of_nine[0], reason="重复登记")

    response = client_as("wulibao_worker").get(reverse("households:list"), {"voided": "true"})
    assert list(response.context["object_list"]) == [voided]
    rows = api_as("wulibao_worker").get(API_LIST, {"voided": "true"}).json()["results"]
    assert [row["id"] for row in rows] == [voided.pk]


def test_a_user_with_memberships_in_two_subdistricts_sees_both(api_as, people, register_of_nine, wulibao):
    membership_create(actor=people["qu_admin"], user=people["huaihelu_inspector"], division=wulibao, role="inspector")

    assert api_count(api_as("huaihelu_inspector")) == 9


def test_an_ended_membership_no_longer_grants_a_view(client_as, people, register_of_nine):
    membership = people["wulibao_inspector"].memberships.get()
    membership_deactivate(actor=people["qu_admin"], membership=membership, reason="调岗")

    assert page_count(client_as("wulibao_inspector")) == 0


def test_a_deactivated_unit_no_longer_grants_a_view(client_as, register_of_nine, wulibao):
    wulibao.is_active = False
    wulibao.save()

    assert page_count(client_as("wulibao_inspector")) == 0
