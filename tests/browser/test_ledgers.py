"""A subdistrict administrator asks for a ledger: the page follows its progress by itself (static/js/ledgers.js)
and offers the download when it is ready, under a Chinese file name."""

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from reports import ledgers
from reports.models import LedgerExport

from .test_sign_in import assert_styled, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_a_ledger_is_requested_followed_and_downloaded(
    open_context, live_server, wulibao_household, settings, tmp_path, monkeypatch, screenshot
):
    settings.MEDIA_ROOT = tmp_path
    # No worker here: the export waits in the queue until the test builds it, as a busy worker would.
    monkeypatch.setattr("reports.tasks.build_ledger.delay", lambda export_id: None)
    context, traffic = open_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, "wulibao_admin", households=1)
    page.locator("nav .navbar-nav a[href='/units/ledgers/']").click()
    page.wait_for_url(f"{live_server.url}/units/ledgers/")

    form = page.get_by_test_id("ledger-form")
    form.locator("select[name=unit]").select_option("410103006")
    form.locator("input[name=sheets][value=inspections]").uncheck()
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/units/ledgers/")

    row = page.get_by_test_id("ledger-table").locator("tbody tr").first
    expect(row).to_contain_text("五里堡街道")
    expect(row.get_by_test_id("download")).to_have_count(0)
    export = LedgerExport.objects.get()
    assert export.status == "queued" and "inspections" not in export.sheets

    assert ledgers.ledger_run(export_id=export.pk) == "done"  # the worker gets to it

    expect(row.get_by_test_id("download")).to_be_visible(timeout=15_000)  # the page noticed by itself
    with page.expect_download() as download:
        row.get_by_test_id("download").click()
    path = download.value.path()
    today = timezone.localdate()
    assert download.value.suggested_filename == f"台账_五里堡街道_{today.replace(day=1):%Y-%m-%d}_{today:%Y-%m-%d}.xlsx"
    with open(path, "rb") as saved:  # saved without an extension, which openpyxl wants from a path
        assert load_workbook(saved).sheetnames == ["住户", "收缴", "收购", "问题", "说明"]
    assert_styled(page)
    screenshot(page, "ledgers-desktop")
    # Chromium reports a link that turns into a download as an aborted navigation: that one is expected.
    url = f"{live_server.url}/units/ledgers/{export.pk}/download/"
    traffic.failures.remove(f"{url}: net::ERR_ABORTED")
