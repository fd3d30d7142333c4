"""Households within 1000 m of the 河医大 national monitoring station (1323A) are in its priority zone."""

import pytest
from django.urls import reverse

from coalgov.models import AuditEvent
from divisions.geo import distance_m
from households.models import Household

API_LIST = "/api/v1/households/"

HEYIDA = ("34.752500", "113.641640")  # the station itself
SOUTH_990_M = ("34.743597", "113.641640")
SOUTH_1500_M = ("34.739010", "113.641640")


def metres_from_heyida(point):
    return distance_m(*map(float, HEYIDA), *map(float, point))


def test_the_test_points_are_where_they_claim_to_be():
    assert metres_from_heyida(SOUTH_990_M) == pytest.approx(990, abs=1)
    assert metres_from_heyida(SOUTH_1500_M) == pytest.approx(1500, abs=1)


@pytest.mark.parametrize(
    ("point", "in_zone"),
    [(HEYIDA, True), (SOUTH_990_M, True), (SOUTH_1500_M, False)],
    ids=["at_the_station", "990_m_away", "1500_m_away"],
)
def test_a_household_registered_through_the_api_is_placed_in_or_out_of_the_zone(
    api_as, api_payload, wulibao_community, point, in_zone
):
    latitude, longitude = point

    response = api_as("wulibao_worker").post(
        API_LIST, api_payload(wulibao_community, latitude=latitude, longitude=longitude), format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["in_priority_zone"] is in_zone
    assert body["priority_station"] == ("1323A" if in_zone else None)


@pytest.mark.parametrize(
    ("point", "in_zone"), [(SOUTH_990_M, True), (SOUTH_1500_M, False)], ids=["990_m_away", "1500_m_away"]
)
def test_a_household_registered_on_the_page_is_placed_in_or_out_of_the_zone(
    client_as, form_data, wulibao_community, point, in_zone
):
    latitude, longitude = point

    response = client_as("wulibao_worker").post(
        reverse("households:create"), form_data(wulibao_community, latitude=latitude, longitude=longitude)
    )

    assert response.status_code == 302
    household = Household.objects.get()
    assert household.in_priority_zone is in_zone
    assert (household.priority_station.code if household.priority_station else None) == ("1323A" if in_zone else None)


def test_a_household_without_a_location_is_not_in_a_zone(api_as, api_payload, wulibao_community):
    response = api_as("wulibao_worker").post(API_LIST, api_payload(wulibao_community), format="json")

    assert (response.json()["in_priority_zone"], response.json()["priority_station"]) == (False, None)


def test_correcting_a_location_moves_the_household_out_of_the_zone_and_records_it(
    client_as, edit_data, register, wulibao_community
):
    latitude, longitude = SOUTH_990_M
    household = register("wulibao_worker", wulibao_community, latitude=latitude, longitude=longitude)
    assert household.in_priority_zone

    client_as("wulibao_worker").post(
        reverse("households:update", args=[household.pk]), edit_data(household, latitude=SOUTH_1500_M[0])
    )

    household.refresh_from_db()
    assert (household.in_priority_zone, household.priority_station) == (False, None)
    latest = AuditEvent.objects.for_object(household).first()
    assert latest.changes["in_priority_zone"] == [True, False]


def test_the_zone_filter_works_on_the_page_and_in_the_api(client_as, api_as, register, wulibao_community):
    inside = register("wulibao_worker", wulibao_community, latitude=SOUTH_990_M[0], longitude=SOUTH_990_M[1])
    outside = register("wulibao_worker", wulibao_community, latitude=SOUTH_1500_M[0], longitude=SOUTH_1500_M[1])
    unlocated = register("wulibao_worker", wulibao_community)

    page = client_as("wulibao_inspector").get(reverse("households:list"), {"in_priority_zone": "true"})
    api = api_as("wulibao_inspector").get(API_LIST, {"in_priority_zone": "true"})
    page_out = client_as("wulibao_inspector").get(reverse("households:list"), {"in_priority_zone": "false"})
    api_out = api_as("wulibao_inspector").get(API_LIST, {"in_priority_zone": "false"})

    assert list(page.context["object_list"]) == [inside]
    assert [row["id"] for row in api.json()["results"]] == [inside.pk]
    assert set(page_out.context["object_list"]) == {outside, unlocated}
    assert {row["id"] for row in api_out.json()["results"]} == {outside.pk, unlocated.pk}


def test_the_household_page_names_the_station(client_as, register, wulibao_community):
    household = register("wulibao_worker", wulibao_community, latitude=HEYIDA[0], longitude=HEYIDA[1])

    content = client_as("wulibao_worker").get(household.get_absolute_url()).content.decode()

    assert "河医大" in content
