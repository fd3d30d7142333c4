"""A case's official documents (整改通知书, 督办单) read as a clerk writes them, always in Chinese, and a voided or
duplicate case's documents say so plainly instead of demanding a fix."""

import datetime
import io
import re

import pytest
from django.utils import timezone
from docx import Document

from cases.models import Case
from cases.services import case_open
from cases.tasks import check_case_deadlines

pytestmark = pytest.mark.django_db


def _docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _documents(client, case, kinds=("notice", "sheet")) -> dict[str, str]:
    """Each document's text as the user gets it: the printed page (the article) and the .docx."""
    found = {}
    urls = {"notice": "rectification-notice", "sheet": "follow-up-sheet"}
    for name, url in ((kind, urls[kind]) for kind in kinds):
        page = client.get(f"/cases/{case.pk}/{url}/")
        assert page.status_code == 200
        article = re.search(r"<article.*?</article>", page.content.decode(), re.S).group(0)
        found[name] = re.sub(r"<[^>]+>", " ", article)
        docx = client.get(f"/cases/{case.pk}/{url}/", {"format": "docx"})
        found[f"{name}.docx"] = _docx_text(docx.content)
    return found


def _sheet_row(text: str, label: str) -> str:
    return re.search(rf"{label}\s+([^\n<]+?)\s*(\n|$)", text).group(1).strip()


def test_a_voided_case_shows_voided_and_its_documents_demand_nothing(client_as, notice_case):
    case = notice_case()
    admin = client_as("wulibao_admin")

    voided = admin.post(case.get_absolute_url(), {"step": "void", "void-reason": "举报地址不在本辖区"})

    assert voided.status_code == 302
    page = admin.get(case.get_absolute_url()).content.decode()
    assert re.search(r'data-testid="case-status">已作废<', page)
    assert "待整改" not in page
    documents = _documents(admin, case)
    for name, text in documents.items():
        assert "举报地址不在本辖区" in text, name
        assert "已作废" in text, name
        assert "请于" not in text and "整改到位" not in text, name
    assert "待整改" not in documents["sheet"] + documents["sheet.docx"]
    assert "当前状态 已作废（举报地址不在本辖区）" in re.sub(r"\s+", " ", documents["sheet"])
    assert "已作废（举报地址不在本辖区）" in documents["sheet.docx"]
    assert "不再督办" in documents["sheet.docx"]


def test_a_duplicate_case_prints_a_duplicate_mark_instead_of_a_second_demand(client_as, notice_case, wulibao_household):
    """A duplicate has no notice of its own (it takes no number): its notice page says so and names the
    original's notice; its follow-up sheet is marked as a duplicate and demands nothing."""
    original = notice_case(household=wulibao_household)
    duplicate = notice_case(household=wulibao_household)
    assert duplicate.duplicate_of == original
    client = client_as("wulibao_admin")

    page = client.get(f"/cases/{duplicate.pk}/rectification-notice/").content.decode()
    number = f"二七散煤办〔{original.notice_year}〕{original.notice_serial}号"
    assert f"本问题与{number}所列问题为同一问题（重复问题），按该通知书整改，不另行印发整改通知书。" in page
    assert "<article" not in page
    for name in ("sheet", "sheet.docx"):
        text = _documents(client, duplicate, kinds=("sheet",))[name]
        assert "重复问题" in text, name
        # It speaks of this sheet and the original case, never of a notice it does not have.
        assert f"随原问题（{number}）一并督办，本督办单不另提整改要求" in text, name
        assert "本通知书" not in text, name
        assert "请于" not in text, name
    assert "请于" in _documents(client, original)["notice.docx"]


def test_a_night_check_notice_reads_as_a_clerk_writes_it(client_as, people, wulibao_community, wulibao_household):
    case = case_open(
        actor=people["qu_admin"],
        source=Case.Source.NIGHT_CHECK,
        responsible_unit=wulibao_community,
        household=wulibao_household,
        title="居民使用散煤取暖。",
    )

    documents = _documents(client_as("wulibao_admin"), case)

    place = wulibao_household.label
    for name in ("notice", "notice.docx"):
        assert f"经夜查发现，你单位存在以下问题：居民使用散煤取暖（地点：{place}）。" in documents[name]
        assert "发现发现" not in documents[name] and "。。" not in documents[name]


@pytest.mark.parametrize("source", ["notice", "tip_off", "spot_check"])
def test_every_source_leads_the_notice_once(client_as, people, notice_case, wulibao_community, source):
    if source == "notice":
        case = notice_case()
        lead = f"根据督导通报（{case.notice.number}）"
    else:
        case = case_open(actor=people["qu_admin"], source=source, responsible_unit=wulibao_community, title="散煤")
        lead = {"tip_off": "据群众举报反映", "spot_check": "经督导抽查发现"}[source]

    text = _documents(client_as("wulibao_admin"), case)["notice.docx"]

    assert f"{lead}，你单位存在以下问题：" in text


@pytest.mark.parametrize(
    ("source", "title", "problem"),
    [
        ("tip_off", "群众举报：无主管楼院有人烧煤", "据群众举报反映，你单位存在以下问题：无主管楼院有人烧煤"),
        ("spot_check", "督导抽查发现居民存煤", "经督导抽查发现，你单位存在以下问题：居民存煤"),
        ("night_check", "夜查发现：楼道堆放散煤", "经夜查发现，你单位存在以下问题：楼道堆放散煤"),
    ],
)
def test_a_title_that_names_its_source_does_not_make_the_notice_say_it_twice(
    client_as, people, wulibao_community, source, title, problem
):
    case = case_open(actor=people["qu_admin"], source=source, responsible_unit=wulibao_community, title=title)

    documents = _documents(client_as("wulibao_admin"), case)

    for name in ("notice", "notice.docx"):
        assert problem in documents[name], documents[name]


def test_documents_come_out_wholly_in_chinese_when_the_site_is_in_english(client_as, people, wulibao_community):
    case = case_open(
        actor=people["qu_admin"], source=Case.Source.NIGHT_CHECK, responsible_unit=wulibao_community, title="散煤"
    )
    Case.objects.filter(pk=case.pk).update(deadline=timezone.localdate() - datetime.timedelta(days=1))
    check_case_deadlines.apply().get()
    client = client_as("wulibao_admin")
    client.cookies["django_language"] = "en"
    assert "Status" in client.get(case.get_absolute_url()).content.decode()  # the site itself is in English

    documents = _documents(client, case)

    for name, text in documents.items():
        assert not re.search(r"[A-Za-z]{3,}", text.replace("docx", "")), (name, text)
    assert "经夜查发现，" in documents["notice"]
    assert "系统" in documents["sheet"] and "系统" in documents["sheet.docx"]
    assert "升级督办：五里堡街道" in documents["sheet.docx"]


def test_the_escalated_units_deadline_is_on_the_case_page_the_sheet_and_the_api(client_as, api_as, notice_case):
    case = notice_case()
    Case.objects.filter(pk=case.pk).update(deadline=timezone.localdate() - datetime.timedelta(days=1))
    check_case_deadlines.apply().get()
    case.refresh_from_db()
    due = case.escalation_due
    assert due == timezone.localdate() + datetime.timedelta(days=3)

    page = client_as("wulibao_admin").get(case.get_absolute_url()).content.decode()
    assert re.search(rf'data-testid="escalated-to">五里堡街道\s*<div class="small">限 {due:%Y-%m-%d} 前整改', page)
    documents = _documents(client_as("wulibao_admin"), case)
    due_text = f"{due.year}年{due.month}月{due.day}日"  # as documents write dates
    assert f"升级督办期限 {due_text}" in re.sub(r"\s+", " ", documents["sheet"])
    assert f"升级督办期限\n{due_text}" in documents["sheet.docx"]
    answer = api_as("wulibao_admin").get(f"/api/v1/cases/{case.pk}/")
    assert answer.json()["escalation_due"] == due.isoformat()
