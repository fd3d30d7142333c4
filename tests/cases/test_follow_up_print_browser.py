"""The 督办单 page printed from the browser (headless Chromium, A4): no record row split over two pages, the
record's header on every page, the signature never alone on the last page, and 签收日期 年 月 日 on one line."""

import re
import subprocess

import pytest

from tests.browser import conftest as browser_fixtures
from tests.browser.test_sign_in import sign_in
from tests.cases.test_clerk_prints import _open, _record

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

chromium_path, browser = browser_fixtures.chromium_path, browser_fixtures.browser
open_context = browser_fixtures.open_context

OFFICE = "二七区散煤治理工作领导小组办公室"


def _pages(pdf) -> list[str]:
    count = int(
        re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout)[1]
    )
    return [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), "-layout", pdf, "-"], capture_output=True, text=True, check=True
        ).stdout
        for n in range(1, count + 1)
    ]


@pytest.mark.parametrize("entries", [24, 31, 38])
def test_the_browser_printed_sheet_keeps_rows_whole_and_the_signature_with_the_record(
    open_context, live_server, people, wulibao_community, tmp_path, entries
):
    case = _open(people, wulibao_community)
    _record(case, people["wulibao_admin"], entries)
    context, _traffic = open_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    sign_in(tab, live_server, "wulibao_admin", households=0)
    tab.goto(f"{live_server.url}/cases/{case.pk}/follow-up-sheet/")
    pdf = tmp_path / "sheet.pdf"
    tab.pdf(path=str(pdf), format="A4")

    pages = _pages(str(pdf))
    assert len(pages) > 1
    flat = [re.sub(r"\s+", "", page) for page in pages]
    last = flat[-1]
    # The signature is not alone: record rows go over with it.
    assert OFFICE in last and "整改期限提醒" in last[: last.index(OFFICE)], pages[-1]
    # Every row whole on one page: its long note is never cut between two pages.
    note = "现场复核，楼道内仍有散煤约三袋，已要求当日清运"
    assert sum(page.count(note) for page in flat) == (entries + 2) // 4
    # The record's header on every page it runs over.
    assert all("督办记录" in page for page in flat[1:])
    # 签收日期 年 月 日 on one line.
    line = next(line for line in pages[0].splitlines() if "签收日期" in line)
    assert re.search(r"签收日期：\s*年\s*月\s*日", line), line
