"""Downloads of a week's ranking: .xlsx (one sheet for the district, one per subdistrict) and CSV; the .docx
weekly bulletin (周通报) is `bulletin.py`. Built from one `Ranking`, so every download says what the page says.
Column names and the bulletin's text are Chinese: they are the office's document format."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook

from coalgov.exports import (
    BORDER,
    CENTRED,
    DECIMAL,
    HEADER_ROW,
    INTEGER,
    TEXT,
    chinese_period,
    csv_number_as_text,
    csv_writer,
    document_properties,
    formula_looking,
    header_cells,
    header_widths,
    inert_text,
    number_style,
    print_setup,
    styled,
    table_filter,
    text_width,
    title_cells,
    xlsx_value,
)

from .ranking import HEADERS_ZH, INDICATORS, NONE, Ranking

FONT = "SimSun"
HEADER = ["区内排名", "街道内排名", "社区代码", "社区", "街道", "得分", "上周排名", "名次变化"] + [
    HEADERS_ZH[i.key] for i in INDICATORS
]
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


NO_DATA = "无数据"  # a community without data that week: no rank, no score (docs/ranking.md)
NO_WORK = "本周无工作记录"  # a week in which nothing was recorded in the district: nobody is ranked
MOVEMENT = "+0;-0;0"  # places gained with a plus sign, lost with a minus


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


def week_title(ranking: Ranking, unit_name: str = "") -> str:
    """二七区散煤治理工作周排名（2026年11月23日—11月29日）; with a subdistrict's name after the district's on
    its own sheet. Dates as an office writes them, without leading zeros."""
    period = chinese_period(ranking.week_start, ranking.week_end)
    return f"{ranking.district.name}{unit_name}散煤治理工作周排名（{period}）"


def _column_formats() -> list[str | None]:
    """Each column's number format: ranks and counts whole, the score and rates with two decimals, the code
    as text, the movement with its sign (+4, -5, 0) while it stays a number."""
    formats: list[str | None] = [INTEGER, INTEGER, TEXT, None, None, DECIMAL, INTEGER, MOVEMENT]
    return formats + [INTEGER if i.is_count else DECIMAL for i in INDICATORS]


def _widths(rows) -> list[float]:
    """Column widths: the names as wide as the longest (the whole name on one line, never cut off), the code's
    12 digits whole, and every column as wide as its header needs (whole on one line, or split evenly over two)."""
    communities = max((text_width(r.name) for r in rows), default=8)
    subdistricts = max((text_width(r.subdistrict_name) for r in rows), default=8)
    least = [7, 8, 15, min(communities + 2, 40), min(subdistricts + 2, 30), 8, 8, 8] + [8] * len(INDICATORS)
    return header_widths(HEADER, least)


def _xlsx_cell(ws, value, style):
    """Numbers (and the — or 无数据 in their place) centred in their format; names as text, left; all bordered."""
    value = NONE if value is None else value
    if isinstance(value, str) and formula_looking(value):
        cell = xlsx_value(ws, value)  # a formula-looking name stays text (coalgov/exports.py)
        cell.border = BORDER
        return cell
    return styled(ws, value, style)


def _sheet(ws, ranking: Ranking, rows, title: str) -> None:
    widths = _widths(rows)
    print_setup(ws, headers=HEADER, widths=widths, landscape=True)
    ws.append(title_cells(ws, title))
    ws.append(header_cells(ws, HEADER))
    styles = [number_style(ws, fmt, CENTRED) if fmt else number_style(ws) for fmt in _column_formats()]
    lines = table_rows(ranking, rows)
    for line in lines:
        ws.append([_xlsx_cell(ws, v, style) for v, style in zip(line, styles, strict=True)])
    table_filter(ws, columns=len(HEADER), last_row=HEADER_ROW + len(lines))


def ranking_xlsx(ranking: Ranking) -> bytes:
    """The district's sheet, then one per subdistrict; each prints on A4 landscape, one page wide, with its
    title and the header on every page (coalgov/exports.py)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    title = week_title(ranking)
    _sheet(workbook.create_sheet("全区"), ranking, ranking.rows, title)
    used = {"全区"}
    for subdistrict, rows in ranking.by_subdistrict():
        name = SHEET_NAME_BAD.sub("", subdistrict.name)[:31] or subdistrict.code
        if name in used:
            name = f"{name[:24]}{subdistrict.code[-6:]}"
        used.add(name)
        _sheet(workbook.create_sheet(name), ranking, rows, week_title(ranking, subdistrict.name))
    document_properties(workbook, title=title)
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
