"""The weekly bulletin (周通报) as .docx, built from the same `Ranking` as the page and the other downloads.
Its text is Chinese: it is the office's document."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from coalgov.exports import inert_text

from .ranking import NONE, Ranking
from .ranking_exports import FONT, NO_DATA, NO_WORK, week_title


def _names(rows) -> str:
    return "、".join(f"{r.subdistrict_name}{r.name}" for r in rows)


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
    no_data = f"另有{unranked}个社区本周无登记户且无工作记录（无数据），不参与排名。" if unranked else ""
    return {"praise": praise, "criticism": criticism, "no_data": no_data}


def ranking_docx(ranking: Ranking) -> bytes:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(f"{ranking.district.name}散煤治理工作周通报")
    run.bold = True
    run.font.size = Pt(20)
    document.add_paragraph(week_title(ranking))
    texts = bulletin_paragraphs(ranking)
    for key in ("praise", "criticism", "no_data"):
        if texts[key]:
            document.add_paragraph(texts[key])
    if ranking.subdistricts and ranking.has_work:
        document.add_paragraph(
            "街道排名（按所辖社区平均得分）："
            + "；".join(
                f"{s.rank}.{s.name}（{s.mean_score:.2f}分）" if s.ranked else f"{s.name}（{NO_DATA}）"
                for s in ranking.subdistricts
            )
            + "。"
        )
    columns = ["区内排名", "社区", "街道", "得分", "名次变化"]
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, columns, strict=True):
        cell.text = text
    for r in ranking.rows:
        movement = "" if r.movement is None else (f"+{r.movement}" if r.movement > 0 else str(r.movement))
        rank = str(r.rank_in_district) if r.ranked else NO_DATA
        score = f"{r.score:.2f}" if r.ranked else NONE
        cells = table.add_row().cells
        for cell, text in zip(cells, [rank, r.name, r.subdistrict_name, score, movement], strict=True):
            cell.text = inert_text(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
