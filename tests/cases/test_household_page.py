"""A household's page lists its cases (open and closed, with status and a link) and its bans (取缔), in a
constant number of queries, within the user's jurisdiction."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.services import case_close, case_open, case_rectify
from households.models import Kind
from inspections.models import Ban, Department
from inspections.services import ban_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale_point(register, wulibao_community):
    return register(
        "wulibao_admin",
        wulibao_community,
        kind=Kind.COAL_SALE_POINT,
        estate="",
        address="无照散煤销售点1号",
        building="",
        unit="",
        room="",
    )


def _case(people, place, title):
    return case_open(
        actor=people["qu_admin"], source="spot_check", responsible_unit=place.division, title=title, household=place
    )


def _ban(people, place, *departments):
    ban, _created = ban_record(
        actor=people["wulibao_admin"], household=place, kind=Ban.Kind.SALE_POINT, departments=departments
    )
    return ban


def test_the_household_page_shows_its_open_and_closed_cases_and_its_bans(client_as, people, sale_point, evidence):
    closed = _case(people, sale_point, "无照经营散煤")
    case_rectify(actor=people["wulibao_admin"], case=closed, note="已取缔", photos=evidence)
    case_close(actor=people["qu_admin"], case=closed)
    still_open = _case(people, sale_point, "再次发现散煤")
    _ban(people, sale_point, Department.objects.create(name="市场监管所"))

    response = client_as("wulibao_worker").get(sale_point.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert [c.pk for c in response.context["cases"]] == [still_open.pk, closed.pk]
    assert f'href="{closed.get_absolute_url()}"' in html and f'href="{still_open.get_absolute_url()}"' in html
    assert still_open.get_status_display() in html and closed.get_status_display() in html
    assert "市场监管所" in html
    assert len(response.context["bans"]) == 1


def test_a_household_without_cases_or_bans_says_so(client_as, wulibao_household):
    html = client_as("wulibao_worker").get(wulibao_household.get_absolute_url()).content.decode()

    assert 'data-testid="household-cases"' in html and 'data-testid="household-bans"' in html


def test_the_household_page_is_404_outside_the_jurisdiction(client_as, people, sale_point):
    _case(people, sale_point, "无照经营散煤")

    assert client_as("huaihelu_inspector").get(sale_point.get_absolute_url()).status_code == 404
    assert client_as("nobody").get(sale_point.get_absolute_url()).status_code == 404


def test_the_household_page_costs_the_same_queries_with_one_case_and_ban_or_many(client_as, people, sale_point):
    client = client_as("wulibao_admin")
    departments = [Department.objects.create(name=f"部门{n}") for n in range(3)]
    _case(people, sale_point, "问题一")
    _ban(people, sale_point, departments[0])
    client.get(sale_point.get_absolute_url())  # warm up the session and caches
    with CaptureQueriesContext(connection) as one:
        client.get(sale_point.get_absolute_url())

    for n in range(3):
        _case(people, sale_point, f"问题{n + 2}")
        _ban(people, sale_point, *departments)
    with CaptureQueriesContext(connection) as many:
        response = client.get(sale_point.get_absolute_url())

    assert len(response.context["cases"]) == 4 and len(response.context["bans"]) == 4
    assert len(many) == len(one)
