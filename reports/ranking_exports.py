"""Downloads of a week's ranking: .xlsx (one sheet for the district, one per subdistrict) and CSV; the .docx
weekly bulletin (周通报) is `bulletin.py`. Built from one `Ranking`, so every download says what the page says.
Column names and the bulletin's text are Chinese: they are the office's document format."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Font

from coalgov.exports import csv_number_as_text, csv_writer, inert_text, xlsx_value

from .ranking import HEADERS_ZH, INDICATORS, NONE, Ranking

FONT = "SimSun"
HEADER = ["区内排名", "街道内排名", "社区代码", "社区", "街道", "得分", "上周排名", "名次变化"] + [
    HEADERS_ZH[i.key] for i in INDICATORS
]
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


NO_DATA = "无数据"  # a community without data that week: no rank, no score (docs/ranking.md)
NO_WORK = "本周无工作记录"  # a week in which nothing was recorded in the district: nobody is ranked
NUMBER_COLUMNS = {5} | set(range(8, len(HEADER)))  # score and rates: shown with two decimals in the .xlsx


def table_rows(ranking: Ranking, rows=None) -> list[list]:
    """The table as cells: ranks, counts and the last week's rank as ints, the score and rates rounded to two
    decimals, None where there is no value; a community without data has 无数据 for its ranks and nothing else."""
    rows = ranking.rows if rows is None else rows
    lines = []
    for r in rows:
        if not r.ranked:
            lines.append([NO_DATA, NO_DATA, r.code, r.name, r.subdistrict_name] + [None] * (len(HEADER) - 5))
            continue
        lines.append(
            [
                r.rank_in_district,
                r.rank_in_subdistrict,
                r.code,
                r.name,
                r.subdistrict_name,
                round(r.score, 2),
                r.previous_rank_in_district,
                r.movement,
            ]
            + [i.cell(r.values.get(i.key)) for i in INDICATORS]
        )
    return lines


def week_title(ranking: Ranking) -> str:
    return f"{ranking.district.name}散煤治理工作周排名（{ranking.week_start:%Y年%m月%d日}—{ranking.week_end:%m月%d日}）"


def ranking_xlsx(ranking: Ranking) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "全区"
    sheets = [(sheet, ranking.rows)]
    used = {"全区"}
    for subdistrict, rows in ranking.by_subdistrict():
        name = SHEET_NAME_BAD.sub("", subdistrict.name)[:31] or subdistrict.code
        if name in used:
            name = f"{name[:24]}{subdistrict.code[-6:]}"
        used.add(name)
        sheets.append((workbook.create_sheet(name), rows))
    for ws, rows in sheets:
        ws.append(HEADER)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for line in table_rows(ranking, rows):
            ws.append([xlsx_value(ws, NONE if v is None else v) for v in line])
        for column in NUMBER_COLUMNS:
            for (cell,) in ws.iter_rows(min_row=2, min_col=column + 1, max_col=column + 1):
                if isinstance(cell.value, float):
                    cell.number_format = "0.00"
        ws.freeze_panes = "A2"
        ws.column_dimensions["C"].width = 16
        ws.column_dimensions["D"].width = 18
        ws.column_dimensions["E"].width = 14
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _csv_cell(value, column: int) -> str:
    if value is None:
        return NONE
    if column == 2 and value.isdigit():  # the community code: a tab keeps its 12 digits (coalgov/exports.py)
        return csv_number_as_text(value)
    if column == 7 and isinstance(value, int) and value:  # the movement, with its sign
        return csv_number_as_text(f"+{value}" if value > 0 else str(value))
    if isinstance(value, float):
        return f"{value:.2f}"
    return inert_text(str(value))


def ranking_csv(ranking: Ranking) -> bytes:
    """The district sheet as CSV (UTF-8 with a BOM, so that Excel reads it): counts whole, the score and rates
    with two decimals, — where there is no value, the code and the movement kept as text."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(HEADER)
    writer.writerows([_csv_cell(v, column) for column, v in enumerate(line)] for line in table_rows(ranking))
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read it as UTF-8
