"""The household page tells its field work, and offers what the user may record there."""

import pytest
from django.urls import reverse

from households.models import CoalStatus
from inspections.models import Seizure

pytestmark = pytest.mark.django_db


@pytest.fixture
def night_check(visit, wulibao_household, last_night):
    return visit(
        wulibao_household,
        "stove_in_use",
        last_night,
        by="wulibao_inspector",
        kind="night_check",
        seized=[("briquette", 50), ("stove", 1, "destroyed")],
    )


def test_the_household_page_shows_a_night_check_with_50_briquettes_and_a_destroyed_stove(
    client_as, night_check, wulibao_household
):
    response = client_as("wulibao_worker").get(wulibao_household.get_absolute_url())

    assert response.status_code == 200
    assert list(response.context["visits"]) == [night_check]
    page = response.content.decode()
    assert night_check.get_absolute_url() in page
    assert f"{Seizure.Item.BRIQUETTE.label} 50" in page
    assert f"{Seizure.Item.STOVE.label} 1 · {Seizure.Method.DESTROYED.label}" in page
    assert str(CoalStatus.FOUND.label) in page


def test_the_coal_status_badge_says_cleared_after_a_clean_check(client_as, night_check, visit, wulibao_household):
    visit(wulibao_household, "no_coal")

    page = client_as("wulibao_inspector").get(wulibao_household.get_absolute_url()).content.decode()

    assert str(CoalStatus.CLEARED.label) in page


def test_the_household_page_lists_its_visits_on_an_operation(
    client_as, plan_operation, wulibao, visit, wulibao_household, last_night
):
    operation = plan_operation(wulibao)
    visit(wulibao_household, "no_coal", last_night, operation=operation)

    page = client_as("wulibao_admin").get(wulibao_household.get_absolute_url()).content.decode()

    assert operation.get_absolute_url() in page


def test_the_breadcrumbs_lead_to_the_unit_pages(client_as, wulibao_household, wulibao, wulibao_community):
    page = client_as("wulibao_inspector").get(wulibao_household.get_absolute_url()).content.decode()

    assert f'href="{reverse("reports:unit", args=[wulibao.code])}"' in page
    assert f'href="{reverse("reports:unit", args=[wulibao_community.code])}"' in page


def test_a_community_worker_is_not_led_to_the_subdistrict_page_they_cannot_see(client_as, wulibao_household, wulibao):
    page = client_as("wulibao_worker").get(wulibao_household.get_absolute_url()).content.decode()

    assert reverse("reports:unit", args=[wulibao.code]) not in page


def buttons(client, household) -> dict[str, bool]:
    page = client.get(household.get_absolute_url()).content.decode()
    urls = {
        "visit": reverse("inspections:create"),
        "purchase": reverse("inspections:purchase-create"),
        "ban": reverse("inspections:ban-create"),
        "conversion": reverse("inspections:conversion-set"),
    }
    return {name: f'href="{url}?household={household.pk}"' in page for name, url in urls.items()}


def test_an_inspector_may_record_a_visit_and_set_a_conversion_at_an_ordinary_home(client_as, wulibao_household):
    assert buttons(client_as("wulibao_inspector"), wulibao_household) == {
        "visit": True,
        "purchase": False,
        "ban": False,
        "conversion": True,
    }


def test_a_purchase_is_offered_only_at_a_vulnerable_household(client_as, vulnerable_household):
    assert buttons(client_as("wulibao_worker"), vulnerable_household)["purchase"] is True


def test_a_ban_is_offered_only_at_a_sale_point_storage_point_or_stall(client_as, sale_point):
    assert buttons(client_as("wulibao_inspector"), sale_point)["ban"] is True


def test_a_district_leader_may_record_a_visit_but_nothing_else(client_as, vulnerable_household):
    assert buttons(client_as("qu_leader"), vulnerable_household) == {
        "visit": True,
        "purchase": False,
        "ban": False,
        "conversion": False,
    }


def test_a_voided_household_offers_nothing_to_record(client_as, vulnerable_household, people):
    from households.services import household_void

    household_void(actor=people["wulibao_admin"], household=vulnerable_household, reason="重复登记")

    assert not any(buttons(client_as("wulibao_admin"), vulnerable_household).values())


def test_the_navigation_has_the_field_work_menu_and_the_phone_page(client_as):
    page = client_as("wulibao_inspector").get(reverse("inspections:list")).content.decode()

    assert 'data-testid="fieldwork-menu"' in page
    for name in ("list", "operation-list", "ban-list", "purchase-list", "conversion-list", "publicity-list"):
        assert f'href="{reverse(f"inspections:{name}")}"' in page
    assert 'href="/field/"' in page
