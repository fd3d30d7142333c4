"""Real headless Chromium, driven by Playwright's sync API, against pytest-django's `live_server`.

Chromium is the system's (Debian's `chromium` package), never a downloaded one: set CHROMIUM_PATH if it
lives elsewhere than /usr/bin/chromium. Without it the browser tests are skipped, unless REQUIRE_BROWSER=1
(as in CI), where a missing browser is a failure.

Every request the pages make is recorded; a test fails if one leaves the machine (district intranets have
no internet, so the app must load nothing from a CDN) or if one is answered with an error. A test also fails if
a page reports a Content-Security-Policy violation: every page must work under the app's strict policy.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

# Playwright's sync API keeps an asyncio event loop running in the test thread, and Django refuses ORM
# calls from a thread with a running loop. The ORM calls here (fixtures, teardown) are plain sync code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# Report (and check) the requests a service worker makes, like the pages' own. Without it Playwright
# neither sees them nor takes them offline with `context.set_offline(True)`: the phone page's worker
# would still reach the server while the page believes it has no signal.
os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    # The machine may have no internet: keep Chromium from calling home on its own.
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    reason = f"no Chromium at {path} (install Debian's chromium, or set CHROMIUM_PATH)"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(chromium_path):
    """One Chromium per test module; module scope keeps Playwright's event loop out of other modules' tests."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# How Chromium fails a request while the context is offline (`context.set_offline(True)`).
OFFLINE_FAILURE = "net::ERR_INTERNET_DISCONNECTED"


class Traffic:
    """What the pages of one browser context asked for, and what came back.

    With `expect_offline_failures`, a request that failed only because the test switched the network off
    is recorded in `offline_failures` instead of `failures`; every other failure still fails the test.
    """

    def __init__(self, expect_offline_failures: bool = False):
        self.urls: list[str] = []
        self.failures: list[str] = []
        self.offline_failures: list[str] = []
        self.csp_violations: list[str] = []
        self.expect_offline_failures = expect_offline_failures

    def failed(self, request) -> None:
        if self.expect_offline_failures and request.failure == OFFLINE_FAILURE:
            self.offline_failures.append(f"{request.method} {request.url}")
        else:
            self.failures.append(f"{request.url}: {request.failure}")

    def check(self, response) -> None:
        if response.status >= 400:
            self.failures.append(f"{response.url}: {response.status}")

    def outside(self) -> list[str]:
        """Requests that left the machine (data: and blob: URLs never touch the network)."""
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in {"data", "blob", "about"} and urlsplit(url).hostname not in LOCAL_HOSTS
        ]


# Installed in every page before its own scripts: a violation of the Content-Security-Policy (an inline script
# or handler, eval, a style element, a request to another host…) is handed to the test, which fails on it.
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} in ${document.URL}`
      + ` (${event.sourceFile || "the page"}:${event.lineNumber}) ${event.sample}`
  );
}, true);
"""


def watch_csp(context, into: list[str] | None = None, prefix: str = "") -> list[str]:
    """Record the Content-Security-Policy violations the context's pages report (in `into`, each after `prefix`,
    if given): -> the list they go into."""
    violations: list[str] = [] if into is None else into
    context.expose_function("__cspViolation", lambda violation: violations.append(prefix + violation))
    context.add_init_script(WATCH_CSP)
    return violations


@pytest.fixture
def open_context(browser):
    """Open a browser context: open_context(expect_offline_failures=False, **options) -> (context, traffic).

    On teardown, asserts that no request left 127.0.0.1/localhost, that none failed or got a 4xx/5xx, and that
    no page reported a Content-Security-Policy violation (in `traffic.csp_violations`).
    A test that switches the network off passes expect_offline_failures=True: requests failed by that
    (and only by that) are then expected, and listed in `traffic.offline_failures`.
    """
    opened = []

    def open_(expect_offline_failures: bool = False, **options):
        context = browser.new_context(locale="zh-CN", **options)
        context.set_default_timeout(10_000)
        traffic = Traffic(expect_offline_failures=expect_offline_failures)
        context.on("request", lambda request: traffic.urls.append(request.url))
        context.on("requestfailed", traffic.failed)
        context.on("response", traffic.check)
        traffic.csp_violations = watch_csp(context)
        opened.append((context, traffic))
        return context, traffic

    yield open_
    for context, traffic in opened:
        context.close()
        assert traffic.urls, "the browser made no request at all"
        assert not traffic.outside(), f"requests left the machine: {traffic.outside()}"
        assert not traffic.failures, f"requests failed: {traffic.failures}"
        assert not traffic.csp_violations, f"the Content-Security-Policy was violated: {traffic.csp_violations}"


@pytest.fixture
def page(open_context):
    """A desktop-sized page."""
    context, _ = open_context(viewport={"width": 1280, "height": 900})
    return context.new_page()


@pytest.fixture
def phone_page(open_context):
    """A phone-sized page (390x844, touch)."""
    context, _ = open_context(**PHONE)
    return context.new_page()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under test-artifacts/ (gitignored): screenshot(page, name) -> path."""

    def take(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
