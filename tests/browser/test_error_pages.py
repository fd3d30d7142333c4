"""An inspector's browser while the database is cut off: a Chinese page in the site's layout, then the register
again once the database is back. gunicorn serves the project through a TCP relay to PostgreSQL that the test
cuts (tests/coalgov/test_error_pages.py)."""

import pytest
from playwright.sync_api import expect

from tests.coalgov.test_error_pages import OUTAGE_SERVER, Relay
from tests.servers import database_url, start_gunicorn, stop

from .conftest import watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

BOOTSTRAP_SUCCESS = "rgb(25, 135, 84)"  # .bg-success: the navbar is green only if Bootstrap's CSS loaded


@pytest.fixture
def relayed_server(transactional_db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the relay stands between gunicorn and PostgreSQL (SQLite's test database lives in memory)")
    db = connection.settings_dict
    relay = Relay((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    process, port = start_gunicorn(database_url(db, "127.0.0.1", relay.port), **OUTAGE_SERVER)
    yield relay, f"http://127.0.0.1:{port}"
    stop(process)
    relay.close()


def test_an_inspector_sees_a_chinese_page_while_the_database_is_down_and_the_register_after(
    browser, relayed_server, people, household_in, wulibao_community, screenshot
):
    relay, url = relayed_server
    household = household_in(wulibao_community, estate="龙亭小区", building="3", unit="2", room="501")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    statuses = {}
    context.on("response", lambda response: statuses.__setitem__(response.url, response.status))
    csp_violations = watch_csp(context)
    page = context.new_page()
    page.goto(f"{url}/login/")
    page.locator("main input[name=username]").fill("wulibao_inspector")
    page.locator("main input[name=password]").fill("pw")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{url}/")

    relay.cut()
    during = page.goto(f"{url}/households/")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("系统暂时无法使用")
    screenshot(page, "error-page-database-down")
    navbar = page.locator("nav.navbar").evaluate("e => getComputedStyle(e).backgroundColor")
    relay.mend()
    after = page.goto(f"{url}/households/")

    assert during.status == 503 and during.headers["retry-after"]
    assert navbar == BOOTSTRAP_SUCCESS  # the site's layout, styled: static files need no database
    assert [status for address, status in statuses.items() if "/static/" in address and status >= 400] == []
    assert after.status == 200
    expect(page.get_by_role("link", name=household.label)).to_be_visible()
    context.close()
    assert csp_violations == []
