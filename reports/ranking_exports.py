"""Downloads of a week's ranking: .xlsx (one sheet for the district, the subdistricts' ranking, one per
subdistrict) and CSV; the .docx weekly bulletin (周通报) is `bulletin.py`. Built from one `Ranking`, so every
download says what the page says.
Column names and the bulletin's text are Chinese: they are the office's document format."""

from __future__ import annotations

import datetime
import io
import math
import re

from django.utils import timezone
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from xlsxwriter import Workbook
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from coalgov.exports import (
    DECIMAL,
    HEADER_ROW,
    INTEGER,
    SYSTEM_NAME,
    TEXT,
    chinese_period,
    csv_number_as_text,
    csv_writer,
    formula_looking,
    header_widths,
    inert_text,
    inline_string,
    text_width,
    xlsxwriter_formats,
    xlsxwriter_print_setup,
)

from .ranking import HEADERS_ZH, INDICATORS, NONE, Ranking, two_places

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
                float(two_places(r.score)),
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


# Each column's cell format as XlsxWriter options: bordered, numbers centred in their number format, names left
# in General. A formula-looking name is written as a string with Excel's quote prefix (coalgov/exports.py).
_BORDERED = {"border": 1}
_CENTRED = {**_BORDERED, "align": "center", "valign": "vcenter"}
PIXELS_PER_CHARACTER = 7  # XlsxWriter's width unit: the default font's digit, 7 pixels


def _column_specs() -> list[dict]:
    return [{**_CENTRED, "num_format": fmt} if fmt else _BORDERED for fmt in _column_formats()]


def _widths_as_given(ws, widths: list[float]) -> None:
    """Store each width as given (openpyxl's way, which the widths were measured for): XlsxWriter's `set_column`
    adds Excel's cell padding to it, which would widen every column by most of a character. XlsxWriter keeps
    widths in 1/256 of a character, rounded down: half a step more rounds them up, never narrower than given."""
    for index, width in enumerate(widths):
        ws.set_column_pixels(index, index, (math.ceil(width * 256) + 0.5) * PIXELS_PER_CHARACTER / 256)


class _Sheet(Worksheet):
    """A worksheet whose table rows (under the title and header XlsxWriter writes) are given as their XML:
    XlsxWriter's `write_*` calls and the cells' objects took most of the workbook's time."""

    def __init__(self):
        super().__init__()
        self.rows_xml: list[str] = []

    def _write_sheet_data(self) -> None:
        self._xml_start_tag("sheetData")
        self._write_rows()
        self.fh.write("".join(self.rows_xml))
        self._xml_end_tag("sheetData")


def _sheet(ws: _Sheet, ranking: Ranking, rows, title: str, formats: dict, styles: list[int], quoted: int) -> None:
    widths = _widths(rows)
    xlsxwriter_print_setup(ws, formats, title=title, headers=HEADER, widths=widths)
    _widths_as_given(ws, widths)
    letters = [xl_col_to_name(column) for column in range(len(HEADER))]
    lines = table_rows(ranking, rows)
    for index, line in enumerate(lines, HEADER_ROW):
        n = index + 1  # the row's number in Excel
        cells = []
        for letter, style, value in zip(letters, styles, line, strict=True):
            if value is None:
                value = NONE
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
                # A formula-looking name stays text, with Excel's quote prefix (coalgov/exports.py).
                style = quoted if formula_looking(value) else style
                cells.append(f'<c r="{letter}{n}" s="{style}" t="inlineStr">{inline_string(value)}</c>')
            else:
                cells.append(f'<c r="{letter}{n}" s="{style}"><v>{value:.16G}</v></c>')
        ws.rows_xml.append(f'<row r="{n}">{"".join(cells)}</row>')
    last = HEADER_ROW - 1 + len(lines)
    ws._check_dimensions(last, len(HEADER) - 1, ignore_col=True)  # the sheet's extent, for its <dimension>
    ws.autofilter(HEADER_ROW - 1, 0, last, len(HEADER) - 1)


SUBDISTRICTS_SHEET = "街道排名"
SUBDISTRICT_HEADER = ["名次", "街道", "平均得分", "参与排名社区数", "上周名次", "名次变化"]


def _subdistricts_sheet(ws: Worksheet, ranking: Ranking, formats: dict, movement) -> None:
    """The subdistricts' ranking as the page and the bulletin give it: by the mean of their communities' printed
    scores; a subdistrict without ranked communities has 无数据."""
    names = max((text_width(s.name) for s in ranking.subdistricts), default=8)
    widths = header_widths(SUBDISTRICT_HEADER, [6, min(names + 2, 30), 9, 9, 8, 8])
    xlsxwriter_print_setup(
        ws,
        formats,
        title=week_title(ranking, "各街道"),
        headers=SUBDISTRICT_HEADER,
        widths=widths,
    )
    for row, s in enumerate(ranking.subdistricts, HEADER_ROW):
        ws.write_string(row, 1, s.name, formats["text_quoted"] if formula_looking(s.name) else formats["text"])
        if not s.ranked:
            ws.write_string(row, 0, NO_DATA, formats["text"])
            for column in range(2, len(SUBDISTRICT_HEADER)):
                ws.write_string(row, column, NONE, formats["text"])
            continue
        ws.write_number(row, 0, s.rank, formats["integer"])
        ws.write_number(row, 2, float(two_places(s.mean_score)), formats[DECIMAL])
        ws.write_number(row, 3, s.communities, formats["integer"])
        for column, value, style in ((4, s.previous_rank, formats["integer"]), (5, s.movement, movement)):
            if value is None:
                ws.write_string(row, column, NONE, formats["text"])
            else:
                ws.write_number(row, column, value, style)
    ws.autofilter(HEADER_ROW - 1, 0, HEADER_ROW - 1 + len(ranking.subdistricts), len(SUBDISTRICT_HEADER) - 1)


def ranking_xlsx(ranking: Ranking) -> bytes:
    """The district's sheet, the subdistricts' ranking (街道排名), then one sheet per subdistrict; each prints on A4
    landscape, one page wide, with its title and the header on every page (coalgov/exports.py). Written with
    XlsxWriter, in memory: openpyxl took half a second for a district's 17 sheets."""
    out = io.BytesIO()
    workbook = Workbook(out, {"in_memory": True})
    title = week_title(ranking)
    # A published week's workbook is dated as published, whenever it is downloaded (and kept: reports/frozen.py).
    made_at = ranking.published.published_at if ranking.published else timezone.now()
    made_at = made_at.astimezone(datetime.UTC).replace(tzinfo=None, microsecond=0)
    workbook.set_properties({"title": title, "author": SYSTEM_NAME, "created": made_at})
    formats = xlsxwriter_formats(workbook)
    styles = [workbook.add_format(spec)._get_xf_index() for spec in _column_specs()]
    quoted = workbook.add_format({**_BORDERED, "quote_prefix": True})._get_xf_index()
    _sheet(workbook.add_worksheet("全区", _Sheet), ranking, ranking.rows, title, formats, styles, quoted)
    movement = workbook.add_format({**_CENTRED, "num_format": MOVEMENT})
    _subdistricts_sheet(workbook.add_worksheet(SUBDISTRICTS_SHEET), ranking, formats, movement)
    used = {"全区", SUBDISTRICTS_SHEET}
    for subdistrict, rows in ranking.by_subdistrict():
        name = SHEET_NAME_BAD.sub("", subdistrict.name)[:31] or subdistrict.code
        if name in used:
            name = f"{name[:24]}{subdistrict.code[-6:]}"
        used.add(name)
        ws = workbook.add_worksheet(name, _Sheet)
        _sheet(ws, ranking, rows, week_title(ranking, subdistrict.name), formats, styles, quoted)
    workbook.close()
    return out.getvalue()


def _csv_cell(value, column: int) -> str:
    if value is None:
        return NONE
    if column == 2 and value.isdigit():  # the community code: a tab keeps its 12 digits (coalgov/exports.py)
        return csv_number_as_text(value)
    if column == 7 and isinstance(value, int) and value:  # the movement, with its sign
        return csv_number_as_text(f"+{value}" if value > 0 else str(value))
    if isinstance(value, float):
        return str(two_places(value))
    return inert_text(str(value))


def ranking_csv(ranking: Ranking) -> bytes:
    """The district sheet as CSV (UTF-8 with a BOM, so that Excel reads it): counts whole, the score and rates
    with two decimals, — where there is no value, the code and the movement kept as text."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(HEADER)
    writer.writerows([_csv_cell(v, column) for column, v in enumerate(line)] for line in table_rows(ranking))
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read it as UTF-8
