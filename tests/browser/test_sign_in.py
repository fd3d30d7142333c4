"""An inspector signs in with a real browser and opens the household register of their subdistrict."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

BOOTSTRAP_SUCCESS = "rgb(25, 135, 84)"  # .bg-success: the navbar is green only if Bootstrap's CSS loaded


@pytest.fixture
def register(people, household_in, wulibao_community, huaihelu_community):
    """Three households in 五里堡 (the inspector's subdistrict) and one in 淮河路 (not theirs)."""
    mine = [household_in(wulibao_community, estate="龙亭小区", building="3", unit="2", room=f"50{n}") for n in "123"]
    theirs = household_in(huaihelu_community, estate="淮河苑", building="9", unit="1", room="101")
    return mine, theirs


def sign_in(page, live_server, username: str, households: int, password: str = "pw"):
    """Sign in through the form; the home page then counts the households within the user's reach."""
    page.goto(f"{live_server.url}/login/")
    page.locator("main input[name=username]").fill(username)
    page.locator("main input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_test_id("total-households")).to_have_text(str(households))


def assert_register_shows(page, mine, theirs):
    table = page.get_by_test_id("household-table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(len(mine))
    for household in mine:
        expect(table.get_by_role("link", name=household.label)).to_be_visible()
    assert theirs.estate not in page.content()


def assert_styled(page):
    assert page.locator("nav.navbar").evaluate("e => getComputedStyle(e).backgroundColor") == BOOTSTRAP_SUCCESS


def test_sign_in_and_open_the_register(page, live_server, register, screenshot):
    mine, theirs = register

    sign_in(page, live_server, "wulibao_inspector", households=len(mine))
    page.locator("nav .navbar-nav a[href='/households/']").click()

    page.wait_for_url(f"{live_server.url}/households/")
    assert_register_shows(page, mine, theirs)
    assert_styled(page)
    screenshot(page, "sign-in-desktop-register")


def test_register_on_a_phone(phone_page, live_server, register, screenshot):
    page, (mine, theirs) = phone_page, register
    sign_in(page, live_server, "wulibao_inspector", households=len(mine))

    # The nav is collapsed behind the toggler: the register link is hidden until the menu opens.
    link = page.locator("nav .navbar-nav a[href='/households/']")
    expect(link).to_be_hidden()
    page.locator("button.navbar-toggler").tap()
    expect(link).to_be_visible()
    link.tap()

    page.wait_for_url(f"{live_server.url}/households/")
    assert_register_shows(page, mine, theirs)
    assert_styled(page)
    # Rows stack on a phone: no header row, and nothing wider than the screen.
    expect(page.get_by_test_id("household-table").locator("thead")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "sign-in-phone-register")
