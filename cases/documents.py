"""The printable documents of a case, as editable .docx: the rectification notice (整改通知书) and the
supervision follow-up sheet (督办单). The browser prints the same content from HTML with print CSS.

The .docx are official documents laid out by `coalgov.official_docx` (GB/T 9704, docs/documents.md). The
notice's number and date were written when the case was opened (`cases.numbering`); nothing here reads the
clock for them.

Only a notice actually issued is printed as one (docs/documents.md, "Which cases have a notice"): a duplicate
has none (it is fixed under its original's notice), and a voided case's notice prints marked 作废, without the
signature a seal would go on."""

import functools
import math
import re

from django.utils import timezone, translation
from docx.shared import Pt

from coalgov.exports import inert_text
from coalgov.official_docx import (
    LINE_PITCH,
    SEAL_LINES,
    TABLE_LINE,
    TABLE_SIZE,
    TEXT_WIDTH_MM,
    Column,
    OfficialDocument,
    chinese_date,
    office_name,
    printed_width,
    table_text_mm,
)

from .models import Case, CaseEvent
from .numbering import notice_issuer

# The follow-up sheet's last rows, for the responsible unit to fill in by hand and send back.
SIGN_ROWS = [
    ("签收", "签收人：　　　　　　　　签收日期：　　　　年　　月　　日"),
    ("整改反馈", ""),
]
FEEDBACK_HEIGHT = Pt(4 * 20)  # room for four handwritten lines


def _issuer(case: Case):
    """The unit whose office issues the case's documents: its notice's issuer, or for a case without a notice (a
    duplicate) the one that would have issued it."""
    return case.notice_issuer or notice_issuer(case.responsible_unit)


def issuing_office(case: Case) -> str:
    """The office that issues the case's documents (发文机关署名)."""
    return office_name(_issuer(case).name)


def issuer_abbreviation(case: Case) -> str:
    """The issuer's short name in a 发文字号: 二七区 → 二七散煤办."""
    name = _issuer(case).name
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


def has_notice(case: Case) -> bool:
    """Whether a rectification notice was issued for the case: it was numbered (as it opened), and it is not a
    duplicate — a duplicate is fixed under its original's notice, whatever number it took before this rule."""
    return case.notice_serial is not None and case.duplicate_of_id is None


def document_number(case: Case) -> str:
    """The notice's 发文字号, from the number written when the case was opened (cases/numbering.py)."""
    return f"{issuer_abbreviation(case)}〔{case.notice_year}〕{case.notice_serial}号"


def no_notice_reason(case: Case) -> str:
    """Why a case has no notice to print, as its notice page says it; empty when it has one."""
    if has_notice(case):
        return ""
    if case.duplicate_of_id is not None:
        return (
            f"本问题与{document_number(case.duplicate_of)}所列问题为同一问题（重复问题），按该通知书整改，"
            "不另行印发整改通知书。"
        )
    if case.voided_at is not None:
        return f"本问题已于{chinese_date(timezone.localdate(case.voided_at))}作废，未印发整改通知书。"
    return "本问题未印发整改通知书。"


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


def void_statement(case: Case) -> str:
    """The voided notice's one sentence on it, in its body, as a clerk writes it; empty for any other case."""
    if case.voided_at is None:
        return ""
    reason = f"，作废原因：{_clause(case.void_reason)}" if case.void_reason.strip() else ""
    return f"本通知书已于{chinese_date(timezone.localdate(case.voided_at))}作废{reason}。"


def notice_deadline(case: Case):
    """The deadline the notice demanded when it was served; a later change shows on the 督办单, not here."""
    return case.notice_deadline or case.deadline


VOID_STAMP = "作　废"
VOID_SIGNATURE = "本通知书已作废，不得用印，不得送达。"
SHEET_VOID_SIGNATURE = "本督办单已作废，不得用印。"


@chinese
def notice_context(case: Case) -> dict:
    """What both the printed page and the .docx say; one source for both. A case without a notice (`issued`
    false) has only the reason; a voided notice (`void`) keeps its number, and says 作废 where the seal would go."""
    if not has_notice(case):
        return {"title": "散煤治理问题整改通知书", "issued": False, "reason": no_notice_reason(case)}
    place = f"（地点：{case.household.label}）" if case.household else ""
    void = case.voided_at is not None
    return {
        "title": "散煤治理问题整改通知书",
        "issued": True,
        "void": void,
        "void_stamp": VOID_STAMP,
        "void_signature": VOID_SIGNATURE,
        "number": document_number(case),
        "to": case.responsible_unit.name,
        "body": f"{_lead(case)}，你单位存在以下问题：{_problem(case)}{place}。{_sentence(case.description)}",
        # A voided notice demands nothing: it says once, in its body, when and why it was voided.
        "void_statement": void_statement(case),
        # As served: the deadline at issue, and the demand it made — whatever the case's step or deadline now
        # (the 督办单 reports those). A notice is not reprinted by later steps.
        "demand": ""
        if void
        else (
            f"请于{chinese_date(notice_deadline(case))}前整改到位，并将整改情况（附照片）报送区散煤办。"
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
        # A voided sheet is marked 作废 under its title and carries no signature or date: nothing to stamp. Its
        # rows (当前状态, 督办要求) say why; a duplicate's rows name its original case.
        "void": case.voided_at is not None,
        "void_stamp": VOID_STAMP,
        "void_signature": SHEET_VOID_SIGNATURE,
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
    # The sheet speaks of the case as it stands today (the notice keeps what it demanded when served).
    if case.voided_at is not None:
        demand = "本问题已作废，不再督办。"
    elif case.duplicate_of_id is not None:
        demand = f"本问题为重复问题，随原问题（{document_number(case.duplicate_of)}）一并督办，本督办单不另提整改要求。"
    elif case.status == Case.Status.RECTIFIED:
        demand = "责任单位已报整改完成，请核查单位及时现场核查，核查属实的予以销号。"
    elif case.status == Case.Status.CLOSED:
        demand = "已核查销号，请责任单位做好回头看，防止反弹。"
    else:
        demand = "请责任单位立即整改，整改结果报区散煤办核查销号。"
    deadline = chinese_date(case.deadline)
    if has_notice(case) and notice_deadline(case) != case.deadline:
        deadline += f"（通知书原定{chinese_date(notice_deadline(case))}，已调整）"
    return [
        ("督办事项", case.title),
        ("整改通知书", notice_row(case)),
        ("问题来源", f"{case.get_source_display()}{' ' + case.notice.number if case.notice else ''}"),
        ("责任单位", case.responsible_unit.name),
        ("整改期限", deadline),
        ("当前状态", status),
        # Days overdue and rebounds only when there are some: a sheet of a case on time keeps the room for its
        # record on page 1.
        *([("逾期天数", str(late))] if late else []),
        # Not escalated: one row says so (the sheet keeps room for its record); escalated: to whom, and by when.
        *(
            [("升级督办至", case.escalated_to.name), ("升级督办期限", escalation_deadline_text(case))]
            if case.escalated_to
            else [("升级督办", "未升级")]
        ),
        *([("反弹次数", str(case.rebounds))] if case.rebounds else []),
        ("督办要求", demand),
    ]


def notice_row(case: Case) -> str:
    """The follow-up sheet's 整改通知书 row: the notice's number and date, or why there is none."""
    if case.duplicate_of_id is not None:
        return f"不另行印发（重复问题，随{document_number(case.duplicate_of)}整改）"
    if not has_notice(case):
        return "未印发"
    voided = "，已作废" if case.voided_at is not None else ""
    return f"{document_number(case)}（{chinese_date(case.notice_issued_on)}印发{voided}）"


def event_time(moment) -> str:
    """A record's time as documents write it, in the district's time (Asia/Shanghai): 2026年11月29日 21:30."""
    local = timezone.localtime(moment)
    return f"{chinese_date(local.date())} {local:%H:%M}"


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
            event_time(event.at),
            event.actor_name,
            event_text(event),
        )
        for event in case.events.all()
    ]


def _cases_named(event: CaseEvent) -> list[Case | None]:
    """The cases a duplicate entry names by "#N", in order: its original ("Duplicate of case #12"), or, for a
    duplicate re-linked or left standing alone when its original was voided or closed
    (cases.services._duplicates_stand_alone),
    the voided one and then the new one. The case's original now is not read again."""
    named = [int(pk) for pk in re.findall(r"#(\d+)\b", event.note)] or [event.case.duplicate_of_id]
    others = Case.objects.filter(pk__in=[pk for pk in named if pk != event.case.duplicate_of_id])
    found = {case.pk: case for case in others.select_related("notice_issuer")}
    if event.case.duplicate_of_id is not None:
        found[event.case.duplicate_of_id] = event.case.duplicate_of
    return [found.get(pk) for pk in named]


def event_text(event: CaseEvent) -> str:
    """One record entry: the step, and for a change of deadline the old and the new deadline, then the note.

    A reopening (重新交办) sets a new deadline too: its entry says so as a 调整整改期限 entry does, since the sheet's
    整改期限 row says the notice's deadline was changed. A duplicate's entry names its original by the original's
    notice number (the clerk's reference), not by the system's internal case number in the stored note."""
    text = event.get_action_display()
    note = event.note
    if event.action == CaseEvent.Action.STANDALONE:
        old = _cases_named(event)[0]
        if old is not None and old.notice_serial is not None:
            if old.voided_at is not None:
                note = f"原问题{document_number(old)}已作废，本问题现为该处的问题。"
            else:  # closed after this was reported (cases.services.case_close)
                note = f"原问题{document_number(old)}已核查销号，本问题登记于其上报整改之后，现为该处的问题。"
    elif event.action == CaseEvent.Action.DUPLICATE:
        *before, original = _cases_named(event)
        if original is not None and original.notice_serial is not None:
            relinked = ""
            if before:  # re-linked when the original it was first fixed under was voided or closed
                old = before[0]
                reference = document_number(old) if old is not None and old.notice_serial else ""
                ended = "已作废" if old is None or old.voided_at is not None else "已核查销号"
                relinked = f"原问题{reference}{ended}，改为"
            note = f"{relinked}与{document_number(original)}所列问题重复"
    if event.new_deadline is not None:
        old = f"由{chinese_date(event.old_deadline)}" if event.old_deadline else ""
        if event.action == CaseEvent.Action.DEADLINE:
            text += f"：{old}调整为{chinese_date(event.new_deadline)}"
        else:
            text += f"，整改期限{old}调整为{chinese_date(event.new_deadline)}"
        return f"{text}（{_clause(note)}）" if note.strip() else text
    return f"{text}：{note}" if note else text


@chinese
def rectification_notice_docx(case: Case) -> bytes:
    """The notice under its 版头 (the office's red name, the 文号, the red rule). Only a case with a notice has one
    (the view says why the others have none)."""
    context = notice_context(case)
    assert context["issued"], "a case without a notice has no notice to print"
    document = OfficialDocument(context["title"])
    document.letterhead(context["office"], context["number"])
    document.title(context["title"])
    if context["void"]:
        document.void_stamp(context["void_stamp"])
    document.addressee(context["to"])
    document.text(context["body"])
    if context["demand"]:
        document.text(context["demand"])
    if context["void_statement"]:
        document.text(context["void_statement"])
    if context["void"]:
        # No signature and no date: nothing for a seal to be pressed on.
        document.paragraph()
        document.void_stamp(context["void_signature"])
    else:
        document.signature(context["office"], context["issued_on"])
    return document.bytes()


# 督办单: labels in a narrow column (the longest, 升级督办期限, is six characters of 12 pt ≈ 26 mm), values in the
# rest. The record's time and person columns are as wide as their longest entry (sized to the content, so a name
# never wraps), the record itself takes the rest.
SHEET_COLUMNS = [Column("项目", 32), Column("内容", 124)]
EVENT_HEADERS = ("时间", "经办人", "督办记录")
RECORD_MIN_MM = 60  # the record's text keeps at least this much; a longer name wraps instead
RECORD_TITLE = "督办记录"


def event_columns(events: list[list[str]]) -> list[Column]:
    """The record's columns, sized to their content: each of 时间 and 经办人 fits its longest entry on one line."""
    time_mm = max(table_text_mm(text) for text in [EVENT_HEADERS[0]] + [e[0] for e in events])
    person_mm = max(table_text_mm(text) for text in [EVENT_HEADERS[1]] + [e[1] for e in events])
    person_mm = min(person_mm, TEXT_WIDTH_MM - RECORD_MIN_MM - time_mm)
    time_mm, person_mm = round(time_mm, 1), round(person_mm, 1)
    return [
        Column(EVENT_HEADERS[0], time_mm, "center"),
        Column(EVENT_HEADERS[1], person_mm, "center"),
        Column(EVENT_HEADERS[2], round(TEXT_WIDTH_MM - time_mm - person_mm, 1)),
    ]


def _table_points(columns: list[Column], rows: list[list[str]]) -> float:
    """About how tall a table prints: each row as many 20 pt lines as its fullest cell needs, plus the rules."""
    total = 0.0
    for row in rows:
        lines = max(
            math.ceil(printed_width(text) * (TABLE_SIZE.pt - 0.25) / max((column.width_mm - 3.8) * 72 / 25.4, 1)) or 1
            for column, text in zip(columns, row, strict=True)
        )
        total += lines * TABLE_LINE.pt + 0.5  # and its rule
    return total


def _prose_points(text: str) -> float:
    return math.ceil(printed_width(text) / 28) * LINE_PITCH.pt if text else 0.0


# The text block is 225 mm (637.8 pt); a little is left spare for what the estimate misses. (Measured with
# LibreOffice 7.4: a case on time, not escalated, with a two-line title keeps up to six records on the sheet and
# the estimate keeps five; the signature block keeps with the record's last rows if the estimate is ever wrong.)
PAGE_POINTS = 637.8 - 5
GAP_POINTS = 10


def record_fits(*, void: bool, rows: list[list[str]], events: list[list[str]], columns: list[Column]) -> bool:
    """Whether the sheet, its record and its signature fit one page; if not, the record goes to an attachment so
    that the sheet and its signature stay on one page."""
    used = (
        LINE_PITCH.pt  # 编号
        + 36  # the title's line
        + LINE_PITCH.pt  # the empty line after it
        + (LINE_PITCH.pt if void else 0)  # 作废, under the title
        + _table_points(SHEET_COLUMNS, rows)
        + (4 * TABLE_LINE.pt - TABLE_LINE.pt)  # 整改反馈: four lines to write in
        + GAP_POINTS  # the space between the tables
        + _table_points(columns, [list(EVENT_HEADERS), *events])
        + ((2 * LINE_PITCH.pt) if void else (SEAL_LINES + 2) * LINE_PITCH.pt)  # the signature, or 不得用印
    )
    return used <= PAGE_POINTS


def _sign(document: OfficialDocument, context: dict) -> None:
    """The office's signature and date; a voided sheet has none, only that it is not to be stamped."""
    if context["void"]:
        document.paragraph().paragraph_format.keep_with_next = True
        document.void_stamp(context["void_signature"])
    else:
        document.signature(context["office"], context["issued_on"])


@chinese
def follow_up_sheet_docx(case: Case) -> bytes:
    """The sheet on one page with its signature. A record too long for the page goes to an attachment (附件：督办记录)
    after the signature, so the signature is never left alone on a page."""
    context = follow_up_context(case)
    document = OfficialDocument("散煤治理督办单")
    document.number(context["number"])
    document.title("散煤治理督办单")
    if context["void"]:
        document.void_stamp(context["void_stamp"])
    rows = [[label, inert_text(value)] for label, value in follow_up_rows(case) + context["sign_rows"]]
    table = document.table(SHEET_COLUMNS, rows, header=False, bold_first_column=True)
    table.rows[-1].height = FEEDBACK_HEIGHT
    events = [[inert_text(value) for value in event] for event in follow_up_events(case)]
    columns = event_columns(events)
    if record_fits(void=context["void"], rows=rows, events=events, columns=columns):
        document.spacer(GAP_POINTS)  # a little space between the tables
        record = document.table(columns, events)
        # Should the estimate be wrong, the (short) record and the signature still go over together.
        document.keep_with_next(record)
        _sign(document, context)
    else:
        document.keep_with_next(table, rows=2)
        document.paragraph().paragraph_format.keep_with_next = True
        document.text(f"附件：{RECORD_TITLE}（共{len(events)}条）").paragraph_format.keep_with_next = True
        _sign(document, context)
        document.attachment(RECORD_TITLE)
        document.paragraph()
        document.table(columns, events)
    return document.bytes()
