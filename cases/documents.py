"""The printable documents of a case, as editable .docx: the rectification notice (整改通知书) and the
supervision follow-up sheet (督办单). The browser prints the same content from HTML with print CSS."""

import io
import re

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

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


def notice_context(case: Case) -> dict:
    """What both the printed page and the .docx say; one source for both."""
    place = f"（地点：{case.household.label}）" if case.household else ""
    return {
        "title": "散煤治理问题整改通知书",
        "number": f"散煤整改〔{case.opened_at:%Y}〕{case.pk}号",
        "to": case.responsible_unit.name,
        "body": (f"经{case.get_source_display()}发现，你单位存在以下问题：{case.title}{place}。{case.description}"),
        "demand": (
            f"请于{case.deadline:%Y年%m月%d日}前整改到位，并将整改情况（附照片）报送区散煤办。"
            "逾期未整改或整改后反弹的，将按照区、镇办、社区三级督导问责机制严肃问责。"
        ),
        "office": issuing_office(case),
        "date": f"{timezone.localdate():%Y年%m月%d日}",
    }


def follow_up_rows(case: Case) -> list[tuple[str, str]]:
    today = timezone.localdate()
    late = (today - case.deadline).days if case.status != Case.Status.CLOSED and case.deadline < today else 0
    return [
        ("督办事项", case.title),
        ("问题来源", f"{case.get_source_display()}{' ' + case.notice.number if case.notice else ''}"),
        ("责任单位", case.responsible_unit.name),
        ("整改期限", f"{case.deadline:%Y-%m-%d}"),
        ("当前状态", case.get_status_display()),
        ("逾期天数", str(late)),
        ("升级督办至", case.escalated_to.name if case.escalated_to else "—"),
        ("反弹次数", str(case.rebounds)),
        ("督办要求", "请责任单位立即整改，整改结果报区散煤办核查销号。"),
    ]


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


def rectification_notice_docx(case: Case) -> bytes:
    context = notice_context(case)
    document = _document()
    _title(document, context["title"])
    number = document.add_paragraph(context["number"])
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(_text(f"{context['to']}："))
    document.add_paragraph(_text(context["body"]))
    document.add_paragraph(_text(context["demand"]))
    for line in (context["office"], context["date"]):
        paragraph = document.add_paragraph(line)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return _bytes(document)


def follow_up_sheet_docx(case: Case) -> bytes:
    document = _document()
    _title(document, "散煤治理督办单")
    document.add_paragraph(f"编号：散煤督办〔{case.opened_at:%Y}〕{case.pk}号")
    rows = follow_up_rows(case)
    table = document.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    for row, (label, value) in zip(table.rows, rows, strict=True):
        row.cells[0].text, row.cells[1].text = label, _text(value)
    events = follow_up_events(case)
    document.add_paragraph("督办记录")
    timeline = document.add_table(rows=len(events), cols=3)
    timeline.style = "Table Grid"
    for row, values in zip(timeline.rows, events, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = _text(value)
    paragraph = document.add_paragraph(f"{issuing_office(case)}　{timezone.localdate():%Y年%m月%d日}")
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return _bytes(document)
