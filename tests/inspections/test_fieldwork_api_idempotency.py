"""A phone that sends the same submission twice (no signal, a retry) gets the first record back, not two."""

import uuid

import pytest

from inspections.models import Ban, Conversion, ConversionTarget, Inspection, NightOperation, Publicity, Purchase

pytestmark = pytest.mark.django_db


@pytest.fixture
def submissions(wulibao_community, household_in):
    """What each POST of the field-work API sends for 五里堡's first community."""
    code = wulibao_community.code
    home = household_in(wulibao_community).pk
    elderly = household_in(wulibao_community, elderly_alone=True).pk
    sale_point = household_in(wulibao_community, kind="coal_sale_point", address="京广路散煤点").pk
    return {
        "inspections": (Inspection, {"household": home, "kind": "night_check", "outcome": "no_coal"}),
        "operations": (
            NightOperation,
            {"division": code, "date": "2017-01-02", "title": "零点夜查", "leader": "街道办主任", "covered": [code]},
        ),
        "purchases": (
            Purchase,
            {"household": elderly, "item": "briquette", "quantity": "100", "unit_price": "0.8", "market_price": "0.6"},
        ),
        "bans": (Ban, {"household": sale_point, "kind": "sale_point", "officers": "张三、李四"}),
        "conversions": (Conversion, {"household": home, "kind": "gas", "status": "planned"}),
        "conversion-targets": (ConversionTarget, {"division": code, "season": "2016-2017", "households": 40}),
        "publicity": (Publicity, {"division": code, "kind": "banner", "count": 6}),
    }


ENDPOINTS = ["inspections", "operations", "purchases", "bans", "conversions", "conversion-targets", "publicity"]
# The users who may enter each kind of record in 五里堡 (targets and operations are the subdistrict's).
AUTHOR = {"operations": "wulibao_admin", "conversion-targets": "wulibao_admin"}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_same_submission_twice_is_created_once_and_answered_with_the_first(api_as, submissions, endpoint):
    model, payload = submissions[endpoint]
    api = api_as(AUTHOR.get(endpoint, "wulibao_inspector"))
    payload = {**payload, "client_uuid": str(uuid.uuid4())}

    first = api.post(f"/api/v1/{endpoint}/", payload, format="json")
    again = api.post(f"/api/v1/{endpoint}/", payload, format="json")

    assert first.status_code == 201, first.json()
    assert again.status_code == 200, again.json()
    assert again.json()["id"] == first.json()["id"]
    assert model.objects.count() == 1


@pytest.mark.parametrize("endpoint", ["inspections", "operations", "purchases", "bans", "publicity"])
def test_a_repeat_with_changed_fields_returns_the_first_record_unchanged(api_as, submissions, endpoint):
    model, payload = submissions[endpoint]
    api = api_as(AUTHOR.get(endpoint, "wulibao_inspector"))
    payload = {**payload, "client_uuid": str(uuid.uuid4()), "notes": "第一次"}

    first = api.post(f"/api/v1/{endpoint}/", payload, format="json")
    again = api.post(f"/api/v1/{endpoint}/", {**payload, "notes": "第二次"}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["notes"] == "第一次"
    assert model.objects.get().notes == "第一次"


def test_a_client_uuid_used_in_wulibao_tells_huaihelu_nothing(api_as, submissions, household_in, huaihelu_community):
    client_uuid = str(uuid.uuid4())
    _model, payload = submissions["inspections"]
    api_as("wulibao_inspector").post("/api/v1/inspections/", {**payload, "client_uuid": client_uuid}, format="json")
    far = household_in(huaihelu_community).pk

    response = api_as("huaihelu_inspector").post(
        "/api/v1/inspections/",
        {"household": far, "kind": "survey", "outcome": "no_coal", "client_uuid": client_uuid},
        format="json",
    )

    assert response.status_code == 403
    assert "household" not in response.json()
    assert Inspection.objects.count() == 1


def test_setting_a_conversion_again_changes_the_one_conversion(api_as, submissions):
    _model, payload = submissions["conversions"]
    api = api_as("wulibao_worker")

    planned = api.post("/api/v1/conversions/", payload, format="json")
    completed = api.post(
        "/api/v1/conversions/", {**payload, "status": "completed", "completed_on": "2017-01-05"}, format="json"
    )

    assert (planned.status_code, completed.status_code) == (201, 200)
    assert completed.json()["id"] == planned.json()["id"]
    conversion = Conversion.objects.get()
    assert (conversion.status, str(conversion.completed_on)) == ("completed", "2017-01-05")


def test_a_voided_conversion_leaves_room_for_a_new_one(api_as, submissions):
    _model, payload = submissions["conversions"]
    first = api_as("wulibao_worker").post("/api/v1/conversions/", payload, format="json").json()
    api_as("wulibao_admin").post(f"/api/v1/conversions/{first['id']}/void/", {"reason": "户主变更"}, format="json")

    second = api_as("wulibao_worker").post("/api/v1/conversions/", payload, format="json")

    assert second.status_code == 201
    assert second.json()["id"] != first["id"]
    assert Conversion.objects.current().count() == 1


def test_voiding_twice_answers_with_the_voided_record_both_times(api_as, submissions):
    _model, payload = submissions["purchases"]
    purchase = api_as("wulibao_worker").post("/api/v1/purchases/", payload, format="json").json()
    admin = api_as("wulibao_admin")

    first = admin.post(f"/api/v1/purchases/{purchase['id']}/void/", {"reason": "重复录入"}, format="json")
    again = admin.post(f"/api/v1/purchases/{purchase['id']}/void/", {"reason": "重复录入"}, format="json")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["voided_at"] == first.json()["voided_at"]


def test_a_voided_purchase_leaves_the_list_but_can_be_asked_for(api_as, submissions):
    _model, payload = submissions["purchases"]
    purchase = api_as("wulibao_worker").post("/api/v1/purchases/", payload, format="json").json()
    admin = api_as("wulibao_admin")
    admin.post(f"/api/v1/purchases/{purchase['id']}/void/", {"reason": "重复录入"}, format="json")

    assert admin.get("/api/v1/purchases/").json()["results"] == []
    assert [p["id"] for p in admin.get("/api/v1/purchases/", {"voided": "true"}).json()["results"]] == [purchase["id"]]


def test_a_void_without_a_reason_is_a_400_and_changes_nothing(api_as, submissions):
    _model, payload = submissions["bans"]
    ban = api_as("wulibao_inspector").post("/api/v1/bans/", payload, format="json").json()

    response = api_as("wulibao_admin").post(f"/api/v1/bans/{ban['id']}/void/", {"reason": ""}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()
    assert not Ban.objects.get().is_voided


def test_a_phone_that_prefers_a_minimal_answer_gets_the_visit_id_first_and_on_a_repeat(
    api_as, submissions, household_in, huaihelu_community
):
    _model, payload = submissions["inspections"]
    payload = {**payload, "client_uuid": str(uuid.uuid4())}
    phone = api_as("wulibao_inspector")

    first = phone.post("/api/v1/inspections/", payload, format="json", headers={"Prefer": "return=minimal"})
    again = phone.post("/api/v1/inspections/", payload, format="json", headers={"Prefer": "return=minimal"})

    visit = Inspection.objects.get()
    assert (first.status_code, first.json()) == (201, {"id": visit.pk, "client_uuid": payload["client_uuid"]})
    assert first["Preference-Applied"] == "return=minimal"
    assert (again.status_code, again.json()) == (200, {"id": visit.pk, "client_uuid": payload["client_uuid"]})
    # Without the preference, the visit written back, as before.
    plain = phone.post("/api/v1/inspections/", payload, format="json")
    assert plain.status_code == 200 and plain.json()["household"] == payload["household"]
    assert "Preference-Applied" not in plain
    # Another subdistrict's inspector sending that uuid learns nothing, minimal or not.
    other = {**payload, "household": household_in(huaihelu_community).pk}
    stranger = api_as("huaihelu_inspector").post(
        "/api/v1/inspections/", other, format="json", headers={"Prefer": "return=minimal"}
    )
    assert stranger.status_code == 403 and "id" not in stranger.json()
    # A refused visit is refused in full words, whatever was preferred.
    refused = phone.post(
        "/api/v1/inspections/",
        {**payload, "client_uuid": str(uuid.uuid4()), "outcome": "nonsense"},
        format="json",
        headers={"Prefer": "return=minimal"},
    )
    assert refused.status_code == 400 and "outcome" in refused.json()
    assert Inspection.objects.count() == 1


def test_notes_longer_than_a_paragraph_are_refused_and_nothing_is_stored(api_as, submissions):
    _model, payload = submissions["inspections"]
    phone = api_as("wulibao_inspector")

    too_long = phone.post("/api/v1/inspections/", {**payload, "notes": "烟" * 2001}, format="json")
    just_fits = phone.post("/api/v1/inspections/", {**payload, "notes": "烟" * 2000}, format="json")

    assert too_long.status_code == 400 and "2000" in too_long.json()["notes"][0]
    assert just_fits.status_code == 201
    assert [len(notes) for notes in Inspection.objects.values_list("notes", flat=True)] == [2000]
