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
- Codes and signed counts that must stay text in a CSV (the 12-digit community code, "+4") are written as
  `="410103001001"` (`csv_number_as_text`), which Excel, WPS and LibreOffice all read as the text 410103001001.
  It is a formula, but one that only spells out a string of digits: this module writes it for numbers it checked
  itself, never for text people typed (a name `="1"` still gets its apostrophe). A leading tab, the form used
  before, stays visible in LibreOffice (docs/ranking.md).
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import datetime
import math
import re
import unicodedata
import zipfile
from copy import copy

import xlsxwriter.workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"\t?[+-]?\d+(?:\.\d+)?")
DIGITS = re.compile(r"[+-]?\d+")


def formula_looking(text: str) -> bool:
    """True when a spreadsheet could take `text` for a formula."""
    return bool(text) and text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text)


def inert_text(text: str) -> str:
    """Text for a CSV field or a .docx table cell: formula-looking text behind an apostrophe, other text as is."""
    return f"'{text}" if formula_looking(text) else text


def csv_number_as_text(text: str) -> str:
    """A code or signed count a spreadsheet must keep as written ("410103001001" not 4.10103E+11, "+4" not 4):
    `="410103001001"`, a formula whose result is that text, in Excel, WPS and LibreOffice alike. Only digits (and
    a sign) may go between the quotes, so this is never a way in for a formula that does anything."""
    if not DIGITS.fullmatch(text):
        raise ValueError(f"not a plain number: {text!r}")
    return f'="{text}"'


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
# (fitToHeight=0: as many pages down as needed); thin borders round every cell of the table (not the title);
# page numbers in the footer, counted from 1 on each sheet. These helpers work on a normal
# and on a write-only worksheet alike: everything they set is written either before the first row (sheet
# properties, frozen panes, column widths, row heights) or after the last (filter, page setup, footer, print
# titles), so a write-only sheet keeps streaming its rows (docs/ledgers.md).

SYSTEM_NAME = "散煤治理案件管理系统"  # the creator in every workbook's document properties
# The page number only, from 1 on every sheet (firstPageNumber): LibreOffice counts the pages of the whole
# workbook for a total (&N), so "第 1 页 共 20 页" would stand under a sheet of two pages.
FOOTER = "第 &P 页"
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
THIN = Side(style="thin")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)  # every cell of the table, header and data
# A Chinese character of 11 pt is a little wider than two of the column unit (a "0" of the default font), and a
# cell keeps some padding: a header of text width w shows whole on one line in a column of w * 1.1 + 2.
CJK_SLACK, CELL_PADDING = 1.1, 2
ONE_LINE_HEADER = 10  # text width up to which a header gets a column wide enough for one line; longer: two


def chinese_date(day: datetime.date) -> str:
    """2026年11月2日: a date as an office writes it, without leading zeros (GB/T 9704 7.3.5.1)."""
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


def column_for(text: str, lines: int = 1) -> float:
    """The width of a column that shows `text` whole on `lines` lines (a Chinese character counts two)."""
    return round(math.ceil(text_width(text) / lines) * CJK_SLACK + CELL_PADDING, 1)


def per_line(width: float) -> int:
    """How many half-width characters fit on a line of a column of `width` (the inverse of `column_for`)."""
    return max(int((width - CELL_PADDING) / CJK_SLACK), 1)


def lines_in(text: str, width: float) -> int:
    """How many lines `text` takes wrapped in a column of `width`."""
    return max(math.ceil(text_width(text) / per_line(width)), 1)


def header_widths(headers: list[str], widths: list[float]) -> list[float]:
    """Each column at least as wide as its header needs: a short header on one line, a long one on two lines
    split evenly — never one character left alone on a second line."""
    return [
        max(width, column_for(text, 1 if text_width(text) <= ONE_LINE_HEADER else 2))
        for text, width in zip(headers, widths, strict=True)
    ]


def header_height(headers: list[str], widths: list[float]) -> float:
    """The header row's height, so that a header wrapped in its column shows every line of it."""
    lines = max(lines_in(h, w) for h, w in zip(headers, widths, strict=True))
    return HEADER_LINE_HEIGHT * lines + 4


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
        cell.border = BORDER
        cells.append(cell)
    return cells


def print_setup(ws, *, headers: list[str], widths: list[float], landscape: bool = True) -> None:
    """Everything that must be set before the first row is written: column widths, the header row's height,
    the frozen header, the title merged over the table, and the page setup (A4, one page wide, page numbers,
    the header row on every page). `widths` should come from `header_widths`. Then append the title row, the
    header row and the data, and call `table_filter` once the last row is known."""
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
    ws.page_setup.firstPageNumber, ws.page_setup.useFirstPageNumber = 1, True  # each sheet from page 1
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
    """The style of a table cell of `ws` (bordered) with this number format and alignment, for `styled`."""
    probe = WriteOnlyCell(ws)
    probe.number_format = number_format
    probe.border = BORDER
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


# --- The same print setup with XlsxWriter (ledgers, the ranking) ----------------------------------------
# A ledger of millions of rows is written with XlsxWriter in constant-memory mode, some thirty times faster than
# openpyxl's write-only mode (bench/bench_ledger_writer.py); the ranking's workbook too, in memory (openpyxl
# took half a second for a district's 17 sheets). These give their sheets what `print_setup`, `title_cells`,
# `header_cells` and `number_style` gave with openpyxl: tests/reports/test_print_ready.py checks them.


def xlsxwriter_formats(workbook) -> dict:
    """The workbook's cell formats by name, made once per workbook (XlsxWriter keeps every format made)."""
    formats = getattr(workbook, "_print_formats", None)
    if formats is None:
        border = {"border": 1, "valign": "vcenter"}
        centred = {**border, "align": "center"}
        wrapped = {**border, "text_wrap": True}
        left = {"align": "left"}
        specs = {
            "title": {"bold": True, "font_name": "SimHei", "font_size": 14, "align": "center", "valign": "vcenter"},
            "header": {**centred, "bold": True, "text_wrap": True},
            "text": border,
            "text_quoted": {**border, "quote_prefix": True},
            "wrapped": wrapped,
            "wrapped_quoted": {**wrapped, "quote_prefix": True},
            "number": border,
            "integer": {**centred, "num_format": INTEGER},
            "datetime": {**centred, "num_format": DATETIME},
            "date": {**centred, "num_format": DATE},
            DECIMAL: {**border, "num_format": DECIMAL},
            "0.000000": {**border, "num_format": "0.000000"},
            "info_quoted": {"quote_prefix": True},
            "info_integer": {**left, "num_format": INTEGER},
            "info_time": {**left, "num_format": "yyyy-mm-dd hh:mm:ss"},
        }
        formats = {name: workbook.add_format(spec) for name, spec in specs.items()}
        workbook._print_formats = formats
    return formats


def xlsxwriter_print_setup(ws, formats: dict, *, title: str, headers: list[str], widths: list[float]) -> None:
    """`print_setup` for an XlsxWriter sheet, with the title row (row 1, merged over the table) and the header
    row (row 2) written: A4 landscape one page wide, page numbers from 1, margins, the header frozen and on
    every printed page. Call `ws.autofilter` once the last row is known."""
    for index, width in enumerate(widths):
        ws.set_column(index, index, width)
    ws.set_row(TITLE_ROW - 1, 24)
    if len(headers) > 1:
        ws.merge_range(TITLE_ROW - 1, 0, TITLE_ROW - 1, len(headers) - 1, "", formats["title"])
    ws.write_string(TITLE_ROW - 1, 0, title, formats["title"])  # a string, whatever a unit's name starts with
    ws.set_row(HEADER_ROW - 1, header_height(headers, widths))
    for index, text in enumerate(headers):
        ws.write_string(HEADER_ROW - 1, index, text, formats["header"])
    ws.freeze_panes(HEADER_ROW, 0)
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.fit_to_pages(1, 0)  # one page wide, as many down as the rows need
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    ws.set_header("", margin=0.3)
    ws.set_footer(f"&C{FOOTER}", margin=0.3)
    ws.set_start_page(1)
    ws.center_horizontally()
    ws.repeat_rows(HEADER_ROW - 1)


# Rows of millions: XlsxWriter's own `write_*` calls cost some 5 µs a cell in pure Python, so a ledger's rows are
# written as the XML XlsxWriter itself would write in constant-memory mode (<row><c r= s= t="inlineStr">…),
# straight into the sheet's row file, while XlsxWriter writes everything else (the package, styles, the title
# and header, print setup, filter, merges). `XlsxRows` is that part; tests read the files back with openpyxl and
# print them through LibreOffice.
XML_SPECIAL = re.compile(r"[&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")
EXCEL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
EXCEL_EPOCH = datetime.datetime(1899, 12, 30)  # Excel's day 0, past its 1900 leap-year bug
ONE_DAY = datetime.timedelta(days=1)


def inline_string(text: str) -> str:
    """A text as an inline string's XML: &, < and > escaped, Excel's own _xHHHH_ escapes kept literal, leading
    or trailing whitespace preserved. Characters XML refuses must have been removed already."""
    if not XML_SPECIAL.search(text):
        return f"<is><t>{text}</t></is>"
    preserve = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
    text = EXCEL_ESCAPE.sub(r"_x005F\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return f"<is><t{preserve}>{text}</t></is>"


def excel_serial(value: datetime.date) -> float:
    """A naive date or time as Excel's serial number (days since 1899-12-30; the time as a fraction)."""
    if type(value) is datetime.date:
        value = datetime.datetime(value.year, value.month, value.day)
    return (value - EXCEL_EPOCH) / ONE_DAY


ROWS_PER_WRITE = 100


class XlsxRows:
    """Rows streamed into an XlsxWriter constant-memory sheet, below what was written through XlsxWriter.

    Give it the sheet once its rows above (title, header) are written: it writes those out, then each `row`
    goes to the row file as it comes. `close` tells XlsxWriter how far the sheet reaches."""

    def __init__(self, ws, *, columns: int):
        # XlsxWriter holds the last row written through it until the next one starts: write it out now.
        ws._write_single_row(ws.previous_row + 1)
        self.ws, self.columns = ws, columns
        self.write = ws.row_data_fh.write
        self.last = ws.previous_row - 1  # the last row (0-based) in the file
        # Rows go to the file ROWS_PER_WRITE at a time: a write per row cost a tenth of a ledger's time.
        self.waiting: list[str] = []
        self.wait = self.waiting.append

    def row(self, index: int, cells: str, height: float | None = None) -> None:
        """Row `index` (0-based, after the last one) with its cells' XML, and its height if it has one."""
        if height is None:
            self.wait(f'<row r="{index + 1}">{cells}</row>')
        else:
            self.wait(f'<row r="{index + 1}" ht="{height}" customHeight="1">{cells}</row>')
        self.last = index
        if len(self.waiting) >= ROWS_PER_WRITE:
            self.flush()

    def flush(self) -> None:
        self.write("".join(self.waiting))
        self.waiting.clear()

    def close(self) -> None:
        self.flush()
        ws = self.ws
        ws.previous_row = self.last + 1  # nothing of XlsxWriter's own is left to write out
        ws._check_dimensions(self.last, self.columns - 1, ignore_col=True)


# XlsxWriter zips a workbook at zlib's default level (6) and has no option for it. A ledger's sheets are hundreds
# of megabytes of XML (about 1 KB a row), and deflating them at level 6 took a quarter of a subdistrict's build
# (4 s of 15 for 455,000 rows); at level 1 it takes a third of that, for a file about 30 % larger (40 MB → 52 MB).
# `zip_level` sets the level of the workbooks closed inside it; any other workbook keeps the default.
LEDGER_ZIP_LEVEL = 1
_zip_level: contextvars.ContextVar[int | None] = contextvars.ContextVar("xlsx_zip_level", default=None)


class _LevelledZipFile(zipfile.ZipFile):
    """The ZipFile XlsxWriter writes a workbook with, at the level `zip_level` asks for (None: zlib's default)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("compresslevel", _zip_level.get())
        super().__init__(*args, **kwargs)


xlsxwriter.workbook.ZipFile = _LevelledZipFile  # XlsxWriter makes its ZipFile only where it stores the workbook


@contextlib.contextmanager
def zip_level(level: int):
    """Workbooks closed inside are deflated at this zlib level (1, fastest, to 9, smallest)."""
    token = _zip_level.set(level)
    try:
        yield
    finally:
        _zip_level.reset(token)
