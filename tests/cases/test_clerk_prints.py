"""What a clerk found printing every document (LibreOffice → PDF): a voided or duplicate case's 督办单 on one page
and (voided) with nothing to stamp; a short record kept on the sheet; a served notice keeps the deadline it
demanded; the voided notice says 作废 once, in its body; the API tells a voided case (docs/documents.md)."""

import datetime
import io

import pytest
from django.utils import timezone
from docx import Document

from cases.demo import _photo
from cases.models import Case, CaseEvent
from cases.services import case_open, case_rectify, case_set_deadline, case_void
from tests.documents.official import render  # noqa: F401

pytestmark = pytest.mark.django_db

OFFICE = "二七区散煤治理工作领导小组办公室"


def _chinese(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _open(people, unit, household=None, title="楼道堆放散煤") -> Case:
    return case_open(
        actor=people["qu_admin"],
        source=Case.Source.SPOT_CHECK,
        responsible_unit=unit,
        household=household,
        title=title,
        deadline=timezone.localdate() + datetime.timedelta(days=7),
    )


def _docx(client, case, kind) -> bytes:
    response = client.get(f"/cases/{case.pk}/{kind}/", {"format": "docx"})
    assert response.status_code == 200
    return response.content


def _texts(content: bytes) -> list[str]:
    document = Document(io.BytesIO(content))
    return [p.text for p in document.paragraphs] + [c.text for t in document.tables for r in t.rows for c in r.cells]


def _record(case: Case, actor, count: int) -> None:
    """`count` more record entries, as a normal case gathers them (a reminder, a call, a visit)."""
    notes = ["已电话通知社区书记", "现场复核，楼道内仍有散煤约三袋，已要求当日清运", "整改中", "催办"]
    start = timezone.now() - datetime.timedelta(days=count)
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case=case,
            division_code=case.division_code,
            actor=actor,
            action=CaseEvent.Action.REMINDED,
            from_status=case.status,
            to_status=case.status,
            note=notes[i % len(notes)],
            at=start + datetime.timedelta(days=i),
        )
        for i in range(count)
    )


# — 1. voided and duplicate 督办单 —


def test_a_voided_cases_sheet_is_one_page_marked_void_with_nothing_to_stamp(
    client_as,
    people,
    wulibao_community,
    render,  # noqa: F811
):
    case = _open(people, wulibao_community)
    case_void(actor=people["qu_admin"], case=case, reason="举报地址不在本辖区，录入错误")
    content = _docx(client_as("wulibao_admin"), case, "follow-up-sheet")

    pages = render(content, "void-sheet")
    assert len(pages) == 1
    text = pages[0][2]
    assert "作废" in text and "签收人" in text and "整改反馈" in text and "登记问题" in text
    assert text.endswith("本督办单已作废，不得用印。—1—")  # no office signature, no date: nothing to stamp
    assert OFFICE not in text and _chinese(timezone.localdate()) + "—1—" not in text
    page = client_as("wulibao_admin").get(f"/cases/{case.pk}/follow-up-sheet/").content.decode()
    assert "本督办单已作废，不得用印。" in page and 'data-testid="document-signature"' not in page


def test_a_duplicates_sheet_is_one_page_and_speaks_of_itself_and_the_original(
    client_as,
    people,
    wulibao_community,
    wulibao_household,
    render,  # noqa: F811
):
    original = _open(people, wulibao_community, household=wulibao_household)
    duplicate = _open(people, wulibao_community, household=wulibao_household, title="群众举报：楼道有散煤")
    assert duplicate.duplicate_of == original
    content = _docx(client_as("wulibao_admin"), duplicate, "follow-up-sheet")

    pages = render(content, "duplicate-sheet")
    assert len(pages) == 1
    text = "".join(_texts(content))
    assert "本通知书" not in text and "通知书不另行提出" not in text
    assert f"随原问题（二七散煤办〔{original.notice_year}〕{original.notice_serial}号）一并督办" in text
    assert pages[0][2].endswith(f"{OFFICE}{_chinese(timezone.localdate())}—1—")


# — 2. a short record stays on the sheet —


@pytest.mark.parametrize("entries", [2, 5])
def test_a_short_record_stays_on_the_sheet_with_its_signature(
    client_as,
    people,
    wulibao_community,
    render,  # noqa: F811
    entries,
):
    case = _open(people, wulibao_community, title="建新南街社区居民楼道堆放散煤未清理，影响大气污染防治")
    _record(case, people["wulibao_admin"], entries - 1)  # and the opening
    content = _docx(client_as("wulibao_admin"), case, "follow-up-sheet")

    assert "附件" not in "".join(_texts(content))
    pages = render(content, f"short{entries}")
    assert len(pages) == 1
    text = pages[0][2]
    assert text.index("督办记录") < text.index("登记问题") < text.index(OFFICE)


# — 3. a served notice keeps its deadline; the sheet and the record tell the new one —


def test_a_changed_deadline_does_not_reprint_the_served_notice(client_as, people, wulibao_community):
    case = _open(people, wulibao_community)
    served = case.deadline
    later = served + datetime.timedelta(days=10)
    case_set_deadline(actor=people["qu_admin"], case=case, deadline=later, reason="冬季供暖期延长")
    client = client_as("wulibao_admin")

    notice = "".join(_texts(_docx(client, case, "rectification-notice")))
    assert f"请于{_chinese(served)}前整改到位" in notice and _chinese(later) not in notice
    page = client.get(f"/cases/{case.pk}/rectification-notice/").content.decode()
    assert f"请于{_chinese(served)}前整改到位" in page

    sheet = _texts(_docx(client, case, "follow-up-sheet"))
    assert f"{_chinese(later)}（通知书原定{_chinese(served)}，已调整）" in sheet
    assert f"调整整改期限：由{_chinese(served)}调整为{_chinese(later)}（冬季供暖期延长）" in sheet
    case_page = client.get(case.get_absolute_url()).content.decode()
    assert f"由 {served:%Y-%m-%d} 调整为 {later:%Y-%m-%d}" in case_page


# — 4. the sheet tells where the case stands; the notice what it demanded —


def test_a_rectified_cases_sheet_asks_for_the_check_not_the_fix(client_as, people, wulibao_community):
    case = _open(people, wulibao_community)
    case_rectify(actor=people["wulibao_worker"], case=case, note="已清理", photos=_photo())
    client = client_as("wulibao_admin")

    sheet = "".join(_texts(_docx(client, case, "follow-up-sheet")))
    assert "已整改待核查" in sheet or "待核查" in sheet
    assert "请责任单位立即整改" not in sheet and "核查" in sheet
    notice = "".join(_texts(_docx(client, case, "rectification-notice")))
    assert "前整改到位" in notice  # the notice as served


# — 5. the voided notice says 作废 once, in its body —


def test_the_voided_notice_says_it_once_in_an_indented_paragraph(client_as, people, wulibao_community):
    case = _open(people, wulibao_community)
    case_void(actor=people["qu_admin"], case=case, reason="举报地址有误")
    document = Document(io.BytesIO(_docx(client_as("wulibao_admin"), case, "rectification-notice")))
    texts = [p.text for p in document.paragraphs]

    statement = f"本通知书已于{_chinese(timezone.localdate())}作废，作废原因：举报地址有误。"
    at = texts.index(statement)
    assert at > texts.index("建新南街社区居民委员会：") if "建新南街社区居民委员会：" in texts else at > 5
    assert document.paragraphs[at].paragraph_format.first_line_indent.pt == 32
    assert texts.index("作　废") < at  # the red mark under the title
    # Said once, as a clerk writes it: no "已作废：…作废（作废原因…）" before the addressee.
    assert not any(t.startswith("已作废") for t in texts)
    assert "".join(texts).count("作废原因") == 1 and "".join(texts).count("本通知书已于") == 1


# — 9. the API tells a voided case —


def test_the_api_tells_a_voided_case_read_only(api_as, people, wulibao_community):
    case = _open(people, wulibao_community)
    case_void(actor=people["qu_admin"], case=case, reason="录入错误")
    api = api_as("wulibao_admin")

    data = api.get(f"/api/v1/cases/{case.pk}/").json()
    assert data["status"] == "voided"
    assert data["void_reason"] == "录入错误" and data["voided_at"].startswith(timezone.localdate().isoformat()[:4])
    live = _open(people, wulibao_community, title="另一处散煤")
    other = api.get(f"/api/v1/cases/{live.pk}/").json()
    assert other["status"] == "open" and other["voided_at"] is None and other["void_reason"] == ""

    # Read-only: a client cannot void or unvoid a case by writing the fields.
    api.patch(f"/api/v1/cases/{live.pk}/", {"voided_at": "2026-01-01T00:00:00Z", "void_reason": "x"}, format="json")
    live.refresh_from_db()
    assert live.voided_at is None and live.void_reason == ""
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    fields = schema["components"]["schemas"]["Case"]["properties"]
    assert fields["voided_at"]["readOnly"] and fields["void_reason"]["readOnly"]
    assert "voided" in str(schema["components"]["schemas"])


def test_another_subdistricts_inspector_does_not_see_a_voided_case(api_as, people, wulibao_community):
    case = _open(people, wulibao_community)
    case_void(actor=people["qu_admin"], case=case, reason="录入错误")
    assert api_as("huaihelu_inspector").get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert api_as("nobody").get("/api/v1/cases/").json().get("results", []) == []


# — 3. existing notices: their deadline as served, filled from the record —


def test_the_data_migration_fills_the_served_deadline_from_the_first_recorded_change(people, wulibao_community):
    import importlib

    from django.apps import apps

    fill = importlib.import_module("cases.migrations.0005_notice_deadline_as_served").fill
    changed = _open(people, wulibao_community)
    served = changed.deadline
    first = served + datetime.timedelta(days=5)
    case_set_deadline(actor=people["qu_admin"], case=changed, deadline=first, reason="延期")
    case_set_deadline(
        actor=people["qu_admin"], case=changed, deadline=first + datetime.timedelta(days=5), reason="再延"
    )
    kept = _open(people, wulibao_community, title="另一处散煤")
    # As they were before the field existed.
    Case.objects.update(notice_deadline=None)
    CaseEvent.objects.update(old_deadline=None, new_deadline=None)

    fill(apps, None)

    changed.refresh_from_db()
    kept.refresh_from_db()
    assert changed.notice_deadline == served and kept.notice_deadline == kept.deadline
    steps = list(changed.events.filter(action="deadline").order_by("at", "pk"))
    assert [(e.old_deadline, e.new_deadline) for e in steps] == [
        (served, first),
        (first, first + datetime.timedelta(days=5)),
    ]
