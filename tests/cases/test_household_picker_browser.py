"""In a real browser: the case form's place search fills the list as one types (the project's own script, no
CDN), and the case opens for the picked place; with JavaScript off, the "Find" button does the same."""

import pytest
from playwright.sync_api import expect

from cases.models import Case
from tests.browser import conftest as browser_fixtures
from tests.browser.test_sign_in import sign_in

# The browser fixtures live with the browser tests; this module uses them for the case form.
chromium_path, browser = browser_fixtures.chromium_path, browser_fixtures.browser
open_context, page = browser_fixtures.open_context, browser_fixtures.page

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def places(register, wulibao_community, huaihelu_community):
    mine = register("wulibao_admin", wulibao_community, estate="龙亭小区", room="501", head_name="王建国")
    register("qu_admin", huaihelu_community, estate="龙亭小区", room="601", head_name="赵德胜")
    return mine


def test_typing_an_address_offers_the_places_and_the_case_opens_for_the_picked_one(
    page, live_server, places, wulibao_community
):
    sign_in(page, live_server, "wulibao_admin", households=1)
    page.goto(f"{live_server.url}/cases/new/")
    expect(page.get_by_role("button", name="查找", exact=True)).to_be_hidden()

    page.get_by_label("查找地点").fill("王建")
    place = page.get_by_label("场所")
    expect(place.locator("option")).to_have_count(2)  # "— 不选 —" and the one match
    expect(place).to_have_value(str(places.pk))
    assert "赵德胜" not in place.inner_text()
    page.get_by_label("问题").fill("楼道烧散煤")
    page.get_by_role("button", name="登记问题").click()

    page.wait_for_url(f"{live_server.url}/cases/*/")
    case = Case.objects.get()
    assert case.household == places and case.responsible_unit == wulibao_community


def test_without_javascript_the_find_button_searches_on_the_server(open_context, live_server, places):
    context, _traffic = open_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(f"{live_server.url}/login/")
    tab.locator("main input[name=username]").fill("wulibao_admin")
    tab.locator("main input[name=password]").fill("pw")
    tab.locator("main form button[type=submit]").click()
    tab.goto(f"{live_server.url}/cases/new/")

    tab.get_by_label("查找地点").fill("龙亭")
    tab.get_by_role("button", name="查找", exact=True).click()
    tab.get_by_label("场所").select_option(str(places.pk))
    tab.get_by_label("问题").fill("楼道烧散煤")
    tab.get_by_role("button", name="登记问题").click()

    expect(tab.get_by_test_id("case-status")).to_be_visible()
    assert Case.objects.get().household == places


def test_typing_the_address_as_the_site_displays_it_offers_the_place(page, live_server, register, wulibao_community):
    flat = register("wulibao_admin", wulibao_community, estate="铁路新村", building="7", unit="1", room="304")
    sign_in(page, live_server, "wulibao_admin", households=1)
    page.goto(f"{live_server.url}/cases/new/")

    page.get_by_label("查找地点").fill("铁路新村 7号楼1单元304")
    place = page.get_by_label("场所")
    expect(place.locator("option")).to_have_count(2)
    expect(place).to_have_value(str(flat.pk))
