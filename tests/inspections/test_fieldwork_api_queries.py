"""A page of a field-work list costs the same handful of queries for 3 records as for 30."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inspections.models import Department
from inspections.photos import photos_check
from inspections.services import (
    ban_record,
    conversion_set,
    operation_save,
    publicity_record,
    purchase_record,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def add(people, visit, household_in, jpeg, at, wulibao, wulibao_community, wulibao_other_community):
    """add(endpoint, n): n more records of that endpoint in 五里堡, each with its photos, seizures and the like."""
    admin = people["wulibao_admin"]
    departments = [Department.objects.get_or_create(name=name)[0] for name in ("工商所", "城管执法中队")]
    when = at(2017, 1, 2, 23, 30)

    def one(endpoint):
        if endpoint == "inspections":
            return visit(
                household_in(wulibao_community),
                "stove_in_use",
                when,
                by="wulibao_inspector",
                kind="night_check",
                seized=[("briquette", 50), ("stove", 1, "destroyed")],
                photos=photos_check([jpeg(), jpeg()]),
                departments=departments,
            )
        if endpoint == "bans":
            place = household_in(wulibao_community, kind="coal_sale_point", address="京广路")
            return ban_record(
                actor=admin, household=place, kind="sale_point", departments=departments, photos=photos_check([jpeg()])
            )
        if endpoint == "publicity":
            return publicity_record(
                actor=admin, division=wulibao_community, kind="banner", count=2, photos=photos_check([jpeg()])
            )
        if endpoint == "purchases":
            return purchase_record(
                actor=admin,
                household=household_in(wulibao_community, low_income=True),
                item="briquette",
                quantity=Decimal(20),
                unit_price=Decimal("0.8"),
                market_price=Decimal("0.6"),
            )
        if endpoint == "conversions":
            return conversion_set(
                actor=admin, household=household_in(wulibao_other_community), kind="gas", status="planned"
            )
        if endpoint == "operations":
            return operation_save(
                actor=admin,
                data={"division": wulibao, "date": datetime.date(2017, 1, 2), "title": "夜查", "leader": "主任"},
                team=[people["wulibao_inspector"], people["wulibao_worker"]],
                covered=[wulibao_community, wulibao_other_community],
            )
        raise AssertionError(endpoint)

    def make(endpoint, n):
        for _ in range(n):
            one(endpoint)

    return make


def queries_for_list(api, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as context:
        response = api.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), len(response.json()["results"])


@pytest.mark.parametrize("endpoint", ["inspections", "bans", "publicity", "purchases", "conversions", "operations"])
def test_the_list_costs_no_more_queries_for_30_records_than_for_3(api_as, add, endpoint):
    url = f"/api/v1/{endpoint}/"
    api = api_as("wulibao_inspector")
    api.get(url)  # the user's jurisdiction is read once and kept for the request's user

    add(endpoint, 3)
    few, shown_few = queries_for_list(api, url)
    add(endpoint, 27)
    many, shown_many = queries_for_list(api, url)

    assert (shown_few, shown_many) == (3, 30)
    assert many == few
