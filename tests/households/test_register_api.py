"""Registering households from a phone: repeated submissions, and what the API answers."""

import uuid

import yaml
from django.utils.dateparse import parse_datetime

from coalgov.models import AuditEvent
from households.models import Household

from ..factories import MembershipFactory

API_LIST = "/api/v1/households/"


def test_a_submission_sent_twice_registers_one_household(api_as, api_payload, wulibao_community):
    api = api_as("wulibao_worker")
    payload = {**api_payload(wulibao_community), "client_uuid": str(uuid.uuid4())}

    first = api.post(API_LIST, payload, format="json")
    second = api.post(API_LIST, payload, format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Household.objects.count() == 1
    assert AuditEvent.objects.filter(action="household.created").count() == 1


def test_a_repeated_submission_returns_the_first_record_even_if_the_retry_differs(
    api_as, api_payload, wulibao_community
):
    api = api_as("wulibao_worker")
    key = str(uuid.uuid4())
    first = api.post(API_LIST, {**api_payload(wulibao_community), "client_uuid": key}, format="json")

    retry = api.post(
        API_LIST, {**api_payload(wulibao_community, head_name="李秀英"), "client_uuid": key}, format="json"
    )

    assert retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["head_name"] == "张建国"
    assert Household.objects.get().head_name == "张建国"


def test_the_same_submission_from_another_user_who_sees_the_household_returns_it(
    api_as, api_payload, wulibao_community
):
    key = str(uuid.uuid4())
    first = api_as("wulibao_worker").post(
        API_LIST, {**api_payload(wulibao_community), "client_uuid": key}, format="json"
    )

    again = api_as("wulibao_inspector").post(
        API_LIST, {**api_payload(wulibao_community), "client_uuid": key}, format="json"
    )

    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    assert Household.objects.count() == 1


def test_a_used_key_from_outside_the_callers_view_reveals_nothing_and_creates_nothing(
    api_as, api_payload, wulibao_community, huaihelu_community
):
    key = str(uuid.uuid4())
    api_as("wulibao_worker").post(API_LIST, {**api_payload(wulibao_community), "client_uuid": key}, format="json")

    response = api_as("huaihelu_inspector").post(
        API_LIST, {**api_payload(huaihelu_community), "client_uuid": key}, format="json"
    )

    assert response.status_code == 403
    assert "张建国" not in response.content.decode()
    assert Household.objects.count() == 1


def test_submissions_without_a_key_are_each_registered(api_as, api_payload, wulibao_community):
    api = api_as("wulibao_worker")

    responses = [api.post(API_LIST, api_payload(wulibao_community), format="json") for _ in range(2)]

    assert [r.status_code for r in responses] == [201, 201]
    assert Household.objects.count() == 2


def test_a_registration_answers_with_the_stored_record(api_as, api_payload, wulibao_community, people):
    response = api_as("wulibao_worker").post(API_LIST, api_payload(wulibao_community), format="json")

    body = response.json()
    household = Household.objects.get(pk=body["id"])
    assert body["division"] == wulibao_community.code
    assert body["division_name"] == wulibao_community.name
    assert body["subdistrict_name"] == "五里堡街道"
    assert body["label"] == "龙亭小区3号楼2单元501"
    assert household.created_by == people["wulibao_worker"]
    assert household.division_code == wulibao_community.code


def test_the_caller_cannot_set_the_priority_zone_by_hand(api_as, api_payload, wulibao_community):
    response = api_as("wulibao_worker").post(
        API_LIST, {**api_payload(wulibao_community), "in_priority_zone": True}, format="json"
    )

    assert response.status_code == 201
    assert Household.objects.get().in_priority_zone is False


def test_a_household_moved_to_a_sibling_community_needs_entry_rights_there(api_as, register, wulibao_community):
    household = register("wulibao_worker", wulibao_community)
    sibling = wulibao_community.parent.children.exclude(pk=wulibao_community.pk).first()

    refused = api_as("wulibao_worker").patch(f"{API_LIST}{household.pk}/", {"division": sibling.code}, format="json")
    moved = api_as("wulibao_inspector").patch(f"{API_LIST}{household.pk}/", {"division": sibling.code}, format="json")

    assert refused.status_code == 400  # the worker cannot see the sibling community at all
    assert moved.status_code == 200
    household.refresh_from_db()
    assert (household.division, household.division_code) == (sibling, sibling.code)


def test_an_inspector_cannot_move_a_household_into_another_subdistrict(
    api_as, register, wulibao_community, huaihelu_community
):
    household = register("wulibao_worker", wulibao_community)

    response = api_as("wulibao_inspector").patch(
        f"{API_LIST}{household.pk}/", {"division": huaihelu_community.code}, format="json"
    )

    assert response.status_code == 400
    assert "division" in response.json()
    household.refresh_from_db()
    assert household.division == wulibao_community


def test_a_voided_household_can_still_be_fetched_by_its_id(api_as, household_in, wulibao_community):
    household = household_in(wulibao_community)
    api_as("wulibao_admin").post(f"{API_LIST}{household.pk}/void/", {"reason": "重复登记"}, format="json")

    response = api_as("wulibao_inspector").get(f"{API_LIST}{household.pk}/")

    assert response.status_code == 200
    assert (response.json()["void_reason"], response.json()["voided_at"] is not None) == ("重复登记", True)


def test_a_void_sent_twice_answers_the_same_both_times(api_as, household_in, wulibao_community):
    household = household_in(wulibao_community)
    api = api_as("wulibao_admin")

    first = api.post(f"{API_LIST}{household.pk}/void/", {"reason": "重复登记"}, format="json")
    second = api.post(f"{API_LIST}{household.pk}/void/", {"reason": "重复登记"}, format="json")

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["voided_at"] == second.json()["voided_at"]
    assert AuditEvent.objects.filter(action="household.voided").count() == 1


def test_a_voided_household_cannot_be_changed_through_the_api(api_as, household_in, wulibao_community, people):
    household = household_in(wulibao_community, head_name="张建国")
    api_as("wulibao_admin").post(f"{API_LIST}{household.pk}/void/", {"reason": "重复登记"}, format="json")

    response = api_as("wulibao_admin").patch(f"{API_LIST}{household.pk}/", {"head_name": "李秀英"}, format="json")

    assert response.status_code == 400
    household.refresh_from_db()
    assert household.head_name == "张建国"


def test_a_voided_household_stays_out_of_sight_outside_the_jurisdiction(api_as, household_in, wulibao_community):
    household = household_in(wulibao_community)
    api_as("wulibao_admin").post(f"{API_LIST}{household.pk}/void/", {"reason": "重复登记"}, format="json")

    assert api_as("huaihelu_inspector").get(f"{API_LIST}{household.pk}/").status_code == 404


def test_moving_a_household_into_a_unit_one_may_only_view_is_refused(
    api_as, people, register, wulibao_community, huaihelu_community
):
    household = register("wulibao_worker", wulibao_community)
    MembershipFactory(user=people["wulibao_inspector"], role="district_leader")  # now views 淮河路 too

    response = api_as("wulibao_inspector").patch(
        f"{API_LIST}{household.pk}/", {"division": huaihelu_community.code}, format="json"
    )

    assert response.status_code == 403
    household.refresh_from_db()
    assert (household.division, household.division_code) == (wulibao_community, wulibao_community.code)


def test_an_anonymous_api_call_is_told_to_authenticate_with_a_token(client):
    response = client.get("/api/v1/households/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_void_submitted_twice_from_the_page_lands_on_the_voided_household(client_as, people, wulibao_community):
    from households.services import household_create

    household, _ = household_create(
        actor=people["wulibao_admin"], data={"division": wulibao_community, "estate": "龙亭"}
    )
    page = client_as("wulibao_admin")
    url = f"/households/{household.pk}/void/"

    first = page.post(url, {"reason": "重复登记"})
    second = page.post(url, {"reason": "重复登记"})

    assert first.status_code == second.status_code == 302
    assert second.url == household.get_absolute_url()
    household.refresh_from_db()
    assert household.void_reason == "重复登记"


def test_a_new_household_answers_that_coal_was_never_found(api_as, api_payload, wulibao_community):
    body = api_as("wulibao_worker").post(API_LIST, api_payload(wulibao_community), format="json").json()

    assert (body["coal_status"], body["coal_status_at"]) == ("never", None)


def test_a_visit_that_finds_coal_shows_in_the_households_status_and_since_when(api_as, wulibao_household):
    api = api_as("wulibao_inspector")
    visit = api.post(
        "/api/v1/inspections/",
        {"household": wulibao_household.pk, "kind": "survey", "outcome": "loose_coal"},
        format="json",
    )
    found_at = parse_datetime(visit.json()["started_at"])

    detail = api.get(f"{API_LIST}{wulibao_household.pk}/").json()
    listed = api.get(API_LIST, {"coal_status": "found"}).json()["results"]

    assert visit.status_code == 201
    assert detail["coal_status"] == "found"
    assert parse_datetime(detail["coal_status_at"]) == found_at
    assert [(h["id"], h["coal_status"]) for h in listed] == [(wulibao_household.pk, "found")]
    assert api.get(API_LIST, {"coal_status": "never"}).json()["results"] == []


def test_a_clean_check_after_a_finding_answers_cleared(api_as, wulibao_household):
    api = api_as("wulibao_inspector")
    for outcome in ("stove_in_use", "no_coal"):
        api.post("/api/v1/inspections/", {"household": wulibao_household.pk, "kind": "survey", "outcome": outcome})

    assert api.get(f"{API_LIST}{wulibao_household.pk}/").json()["coal_status"] == "cleared"


def test_the_caller_cannot_set_the_coal_status_by_hand(api_as, api_payload, wulibao_community, wulibao_household):
    api = api_as("wulibao_admin")

    created = api.post(
        API_LIST,
        {**api_payload(wulibao_community), "coal_status": "cleared", "coal_status_at": "2026-01-01T00:00:00+08:00"},
        format="json",
    )
    edited = api.patch(f"{API_LIST}{wulibao_household.pk}/", {"coal_status": "found"}, format="json")

    assert (created.status_code, created.json()["coal_status"], created.json()["coal_status_at"]) == (
        201,
        "never",
        None,
    )
    assert (edited.status_code, edited.json()["coal_status"]) == (200, "never")
    wulibao_household.refresh_from_db()
    assert wulibao_household.coal_status == "never"


def test_the_schema_documents_the_coal_status_and_its_three_values(api_as):
    schema = yaml.safe_load(api_as("wulibao_inspector").get("/api/v1/schema/").content)["components"]["schemas"]
    household = schema["Household"]["properties"]

    assert household["coal_status"]["readOnly"] is True
    status = schema[household["coal_status"]["allOf"][0]["$ref"].rsplit("/", 1)[1]]
    assert status["enum"] == ["never", "found", "cleared"]
    assert (household["coal_status_at"]["readOnly"], household["coal_status_at"]["format"]) == (True, "date-time")
