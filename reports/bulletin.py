"""The weekly bulletin (周通报) as .docx, built from the same `Ranking` as the page and the other downloads.
Its text is Chinese: it is the office's document, laid out as one (coalgov/official_docx.py, GB/T 9704).

Page one carries the bulletin: the 版头 (the district office's name in red, the 期号, the red rule), the title,
what it covers, praise and criticism, the subdistricts' ranks, and the district office's signature and date with
room for the seal. The communities' table follows as its attachment (附件) on the next page, its header row
repeated on every page.

- 期号 (issue number) is the week's number in its year (ISO weeks, which start on Monday as ranking weeks do):
  the week of 3 November 2025 is 2025年第45期. One bulletin a week, so the number is the week's own.
- The date is the day the week was published (成文日期). A week not yet published says under its 期号 that it is
  a draft (征求意见稿，未发布) and carries no signature and no date — only （发布后署名） where they will go: a draft
  is not a document to stamp.
"""

from __future__ import annotations

from django.utils import timezone
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from coalgov.exports import inert_text
from coalgov.official_docx import Column, OfficialDocument, chinese_date, office_name

from .ranking import NONE, Ranking, two_places
from .ranking_exports import NO_DATA, NO_WORK

# 156 mm: a community's name (up to about eleven characters, 建新南街社区居民委员会) on at most two lines, a
# subdistrict's on one, the headers on one.
COLUMNS = [
    Column("区内排名", 22, "center"),
    Column("社区", 54),
    Column("街道", 38),
    Column("得分", 20, "right"),
    Column("名次变化", 22, "center"),
]


def _names(rows) -> str:
    return "、".join(f"{r.subdistrict_name}{r.name}" for r in rows)


def issue_number(ranking: Ranking) -> str:
    """第N期: the week's number in its year (ISO)."""
    year, week, _ = ranking.week_start.isocalendar()
    return f"{year}年第{week}期"


DRAFT_SIGNATURE = "（发布后署名）"


def bulletin_date(ranking: Ranking):
    """The bulletin's date: the day its week was published, or today for a draft."""
    if ranking.published is not None:
        return timezone.localdate(ranking.published.published_at)
    return timezone.localdate()


def period(ranking: Ranking) -> str:
    """2025年11月3日至11月9日 (the year once, when the week does not cross into the next)."""
    start, end = ranking.week_start, ranking.week_end
    last = chinese_date(end) if end.year != start.year else f"{end.month}月{end.day}日"
    return f"{chinese_date(start)}至{last}"


def bulletin_paragraphs(ranking: Ranking) -> dict[str, str]:
    """The bulletin's praise and criticism, as the .docx says them."""
    praise = criticism = ""
    if not ranking.has_work:
        return {
            "praise": "",
            "criticism": "",
            "no_data": f"{NO_WORK}：本周全区未录入走访、督导、到期整改、反弹或取缔记录，不排名，不通报表扬或批评。",
        }
    if ranking.praised:
        praise = (
            f"通报表扬：本周综合得分位列全区前列的{len(ranking.praised)}个社区为{_names(ranking.praised)}，"
            "予以通报表扬。"
        )
    if ranking.named:
        criticism = (
            f"通报批评：本周综合得分位列全区末位的{len(ranking.named)}个社区为{_names(ranking.named)}，"
            "予以通报批评，请所在街道督促整改。"
        )
    unranked = len(ranking.unranked_rows)
    # In the ranking page's words (无需排查的登记户, 无工作记录): one sentence, the names are in the attachment.
    no_data = (
        f"另有{unranked}个社区本周无数据（无需排查的登记户，也无工作记录），不参与排名，名单见附件。"
        if unranked
        else ""
    )
    return {"praise": praise, "criticism": criticism, "no_data": no_data}


def table_rows(ranking: Ranking) -> list[list[str]]:
    """The ranked communities, one row each; 名次变化 is — when there is none to show (not ranked the week
    before, as after a week without data), never a blank cell that reads as forgotten."""
    rows = []
    for r in ranking.ranked_rows:
        movement = NONE if r.movement is None else (f"+{r.movement}" if r.movement > 0 else str(r.movement))
        rank, score = str(r.rank_in_district), str(two_places(r.score))
        rows.append([inert_text(text) for text in (rank, r.name, r.subdistrict_name, score, movement)])
    return rows


def no_data_line(ranking: Ranking) -> str:
    """The communities without data, on one line after the table rather than a row of 无数据 each (a district
    with many of them ran the attachment to pages of empty rows), grouped by subdistrict."""
    unranked = ranking.unranked_rows
    if not unranked:
        return ""
    groups: dict[str, list[str]] = {}
    for r in unranked:
        groups.setdefault(r.subdistrict_name, []).append(r.name)
    names = "；".join(f"{sub}：{'、'.join(names)}" for sub, names in groups.items())
    return inert_text(f"以下{len(unranked)}个社区本周{NO_DATA}，不参与排名——{names}。")


def subdistricts_line(ranking: Ranking) -> str:
    """The subdistricts' ranks; those without data in one clause at the end, not each named 无数据."""
    ranked = [s for s in ranking.subdistricts if s.ranked]
    unranked = len(ranking.subdistricts) - len(ranked)
    text = "街道排名（按所辖社区平均得分）：" + "；".join(
        f"{s.rank}.{s.name}（{two_places(s.mean_score)}分）" for s in ranked
    )
    if unranked:
        text += f"{'；' if ranked else ''}另有{unranked}个街道所辖社区本周均{NO_DATA}，不参与街道排名"
    return text + "。"


def _numbers_whole(paragraph):
    """Mark the paragraph's Latin text (its figures) en-US, its Chinese staying zh-CN (w:eastAsia): read as zh-CN
    with the body's condensed spacing, LibreOffice breaks a number at a line's end between its figures (另有1 /
    1个街道); as en-US a number goes over whole. Only the prose: the documents' tables keep their measured widths."""
    for run in paragraph.runs:
        r_pr = run._element.get_or_add_rPr()
        lang = r_pr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            r_pr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
        lang.set(qn("w:val"), "en-US")
        lang.set(qn("w:eastAsia"), "zh-CN")
    return paragraph


def ranking_docx(ranking: Ranking) -> bytes:
    district = ranking.district.name
    title = f"{district}散煤治理工作周通报"
    # A published week's bulletin is dated as published, whenever it is downloaded (and kept: reports/frozen.py).
    document = OfficialDocument(title, made_at=ranking.published.published_at if ranking.published else None)
    # 版头: the office's name in red, the 期号 under it, the red rule (GB/T 9704 7.2); then the title.
    document.letterhead(office_name(district), issue_number(ranking))
    document.title(title)
    if ranking.published is None:
        document.number("（征求意见稿，未发布）")
        document.paragraph()
    body = [_numbers_whole(document.text(f"现将{district}{period(ranking)}散煤治理工作排名情况通报如下。"))]
    texts = bulletin_paragraphs(ranking)
    for key in ("praise", "criticism", "no_data"):
        if texts[key]:
            body.append(_numbers_whole(document.text(texts[key])))
    if ranking.subdistricts and ranking.has_work:
        body.append(_numbers_whole(document.text(subdistricts_line(ranking))))
    # The body's last paragraph goes over with the signature: a page holding only the attachment's note and the
    # signature is one nobody stamps (GB/T 9704 7.3.5: the signature's page carries text of the body).
    body[-1].paragraph_format.keep_with_next = True
    # a blank line before the attachment's note (附件说明, GB/T 9704 7.3.4)
    document.paragraph().paragraph_format.keep_with_next = True
    # The attachment's note goes over with the signature (or a draft's blank for it): never alone on a page.
    document.text("附件：社区排名表").paragraph_format.keep_with_next = True
    if ranking.published is None:
        # A draft is signed and dated only once published: nothing here for a seal.
        # A draft is laid out as the signed one will be (the same lines, so the pages break alike), blank where
        # the office's name and the date will go.
        for _ in range(2):
            document.paragraph().paragraph_format.keep_with_next = True
        document.paragraph(DRAFT_SIGNATURE, align="right", right_chars=4).paragraph_format.keep_with_next = True
        document.paragraph()
    else:
        document.signature(office_name(district), bulletin_date(ranking))
    document.attachment(f"{district}社区排名表")
    document.paragraph(f"（{period(ranking)}）", align="center")
    rows = table_rows(ranking)
    if rows:
        document.table(COLUMNS, rows)
    if no_data_line(ranking):
        document.paragraph()
        _numbers_whole(document.text(no_data_line(ranking)))
    return document.bytes()
