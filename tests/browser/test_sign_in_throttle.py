"""Someone guessing a password in a real browser is stopped at the limit and told why, in Chinese."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_a_guesser_is_told_in_chinese_to_wait_after_ten_wrong_passwords(open_context, live_server, people, screenshot):
    context, traffic = open_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    for n in range(10):
        page.locator("main input[name=username]").fill("wulibao_inspector")
        page.locator("main input[name=password]").fill(f"guess{n}")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()

    expect(page.get_by_test_id("sign-in-locked-out")).to_have_text(
        "该用户在此地址输错密码次数过多，请 15 分钟后再试，或请区散煤办核查您的账号。"
    )
    # The right password now is refused too, and the form is there to try again later.
    page.locator("main input[name=username]").fill("wulibao_inspector")
    page.locator("main input[name=password]").fill("pw")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("sign-in-locked-out")).to_be_visible()
    assert page.url == f"{live_server.url}/login/"
    screenshot(page, "sign-in-locked-out")
    # The two refusals are answered 429 on purpose; any other failed request still fails the test.
    refused = [f for f in traffic.failures if f.endswith("/login/: 429")]
    assert len(refused) == 2
    traffic.failures[:] = [f for f in traffic.failures if f not in refused]
