"""A subdistrict administrator edits the ledger's 住户 sheet in a spreadsheet, uploads it on the import page, reads
the preview of what will change, confirms it, and finds the household changed, with the file in its history."""

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from households.models import Household
from reports import ledgers

from .test_sign_in import assert_styled, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_an_edited_ledger_is_previewed_confirmed_and_applied(
    open_context, live_server, people, wulibao, wulibao_household, settings, tmp_path, screenshot
):
    settings.MEDIA_ROOT = tmp_path / "media"
    today = timezone.localdate()
    export = ledgers.ledger_request(
        actor=people["wulibao_admin"], division=wulibao, start=today, end=today, sheets=["households"]
    )
    assert ledgers.ledger_run(export_id=export.pk) == "done"
    export.refresh_from_db()
    workbook = load_workbook(ledgers.ledger_path(export))
    sheet = workbook["住户"]
    header = [cell.value for cell in sheet[2]]
    assert sheet.cell(row=3, column=1).value == wulibao_household.pk
    sheet.cell(row=3, column=header.index("电话") + 1, value="13900001111")
    sheet.cell(row=3, column=header.index("取暖方式") + 1, value="电取暖")
    edited = tmp_path / "五里堡住户台账.xlsx"
    workbook.save(edited)

    context, _traffic = open_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, "wulibao_admin", households=1)
    page.goto(f"{live_server.url}/households/import/")
    page.locator("input[name=file]").set_input_files(str(edited))
    page.locator("main form button[type=submit]").click()

    preview = page.get_by_test_id("import-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("[data-count=updated]")).to_have_text("1")
    expect(preview.locator("[data-count=created]")).to_have_text("0")
    changes = page.get_by_test_id("preview-changes")
    expect(changes).to_contain_text("13900001111")
    expect(changes).to_contain_text("电取暖")
    assert Household.objects.get(pk=wulibao_household.pk).heating == "unknown"  # nothing applied yet
    assert_styled(page)
    screenshot(page, "household-import-preview")

    page.get_by_test_id("confirm-import").click()
    expect(page.get_by_test_id("imported")).to_be_visible()

    page.goto(f"{live_server.url}/households/{wulibao_household.pk}/")
    main = page.locator("main")
    expect(main).to_contain_text("13900001111")
    expect(main).to_contain_text("五里堡住户台账.xlsx")
    household = Household.objects.get(pk=wulibao_household.pk)
    assert (household.phone, household.heating) == ("13900001111", "electric")
