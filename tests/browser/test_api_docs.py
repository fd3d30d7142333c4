"""The API documentation is served by the app itself and renders with no internet."""

import pytest
from playwright.sync_api import expect

from .test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_the_api_docs_render_from_the_apps_own_files(page, live_server, people, screenshot):
    sign_in(page, live_server, "qu_admin", households=0)

    page.goto(f"{live_server.url}/api/v1/docs/")

    # Swagger UI builds the operation list from /api/v1/schema/ in the browser.
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/households/").first).to_be_visible()
    screenshot(page, "api-docs")
