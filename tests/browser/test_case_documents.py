"""The rectification notice and follow-up sheet render in a real browser and print without the page chrome."""

import re
import subprocess

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.services import case_open
from tests.documents.official import _tool

from .test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_the_rectification_notice_prints_as_an_official_document(
    page, live_server, people, wulibao_community, screenshot
):
    case = case_open(
        actor=people["qu_admin"], source="spot_check", responsible_unit=wulibao_community, title="楼道堆放散煤未清理"
    )
    sign_in(page, live_server, "wulibao_admin", households=0)

    page.goto(f"{live_server.url}/cases/{case.pk}/rectification-notice/")

    notice = page.get_by_test_id("rectification-notice")
    expect(notice.locator("h1")).to_have_text("散煤治理问题整改通知书")
    expect(notice).to_contain_text("楼道堆放散煤未清理")
    expect(notice).to_contain_text(f"{wulibao_community.name}：")
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator("footer")).to_be_hidden()
    expect(page.locator(".no-print").first).to_be_hidden()
    screenshot(page, "rectification-notice-print")

    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/cases/{case.pk}/follow-up-sheet/")
    expect(page.get_by_test_id("follow-up-sheet")).to_contain_text(wulibao_community.name)


def test_the_printed_notice_is_one_a4_page_with_the_number_and_date_of_its_docx(
    page, live_server, people, wulibao_community, tmp_path
):
    case = case_open(
        actor=people["qu_admin"], source="spot_check", responsible_unit=wulibao_community, title="楼道堆放散煤未清理"
    )
    sign_in(page, live_server, "wulibao_admin", households=0)
    page.goto(f"{live_server.url}/cases/{case.pk}/rectification-notice/")

    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(page.pdf(prefer_css_page_size=True))  # what the browser's print dialog would print

    info = subprocess.run([_tool("pdfinfo"), pdf], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\n", info)
    assert re.search(r"Page size:.* pts \(A4\)", info)
    text = re.sub(r"\s+", "", subprocess.run([_tool("pdftotext"), pdf, "-"], capture_output=True, text=True).stdout)
    today = timezone.localdate()
    assert f"二七散煤办〔{case.notice_year}〕{case.notice_serial}号" in text
    assert text.endswith(f"二七区散煤治理工作领导小组办公室{today.year}年{today.month}月{today.day}日")


def test_the_printed_notice_leaves_a_blank_line_between_the_office_and_the_number(
    page, live_server, people, wulibao_community, tmp_path
):
    case = case_open(
        actor=people["qu_admin"], source="spot_check", responsible_unit=wulibao_community, title="楼道堆放散煤未清理"
    )
    sign_in(page, live_server, "wulibao_admin", households=0)
    page.goto(f"{live_server.url}/cases/{case.pk}/rectification-notice/")
    page.emulate_media(media="print")

    office = page.get_by_test_id("document-issuer").bounding_box()
    number = page.get_by_test_id("document-number").bounding_box()
    # As the .docx (GB/T 9704): one empty 28.95 pt line (38.6 px) between the 版头 and the 文号.
    assert number["y"] - (office["y"] + office["height"]) >= 38, (office, number)


def test_a_duplicates_notice_page_prints_on_a4(
    page, live_server, people, wulibao_community, wulibao_household, tmp_path
):
    def opened(title):
        return case_open(
            actor=people["qu_admin"],
            source="spot_check",
            responsible_unit=wulibao_community,
            household=wulibao_household,
            title=title,
        )

    original = opened("楼道堆放散煤未清理")
    duplicate = opened("群众举报：楼道有散煤")
    assert duplicate.duplicate_of == original
    sign_in(page, live_server, "wulibao_admin", households=1)
    page.goto(f"{live_server.url}/cases/{duplicate.pk}/rectification-notice/")
    expect(page.get_by_test_id("no-notice")).to_be_visible()
    pdf = tmp_path / "duplicate-notice.pdf"
    pdf.write_bytes(page.pdf(prefer_css_page_size=True))

    info = subprocess.run([_tool("pdfinfo"), pdf], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Page size:.* pts \(A4\)", info), info
    assert re.search(r"Pages:\s+1\n", info)
