"""The printable documents of a case, as editable .docx: the rectification notice (整改通知书) and the
supervision follow-up sheet (督办单). The browser prints the same content from HTML with print CSS.

The .docx are official documents laid out by `coalgov.official_docx` (GB/T 9704, docs/documents.md). The
notice's number and date were written when the case was opened (`cases.numbering`); nothing here reads the
clock for them."""

import functools

from django.utils import timezone, translation
from docx.shared import Pt

from coalgov.exports import inert_text
from coalgov.official_docx import Column, OfficialDocument, chinese_date, office_name

from .models import Case

# The follow-up sheet's last rows, for the responsible unit to fill in by hand and send back.
SIGN_ROWS = [
    ("签收", "签收人：　　　　　　　　签收日期：　　　　年　　月　　日"),
    ("整改反馈", ""),
]
FEEDBACK_HEIGHT = Pt(4 * 20)  # room for four handwritten lines


def issuing_office(case: Case) -> str:
    """The office that issues the case's documents (发文机关署名)."""
    return office_name(case.notice_issuer.name)


def issuer_abbreviation(case: Case) -> str:
    """The issuer's short name in a 发文字号: 二七区 → 二七散煤办."""
    name = case.notice_issuer.name
    if len(name) > 2 and name[-1] in "区县市":
        name = name[:-1]
    return f"{name}散煤办"


def chinese(build):
    """Official documents are written in Chinese whatever language the user reads the site in: every label,
    status and step they show is rendered under zh-hans."""

    @functools.wraps(build)
    def built(*args, **kwargs):
        with translation.override("zh-hans"):
            return build(*args, **kwargs)

    return built


def document_number(case: Case) -> str:
    """The notice's 发文字号, from the number written when the case was opened (cases/numbering.py)."""
    return f"{issuer_abbreviation(case)}〔{case.notice_year}〕{case.notice_serial}号"


def follow_up_number(case: Case) -> str:
    return f"散煤督办〔{case.opened_at:%Y}〕{case.pk}号"


def _lead(case: Case) -> str:
    """How the notice says where the problem came from, as a clerk writes it."""
    if case.source == Case.Source.NOTICE:
        return f"根据督导通报（{case.notice.number}）" if case.notice else "根据督导通报"
    return {
        Case.Source.NIGHT_CHECK: "经夜查发现",
        Case.Source.TIP_OFF: "据群众举报反映",
        Case.Source.SPOT_CHECK: "经督导抽查发现",
    }.get(case.source, "经检查发现")


def _problem(case: Case) -> str:
    """The problem as the notice states it. A night-check finding's title names the place ("…501：发现散煤"),
    which the notice prints once, after the problem; and the lead already says 发现, so the problem does not
    say it again."""
    text = _clause(case.title)
    if case.household is not None:
        label = case.household.label
        for separator in ("：", ":", " ", ""):
            if text.startswith(label + separator) and len(text) > len(label + separator):
                text = text[len(label + separator) :]
                break
    # The lead says how the problem came to light; a title that starts by saying it too ("群众举报：…",
    # "督导抽查发现…") would say it twice.
    for words in SOURCE_WORDS:
        rest = text[len(words) :].lstrip("：:，, ")
        if text.startswith(words) and rest:
            text = rest
            break
    if text.startswith("发现"):
        text = f"存有{text[2:]}"
    return text


# Longest first: how a title may begin by naming its source, as the lead names it already.
SOURCE_WORDS = (
    "经督导抽查发现",
    "督导抽查发现",
    "据群众举报反映",
    "群众举报反映",
    "经夜查发现",
    "群众举报",
    "夜查发现",
)


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
        return f"已作废：本问题已于{chinese_date(timezone.localdate(case.voided_at))}作废{reason}，无需整改。"
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
        "body": f"{_lead(case)}，你单位存在以下问题：{_problem(case)}{place}。{_sentence(case.description)}",
        # A voided or duplicate case demands nothing: its mark says why.
        "demand": ""
        if mark
        else (
            f"请于{chinese_date(case.deadline)}前整改到位，并将整改情况（附照片）报送区散煤办。"
            "逾期未整改或整改后反弹的，将按照区、镇办、社区三级督导问责机制严肃问责。"
        ),
        "office": issuing_office(case),
        # The day the notice was issued (the case opened), whenever it is printed: never after its deadline.
        "issued_on": case.notice_issued_on,
        "date": chinese_date(case.notice_issued_on),
    }


@chinese
def follow_up_context(case: Case) -> dict:
    """The follow-up sheet's number and signature. The sheet reports where the case stands on the day it is
    printed and sent, so it is dated that day; the notice it follows keeps its own number and date."""
    today = timezone.localdate()
    return {
        "number": f"编号：{follow_up_number(case)}",
        "office": issuing_office(case),
        "issued_on": today,
        "date": chinese_date(today),
        "sign_rows": SIGN_ROWS,
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
        ("整改通知书", f"{document_number(case)}（{chinese_date(case.notice_issued_on)}印发）"),
        ("问题来源", f"{case.get_source_display()}{' ' + case.notice.number if case.notice else ''}"),
        ("责任单位", case.responsible_unit.name),
        ("整改期限", chinese_date(case.deadline)),
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
    return chinese_date(case.escalation_due)


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
    document = OfficialDocument(context["title"])
    document.number(context["number"])
    document.title(context["title"])
    if context["mark"]:
        document.paragraph(context["mark"], bold=True)
    document.addressee(context["to"])
    document.text(context["body"])
    if context["demand"]:
        document.text(context["demand"])
    document.signature(context["office"], context["issued_on"])
    return document.bytes()


# 督办单: labels in a narrow column (the longest, 升级督办期限, is six characters of 12 pt ≈ 26 mm), values in the
# rest; the timeline's time and person columns fit "2026-12-02 08:00" and a name on one line.
SHEET_COLUMNS = [Column("项目", 32), Column("内容", 124)]
EVENT_COLUMNS = [Column("时间", 40, "center"), Column("经办人", 28, "center"), Column("督办记录", 88)]


@chinese
def follow_up_sheet_docx(case: Case) -> bytes:
    context = follow_up_context(case)
    document = OfficialDocument("散煤治理督办单")
    document.number(context["number"])
    document.title("散煤治理督办单")
    mark = void_mark(case)
    if mark:
        document.paragraph(mark, bold=True)
    rows = [[label, inert_text(value)] for label, value in follow_up_rows(case) + context["sign_rows"]]
    table = document.table(SHEET_COLUMNS, rows, header=False, bold_first_column=True)
    table.rows[-1].height = FEEDBACK_HEIGHT
    document.paragraph()
    events = [[inert_text(value) for value in event] for event in follow_up_events(case)]
    document.table(EVENT_COLUMNS, events)
    document.signature(context["office"], context["issued_on"])
    return document.bytes()
