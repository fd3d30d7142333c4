"""Text written into downloads (.xlsx, .csv, .docx tables) is kept inert: it can never become a spreadsheet formula.

A name such as `=HYPERLINK("http://…","点此")` typed into a unit, a household or a case would otherwise run as a
formula when the download is opened (or pasted from Word into Excel) — OWASP's "CSV injection". Every export
passes its text through this module, so the rule lives in one place:

- Text is *formula-looking* when it starts with `=`, `+`, `-`, `@`, a tab or a carriage return (some programs
  strip a leading tab or CR and then read what follows), unless the whole cell is a plain number, optionally
  after one tab (`-5`, `+4`, a tab then `410103001001`): a number computes nothing, whatever a program strips.
- In a .xlsx the text is stored as a string cell with Excel's quote prefix (the cell shows the text as written
  and stays text even when someone edits it); openpyxl would otherwise store text starting with `=` as a formula.
- In a .csv and a .docx table a formula-looking text gets a leading apostrophe, OWASP's form, and every CSV field
  is quoted (`csv_writer`). Excel hides the apostrophe of a cell typed or pasted in, and takes the cell as text.
- Codes and signed counts that must stay text in a CSV (the 12-digit community code, "+4") are written with a
  leading tab (`csv_number_as_text`): the one form this module leaves alone, because nothing but a number
  follows the tab (docs/ranking.md).
"""

from __future__ import annotations

import csv
import datetime
import math
import re
import unicodedata
from copy import copy

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"\t?[+-]?\d+(?:\.\d+)?")


def formula_looking(text: str) -> bool:
    """True when a spreadsheet could take `text` for a formula."""
    return bool(text) and text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text)


def inert_text(text: str) -> str:
    """Text for a CSV field or a .docx table cell: formula-looking text behind an apostrophe, other text as is."""
    return f"'{text}" if formula_looking(text) else text


def csv_number_as_text(text: str) -> str:
    """A code or signed count Excel must keep as written ("410103001001" not 4.10103E+11, "+4" not 4): a leading
    tab makes Excel take it as text. Only digits (and a sign) may follow, so the tab is never a formula's way in."""
    if not PLAIN_NUMBER.fullmatch(text):
        raise ValueError(f"not a plain number: {text!r}")
    return f"\t{text}"


def csv_writer(out):
    """A CSV writer quoting every field, as OWASP advises, so no field can run into the next."""
    return csv.writer(out, quoting=csv.QUOTE_ALL)


def xlsx_value(ws, value):
    """A value for `ws.append` (normal or write-only sheet): formula-looking text as a string cell with the quote
    prefix, anything else as is (numbers stay numbers)."""
    if isinstance(value, str) and formula_looking(value):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    return value


# --- Print setup of workbooks ---------------------------------------------------------------------
# A district office prints its rankings and ledgers on A4 for meetings and to stamp them. Every data sheet gets
# the same setup: a title row naming the unit and the period, then the header row, which is frozen on screen,
# repeated on every printed page and filtered; landscape for wide tables; one page wide however many rows
# (fitToHeight=0: as many pages down as needed); page numbers in the footer. These helpers work on a normal
# and on a write-only worksheet alike: everything they set is written either before the first row (sheet
# properties, frozen panes, column widths, row heights) or after the last (filter, page setup, footer, print
# titles), so a write-only sheet keeps streaming its rows (docs/ledgers.md).

SYSTEM_NAME = "散煤治理案件管理系统"  # the creator in every workbook's document properties
FOOTER = "第 &P 页 共 &N 页"  # &P is the page number, &N the number of pages
INTEGER = "0"
DECIMAL = "0.00"  # rates, scores and money: always two decimals
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
TEXT = "@"
TITLE_ROW, HEADER_ROW = 1, 2
TITLE_FONT = Font(name="SimHei", bold=True, size=14)
HEADER_FONT = Font(bold=True)
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
TITLE_ALIGNMENT = Alignment(horizontal="center", vertical="center")
HEADER_LINE_HEIGHT = 15  # points per line of header text (11 pt type)


def chinese_date(day: datetime.date) -> str:
    """2026年11月2日: a date as an office writes it, without leading zeros."""
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_period(start: datetime.date, end: datetime.date) -> str:
    """2026年11月23日—11月29日; the year again when the period crosses one (2025年12月1日—2026年1月31日)."""
    if start == end:
        return chinese_date(start)
    tail = f"{end.month}月{end.day}日" if end.year == start.year else chinese_date(end)
    return f"{chinese_date(start)}—{tail}"


def text_width(text: str) -> int:
    """The width of text in a spreadsheet's column units: a Chinese character takes two, others one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def header_height(headers: list[str], widths: list[float]) -> float:
    """The header row's height, so that a header wrapped in its column shows every line of it."""
    lines = max(math.ceil(text_width(h) / max(w - 1, 1)) for h, w in zip(headers, widths, strict=True))
    return HEADER_LINE_HEIGHT * max(lines, 1) + 4


def title_cells(ws, title: str) -> list:
    """The title row (row 1) as cells for `ws.append`, on a normal or a write-only sheet."""
    cell = WriteOnlyCell(ws, value=title)
    if formula_looking(title):  # a unit's name is typed by people: kept as text like any other cell
        cell.data_type, cell.quotePrefix = "s", True
    cell.font = TITLE_FONT
    cell.alignment = TITLE_ALIGNMENT
    return [cell]


def header_cells(ws, headers: list[str]) -> list:
    """The header row (row 2) as cells: bold, centred and wrapped in its column."""
    cells = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = HEADER_FONT
        cell.alignment = HEADER_ALIGNMENT
        cells.append(cell)
    return cells


def print_setup(ws, *, headers: list[str], widths: list[float], landscape: bool = True) -> None:
    """Everything that must be set before the first row is written: column widths, the header row's height,
    the frozen header, the title merged over the table, and the page setup (A4, one page wide, page numbers,
    the header row on every page). Then append the title row, the header row and the data, and call
    `table_filter` once the last row is known."""
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.row_dimensions[TITLE_ROW].height = 24
    ws.row_dimensions[HEADER_ROW].height = header_height(headers, widths)
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    if len(headers) > 1:
        ws.merged_cells.add(f"A{TITLE_ROW}:{get_column_letter(len(headers))}{TITLE_ROW}")
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.oddFooter.center.text = FOOTER
    ws.evenFooter.center.text = FOOTER


def table_filter(ws, *, columns: int, last_row: int) -> None:
    """The autofilter over the header row and the rows under it."""
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(columns)}{max(last_row, HEADER_ROW)}"


def styled(ws, value, style: StyleArray):
    """A cell for `ws.append` with a ready-made style (a number format): copying a style costs far less than
    setting the format by name on every cell, which matters at a ledger's hundreds of thousands of rows."""
    cell = WriteOnlyCell(ws, value=value)
    cell._style = copy(style)
    return cell


CENTRED = Alignment(horizontal="center", vertical="center")
WRAPPED = Alignment(vertical="center", wrap_text=True)


def number_style(ws, number_format: str = "General", alignment: Alignment | None = None) -> StyleArray:
    """The style of a cell of `ws` with this number format (and alignment), to give to `styled`."""
    probe = WriteOnlyCell(ws)
    probe.number_format = number_format
    if alignment is not None:
        probe.alignment = alignment
    return copy(probe._style)


def document_properties(workbook, *, title: str) -> None:
    """Creator and title of the workbook, and the time it was really made (openpyxl's default is a fixed one
    in some versions and the time the library was loaded in others)."""
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None, microsecond=0)
    props = workbook.properties
    props.creator = SYSTEM_NAME
    props.lastModifiedBy = SYSTEM_NAME
    props.title = title
    props.created = now
    props.modified = now
