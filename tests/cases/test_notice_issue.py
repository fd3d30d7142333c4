"""Which cases have a rectification notice, and how it and the follow-up sheet print (docs/documents.md).

A clerk stamps what the system prints: a duplicate takes no number and has no notice; a voided notice keeps its
number and prints marked 作废 with nothing to stamp; the notice carries its 版头; the follow-up sheet keeps its
signature with the sheet however long the record; a number taken late is audited; the API tells the number."""

import datetime
import io

import pytest
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn

from cases.models import Case, CaseEvent, NoticeSeries
from cases.services import case_open, case_void
from coalgov.models import AuditEvent
from tests.documents.official import assert_official, render  # noqa: F401

pytestmark = pytest.mark.django_db

OFFICE = "二七区散煤治理工作领导小组办公室"


def _open(people, unit, household=None, title="楼道堆放散煤") -> Case:
    return case_open(
        actor=people["qu_admin"],
        source=Case.Source.SPOT_CHECK,
        responsible_unit=unit,
        household=household,
        title=title,
        deadline=timezone.localdate() + datetime.timedelta(days=7),
    )


def _number(case: Case) -> str:
    return f"二七散煤办〔{case.notice_year}〕{case.notice_serial}号"


def _docx(client, case, kind="rectification-notice"):
    return client.get(f"/cases/{case.pk}/{kind}/", {"format": "docx"})


def _last_number(case: Case) -> int:
    return NoticeSeries.objects.get(issuer=case.notice_issuer, year=case.notice_year).last_number


# — 2. numbers only for notices issued —


def test_a_duplicate_takes_no_number_and_its_page_says_no_notice_is_issued(
    client_as, api_as, people, wulibao_community, wulibao_household
):
    original = _open(people, wulibao_community, wulibao_household)
    duplicate = _open(people, wulibao_community, wulibao_household, title="群众再次举报散煤")

    assert duplicate.duplicate_of == original
    assert duplicate.notice_serial is None and duplicate.notice_issued_on is None
    assert _last_number(original) == original.notice_serial  # the series did not move

    client = client_as("wulibao_admin")
    page = client.get(f"/cases/{duplicate.pk}/rectification-notice/").content.decode()
    assert "不另行印发整改通知书" in page and _number(original) in page
    assert 'data-testid="rectification-notice"' not in page and "?format=docx" not in page
    response = _docx(client, duplicate)
    assert response.status_code == 302 and not response["Content-Type"].startswith("application/vnd")
    duplicate.refresh_from_db()
    assert duplicate.notice_serial is None  # opening its pages did not number it either
    sheet = Document(io.BytesIO(_docx(client, duplicate, "follow-up-sheet").content))
    rows = {r.cells[0].text: r.cells[1].text for r in sheet.tables[0].rows}
    assert rows["整改通知书"] == f"不另行印发（重复问题，随{_number(original)}整改）"

    api = api_as("wulibao_admin")
    assert api.get(f"/api/v1/cases/{duplicate.pk}/").json()["notice_number"] is None


def test_a_notice_voided_after_issue_keeps_its_number_and_prints_void_without_a_signature(
    client_as, people, wulibao_community
):
    case = _open(people, wulibao_community)
    number = _number(case)
    case_void(actor=people["qu_admin"], case=case, reason="误报")
    following = _open(people, wulibao_community, title="另一处散煤")

    case.refresh_from_db()
    assert _number(case) == number  # never renumbered
    assert following.notice_serial == case.notice_serial + 1  # nor its number given again

    document = Document(io.BytesIO(_docx(client_as("wulibao_admin"), case).content))
    texts = [p.text for p in document.paragraphs]
    assert number in texts
    stamp = next(p for p in document.paragraphs if p.text == "作　废")
    assert {str(r.font.color.rgb) for r in stamp.runs} == {"FF0000"}
    assert texts[-1] == "本通知书已作废，不得用印，不得送达。"
    assert OFFICE not in texts[3:]  # no 署名 for a seal: the office is named in the 版头 only
    assert not any(t.startswith("请于") for t in texts)  # no demand


# — 3. the 版头 —


def _assert_letterhead(document, number: str, title: str) -> None:
    paragraphs = document.paragraphs
    mark = paragraphs[0]
    assert mark.text == OFFICE
    assert mark.alignment == 1
    for run in mark.runs:
        assert str(run.font.color.rgb) == "FF0000"
        assert run._element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}").get(qn("w:eastAsia")) == "方正小标宋简体"
    texts = [p.text for p in paragraphs]
    at = texts.index(number)
    assert 0 < at < texts.index(title)  # 文号 under the 标志, above the title
    rule = paragraphs[at]._p.pPr.find(f"{qn('w:pBdr')}/{qn('w:bottom')}")
    assert rule is not None and rule.get(qn("w:color")) == "FF0000"  # the red rule under the 文号
    assert not any(p._p.find(f".//{qn('w:pBdr')}") is not None for p in paragraphs if p is not paragraphs[at])


def test_the_notice_opens_with_the_offices_red_name_its_number_and_the_red_rule(client_as, people, wulibao_community):
    case = _open(people, wulibao_community)
    document = assert_official(_docx(client_as("wulibao_admin"), case).content, title="散煤治理问题整改通知书")

    _assert_letterhead(document, _number(case), "散煤治理问题整改通知书")


def test_the_notice_with_its_letterhead_still_prints_on_one_page(client_as, people, wulibao_community, render):  # noqa: F811
    case = _open(people, wulibao_community)
    pages = render(_docx(client_as("wulibao_admin"), case).content, "notice")

    assert len(pages) == 1
    text = pages[0][2]
    assert text.index(OFFICE) < text.index(_number(case)) < text.index("散煤治理问题整改通知书")


# — 1 and 4. the follow-up sheet —


def _long_record(case: Case, actor, count: int) -> None:
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


@pytest.mark.parametrize("events", [2, 5, 16, 40])
def test_the_sheets_signature_stays_on_the_page_of_the_sheet_however_long_the_record(
    client_as,
    people,
    wulibao_community,
    render,  # noqa: F811
    events,
):
    case = _open(people, wulibao_community)
    _long_record(case, people["wulibao_admin"], events)
    pages = render(_docx(client_as("wulibao_admin"), case, "follow-up-sheet").content, f"sheet{events}")

    signed = [text for _w, _h, text in pages if OFFICE in text]
    assert len(signed) == 1
    # The signature is on the sheet's own page, under its rows: never alone on a page of its own.
    assert "签收人" in signed[0] and "整改反馈" in signed[0] and signed[0].index("整改反馈") < signed[0].index(OFFICE)
    assert signed is not None and OFFICE in pages[0][2]
    if len(pages) > 1:  # the record continues as the attachment, every event on it
        assert "附件" in pages[1][2] and "督办记录" in pages[1][2]
    assert "".join(t for _w, _h, t in pages).count("已电话通知社区书记") == (events + 3) // 4


def test_the_sheet_prints_record_times_in_chinese_in_beijing_time_and_names_on_one_line(
    client_as,
    people,
    wulibao_community,
    render,  # noqa: F811
):
    people["wulibao_admin"].first_name = "五里堡街道王建国"
    people["wulibao_admin"].save()
    case = _open(people, wulibao_community)
    at = datetime.datetime(2026, 11, 29, 13, 30, tzinfo=datetime.UTC)  # 21:30 in Asia/Shanghai
    CaseEvent.objects.create(
        case=case,
        division_code=case.division_code,
        actor=people["wulibao_admin"],
        action=CaseEvent.Action.REMINDED,
        from_status=case.status,
        to_status=case.status,
        note="催办",
        at=at,
    )
    content = _docx(client_as("wulibao_admin"), case, "follow-up-sheet").content
    record = Document(io.BytesIO(content)).tables[-1]
    times = [row.cells[0].text for row in record.rows[1:]]
    assert "2026年11月29日 21:30" in times
    assert not any("T" in t or "-" in t for t in times)

    pages = render(content, "names", lines=True)
    lines = [line for _w, _h, text in pages for line in text.splitlines()]
    assert any("五里堡街道王建国" in line.replace(" ", "") for line in lines)  # the name is not wrapped
    assert any("2026年11月29日21:30" in line.replace(" ", "") for line in lines)  # nor the time


# — 6. a number taken late is audited —


def test_a_number_taken_when_an_old_cases_notice_is_first_opened_is_audited(client_as, people, wulibao_community):
    case = _open(people, wulibao_community)
    # A case written without case_open (an import): no number yet.
    Case.objects.filter(pk=case.pk).update(notice_serial=None, notice_year=None, notice_issued_on=None)

    response = client_as("wulibao_admin").get(f"/cases/{case.pk}/rectification-notice/")
    assert response.status_code == 200

    case.refresh_from_db()
    assert case.notice_serial is not None
    (event,) = AuditEvent.objects.filter(action="case.notice_numbered")
    assert event.actor == people["wulibao_admin"] and event.object_id == str(case.pk)
    assert event.changes["notice_serial"] == [None, case.notice_serial]
    assert event.division_code == case.division_code
    client_as("wulibao_admin").get(f"/cases/{case.pk}/rectification-notice/")
    assert AuditEvent.objects.filter(action="case.notice_numbered").count() == 1  # once


# — 5. the API tells the number and the date —


def test_the_api_tells_a_cases_notice_number_and_date_read_only(api_as, people, wulibao_community):
    case = _open(people, wulibao_community)
    api = api_as("wulibao_admin")

    data = api.get(f"/api/v1/cases/{case.pk}/").json()
    assert data["notice_number"] == _number(case)
    assert data["notice_date"] == case.notice_issued_on.isoformat()
    listed = next(c for c in api.get("/api/v1/cases/").json()["results"] if c["id"] == case.pk)
    assert listed["notice_number"] == _number(case)

    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    fields = schema["components"]["schemas"]["Case"]["properties"]
    assert fields["notice_number"]["readOnly"] and fields["notice_date"]["readOnly"]
    assert fields["notice_date"]["format"] == "date" and fields["notice_number"].get("nullable")


def test_another_subdistricts_inspector_does_not_see_the_number(api_as, people, wulibao_community):
    case = _open(people, wulibao_community)

    assert api_as("huaihelu_inspector").get(f"/api/v1/cases/{case.pk}/").status_code == 404


def test_a_record_kept_on_the_sheet_takes_the_signature_with_it_if_the_page_runs_out(
    client_as,
    people,
    wulibao_community,
    render,  # noqa: F811
    monkeypatch,
):
    """The estimate that moves a long record to the attachment could be wrong for some record: keep the record
    on the sheet whatever its length, and the signature still goes with the record's rows, never alone."""
    monkeypatch.setattr("cases.documents.record_fits", lambda **kwargs: True)
    case = _open(people, wulibao_community)
    client = client_as("wulibao_admin")
    for records in range(1, 13):  # the opening, then one reminder more each time
        if records > 1:
            _long_record(case, people["wulibao_admin"], 1)
        pages = render(_docx(client, case, "follow-up-sheet").content, f"kept{records}")
        (signed,) = [text for _w, _h, text in pages if OFFICE in text]
        before = signed[: signed.index(OFFICE)]
        assert "整改期限提醒" in before or "登记问题" in before, (records, len(pages))
