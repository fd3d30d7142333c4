"""The printable documents of a case, as editable .docx: the rectification notice (整改通知书) and the
supervision follow-up sheet (督办单). The browser prints the same content from HTML with print CSS."""

import functools
import io
import re

from django.utils import timezone, translation
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from coalgov.exports import inert_text

from .models import Case

FONT = "SimSun"  # 宋体, the font of official documents; Word substitutes if it is missing


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: str) -> str:
    """Text Word accepts: control characters (pasted from other systems) are dropped."""
    return CONTROL_CHARACTERS.sub("", value)


def _document() -> Document:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    return document


def _title(document: Document, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold = True
    run.font.size = Pt(22)


def _bytes(document: Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def issuing_office(case: Case) -> str:
    district = case.responsible_unit.ancestors().filter(level="district").first()
    return f"{district.name if district else ''}散煤治理工作领导小组办公室"


def chinese(build):
    """Official documents are written in Chinese whatever language the user reads the site in: every label,
    status and step they show is rendered under zh-hans."""

    @functools.wraps(build)
    def built(*args, **kwargs):
        with translation.override("zh-hans"):
            return build(*args, **kwargs)

    return built


def document_number(case: Case) -> str:
    return f"散煤整改〔{case.opened_at:%Y}〕{case.pk}号"


def _lead(case: Case) -> str:
    """How the notice says where the problem came from, as a clerk writes it."""
    if case.source == Case.Source.NOTICE:
        return f"根据督导通报（{case.notice.number}）" if case.notice else "根据督导通报"
    return {
        Case.Source.NIGHT_CHECK: "经夜查发现",
        Case.Source.TIP_OFF: "据群众举报反映",
        Case.Source.SPOT_CHECK: "经督导抽查发现",
    }.get(case.source, "经检查发现")


def _clause(text: str) -> str:
    """The text without the stop it may end with, so that the document adds its own."""
    return text.strip().rstrip("。.;；,，")


def _sentence(text: str) -> str:
    """A sentence ending in one full stop, whether or not the text already has one."""
    text = _clause(text)
    return f"{text}。" if text else ""


def status_text(case: Case) -> str:
    """The state a document (and the case page) shows: a voided case is voided, whatever step it had reached."""
    if case.voided_at is not None:
        return f"已作废（{case.void_reason}）" if case.void_reason else "已作废"
    return case.get_status_display()


def void_mark(case: Case) -> str:
    """What a voided or duplicate case's documents say instead of demanding a fix; empty for any other case."""
    if case.voided_at is not None:
        reason = f"（作废原因：{case.void_reason}）" if case.void_reason else ""
        return f"已作废：本问题已于{timezone.localtime(case.voided_at):%Y年%m月%d日}作废{reason}，无需整改。"
    if case.duplicate_of_id is not None:
        original = case.duplicate_of
        return (
            f"重复问题：本问题与{document_number(original)}所列问题为同一问题，"
            f"按该通知书整改，本通知书不另行提出整改要求。"
        )
    return ""


@chinese
def notice_context(case: Case) -> dict:
    """What both the printed page and the .docx say; one source for both."""
    place = f"（地点：{case.household.label}）" if case.household else ""
    mark = void_mark(case)
    return {
        "title": "散煤治理问题整改通知书",
        "number": document_number(case),
        "to": case.responsible_unit.name,
        "mark": mark,
        "body": f"{_lead(case)}，你单位存在以下问题：{_clause(case.title)}{place}。{_sentence(case.description)}",
        # A voided or duplicate case demands nothing: its mark says why.
        "demand": ""
        if mark
        else (
            f"请于{case.deadline:%Y年%m月%d日}前整改到位，并将整改情况（附照片）报送区散煤办。"
            "逾期未整改或整改后反弹的，将按照区、镇办、社区三级督导问责机制严肃问责。"
        ),
        "office": issuing_office(case),
        "date": f"{timezone.localdate():%Y年%m月%d日}",
    }


@chinese
def follow_up_rows(case: Case) -> list[tuple[str, str]]:
    today = timezone.localdate()
    finished = case.status == Case.Status.CLOSED or case.voided_at is not None or case.duplicate_of_id is not None
    late = (today - case.deadline).days if not finished and case.deadline < today else 0
    status = status_text(case)
    if case.voided_at is None and case.duplicate_of_id is not None:
        status += f"（重复问题，见{document_number(case.duplicate_of)}）"
    if case.voided_at is not None:
        demand = "本问题已作废，不再督办。"
    elif case.duplicate_of_id is not None:
        demand = f"本问题为重复问题，随{document_number(case.duplicate_of)}一并督办。"
    else:
        demand = "请责任单位立即整改，整改结果报区散煤办核查销号。"
    return [
        ("督办事项", case.title),
        ("问题来源", f"{case.get_source_display()}{' ' + case.notice.number if case.notice else ''}"),
        ("责任单位", case.responsible_unit.name),
        ("整改期限", f"{case.deadline:%Y-%m-%d}"),
        ("当前状态", status),
        ("逾期天数", str(late)),
        ("升级督办至", case.escalated_to.name if case.escalated_to else "—"),
        ("升级督办期限", escalation_deadline_text(case)),
        ("反弹次数", str(case.rebounds)),
        ("督办要求", demand),
    ]


def escalation_deadline_text(case: Case) -> str:
    """The escalated unit's own deadline; past it the case goes one level further up. At the district (the top)
    there is no further level, so none."""
    if case.escalated_to is None:
        return "—"
    if case.escalation_due is None:
        return "—（已升级至区级，不再升级）" if case.escalated_to.level == "district" else "—"
    return f"{case.escalation_due:%Y-%m-%d}"


@chinese
def follow_up_events(case: Case) -> list[tuple[str, str, str]]:
    """The case's timeline as the follow-up sheet lists it: when, who ("系统" for the morning task), what."""
    return [
        (
            f"{timezone.localtime(event.at):%Y-%m-%d %H:%M}",
            event.actor_name,
            f"{event.get_action_display()}{'：' + event.note if event.note else ''}",
        )
        for event in case.events.all()
    ]


@chinese
def rectification_notice_docx(case: Case) -> bytes:
    context = notice_context(case)
    document = _document()
    _title(document, context["title"])
    number = document.add_paragraph(context["number"])
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if context["mark"]:
        mark = document.add_paragraph()
        run = mark.add_run(_text(context["mark"]))
        run.bold = True
    document.add_paragraph(_text(f"{context['to']}："))
    document.add_paragraph(_text(context["body"]))
    if context["demand"]:
        document.add_paragraph(_text(context["demand"]))
    for line in (context["office"], context["date"]):
        paragraph = document.add_paragraph(line)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return _bytes(document)


@chinese
def follow_up_sheet_docx(case: Case) -> bytes:
    document = _document()
    _title(document, "散煤治理督办单")
    document.add_paragraph(f"编号：散煤督办〔{case.opened_at:%Y}〕{case.pk}号")
    mark = void_mark(case)
    if mark:
        document.add_paragraph().add_run(_text(mark)).bold = True
    rows = follow_up_rows(case)
    table = document.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    for row, (label, value) in zip(table.rows, rows, strict=True):
        row.cells[0].text, row.cells[1].text = label, inert_text(_text(value))
    events = follow_up_events(case)
    document.add_paragraph("督办记录")
    timeline = document.add_table(rows=len(events), cols=3)
    timeline.style = "Table Grid"
    for row, values in zip(timeline.rows, events, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = inert_text(_text(value))
    paragraph = document.add_paragraph(f"{issuing_office(case)}　{timezone.localdate():%Y年%m月%d日}")
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return _bytes(document)
