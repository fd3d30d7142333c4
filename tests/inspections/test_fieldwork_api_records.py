"""What each field-work endpoint accepts, refuses and shows, beyond who may use it."""

import datetime

import pytest

from inspections.models import (
    Ban,
    Conversion,
    ConversionTarget,
    Department,
    Inspection,
    NightOperation,
    Publicity,
    Purchase,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def operation(api_as, wulibao, wulibao_community, people):
    response = api_as("wulibao_admin").post(
        "/api/v1/operations/",
        {
            "division": wulibao.code,
            "date": "2017-01-02",
            "title": "零点夜查",
            "leader": "街道办主任",
            "team": [people["wulibao_inspector"].pk],
            "covered": [wulibao_community.code],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


# --- Operations -------------------------------------------------------------------------------------


def test_an_operation_shows_its_team_and_the_codes_of_the_units_it_covers(operation, people, wulibao_community):
    assert operation["team"] == [people["wulibao_inspector"].pk]
    assert operation["covered"] == [wulibao_community.code]
    assert operation["division_name"] == "五里堡街道"


def test_an_operation_needs_the_units_it_covers(api_as, wulibao):
    response = api_as("wulibao_admin").post(
        "/api/v1/operations/",
        {"division": wulibao.code, "date": "2017-01-02", "title": "零点夜查", "leader": "主任"},
        format="json",
    )

    assert response.status_code == 400
    assert "covered" in response.json()
    assert not NightOperation.objects.exists()


def test_the_district_cannot_cover_huaihelu_from_an_operation_of_wulibao(api_as, wulibao, huaihelu_community):
    response = api_as("qu_admin").post(
        "/api/v1/operations/",
        {
            "division": wulibao.code,
            "date": "2017-01-02",
            "title": "零点夜查",
            "leader": "区长",
            "covered": [huaihelu_community.code],
        },
        format="json",
    )

    assert response.status_code == 400
    assert "covered" in response.json()
    assert not NightOperation.objects.exists()


def test_a_team_member_from_outside_the_view_is_unknown(api_as, wulibao, wulibao_community, people):
    response = api_as("wulibao_admin").post(
        "/api/v1/operations/",
        {
            "division": wulibao.code,
            "date": "2017-01-02",
            "title": "零点夜查",
            "leader": "主任",
            "covered": [wulibao_community.code],
            "team": [people["huaihelu_inspector"].pk],
        },
        format="json",
    )

    assert response.status_code == 400
    assert "team" in response.json()


def test_a_change_that_leaves_out_the_team_keeps_it(api_as, operation, people):
    response = api_as("wulibao_admin").patch(
        f"/api/v1/operations/{operation['id']}/", {"title": "春节零点夜查"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["title"] == "春节零点夜查"
    assert response.json()["team"] == [people["wulibao_inspector"].pk]


def test_a_change_may_replace_the_team_and_the_units_covered(
    api_as, operation, people, wulibao_community, wulibao_other_community
):
    response = api_as("wulibao_admin").patch(
        f"/api/v1/operations/{operation['id']}/",
        {"team": [people["wulibao_worker"].pk], "covered": [wulibao_community.code, wulibao_other_community.code]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["team"] == [people["wulibao_worker"].pk]
    assert sorted(response.json()["covered"]) == sorted([wulibao_community.code, wulibao_other_community.code])


def test_an_operation_is_not_replaced_whole(api_as, operation):
    response = api_as("wulibao_admin").put(f"/api/v1/operations/{operation['id']}/", operation, format="json")

    assert response.status_code == 405


def test_a_voided_operation_cannot_be_changed(api_as, operation):
    admin = api_as("wulibao_admin")
    admin.post(f"/api/v1/operations/{operation['id']}/void/", {"reason": "取消"}, format="json")

    response = admin.patch(f"/api/v1/operations/{operation['id']}/", {"title": "改"}, format="json")

    assert response.status_code == 400
    assert NightOperation.objects.get().title == "零点夜查"


def visit_on(api, household, operation, started_at=None):
    """POST a night check (nothing found) naming `operation`, at `started_at` if given (now otherwise)."""
    body = {"household": household.pk, "kind": "night_check", "outcome": "no_coal", "operation": operation["id"]}
    return api.post(
        "/api/v1/inspections/", {**body, **({"started_at": started_at} if started_at else {})}, format="json"
    )


def test_a_visit_is_recorded_as_part_of_an_operation(api_as, operation, wulibao_household):
    # The operation's night (2017-01-02), after midnight.
    response = visit_on(api_as("wulibao_inspector"), wulibao_household, operation, "2017-01-03T00:20:00+08:00")

    assert response.status_code == 201
    listed = api_as("wulibao_inspector").get("/api/v1/inspections/", {"operation": operation["id"]}).json()
    assert [row["id"] for row in listed["results"]] == [response.json()["id"]]


def test_a_visit_naming_an_operation_voided_since_is_recorded_without_it(api_as, operation, wulibao_household):
    """A phone offline while the office cancelled the night still sends what it recorded from the night's list:
    the visit happened, so it is kept (not refused for good), and the cancelled operation does not count it."""
    api_as("wulibao_admin").post(f"/api/v1/operations/{operation['id']}/void/", {"reason": "下雨取消"}, format="json")
    response = visit_on(api_as("wulibao_inspector"), wulibao_household, operation)

    assert response.status_code == 201
    assert response.json()["operation"] is None
    assert Inspection.objects.get().operation is None


def test_a_visit_on_another_night_than_its_operations_is_recorded_without_it(api_as, operation, wulibao_household):
    """The operation is dated 2017-01-02: a visit of the night before (or of any other) is not part of it. The API
    keeps the visit and drops the link, as for a voided operation; the office's form says why (next test)."""
    # 05:50 is still the night of 2017-01-01.
    response = visit_on(api_as("wulibao_inspector"), wulibao_household, operation, "2017-01-02T05:50:00+08:00")

    assert response.status_code == 201 and response.json()["operation"] is None


def test_the_service_refuses_a_visit_of_another_night_with_the_two_nights_named(people, operation, wulibao_household):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from inspections.services import inspection_record

    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        inspection_record(
            actor=people["wulibao_inspector"],
            household=wulibao_household,
            kind="night_check",
            outcome="no_coal",
            started_at=datetime.datetime(2017, 1, 4, 0, 20, tzinfo=datetime.timezone(datetime.timedelta(hours=8))),
            operation=NightOperation.objects.get(pk=operation["id"]),
        )
    with translation.override("zh-hans"):
        message = refused.value.message_dict["operation"][0]
    assert "2017-01-02" in message and "2017-01-03" in message and "夜" in message
    assert not Inspection.objects.exists()


def test_an_operation_with_visits_cannot_be_moved_to_another_night(api_as, operation, wulibao_household):
    visit_on(api_as("wulibao_inspector"), wulibao_household, operation, "2017-01-02T23:30:00+08:00")

    response = api_as("wulibao_admin").patch(
        f"/api/v1/operations/{operation['id']}/", {"date": "2017-01-05"}, format="json"
    )

    assert response.status_code == 400 and list(response.json()) == ["date"]
    assert NightOperation.objects.get().date == datetime.date(2017, 1, 2)


def test_a_visit_naming_another_subdistricts_operation_is_refused_and_stores_nothing(
    api_as, operation, huaihelu_community, household_in
):
    household = household_in(huaihelu_community)
    response = visit_on(api_as("huaihelu_inspector"), household, operation, "2017-01-02T23:30:00+08:00")

    assert response.status_code == 400 and list(response.json()) == ["operation"]
    assert not Inspection.objects.exists()


# --- Purchases --------------------------------------------------------------------------------------


@pytest.fixture
def elderly(household_in, wulibao_community):
    return household_in(wulibao_community, elderly_alone=True)


def buy(api, household, **fields):
    payload = {
        "household": household.pk,
        "item": "briquette",
        "quantity": "150",
        "unit_price": "0.80",
        "market_price": "0.60",
        **fields,
    }
    return api.post("/api/v1/purchases/", payload, format="json")


def test_a_purchase_answers_with_the_amount_paid(api_as, elderly):
    response = buy(api_as("wulibao_worker"), elderly)

    assert response.status_code == 201
    assert response.json()["amount"] == "120.00"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"unit_price": "0.60"}, "unit_price"),
        ({"unit_price": "0.50"}, "unit_price"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "-10"}, "quantity"),
        ({"quantity": "10.5"}, "quantity"),
        ({"item": "stove"}, "item"),
        ({"purchased_on": "2099-01-01"}, "purchased_on"),
    ],
)
def test_a_bad_purchase_is_a_400_on_its_field_and_nothing_is_saved(api_as, elderly, fields, field):
    response = buy(api_as("wulibao_worker"), elderly, **fields)

    assert response.status_code == 400
    assert field in response.json()
    assert not Purchase.objects.exists()


def test_a_purchase_from_a_household_that_is_not_vulnerable_is_a_400(api_as, wulibao_household):
    response = buy(api_as("wulibao_worker"), wulibao_household)

    assert response.status_code == 400
    assert "household" in response.json()
    assert not Purchase.objects.exists()


# --- Bans -------------------------------------------------------------------------------------------


@pytest.fixture
def sale_point(household_in, wulibao_community):
    return household_in(wulibao_community, kind="coal_sale_point", address="京广路散煤点")


def test_a_ban_from_a_phone_carries_its_departments_and_photos(api_as, sale_point, jpeg, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    departments = [Department.objects.get_or_create(name=name)[0].pk for name in ("工商所", "城管执法中队")]

    response = api_as("wulibao_inspector").post(
        "/api/v1/bans/",
        {"household": sale_point.pk, "kind": "sale_point", "departments": departments, "photos": [jpeg()]},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    assert sorted(response.json()["departments"]) == sorted(departments)
    assert len(response.json()["photos"]) == 1


def test_a_sale_point_ban_on_a_home_is_a_400(api_as, wulibao_household):
    response = api_as("wulibao_inspector").post(
        "/api/v1/bans/", {"household": wulibao_household.pk, "kind": "sale_point"}, format="json"
    )

    assert response.status_code == 400
    assert "household" in response.json()
    assert not Ban.objects.exists()


def test_a_ban_shows_its_rebound_once_a_later_visit_finds_coal(api_as, sale_point, visit, at):
    api = api_as("wulibao_inspector")
    ban = api.post(
        "/api/v1/bans/",
        {"household": sale_point.pk, "kind": "sale_point", "banned_at": at(2017, 1, 2, 9, 0).isoformat()},
        format="json",
    ).json()
    assert api.get("/api/v1/bans/", {"rebounded": "true"}).json()["results"] == []

    visit(sale_point, "loose_coal", at(2017, 1, 3, 20, 0), kind="recheck")

    rebounded = api.get("/api/v1/bans/", {"rebounded": "true"}).json()["results"]
    assert [row["id"] for row in rebounded] == [ban["id"]]
    assert datetime.datetime.fromisoformat(rebounded[0]["rebound_at"]) == at(2017, 1, 3, 20, 0)


# --- Conversions and targets --------------------------------------------------------------------------


def test_a_completed_conversion_without_its_date_is_a_400(api_as, wulibao_household):
    response = api_as("wulibao_worker").post(
        "/api/v1/conversions/",
        {"household": wulibao_household.pk, "kind": "electricity", "status": "completed"},
        format="json",
    )

    assert response.status_code == 400
    assert "completed_on" in response.json()
    assert not Conversion.objects.exists()


def test_a_conversion_is_set_with_its_status_said_outright(api_as, wulibao_household):
    response = api_as("wulibao_worker").post(
        "/api/v1/conversions/", {"household": wulibao_household.pk, "kind": "electricity"}, format="json"
    )

    assert response.status_code == 400
    assert "status" in response.json()


def test_completed_conversions_are_listed_by_kind_and_date(api_as, household_in, wulibao_community):
    api = api_as("wulibao_worker")
    for kind, day in [("electricity", "2017-01-02"), ("gas", "2017-01-03"), ("electricity", "2017-01-09")]:
        household = household_in(wulibao_community).pk
        api.post(
            "/api/v1/conversions/",
            {"household": household, "kind": kind, "status": "completed", "completed_on": day},
            format="json",
        )

    listed = api.get(
        "/api/v1/conversions/",
        {"kind": "electricity", "completed_after": "2017-01-01", "completed_before": "2017-01-05"},
    ).json()["results"]

    assert [row["completed_on"] for row in listed] == ["2017-01-02"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"season": "2017"}, "season"), ({"season": "2016-2018"}, "season"), ({"households": -1}, "households")],
)
def test_a_bad_target_is_a_400_on_its_field(api_as, wulibao_community, fields, field):
    payload = {"division": wulibao_community.code, "season": "2016-2017", "households": 40, **fields}

    response = api_as("wulibao_admin").post("/api/v1/conversion-targets/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not ConversionTarget.objects.exists()


def test_a_target_for_a_whole_subdistrict_is_a_400(api_as, wulibao):
    response = api_as("wulibao_admin").post(
        "/api/v1/conversion-targets/",
        {"division": wulibao.code, "season": "2016-2017", "households": 40},
        format="json",
    )

    assert response.status_code == 400
    assert "division" in response.json()


def test_setting_a_target_again_updates_it(api_as, wulibao_community):
    api = api_as("wulibao_admin")
    payload = {"division": wulibao_community.code, "season": "2016-2017", "households": 40}

    first = api.post("/api/v1/conversion-targets/", payload, format="json")
    again = api.post("/api/v1/conversion-targets/", {**payload, "households": 55}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert ConversionTarget.objects.get().households == 55


def test_a_target_keeps_its_community_and_season(api_as, wulibao_community, wulibao_other_community):
    api = api_as("wulibao_admin")
    target = api.post(
        "/api/v1/conversion-targets/",
        {"division": wulibao_community.code, "season": "2016-2017", "households": 40},
        format="json",
    ).json()

    response = api.patch(
        f"/api/v1/conversion-targets/{target['id']}/", {"division": wulibao_other_community.code}, format="json"
    )

    assert response.status_code == 400
    assert ConversionTarget.objects.get().division == wulibao_community


# --- Publicity --------------------------------------------------------------------------------------


def test_publicity_of_nothing_is_a_400(api_as, wulibao_community):
    response = api_as("wulibao_worker").post(
        "/api/v1/publicity/", {"division": wulibao_community.code, "kind": "banner", "count": 0}, format="json"
    )

    assert response.status_code == 400
    assert "count" in response.json()
    assert not Publicity.objects.exists()


def test_publicity_of_more_than_a_million_is_a_400_naming_the_limit(api_as, wulibao_community):
    response = api_as("wulibao_worker").post(
        "/api/v1/publicity/", {"division": wulibao_community.code, "kind": "sms", "count": 2_000_000}, format="json"
    )

    assert response.status_code == 400
    assert "1000000" in str(response.json()["count"])
    assert not Publicity.objects.exists()


def test_a_subdistrict_records_its_own_publicity(api_as, wulibao):
    response = api_as("wulibao_admin").post(
        "/api/v1/publicity/",
        {"division": wulibao.code, "kind": "led_screen", "count": 2, "place": "大学路集贸市场"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["division_code"] == wulibao.code


# --- Visits -----------------------------------------------------------------------------------------


def test_the_visit_list_counts_a_visit_at_00_20_on_its_local_day(api_as, visit, wulibao_household, at):
    late = visit(wulibao_household, "no_coal", at(2017, 1, 2, 0, 20), kind="night_check")
    visit(wulibao_household, "no_coal", at(2017, 1, 1, 23, 0), kind="night_check")

    listed = api_as("wulibao_inspector").get(
        "/api/v1/inspections/", {"date_after": "2017-01-02", "date_before": "2017-01-02"}
    )

    assert [row["id"] for row in listed.json()["results"]] == [late.pk]


def test_seizures_sent_as_a_list_in_json_are_recorded(api_as, wulibao_household):
    response = api_as("wulibao_inspector").post(
        "/api/v1/inspections/",
        {
            "household": wulibao_household.pk,
            "kind": "survey",
            "outcome": "loose_coal",
            "seizures": [{"item": "loose_coal", "quantity": "12.5", "method": "voluntary"}],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["seizures"] == [
        {"item": "loose_coal", "quantity": "12.50", "method": "voluntary", "description": ""}
    ]


def test_more_seizure_rows_than_a_visit_has_is_a_400_and_records_nothing(api_as, wulibao_household):
    row = {"item": "other", "quantity": "1", "method": "voluntary", "description": "炉具配件"}
    response = api_as("wulibao_inspector").post(
        "/api/v1/inspections/",
        {"household": wulibao_household.pk, "kind": "survey", "outcome": "loose_coal", "seizures": [row] * 31},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["seizures"] == ["每次检查最多填写30行收缴物品。"]
    assert not Inspection.objects.exists()


def test_a_seizure_of_more_than_a_place_holds_is_a_400_and_records_nothing(api_as, wulibao_household):
    """An outside tester stored 9999999999.99 kg of loose coal taken at one household."""
    row = {"item": "loose_coal", "quantity": "9999999999.99", "method": "voluntary"}
    response = api_as("wulibao_inspector").post(
        "/api/v1/inspections/",
        {"household": wulibao_household.pk, "kind": "survey", "outcome": "loose_coal", "seizures": [row]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["seizures"] == ["9999999999.99超过了一处可能的数量（每行最多100000）：请核对数字。"]
    assert not Inspection.objects.exists()


def test_a_broken_seizures_string_from_a_phone_is_a_400(api_as, wulibao_household):
    response = api_as("wulibao_inspector").post(
        "/api/v1/inspections/",
        {"household": wulibao_household.pk, "kind": "survey", "outcome": "loose_coal", "seizures": "[{"},
        format="multipart",
    )

    assert response.status_code == 400
    assert "seizures" in response.json()


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/inspections/?date_after=abc", "date_after"),
        ("/api/v1/inspections/?date_after=2026-01-01&date_before=abc", "date_before"),
        ("/api/v1/bans/?date_before=2026-13-40", "date_before"),
    ],
)
def test_a_bad_date_filter_is_answered_under_the_parameter_sent(api_as, people, url, field):
    # A range filter is one form field (`date`); the API names the parameter the caller sent, as documented.
    response = api_as("qu_admin").get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 400
    assert list(response.json()) == [field]
