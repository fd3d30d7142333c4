"""The rectification notice (整改通知书) and the follow-up sheet (督办单) as a clerk prints and stamps them: laid out by
GB/T 9704 (read back with python-docx), and rendered by LibreOffice onto A4 pages (tests/documents/official.py)."""

import datetime
import io
import re

import pytest
from django.utils import timezone
from docx import Document

from cases.models import Case
from cases.services import case_open
from cases.tasks import check_case_deadlines
from tests.documents.official import assert_a4, assert_official, assert_table_prints, render  # noqa: F401

pytestmark = pytest.mark.django_db


def _docx(client, case, kind: str) -> bytes:
    response = client.get(f"/cases/{case.pk}/{kind}/", {"format": "docx"})
    assert response.status_code == 200
    return response.content


def _chinese(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@pytest.fixture
def night_case(people, wulibao_community, wulibao_household):
    """A case opened by a night-check finding, titled as the finding titles it: "<place>：发现散煤"."""
    return case_open(
        actor=people["qu_admin"],
        source=Case.Source.NIGHT_CHECK,
        responsible_unit=wulibao_community,
        household=wulibao_household,
        title=f"{wulibao_household.label}：发现散煤",
        deadline=timezone.localdate() + datetime.timedelta(days=7),
    )


def test_the_notice_is_an_official_document(client_as, night_case, wulibao_household):
    document = assert_official(
        _docx(client_as("wulibao_admin"), night_case, "rectification-notice"), title="散煤治理问题整改通知书"
    )

    texts = [p.text for p in document.paragraphs]
    number = f"二七散煤办〔{night_case.notice_year}〕{night_case.notice_serial}号"
    assert texts[:3] == ["二七区散煤治理工作领导小组办公室", "", number]  # the 版头: the office, then the 文号
    body = next(t for t in texts if t.startswith("经夜查发现"))
    # The place once, 发现 once, the problem as a clerk writes it.
    assert body == f"经夜查发现，你单位存在以下问题：存有散煤（地点：{wulibao_household.label}）。"
    assert "\n".join(texts).count(wulibao_household.label) == 1
    demand = next(t for t in texts if t.startswith("请于"))
    assert demand.startswith(f"请于{_chinese(night_case.deadline)}前整改到位")
    # Signature: the office, then the date four characters in from the right, blank lines above for the seal.
    office, date = texts[-2:]
    assert office == "二七区散煤治理工作领导小组办公室"
    assert date == _chinese(timezone.localdate())
    assert texts[-4:-2] == ["", ""]
    assert document.paragraphs[-1].paragraph_format.right_indent.pt == 64


def test_the_follow_up_sheet_is_an_official_document_with_rows_to_sign_and_answer(client_as, night_case):
    document = assert_official(
        _docx(client_as("wulibao_admin"), night_case, "follow-up-sheet"), title="散煤治理督办单", prose=False
    )

    rows, events = document.tables
    assert_table_prints(rows, header=False)
    assert_table_prints(events)
    widths = [c.width.mm for c in rows.rows[0].cells]
    assert round(widths[0]) == 32 and round(widths[1]) == 124  # a label column, a wide value column
    values = {row.cells[0].text: row.cells[1].text for row in rows.rows}
    assert values["整改期限"] == _chinese(night_case.deadline)  # a Chinese date, like the rest
    assert values["整改通知书"].startswith(f"二七散煤办〔{night_case.notice_year}〕{night_case.notice_serial}号")
    assert values["签收"].startswith("签收人：") and "签收日期" in values["签收"]
    assert "整改反馈" in values and rows.rows[-1].height.pt >= 80  # room to write the answer by hand
    assert [c.text for c in events.rows[0].cells] == ["时间", "经办人", "督办记录"]
    texts = [p.text for p in document.paragraphs]
    assert texts[-2:] == ["二七区散煤治理工作领导小组办公室", _chinese(timezone.localdate())]


def test_the_printed_pages_say_what_the_documents_say(client_as, night_case):
    """The browser's print version and the .docx: the same number, the same dates, the same rows."""
    client = client_as("wulibao_admin")
    for kind in ("rectification-notice", "follow-up-sheet"):
        page = client.get(f"/cases/{night_case.pk}/{kind}/").content.decode()
        article = re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", re.search(r"<article.*?</article>", page, re.S)[0]))
        document = Document(io.BytesIO(_docx(client, night_case, kind)))
        cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
        for text in [p.text for p in document.paragraphs] + cells:
            assert re.sub(r"\s+", "", text) in article, (kind, text)


def test_rendered_by_libreoffice_each_document_is_whole_a4_pages(client_as, night_case, render):  # noqa: F811
    client = client_as("wulibao_admin")
    check_case_deadlines.apply().get()

    notice = render(_docx(client, night_case, "rectification-notice"), "notice")
    sheet = render(_docx(client, night_case, "follow-up-sheet"), "sheet")

    assert len(notice) == 1 and len(sheet) == 1
    assert_a4(notice + sheet)
    assert "二七散煤办〔" in notice[0][2] and "—1—" in notice[0][2]
    assert (
        "散煤治理督办单" in sheet[0][2]
        and "签收人" in sheet[0][2]
        and sheet[0][2].endswith(f"{_chinese(timezone.localdate())}—1—")
    )
