"""In a real browser: a case the morning task made overdue and escalated opens for everyone concerned, shows the
system's steps as 系统, and is rectified (with a photo) and closed through its page."""

import datetime
import io

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from cases.models import Case
from cases.tasks import check_case_deadlines
from tests.browser import conftest as browser_fixtures
from tests.browser.test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

# The browser fixtures live with the browser tests; this module uses them for the case page.
chromium_path, browser = browser_fixtures.chromium_path, browser_fixtures.browser
open_context = browser_fixtures.open_context


def _as(open_context, live_server, username):
    context, _traffic = open_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    sign_in(tab, live_server, username, households=0)
    return tab


def test_an_escalated_case_is_rectified_and_closed_in_the_browser(open_context, live_server, notice_case, tmp_path):
    case = notice_case()
    Case.objects.filter(pk=case.pk).update(deadline=timezone.localdate() - datetime.timedelta(days=1))
    check_case_deadlines.apply().get()
    photo = tmp_path / "after.jpg"
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 20)).save(out, "JPEG")
    photo.write_bytes(out.getvalue())

    worker = _as(open_context, live_server, "wulibao_worker")
    worker.goto(f"{live_server.url}{case.get_absolute_url()}")
    expect(worker.get_by_test_id("timeline")).to_contain_text("系统")
    rectify = worker.get_by_test_id("step-rectify")
    rectify.get_by_label("整改情况").fill("已清理楼道散煤")
    rectify.get_by_label("佐证照片").set_input_files(str(photo))
    rectify.get_by_role("button", name="提交").click()
    expect(worker.get_by_test_id("case-status")).to_have_text("已整改待核查")

    admin = _as(open_context, live_server, "wulibao_admin")
    admin.goto(f"{live_server.url}{case.get_absolute_url()}")
    close = admin.get_by_test_id("step-close")
    close.get_by_label("备注").fill("核查属实")
    close.get_by_role("button", name="提交").click()

    expect(admin.get_by_test_id("case-status")).to_have_text("已核查销号")
    admin.goto(f"{live_server.url}/cases/{case.pk}/follow-up-sheet/")
    expect(admin.get_by_test_id("follow-up-events")).to_contain_text("系统")


def test_back_and_send_again_opens_no_second_case_when_the_browser_fetches_the_form_again(
    open_context, live_server, people, wulibao_community
):
    """An outside clerk: Back after opening a case showed the form again, fetched anew (a new key) but with what was
    typed filled back in by the browser; sending it opened a second case. The form is no longer refilled."""
    tab = _as(open_context, live_server, "wulibao_admin")
    # As a browser that keeps no page in its back-forward cache (many in-app browsers): the form is fetched again.
    tab.route(
        "**/cases/new/",
        lambda route: route.fulfill(
            response=(answer := route.fetch()), headers={**answer.headers, "cache-control": "no-store"}
        ),
    )
    tab.goto(f"{live_server.url}/cases/new/")
    tab.select_option("#id_responsible_unit", str(wulibao_community.pk))
    tab.fill("#id_title", "楼道堆放散煤")
    tab.get_by_role("button", name="登记问题").click()
    tab.wait_for_url("**/cases/*/")
    assert Case.objects.count() == 1

    tab.go_back()
    tab.wait_for_load_state()

    assert tab.input_value("#id_title") == ""
    tab.get_by_role("button", name="登记问题").click()  # sends an empty form: refused, nothing opened
    assert Case.objects.count() == 1


def test_a_long_unbroken_note_wraps_inside_the_case_page(open_context, live_server, people, notice_case):
    from cases.services import case_start

    case = notice_case()
    Case.objects.filter(pk=case.pk).update(description="https://example.org/" + "a" * 1500)
    case_start(actor=people["wulibao_worker"], case=case, note="b" * 2000)
    context, _traffic = open_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    tab = context.new_page()
    sign_in(tab, live_server, "wulibao_admin", households=0)

    for path in (case.get_absolute_url(), f"/cases/{case.pk}/follow-up-sheet/"):
        tab.goto(f"{live_server.url}{path}")
        assert tab.evaluate("document.documentElement.scrollWidth") <= 400, path
