"""A date a person types is bounded everywhere like a visit's: year 1 and year 9999 are refused, saving nothing."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from coalgov.dates import PLANNING_AHEAD
from inspections.models import Ban, Conversion, NightOperation, Publicity, Purchase

pytestmark = pytest.mark.django_db

FAR_OFF = ["0001-01-01", "9999-12-31"]


def errors(response, field) -> list[str]:
    assert response.status_code == 200
    return response.context["form"].errors[field]


@pytest.mark.parametrize("day", FAR_OFF)
def test_a_night_check_operation_planned_for_a_far_off_day_is_refused_with_a_message(
    client_as, wulibao, wulibao_community, day
):
    response = client_as("wulibao_admin").post(
        reverse("inspections:operation-create"),
        {
            "division": wulibao.pk,
            "date": day,
            "title": "零点夜查",
            "leader": "街道书记",
            "covered": [wulibao_community.pk],
        },
    )

    latest = (timezone.localdate() + PLANNING_AHEAD).isoformat()
    too_early, too_far = (
        "日期过早（不得早于1990-01-01），请检查。",
        f"日期超出了可计划的范围（最晚为{latest}），请检查。",
    )
    assert errors(response, "date") == [too_early if day < "2000" else too_far]
    assert not NightOperation.objects.exists()


def test_an_operation_may_be_planned_for_next_week_but_not_for_two_years_ahead(client_as, wulibao, wulibao_community):
    client = client_as("wulibao_admin")
    data = {"division": wulibao.pk, "title": "零点夜查", "leader": "街道书记", "covered": [wulibao_community.pk]}
    today = timezone.localdate()

    assert (
        client.post(
            reverse("inspections:operation-create"), {**data, "date": today + datetime.timedelta(days=7)}
        ).status_code
        == 302
    )
    refused = client.post(
        reverse("inspections:operation-create"), {**data, "date": today + datetime.timedelta(days=800)}
    )

    latest = (today + PLANNING_AHEAD).isoformat()
    assert errors(refused, "date") == [f"日期超出了可计划的范围（最晚为{latest}），请检查。"]
    assert NightOperation.objects.count() == 1


@pytest.mark.parametrize("day", FAR_OFF)
def test_the_api_refuses_an_operation_on_a_far_off_day_with_a_field_error(api_as, wulibao, wulibao_community, day):
    response = api_as("wulibao_admin").post(
        "/api/v1/operations/",
        {
            "division": wulibao.code,
            "date": day,
            "title": "零点夜查",
            "leader": "街道书记",
            "covered": [wulibao_community.code],
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["date"]
    assert not NightOperation.objects.exists()


@pytest.mark.parametrize("day", FAR_OFF)
def test_a_purchase_publicity_and_conversion_on_a_far_off_day_are_refused_on_their_pages(
    client_as, household_in, wulibao_community, day
):
    client = client_as("wulibao_worker")
    elderly = household_in(wulibao_community, elderly_alone=True)
    purchase = {
        "household": elderly.pk,
        "purchased_on": day,
        "item": "briquette",
        "quantity": "200",
        "unit_price": "1.20",
        "market_price": "0.80",
        "client_uuid": str(uuid.uuid4()),
    }
    publicity = {
        "division": wulibao_community.pk,
        "date": day,
        "kind": "banner",
        "count": "3",
        "client_uuid": str(uuid.uuid4()),
    }
    conversion = {"household": elderly.pk, "kind": "gas", "status": "completed", "completed_on": day}

    assert errors(client.post(reverse("inspections:purchase-create"), purchase), "purchased_on")
    assert errors(client.post(reverse("inspections:publicity-create"), publicity), "date")
    assert errors(client.post(reverse("inspections:conversion-set"), conversion), "completed_on")
    assert not (Purchase.objects.exists() or Publicity.objects.exists() or Conversion.objects.exists())


@pytest.mark.parametrize("moment", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_ban_at_a_far_off_moment_is_refused_on_its_page(client_as, household_in, wulibao_community, moment):
    sale_point = household_in(wulibao_community, kind="coal_sale_point", address="京广路散煤点")

    response = client_as("wulibao_inspector").post(
        reverse("inspections:ban-create"),
        {
            "household": sale_point.pk,
            "kind": "sale_point",
            "banned_at": moment,
            "officers": "工商所",
            "client_uuid": str(uuid.uuid4()),
        },
    )

    assert errors(response, "banned_at")
    assert not Ban.objects.exists()


@pytest.mark.parametrize(
    ("url", "field", "value"),
    [
        ("/api/v1/purchases/", "purchased_on", "9999-12-31"),
        ("/api/v1/bans/", "banned_at", "9999-12-31T23:59"),
        ("/api/v1/publicity/", "date", "0001-01-01"),
        ("/api/v1/conversions/", "completed_on", "0001-01-01"),
        ("/api/v1/inspections/", "started_at", "9999-12-31T23:59"),
    ],
)
def test_the_api_refuses_far_off_dates_of_field_work_with_a_field_error(
    api_as, household_in, wulibao_community, url, field, value
):
    elderly = household_in(wulibao_community, elderly_alone=True)
    sale_point = household_in(wulibao_community, kind="coal_sale_point", address="京广路散煤点")
    body = {
        "/api/v1/purchases/": {
            "household": elderly.pk,
            "item": "briquette",
            "quantity": "2",
            "unit_price": "1.2",
            "market_price": "0.8",
        },
        "/api/v1/bans/": {"household": sale_point.pk, "kind": "sale_point"},
        "/api/v1/publicity/": {"division": wulibao_community.code, "kind": "banner", "count": 3},
        "/api/v1/conversions/": {"household": elderly.pk, "kind": "gas", "status": "completed"},
        "/api/v1/inspections/": {"household": elderly.pk, "kind": "survey", "outcome": "no_coal"},
    }[url]

    response = api_as("qu_admin").post(url, {**body, field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()
