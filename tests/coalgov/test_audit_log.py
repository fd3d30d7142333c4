import pytest

from households.services import household_update

pytestmark = pytest.mark.django_db
URL = "/audit/"


def test_the_district_office_finds_who_changed_a_households_phone(client_as, people, register, wulibao_community):
    household = register("wulibao_worker", wulibao_community, phone="13812341234")
    household_update(actor=people["wulibao_admin"], household=household, data={"phone": "13987654321"})

    response = client_as("qu_admin").get(URL, {"actor": "wulibao_admin", "object_id": household.pk})

    assert response.status_code == 200
    [(event, changes)] = response.context["rows"]
    assert event.action == "household.updated"
    assert [(str(label), old, new) for label, old, new in changes] == [("联系电话", "13812341234", "13987654321")]


@pytest.mark.parametrize("username", ["qu_leader", "wulibao_admin", "wulibao_inspector", "nobody"])
def test_the_audit_log_is_only_for_the_district_office(client_as, username):
    assert client_as(username).get(URL).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in_before_the_audit_log(client):
    assert client.get(URL).status_code == 302


def test_a_unit_filter_narrows_the_log_to_that_subtree(client_as, register, wulibao_community, huaihelu_community):
    register("wulibao_admin", wulibao_community)
    register("qu_admin", huaihelu_community)

    response = client_as("qu_admin").get(URL, {"division": huaihelu_community.code})

    assert [event.division_code for event, _ in response.context["rows"]] == [huaihelu_community.code]


def test_the_audit_log_cannot_be_changed_through_the_api_or_pages(client_as):
    client = client_as("qu_admin")

    assert client.post(URL, {}).status_code == 405
    assert client.get("/api/v1/audit/").status_code == 404
