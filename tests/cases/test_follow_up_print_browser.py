"""The 督办单 page printed from the browser (headless Chromium, A4): no record row split over two pages, the
record's header on every page, the signature never alone on the last page, and 签收日期 年 月 日 on one line."""

import io
import re
import subprocess
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from cases.documents import follow_up_events
from cases.models import Case
from cases.services import case_void
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


# — what an outside clerk found printing the sheet from Chromium (prefer_css_page_size, as the print dialog) —

WHO = "五里堡街道 张主任"


def _print(context, live_server, case, pdf) -> None:
    tab = context.new_page()
    sign_in(tab, live_server, "wulibao_admin", households=0)
    tab.goto(f"{live_server.url}/cases/{case.pk}/follow-up-sheet/")
    pdf.write_bytes(tab.pdf(prefer_css_page_size=True))
    tab.close()


def _page_count(pdf) -> int:
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:.* pts \(A4\)", info), info
    return int(re.search(r"Pages:\s+(\d+)", info)[1])


def _words(pdf) -> list[tuple[str, float, float, float, float]]:
    """Every word pdftotext finds, with its box (x0, y0, x1, y1) in points; y is made page-unique."""
    layout = subprocess.run(["pdftotext", "-bbox-layout", pdf, "-"], capture_output=True, text=True, check=True)
    words, offset = [], 0.0
    for page in re.findall(r"<page .*?</page>", layout.stdout, re.S):
        for x0, y0, x1, y1, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page
        ):
            words.append((text, float(x0), float(y0) + offset, float(x1), float(y1) + offset))
        offset += 10_000
    return words


def _overlap(a, b) -> bool:
    return a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]


def test_the_printed_record_keeps_who_apart_from_what(open_context, live_server, people, wulibao_community, tmp_path):
    admin = people["wulibao_admin"]
    admin.first_name = WHO
    admin.save(update_fields=["first_name"])
    case = _open(people, wulibao_community)
    _record(case, admin, 5)
    context, _traffic = open_context(viewport={"width": 1280, "height": 900})
    pdf = tmp_path / "sheet.pdf"
    _print(context, live_server, case, pdf)

    words = _words(str(pdf))
    who = [word for word in words if word[0] and word[0] in WHO]
    what = [word for word in words if "整改期限提醒" in word[0]]  # each entry's text begins with its step
    assert len(who) >= 5 and len(what) >= 5, words
    times = [word for word in words if re.fullmatch(r"\d{4}年\d+月\d+日|\d\d:\d\d|\d{4}年\d+月\d+日\d\d:\d\d", word[0])]
    assert len(times) >= 5, words
    clashes = [(a[0], b[0]) for a in who for b in what + times if _overlap(a, b)]
    assert not clashes
    # The 经办人 column ends where the 督办记录 column begins: no name reaches under a record's text.
    record_left = min(word[1] for word in words if word[0] == "督办记录")
    assert max(word[3] for word in who) < record_left


@pytest.mark.parametrize("void", [False, True])
def test_a_short_browser_printed_sheet_is_one_a4_page(
    open_context, live_server, people, wulibao_community, tmp_path, void
):
    case = _open(people, wulibao_community)
    _record(case, people["wulibao_admin"], 2)  # three entries with the opening
    if void:
        case_void(actor=people["qu_admin"], case=case, reason="举报地址不在本辖区，录入错误")
    context, _traffic = open_context(viewport={"width": 1280, "height": 900})
    pdf = tmp_path / "sheet.pdf"
    _print(context, live_server, case, pdf)

    assert _page_count(str(pdf)) == 1
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout)
    assert "整改反馈" in text and "督办记录" in text
    assert text.endswith("本督办单已作废，不得用印。") if void else OFFICE in text


# — the demo's short sheets (an escalated case's extra rows, names that wrap in 经办人): one page, not two —


def test_the_demos_three_entry_sheets_print_on_one_a4_page(open_context, live_server, tmp_path):
    """Printed, each demo case with a three-entry record was two pages: the form and one row on the first with a
    third of it blank, the other rows and the signature on the second (the signature's screen spacing, 130 pt)."""
    call_command("load_demo", force=True, stdout=io.StringIO())
    short = [case for case in Case.objects.order_by("pk") if len(follow_up_events(case)) == 3]
    assert len(short) >= 3, short
    client = Client()
    client.force_login(get_user_model().objects.get(username="qu_admin"))
    cookie = {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "domain": urlsplit(live_server.url).hostname,
        "path": "/",
    }
    context, _traffic = open_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([cookie])
    tab = context.new_page()
    for case in short:
        tab.goto(f"{live_server.url}/cases/{case.pk}/follow-up-sheet/")
        for name, options in (("css", {"prefer_css_page_size": True}), ("a4", {"format": "A4"})):
            pdf = tmp_path / f"sheet-{case.pk}-{name}.pdf"
            pdf.write_bytes(tab.pdf(**options))
            assert _page_count(str(pdf)) == 1, (case.pk, name)
            text = re.sub(r"\s+", "", subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout)
            assert "督办记录" in text and OFFICE in text, text


def test_on_a_phone_the_record_keeps_most_of_the_line(open_context, live_server, people, wulibao_community):
    """An outside tester opened the 督办单 on a phone: the record's column was one character wide."""
    case = _open(people, wulibao_community)
    _record(case, people["wulibao_admin"], 3)
    context, _traffic = open_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    tab = context.new_page()
    sign_in(tab, live_server, "wulibao_admin", households=0)
    tab.goto(f"{live_server.url}/cases/{case.pk}/follow-up-sheet/")

    table = tab.locator("table.record").bounding_box()
    record = tab.locator("table.record thead th").nth(2).bounding_box()
    assert record["width"] >= table["width"] * 0.45, (record, table)
    assert table["x"] + table["width"] <= 390  # nothing runs off the screen


def test_the_printed_record_lines_up_with_the_sheet_above_it(
    open_context, live_server, people, wulibao_community, tmp_path
):
    """An outside clerk: the printed record's right edge stood some 6 mm past the sheet's table above it."""
    case = _open(people, wulibao_community)
    _record(case, people["wulibao_admin"], 3)
    # The page laid out as printed: 156 mm wide, A4's width less the 26 and 28 mm margins (@page official).
    context, _traffic = open_context(viewport={"width": round(156 / 25.4 * 96), "height": 900})
    tab = context.new_page()
    sign_in(tab, live_server, "wulibao_admin", households=0)
    tab.goto(f"{live_server.url}/cases/{case.pk}/follow-up-sheet/")
    tab.emulate_media(media="print")

    sheet = tab.locator('[data-testid="follow-up-rows"]').bounding_box()
    record = tab.locator("table.record").bounding_box()
    assert abs((record["x"] + record["width"]) - (sheet["x"] + sheet["width"])) <= 1, (sheet, record)
