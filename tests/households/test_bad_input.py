"""Bad input is refused with an error on the field at fault, and nothing is saved or changed.

The interface language is zh-hans and the catalogues may still be incomplete, so these tests look at
status codes, which field carries the error and what was stored, not at the wording.
"""

import pytest
from django.urls import reverse

from coalgov.models import AuditEvent
from households.models import Household

API_LIST = "/api/v1/households/"

# (what is typed, the field that must carry the error)
BAD = {
    "a_phone_number_too_short": ({"phone": "1381234"}, "phone"),
    "a_phone_number_with_letters": ({"phone": "138abcd1234"}, "phone"),
    "a_latitude_without_a_longitude": ({"latitude": "34.75"}, "longitude"),
    "a_longitude_without_a_latitude": ({"longitude": "113.64"}, "longitude"),
    "a_latitude_beyond_china": ({"latitude": "95", "longitude": "113.64"}, "latitude"),
    "swapped_coordinates": ({"latitude": "113.64164", "longitude": "34.7525"}, "latitude"),
    "neither_an_estate_nor_an_address": ({"estate": "", "building": "", "address": ""}, "estate"),
}
bad_input = pytest.mark.parametrize(("typed", "field"), BAD.values(), ids=BAD.keys())


def api_typed(typed):
    return {k: (v if v != "" or k not in ("latitude", "longitude") else None) for k, v in typed.items()}


@bad_input
def test_the_register_form_refuses_bad_input_and_saves_nothing(client_as, form_data, wulibao_community, typed, field):
    response = client_as("wulibao_worker").post(reverse("households:create"), form_data(wulibao_community, **typed))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Household.objects.exists()
    assert not AuditEvent.objects.exists()


@bad_input
def test_the_edit_form_refuses_bad_input_and_changes_nothing(
    client_as, edit_data, register, wulibao_community, typed, field
):
    household = register("wulibao_worker", wulibao_community, phone="13812341234")
    before = Household.objects.filter(pk=household.pk).values().get()

    response = client_as("wulibao_worker").post(
        reverse("households:update", args=[household.pk]), edit_data(household, **typed)
    )

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Household.objects.filter(pk=household.pk).values().get() == before
    assert AuditEvent.objects.count() == 1  # the registration only


@bad_input
def test_the_api_refuses_bad_input_with_the_field_at_fault(api_as, api_payload, wulibao_community, typed, field):
    response = api_as("wulibao_worker").post(
        API_LIST, api_payload(wulibao_community, **api_typed(typed)), format="json"
    )

    assert response.status_code == 400
    assert field in response.json()
    assert not Household.objects.exists()


@bad_input
def test_an_api_change_with_bad_input_changes_nothing(api_as, register, wulibao_community, typed, field):
    household = register("wulibao_worker", wulibao_community, phone="13812341234")
    before = Household.objects.filter(pk=household.pk).values().get()

    response = api_as("wulibao_worker").patch(f"{API_LIST}{household.pk}/", api_typed(typed), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Household.objects.filter(pk=household.pk).values().get() == before


def test_clearing_one_coordinate_of_a_located_household_is_refused(api_as, register, wulibao_community):
    household = register("wulibao_worker", wulibao_community, latitude="34.7525", longitude="113.64164")

    response = api_as("wulibao_worker").patch(f"{API_LIST}{household.pk}/", {"longitude": None}, format="json")

    assert response.status_code == 400
    assert "longitude" in response.json()
    household.refresh_from_db()
    assert household.longitude is not None


def test_a_household_cannot_be_registered_in_a_subdistrict_itself(api_as, api_payload, wulibao):
    response = api_as("wulibao_admin").post(API_LIST, api_payload(wulibao), format="json")

    assert response.status_code == 400
    assert "division" in response.json()
    assert not Household.objects.exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_voiding_on_the_page_without_a_reason_is_refused(client_as, household_in, wulibao_community, reason):
    household = household_in(wulibao_community)

    response = client_as("wulibao_admin").post(reverse("households:void", args=[household.pk]), {"reason": reason})

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    household.refresh_from_db()
    assert not household.is_voided


@pytest.mark.parametrize("reason", ["", "   "])
def test_voiding_through_the_api_without_a_reason_is_refused(api_as, household_in, wulibao_community, reason):
    household = household_in(wulibao_community)

    response = api_as("wulibao_admin").post(f"{API_LIST}{household.pk}/void/", {"reason": reason}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()
    household.refresh_from_db()
    assert not household.is_voided


def test_the_api_names_an_unknown_unit_as_a_division_error(api_as, api_payload, wulibao_community):
    payload = {**api_payload(wulibao_community), "division": "410103999999"}

    response = api_as("qu_admin").post(API_LIST, payload, format="json")

    assert response.status_code == 400
    assert "division" in response.json()
    assert not Household.objects.exists()
