"""Typing slips and tampered requests get a clear answer, never a server error."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/fieldwork/inspections/?date_after=0001-01-01&date_before=9999-12-31",
        "/fieldwork/bans/?date_after=0001-01-01",
        "/api/v1/inspections/?date_after=0001-01-01&date_before=9999-12-31",
        "/units/410103/?start=0001-01-01&end=9999-12-31",
        "/digests/?division=410103&date=0001-01-03",
        "/fieldwork/inspections/?household=999999999999999999999999",
        "/cases/?notice=999999999999999999999999&household=abc",
        "/fieldwork/purchases/new/?household=%C2%B2",
    ],
)
def test_far_off_dates_and_odd_numbers_in_a_query_are_answered_not_crashed_on(client_as, url):
    response = client_as("qu_admin").get(url)

    assert response.status_code in (200, 302, 400, 404)


def test_a_visit_dated_in_year_one_is_refused_with_a_message(api_as, wulibao_household):
    response = api_as("wulibao_inspector").post(
        "/api/v1/inspections/",
        {"household": wulibao_household.pk, "kind": "survey", "outcome": "no_coal", "started_at": "0001-01-01T00:00"},
        format="json",
    )

    assert response.status_code == 400
    assert "started_at" in response.json()


@pytest.mark.parametrize(("url", "field"), [("/digests/deliveries/", "delivery"), ("/digests/channels/", "channel")])
def test_a_non_numeric_id_posted_to_a_page_is_a_404(client_as, url, field):
    assert client_as("qu_admin").post(url, {field: "abc"}).status_code == 404


def test_a_case_title_with_control_characters_still_prints_as_docx(client_as, people, wulibao_community):
    from cases.services import case_open

    case = case_open(
        actor=people["qu_admin"], source="tip_off", responsible_unit=wulibao_community, title="楼道\x0b堆煤"
    )

    response = client_as("qu_admin").get(f"/cases/{case.pk}/rectification-notice/", {"format": "docx"})

    assert response.status_code == 200
