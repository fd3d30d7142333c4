"""The Content-Security-Policy really blocks in Chromium, and the browser tests really hear of it.

Every other browser test fails on a violation (conftest.py, `watch_csp`); this one shows the listener catches one.
"""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

INJECT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.ranInline = true";
  document.body.append(script);
  const button = document.createElement("button");
  button.id = "injected-button";
  button.setAttribute("onclick", "window.clicked = true");
  button.textContent = "x";
  document.body.append(button);
}"""


def test_an_injected_inline_script_and_handler_are_refused_and_reported_to_the_test(open_context, live_server):
    context, traffic = open_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    response = page.goto(f"{live_server.url}/login/")

    page.evaluate(INJECT)
    page.locator("#injected-button").click()
    for _ in range(50):  # the page reports through an exposed function, which answers asynchronously
        if len(traffic.csp_violations) >= 2:
            break
        page.wait_for_timeout(100)

    assert "script-src" in response.headers["content-security-policy"]
    assert page.evaluate("[window.ranInline, window.clicked]") == [None, None]
    assert any(v.startswith("script-src-elem blocked inline") for v in traffic.csp_violations)
    assert any(v.startswith("script-src-attr blocked inline") for v in traffic.csp_violations)
    traffic.csp_violations.clear()  # expected here: the fixture would fail the test on them
