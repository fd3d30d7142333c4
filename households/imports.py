"""Importing a register from a spreadsheet: how a district loads its first 300,000 households.

`households_import(actor=..., path=..., dry_run=...)` reads a .xlsx (first sheet) or a UTF-8 .csv whose first
row names the columns — in Chinese as the office writes them (社区代码, 小区, 楼栋, 单元, 房号, 户主 …) or by
field name. It checks every row first and writes nothing if any row is wrong, listing each error with its
line; then writes in batches in one transaction (no save() per row), with the priority zones, one audit entry
for the import (who, when, which file, how many), to which each registered household refers (its history shows
it), and the communities' household counts. A row whose address is already registered in its
community is skipped, so importing the same file twice registers nobody twice.

A file with a 编号 column (the ledger's 住户 sheet, edited and sent back) also changes the households its rows name:
households.import_changes, previewed with `dry_run` and applied with the preview's digest as `expect`.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import datetime
import functools
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.etree.ElementTree import ParseError, iterparse

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.functions import Length
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from coalgov.dates import date_check
from coalgov.locks import REGISTER_COUNTS, xact_lock
from coalgov.models import AuditEvent
from divisions.geo import EARTH_RADIUS_M, priority_station_for, zone_stations
from divisions.models import Division, Level, community_code
from divisions.scoping import covers, entry_codes

from .import_changes import (
    EXTRA_HEADERS,
    ID,
    PLACE_NAMES,
    VOID_REASON,
    Places,
    Updates,
    changes_write,
    preview_summary,
    register_changed,
)
from .models import Heating, Household, Kind, phone_normalized, phone_validator
from .services import SPACES, register_counts_refresh

BATCH = 2000
SPOOL_IN_MEMORY = 16 * 2**20  # staged rows beyond this go to a temporary file
PROGRESS_EVERY = 5000  # rows between two progress reports
MAX_ERRORS = 200  # listed; the count goes on
IMPORTED = "household.imported"  # the import's one audit entry, which its households' histories show

# Refusing a file too large for the page before parsing it (`import_size_check`). A register's row unpacks to a
# few hundred bytes of sheet XML; 2 KB a row plus the workbook's own parts is room for any real register.
UNPACKED_PER_ROW = 2048
UNPACKED_OVERHEAD = 16 * 2**20
MAX_PARTS = 1000  # a workbook from Excel or WPS has a few dozen
MAX_RATIO = 200  # real sheet XML packs 5–20 times; a zip bomb hundreds or thousands of times
RATIO_FROM = 2**20  # parts under 1 MB unpacked are too small to matter
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
DOC_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
ROW_END = re.compile(rb"</(?:\w+:)?row>")
CELL_VALUE = re.compile(rb"<(?:\w+:)?(?:v>[^<]|is[\s>])")  # a row Excel keeps only for its formatting has none
DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]*\d*:?[A-Z]*(\d+)\"")

# Column header → field. Chinese as district ledgers name them, and the field names themselves.
HEADERS = {
    **dict.fromkeys(("社区代码", "网格代码", "区划代码", "division", "division_code"), "division"),
    **dict.fromkeys(("类型", "户类型", "kind"), "kind"),
    **dict.fromkeys(("小区", "小区名称", "estate"), "estate"),
    **dict.fromkeys(("楼栋", "楼号", "building"), "building"),
    **dict.fromkeys(("单元", "unit"), "unit"),
    **dict.fromkeys(("房号", "门牌号", "room"), "room"),
    **dict.fromkeys(("地址", "街道地址", "address"), "address"),
    **dict.fromkeys(("户主", "户主姓名", "经营者", "head_name"), "head_name"),
    **dict.fromkeys(("电话", "联系电话", "手机", "手机号", "手机号码", "联系方式", "phone"), "phone"),
    **dict.fromkeys(("无主管", "unmanaged"), "unmanaged"),
    **dict.fromkeys(("无双气", "no_gas_or_heating"), "no_gas_or_heating"),
    **dict.fromkeys(("独居老人", "elderly_alone"), "elderly_alone"),
    **dict.fromkeys(("低保户", "低保", "low_income"), "low_income"),
    **dict.fromkeys(("残疾", "残疾人", "disabled"), "disabled"),
    **dict.fromkeys(("取暖方式", "heating"), "heating"),
    **dict.fromkeys(("纬度", "latitude"), "latitude"),
    **dict.fromkeys(("经度", "longitude"), "longitude"),
    **dict.fromkeys(("备注", "notes"), "notes"),
    # The day the household was registered on paper (a campaign entered after the fact): stored as its
    # created_at, the register's 登记时间, so the ledgers and counts date it as registered then.
    **dict.fromkeys(("登记日期", "登记时间", "registered_on", "created_at"), "created_at"),
    # The ledger's 住户 sheet, edited and imported back: 编号, the places by name, a reason to void.
    **EXTRA_HEADERS,
}
# A column that says which household or which place a row is about; one of them must be in the header.
PLACE_COLUMNS = ("division", "community_name", ID)
HEADER_SEARCH = 5  # the ledger's sheets have a title row above the header
LISTED_ROWS = 100  # new and skipped rows of a file that edits households, listed in its preview
BOOLEANS = ("unmanaged", "no_gas_or_heating", "elderly_alone", "low_income", "disabled")
TRUE, FALSE = {"是", "有", "y", "yes", "true", "1", "√"}, {"否", "无", "n", "no", "false", "0", ""}
ADDRESS_KEY = ("estate", "building", "unit", "room", "address")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab and newlines are text; the rest is not


class Progress:
    """What `households_import` reports as it goes; this one ignores it. The background import
    (households.jobs) records it for the progress bar and keeps its claim with it."""

    def checked(self, rows: int) -> None:
        """`rows` rows have been checked (called every PROGRESS_EVERY rows and at the end of the check)."""

    def writing(self) -> None:
        """The writing transaction has begun (after the communities' locks); nothing is written yet."""

    def written(self, rows: int) -> None:
        """`rows` rows have been written or skipped, in the writing transaction."""

    def finished(self, result: ImportResult) -> None:
        """The last step inside the writing transaction: what it records commits with the households."""


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    skipped: int = 0  # already registered (or twice in the file)
    error_count: int = 0
    updated: int = 0  # rows with a 编号 that changed their household
    voided: int = 0
    unchanged: int = 0  # rows with a 编号 that change nothing
    ignored_columns: list[str] = field(default_factory=list)  # headings of the columns not read
    # A file that edits households (a 编号 column) lists its rows without one in the preview: the first LISTED_ROWS
    # new households (line, address) and skipped rows, each {"line", and "household": the 编号 already at that
    # address, or "first_line": the line of the file that gave the address first}.
    registered_rows: list[tuple[int, str]] = field(default_factory=list)
    skipped_rows: list[dict] = field(default_factory=list)
    changed: int = 0  # rows with a 编号 that change, move or void their household (one each, whatever it does)
    preview: dict = field(default_factory=dict)  # import_changes.preview_summary, when the file has 编号

    # (line, order recorded, message): rows with a 编号 are compared in chunks after the rows around them are
    # checked, so errors arrive out of line order; the MAX_ERRORS first lines are kept, listed by line.
    listed: list[tuple[int, int, str]] = field(default_factory=list, repr=False)

    @property
    def errors(self) -> list[str]:
        return [
            _("Line %(line)s: %(message)s") % {"line": line, "message": message} for line, _n, message in self.listed
        ]

    def error(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.listed) < MAX_ERRORS or line < self.listed[-1][0]:
            bisect.insort(self.listed, (line, self.error_count, message))
            del self.listed[MAX_ERRORS:]


def _rows(path: Path, columns: set[str] | None = None, ignored: list[str] | None = None) -> Iterator[tuple[int, dict]]:
    """(line number, {field: text}) for each non-empty row. A .xlsx is read by calamine (Rust: its 住户 sheet,
    else its first, every row whatever the sheet's declared dimension, row 1 first); a .csv is streamed.
    `columns` receives the fields the header names, `ignored` the headings of the columns it does not read."""
    if path.suffix.lower() == ".xlsx":
        try:
            workbook = CalamineWorkbook.from_path(str(path))
            try:
                # The ledger's 住户 sheet wherever it is, else the first (as _first_sheet, which the size check reads).
                if REGISTER_SHEET in workbook.sheet_names:
                    rows = workbook.get_sheet_by_name(REGISTER_SHEET).iter_rows()
                else:
                    rows = workbook.get_sheet_by_index(0).iter_rows()
            finally:
                workbook.close()
        except (CalamineError, zipfile.BadZipFile, KeyError, IndexError, ValueError, OSError) as exc:
            raise ValidationError(_("The file could not be read as an Excel workbook (.xlsx).")) from exc
        yield from _mapped(rows, columns, ignored)
    elif path.suffix.lower() == ".csv":
        try:
            with path.open(encoding=_csv_encoding(path), newline="") as handle:
                yield from _mapped(csv.reader(handle), columns, ignored)
        except UnicodeDecodeError as exc:
            raise ValidationError(_("The file is neither UTF-8 nor GBK text.")) from exc
        except csv.Error as exc:  # a cell over the csv module's limit, a stray NUL byte …
            raise ValidationError(_("The file could not be read as CSV text.")) from exc
    else:
        raise ValidationError(_("Give a .xlsx or .csv file."))


def ledger_exported_at(path: Path) -> datetime.datetime | None:
    """When the ledger a .xlsx came from was exported (its 说明 sheet's 导出时间, local time), or None: a file
    of another making, a .csv, or a 说明 sheet that was removed."""
    if path.suffix.lower() != ".xlsx":
        return None
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        try:
            if "说明" not in workbook.sheet_names:
                return None
            rows = workbook.get_sheet_by_name("说明").iter_rows()
            value = next((row[1] for row in rows if len(row) > 1 and _text(row[0]) == "导出时间"), None)
        finally:
            workbook.close()
    except (CalamineError, zipfile.BadZipFile, KeyError, IndexError, ValueError, OSError):
        return None
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime.datetime):
        return None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def edits_households(path: Path) -> bool:
    """Whether the file's header has a 编号 column: its rows may change registered households, so the page
    previews it before anything is written. False if the header cannot be read (the import says why)."""
    columns: set[str] = set()
    try:
        next(_rows(Path(path), columns), None)
    except ValidationError:
        return False
    return ID in columns


def _too_many_rows(max_rows: int) -> ValidationError:
    return ValidationError(
        _("The file has more than %(n)s rows: split it, or ask an operator to import it.") % {"n": max_rows}
    )


def import_size_check(path: Path, *, max_rows: int | None, max_bytes: int | None) -> None:
    """Refuse, before the file is parsed, a file larger than `max_bytes`, a .xlsx that unpacks too large, too
    tightly (a zip bomb) or into too many parts, and a file with more than `max_rows` rows (the header aside).

    Each check reads as little as it can and stops at the limit: a .xlsx's central directory (its parts' unpacked
    sizes), the first sheet's `<dimension ref=…>`, then its rows counted by a streaming parse that stops one row
    past the limit; a .csv's records counted while streaming. Parsing the whole of a 1,000,000-row workbook (its
    shared strings first) took a web worker half a minute; these checks answer within a second."""
    path = Path(path)
    if max_bytes is not None and path.stat().st_size > max_bytes:
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": max_bytes // 2**20})
    if path.suffix.lower() == ".xlsx":
        _xlsx_size_check(path, max_rows)
    elif path.suffix.lower() == ".csv" and max_rows is not None:
        try:
            with path.open(encoding=_csv_encoding(path), newline="") as handle:
                records = (row for row in csv.reader(handle) if any(cell.strip() for cell in row))
                if sum(1 for _row in zip(records, range(max_rows + 2), strict=False)) > max_rows + 1:
                    raise _too_many_rows(max_rows)
        except (UnicodeDecodeError, csv.Error):
            return  # the import itself says what is wrong with the text


def _xlsx_size_check(path: Path, max_rows: int | None) -> None:
    unreadable = ValidationError(_("The file could not be read as an Excel workbook (.xlsx)."))
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise unreadable from exc
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS or any(
            part.file_size > RATIO_FROM and part.file_size > MAX_RATIO * max(part.compress_size, 1) for part in parts
        ):
            raise ValidationError(
                _("The file is no workbook Excel or WPS would write: it unpacks to far more than it holds.")
            )
        if max_rows is None:
            return
        try:
            sheet = _first_sheet(archive)
            with archive.open(sheet) as stream:
                head = stream.read(4096)
            declared = DIMENSION.search(head)
            if declared and int(declared.group(1)) > max_rows + 1:
                raise _too_many_rows(max_rows)
            limit = (max_rows + 1) * UNPACKED_PER_ROW + UNPACKED_OVERHEAD
            if sum(part.file_size for part in parts) > limit:
                raise ValidationError(
                    _("The workbook unpacks to more than %(mb)s MB, too much for %(n)s rows: split it.")
                    % {"mb": limit // 2**20, "n": max_rows}
                )
            # The dimension may be missing or wrong: count the rows holding a value, stopping past the limit.
            rows = _xlsx_rows(archive, sheet, stop=max_rows + 2)
            if rows > max_rows + 1:
                raise _too_many_rows(max_rows)
            # A few hundred rows padded to hundreds of MB (packed under MAX_RATIO) would still cost a worker the
            # parse of all of it: the unpacked size must fit the rows the sheet really holds.
            if sum(part.file_size for part in parts) > rows * UNPACKED_PER_ROW + UNPACKED_OVERHEAD:
                raise ValidationError(
                    _("The file is no workbook Excel or WPS would write: it unpacks to far more than it holds.")
                )
        except (KeyError, StopIteration, ParseError, zipfile.BadZipFile, OSError, ValueError) as exc:
            raise unreadable from exc


def _xlsx_rows(archive: zipfile.ZipFile, sheet: str, *, stop: int | None = None) -> int:
    """The rows of the sheet holding a value (the header included), counted up to `stop`. A scan of the bytes,
    not an XML parse: it must answer within a second for any file a page takes (the import parses anyway)."""
    rows, rest = 0, b""
    with archive.open(sheet) as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            *complete, rest = ROW_END.split(rest + chunk)
            rows += sum(1 for row in complete if CELL_VALUE.search(row))
            if stop is not None and rows >= stop:
                return rows
    return rows


def count_rows(path: Path, *, stop: int | None = None) -> int:
    """The file's rows below the header (counted up to `stop`), cheaply: to choose between answering at once and
    importing in the background, and to show the background import's progress. 0 if the file is unreadable
    (the import itself says what is wrong with it)."""
    path = Path(path)
    limit = None if stop is None else stop + 1
    try:
        if path.suffix.lower() == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                return max(_xlsx_rows(archive, _first_sheet(archive), stop=limit) - 1, 0)
        if path.suffix.lower() == ".csv":
            with path.open(encoding=_csv_encoding(path), newline="") as handle:
                records = (row for row in csv.reader(handle) if any(cell.strip() for cell in row))
                if limit is not None:
                    records = (row for row, _n in zip(records, range(limit), strict=False))
                return max(sum(1 for _row in records) - 1, 0)
    except (KeyError, StopIteration, ParseError, zipfile.BadZipFile, OSError, ValueError, UnicodeError, csv.Error):
        return 0
    return 0


# The ledger's sheet of households: read wherever it is in the workbook (a clerk may move 说明 in front of it).
REGISTER_SHEET = "住户"


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The name of the worksheet part the import reads (its 住户 sheet, else its first), as the workbook and its
    relationships name it."""
    with archive.open("xl/workbook.xml") as stream:
        sheets = [e for _event, e in iterparse(stream) if e.tag == f"{SHEET_NS}sheet"]
    sheet = next((e for e in sheets if e.get("name") == REGISTER_SHEET), sheets[0])
    relation = sheet.get(DOC_RELS)
    with archive.open("xl/_rels/workbook.xml.rels") as stream:
        for _event, element in iterparse(stream):
            if element.tag == f"{RELS_NS}Relationship" and element.get("Id") == relation:
                target = element.get("Target", "")
                return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise KeyError(relation)


def _csv_encoding(path: Path) -> str:
    """UTF-8 (with or without a BOM) if the whole file decodes as such, else GB18030: Excel on a Chinese
    Windows saves CSV as GBK, which GB18030 extends."""
    with path.open("rb") as handle:
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"


class DateCell(str):
    """A cell the spreadsheet holds as a date: in a text column it is Excel's doing (3-501 became a date)."""


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


# Excel and WPS save a date cell to CSV with the time of day: 2025/11/3 0:00, 2025-11-03 00:00:00.
WITH_TIME = re.compile(r"(\S+?)(?:\s+|T)(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)")
MIDNIGHT = re.compile(r"0?0:00(?::00(?:\.0+)?)?")


def _date_and_time(value: str) -> tuple[str, str]:
    """The 登记日期 cell's date text and its time of day ("" when it has none)."""
    text = value.strip()
    if isinstance(value, DateCell):
        return text[:10], ""
    found = WITH_TIME.fullmatch(text)
    return (found[1], found[2]) if found else (text, "")


def _registered_on(value: str) -> datetime.date | None:
    """The 登记日期 cell as a date: a spreadsheet's date cell, or text in one of DATE_FORMATS, maybe followed by
    midnight (a date cell saved as CSV); None if neither, or if it names another time of day: a registration
    is dated by its day, and 2025/11/3 9:30 is more likely a misplaced column than a date."""
    text, time = _date_and_time(value)
    if time and not MIDNIGHT.fullmatch(time):
        return None
    for pattern in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet's 501.0 is room 501
    if isinstance(value, datetime.datetime | datetime.date):
        return DateCell(value.isoformat())
    return str(value).strip()


def _mapped(rows, found: set[str] | None = None, ignored: list[str] | None = None) -> Iterator[tuple[int, dict]]:
    """(line, {field: text}) below the header, which is the first row naming the columns (the ledger's sheets have
    their title above it). `found` receives the fields the header names, `ignored` the other headings: a column
    the clerk edited under a heading the register does not know (手机号 for 电话 once did) would otherwise be
    dropped without a word."""
    start, columns = 0, []
    for start, header in enumerate(rows, start=1):
        columns = [HEADERS.get(_text(name)) for name in header]
        if any(name in columns for name in PLACE_COLUMNS) or start >= HEADER_SEARCH:
            break
    if not start:
        raise ValidationError(_("The file is empty."))
    if not any(name in columns for name in PLACE_COLUMNS):
        raise ValidationError(
            _("The first row must name the columns, including 社区代码 (the community's code), 社区 or 编号.")
        )
    if found is not None:
        found.update(name for name in columns if name is not None)
    if ignored is not None:
        ignored.extend(
            dict.fromkeys(
                heading
                for name, cell in zip(columns, header, strict=False)
                if name is None and (heading := _text(cell))
            )
        )
    known = [(index, name) for index, name in enumerate(columns) if name is not None]
    if len({name for _index, name in known}) == len(known):
        # Each field named once (the usual file): one comprehension a row, the unknown columns never visited.
        for line, row in enumerate(rows, start=start + 1):
            width = len(row)
            values = {
                name: text
                for index, name in known
                if index < width and (text := value.strip() if type(value := row[index]) is str else _text(value))
            }
            if values:
                yield line, _phone_normalized(values)
        return
    for line, row in enumerate(rows, start=start + 1):
        values: dict[str, str] = {}
        for name, value in zip(columns, row, strict=False):
            if name is None:
                continue  # a column the register does not know
            text = value.strip() if type(value) is str else _text(value)  # a .csv's cells are all text
            # Columns that name the same field (户主 and 经营者): the first one filled wins; of a community's
            # and a grid's code, the grid's, which is longer and extends the community's.
            if text and (not values.get(name) or (name == "division" and len(text) > len(values[name]))):
                values[name] = text
        if values:
            yield line, _phone_normalized(values)


def _phone_normalized(values: dict) -> dict:
    """The row's phone as the register keeps it (households.models.phone_normalized); most cells are plain digits
    already and are left alone."""
    phone = values.get("phone")
    if phone and not (phone.isascii() and phone.isdigit()):
        values["phone"] = phone_normalized(phone)
    return values


@functools.cache
def _choice_names(model_choices: type) -> dict[str, str]:
    """{code, Chinese label, English label: code} for a TextChoices class."""
    names = {}
    for code, label in model_choices.choices:
        for language in ("zh-hans", "en"):
            with translation.override(language):
                names[str(label)] = code
        names[code] = code
    return names


def _choice(value: str, model_choices: type, default: str) -> str | None:
    """A choice by its code or its label in Chinese or English; None if unknown."""
    return _choice_names(model_choices).get(value) if value else default


def _household(values: dict, divisions: dict[str, Division], entry, actor, result: ImportResult, line: int):
    """An unsaved Household from a row, or None after recording why it cannot be one."""
    for name, value in values.items():
        label = Household._meta.get_field(name).verbose_name
        if isinstance(value, DateCell) and name != "created_at":
            result.error(
                line,
                _("%(field)s is a date in the spreadsheet (%(value)s): format the column as text")
                % {"field": label, "value": value[:10]},
            )
            return None
        if CONTROL.search(value):
            result.error(line, _("%(field)s contains control characters") % {"field": label})
            return None
    division = divisions.get(values.get("division", ""))
    if division is None:
        result.error(line, _("no community or grid with code %(code)s") % {"code": values.get("division") or "—"})
        return None
    if not covers(entry, division.code):
        result.error(line, _("%(unit)s is outside your jurisdiction") % {"unit": division.name})
        return None
    data = {name: values.get(name, "") for name in ("estate", "building", "unit", "room", "address", "head_name")}
    data |= {"phone": values.get("phone", ""), "notes": values.get("notes", "")}
    kind = _choice(values.get("kind", ""), Kind, Kind.RESIDENCE)
    heating = _choice(values.get("heating", ""), Heating, Heating.UNKNOWN)
    for name, value in (("kind", kind), ("heating", heating)):
        if value is None:
            label = Household._meta.get_field(name).verbose_name
            result.error(line, _("unknown %(field)s: %(value)s") % {"field": label, "value": values[name]})
            return None
    for name in BOOLEANS:
        text = values.get(name, "").lower()
        if text not in TRUE | FALSE:
            result.error(line, _("%(value)s is neither yes (是) nor no (否)") % {"value": values[name]})
            return None
        data[name] = text in TRUE
    try:
        for name in ("latitude", "longitude"):
            data[name] = Decimal(values[name]).quantize(Decimal("0.000001")) if values.get(name) else None
    except InvalidOperation:
        result.error(line, _("latitude and longitude must be numbers"))
        return None
    registered_at = None
    if values.get("created_at"):
        day = _registered_on(values["created_at"])
        text, time = _date_and_time(values["created_at"])
        if day is None and time and _registered_on(text) is not None:
            message = _("registration date %(value)s has a time of day (%(time)s): give the date only")
            result.error(line, message % {"value": values["created_at"][:30], "time": time})
            return None
        if day is None:
            result.error(
                line,
                _("registration date %(value)s is not a date (YYYY-MM-DD)") % {"value": values["created_at"][:20]},
            )
            return None
        try:
            date_check(day)  # not in the future, not before the campaign: the project's one bound on dates
        except ValidationError as exc:
            result.error(line, _("registration date: %(message)s") % {"message": " ".join(exc.messages)})
            return None
        registered_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    household = Household(division=division, division_code=division.code, kind=kind, heating=heating, **data)
    household.created_by = actor
    household.registered_at = registered_at  # written as created_at after the insert (auto_now_add sets now)
    try:
        # Foreign keys are known good (looked up above); validating them would be a query per row.
        household.clean_fields(exclude=["client_uuid", "division", "created_by", "priority_station"])
        household.clean()
    except ValidationError as exc:
        # The value is quoted where it is one cell: "138 0000 111" or 1.39123E+10 (a number a .csv rounded).
        messages = [
            _("%(field)s %(value)s: %(message)s")
            % {"field": Household._meta.get_field(k).verbose_name, "value": data[k], "message": " ".join(v)}
            if k == "phone"
            else _("%(field)s: %(message)s")
            % {"field": Household._meta.get_field(k).verbose_name, "message": " ".join(v)}
            for k, v in exc.message_dict.items()
        ]
        result.error(line, "; ".join(messages))
        return None
    return household


# --- Checking fast ------------------------------------------------------------------------------------
# Most rows of a real register are right. `_fast` accepts a row only where it is sure the model's own checks
# (`_household`: clean_fields and clean, a few hundred microseconds a row) would: lengths, the phone's pattern,
# China's coordinates, estate or street address. Any row it is not sure of goes through `_household`, which
# says exactly what is wrong — or accepts it, and then that row is staged as `_household` built it.

TEXT_FIELDS = ("estate", "building", "unit", "room", "address", "head_name", "phone")
MAX_LENGTHS = {name: Household._meta.get_field(name).max_length for name in TEXT_FIELDS}
PHONE = re.compile(phone_validator.regex.pattern)
SIX_PLACES = Decimal("0.000001")
LATITUDES = (Decimal(3), Decimal(54))  # divisions.geo.LATITUDE_VALIDATORS
LONGITUDES = (Decimal(73), Decimal(136))  # divisions.geo.LONGITUDE_VALIDATORS

# The staging table's columns, in the order `_staged` writes them (COPY's text format).
STAGED = (
    "line",
    "division_id",
    "division_code",
    "kind",
    "estate",
    "building",
    "unit",
    "room",
    "address",
    "head_name",
    "phone",
    *BOOLEANS,
    "heating",
    "latitude",
    "longitude",
    "in_priority_zone",
    "priority_station_id",
    "notes",
    "created_at",
)
ESCAPED = re.compile(r"[\\\t\n\r]")
TAB = "\t"
BOOLEAN_CELLS = {**dict.fromkeys(TRUE, "t"), **dict.fromkeys(FALSE, "f")}
PLACE_KEYS = frozenset((ID, VOID_REASON, *PLACE_NAMES))
BOOLEAN_TEXT = {True: "t", False: "f"}
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _zone_box(station) -> tuple[float, float, float, float]:
    """South, north, west and east bounds around a station's priority zone, wide enough to hold every point
    divisions.geo.distance_m puts within its radius (with a margin): a point outside it is in no zone."""
    radians = station.priority_radius_m / EARTH_RADIUS_M * 1.01 + 1e-7
    latitude, longitude = float(station.latitude), float(station.longitude)
    north = math.degrees(radians)
    cosine = math.cos(math.radians(min(abs(latitude) + north, 89.0)))
    east = math.degrees(radians / cosine)
    return latitude - north, latitude + north, longitude - east, longitude + east


class _Checker:
    """Checks rows and stages the good ones as lines of PostgreSQL COPY text in a spooled file (flat memory)."""

    def __init__(self, *, actor, entry, divisions: dict[str, Division], stations, result: ImportResult, spool):
        self.actor, self.entry, self.divisions, self.stations = actor, entry, divisions, stations
        self.result, self.spool = result, spool
        self.covered: dict[str, bool] = {}
        self.communities: set[str] = set()
        self.staged = 0
        self.kinds, self.heatings = _choice_names(Kind), _choice_names(Heating)
        self.places: Places | None = None  # built at the first row naming its place by name
        self.updates: Updates | None = None  # set by households_import when the file has a 编号 column
        # Addresses staged so far: a second row with the same one is counted as skipped and not staged, so the
        # writing needs no DISTINCT ON (a sort of every staged row) to register an address once.
        self.addresses: dict[tuple, int] = {}  # → the line it was first staged on
        self.repeats: list[tuple[int, int]] = []  # (line, first line), the first LISTED_ROWS
        # Per distinct value, not per row: a community's leading COPY columns (None outside the jurisdiction),
        # and a box around each priority zone that a point must be in before the distances are computed.
        self.leads: dict[str, str | None] = {}
        self.boxes = [_zone_box(station) for station in stations]

    def row(self, line: int, values: dict) -> None:
        if not (PLACE_KEYS & values.keys()):  # a new row by community code, the bulk of a first load
            staged = self._fast_line(line, values)
            if staged is None:
                data = self.check(line, values)
                if data is not None:
                    self._stage(line, data)
            return
        number, void_reason = values.pop(ID, ""), values.pop(VOID_REASON, "")
        names = [values.pop(name, "") for name in PLACE_NAMES]
        if not values.get("division") and any(names):
            if self.places is None:
                self.places = Places(entry=self.entry)
            code, error = self.places.resolve(*names)
            if error:
                self.result.error(line, error)
                return
            values["division"] = code
        if number and self.updates is not None:
            self.updates.row(line, number, values, void_reason)
            return
        if void_reason:
            self.result.error(line, _("a row without 编号 cannot void a household"))
            return
        data = self.check(line, values)
        if data is not None:
            self._stage(line, data)

    def check(self, line: int, values: dict) -> dict | None:
        """The row's values checked, ready to stage; None after recording why not."""
        data = self._fast(values)
        if data is None:
            household = _household(values, self.divisions, self.entry, self.actor, self.result, line)
            if household is None:
                return None
            data = {name: getattr(household, name) for name in (*TEXT_FIELDS, *BOOLEANS, "notes", "kind", "heating")}
            data |= {"division": household.division, "latitude": household.latitude, "longitude": household.longitude}
            data["registered_at"] = household.registered_at
        return data

    def station(self, data: dict):
        return priority_station_for(data["latitude"], data["longitude"], self.stations)

    def _lead(self, code: str) -> str | None:
        """The COPY text of the row's first columns after its line for a community or grid the user may enter
        households in (division id, code); None for any other code (`_household` words the error)."""
        try:
            return self.leads[code]
        except KeyError:
            division = self.divisions.get(code)
            lead = None
            if division is not None and self._covers(division.code):
                lead = "\t".join(map(_copy_text, (division.pk, division.code)))
            self.leads[code] = lead
            return lead

    def _fast_line(self, line: int, values: dict) -> bool | None:
        """`_fast` and `_stage` in one for the usual row (text only, nothing COPY must escape, no 登记日期): the
        row's COPY line written straight from its values, without the dictionary of checked values. True when
        staged (or counted as a repeated address); None to let `check` decide, as `_fast` would."""
        if "created_at" in values:
            return None
        for value in values.values():
            if type(value) is not str:  # a spreadsheet's date cell (DateCell)
                return None
        text = "".join(values.values())
        if CONTROL.search(text) or ESCAPED.search(text):
            return None
        code = values.get("division", "")
        lead = self._lead(code)
        if lead is None:
            return None
        get = values.get
        estate, building, unit, room, address = (
            get("estate", ""),
            get("building", ""),
            get("unit", ""),
            get("room", ""),
            get("address", ""),
        )
        head_name, phone = get("head_name", ""), get("phone", "")
        if (
            len(estate) > MAX_LENGTHS["estate"]
            or len(building) > MAX_LENGTHS["building"]
            or len(unit) > MAX_LENGTHS["unit"]
            or len(room) > MAX_LENGTHS["room"]
            or len(address) > MAX_LENGTHS["address"]
            or len(head_name) > MAX_LENGTHS["head_name"]
            or len(phone) > MAX_LENGTHS["phone"]
            or not (estate or address)
            or (phone and not PHONE.match(phone))
        ):
            return None
        kind = self.kinds.get(values["kind"]) if "kind" in values else Kind.RESIDENCE.value
        heating = self.heatings.get(values["heating"]) if "heating" in values else Heating.UNKNOWN.value
        if kind is None or heating is None:
            return None
        flags = []
        for name in BOOLEANS:
            flag = BOOLEAN_CELLS.get(get(name, ""))
            if flag is None:
                flag = BOOLEAN_CELLS.get(values[name].lower())
                if flag is None:
                    return None
            flags.append(flag)
        latitude, longitude = get("latitude", ""), get("longitude", "")
        station = None
        if latitude or longitude:
            try:
                latitude = Decimal(latitude).quantize(SIX_PLACES)
                longitude = Decimal(longitude).quantize(SIX_PLACES)
                if not (LATITUDES[0] <= latitude <= LATITUDES[1] and LONGITUDES[0] <= longitude <= LONGITUDES[1]):
                    return None
            except InvalidOperation:  # not a number, or only one of the two
                return None
            station = self._station_at(latitude, longitude)
            latitude, longitude = str(latitude), str(longitude)
        else:
            latitude = longitude = "\\N"
        division_code = lead.split("\t", 1)[1]
        key = (division_code, estate, building, unit, room, address)
        self.staged += 1
        if key in self.addresses:
            self._repeated(line, key)
            return True
        self.addresses[key] = line
        self.communities.add(community_code(division_code))
        zone = "f\t\\N" if station is None else f"t\t{station.pk}"
        self.spool.write(
            f"{line}\t{lead}\t{kind}\t{estate}\t{building}\t{unit}\t{room}\t{address}\t{head_name}\t{phone}\t"
            f"{TAB.join(flags)}\t{heating}\t{latitude}\t{longitude}\t{zone}\t"
            f"{get('notes', '')}\t\\N\n"
        )
        return True

    def _station_at(self, latitude, longitude):
        """priority_station_for, asked only of a point inside some zone's box (most points are in none)."""
        lat, lon = float(latitude), float(longitude)
        for south, north, west, east in self.boxes:
            if south <= lat <= north and west <= lon <= east:
                return priority_station_for(latitude, longitude, self.stations)
        return None

    def _covers(self, code: str) -> bool:
        known = self.covered.get(code)
        if known is None:
            known = self.covered[code] = covers(self.entry, code)
        return known

    def _fast(self, values: dict) -> dict | None:
        """The row's values, ready to stage, if it is surely right; None to let `_household` decide."""
        text = "".join(values.values())
        if CONTROL.search(text) or DateCell in set(map(type, values.values())):
            return None
        # Text that COPY must see escaped is rare: the other rows' values are written as they are.
        plain = ESCAPED.search(text) is None
        division = self.divisions.get(values.get("division", ""))
        if division is None or not self._covers(division.code):
            return None
        data = {name: values.get(name, "") for name in TEXT_FIELDS}
        if any(len(data[name]) > limit for name, limit in MAX_LENGTHS.items()):
            return None
        if not (data["estate"] or data["address"]) or (data["phone"] and not PHONE.match(data["phone"])):
            return None
        kind = self.kinds.get(values["kind"]) if values.get("kind") else Kind.RESIDENCE
        heating = self.heatings.get(values["heating"]) if values.get("heating") else Heating.UNKNOWN
        if kind is None or heating is None:
            return None
        for name in BOOLEANS:
            text = values.get(name, "").lower()
            if text in TRUE:
                data[name] = True
            elif text in FALSE:
                data[name] = False
            else:
                return None
        latitude, longitude = values.get("latitude", ""), values.get("longitude", "")
        if bool(latitude) != bool(longitude):
            return None
        if latitude:
            try:
                latitude = Decimal(latitude).quantize(SIX_PLACES)
                longitude = Decimal(longitude).quantize(SIX_PLACES)
            except InvalidOperation:
                return None
            if not (LATITUDES[0] <= latitude <= LATITUDES[1] and LONGITUDES[0] <= longitude <= LONGITUDES[1]):
                return None
        registered_at = None
        if values.get("created_at"):
            day = _registered_on(values["created_at"])
            if day is None:
                return None
            try:
                date_check(day)
            except ValidationError:
                return None
            registered_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
        data |= {"division": division, "kind": kind, "heating": heating, "notes": values.get("notes", "")}
        data |= {"latitude": latitude or None, "longitude": longitude or None, "registered_at": registered_at}
        data["plain"] = plain
        return data

    def _repeated(self, line: int, key: tuple) -> None:
        if len(self.repeats) < LISTED_ROWS:
            self.repeats.append((line, self.addresses[key]))

    def _stage(self, line: int, data: dict) -> None:
        division = data["division"]
        station = priority_station_for(data["latitude"], data["longitude"], self.stations)
        fields = [
            line,
            division.pk,
            division.code,
            data["kind"],
            *(data[name].strip() for name in TEXT_FIELDS),
            *(data[name] for name in BOOLEANS),
            data["heating"],
            data["latitude"],
            data["longitude"],
            station is not None,
            station.pk if station is not None else None,
            data["notes"],
            data["registered_at"].isoformat() if data["registered_at"] else None,
        ]
        if data.get("plain"):
            texts = ("\\N" if value is None else BOOLEAN_TEXT.get(value, value) for value in map(_plain, fields))
        else:
            texts = map(_copy_text, fields)
        self.staged += 1
        key = (division.code, *fields[4:9])
        if key in self.addresses:
            self._repeated(line, key)
            return
        self.addresses[key] = line
        self.spool.write("\t".join(texts) + "\n")
        self.communities.add(community_code(division.code))


def _plain(value):
    return value if value is None or value is True or value is False else str(value)


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    return str(value).translate(COPY_ESCAPES)


def households_import(
    *,
    actor,
    path: Path,
    dry_run: bool = False,
    max_rows: int | None = None,
    max_bytes: int | None = None,
    source: str = "",
    progress: Progress | None = None,
    expect: str | None = None,
) -> ImportResult:
    """Check the file, then (unless `dry_run` or any row is wrong) register its new households. A file over
    `max_bytes`, over `max_rows` rows, or a zip bomb is refused before it is parsed (`import_size_check`).
    `source` names the file in the audit log; `progress` hears how far the check and the writing are.

    The file is read once. Each good row is staged as a line of COPY text in a spooled temporary file; the
    writing loads them into a temporary table with COPY and registers them with one set-based statement (the
    households not registered yet, in the file's order, each referring to the import's one audit entry), so no
    row is written by Python one at a time. On a database other than PostgreSQL the staged rows are written with
    bulk_create.

    Rows with a 编号 change their household (households.import_changes): the result's `preview` lists the changes
    and their digest. `expect`, the digest of a preview, refuses the import (RegisterChanged, nothing written)
    unless it would change exactly what that preview showed."""
    path = Path(path)
    progress = progress or Progress()
    import_size_check(path, max_rows=max_rows, max_bytes=max_bytes)
    checked = ImportResult()
    divisions = {d.code: d for d in Division.objects.filter(level__in=[Level.COMMUNITY, Level.GRID], is_active=True)}
    columns: set[str] = set()
    spooled = functools.partial(tempfile.SpooledTemporaryFile, max_size=SPOOL_IN_MEMORY, mode="w+", encoding="utf-8")
    with spooled() as spool, spooled() as changed:
        checker = _Checker(
            actor=actor,
            entry=entry_codes(actor, "household"),  # once: asked per row it would be a query per row
            divisions=divisions,
            stations=zone_stations(),
            result=checked,
            spool=spool,
        )
        rows = _rows(path, columns, checked.ignored_columns)
        for line, values in rows:
            if checked.rows == 0 and ID in columns:  # the header is read: the file edits households
                checker.updates = Updates(
                    checker=checker,
                    columns=columns,
                    void_entry=entry_codes(actor, "household_void"),
                    spool=changed,
                    exported_at=ledger_exported_at(path),
                )
            checked.rows += 1
            if max_rows is not None and checked.rows > max_rows:  # the size check counted the same rows
                raise _too_many_rows(max_rows)
            if checked.rows % PROGRESS_EVERY == 0:
                progress.checked(checked.rows)
            checker.row(line, values)
        updates = checker.updates
        if updates is not None:
            updates.flush()
        progress.checked(checked.rows)
        if checked.error_count:
            return checked
        spool.seek(0)
        communities = checker.communities | (updates.communities if updates else set())
        with transaction.atomic():
            # Two imports of one file at once: the second waits here, then finds the first's households.
            for code in sorted(communities):
                xact_lock(REGISTER_COUNTS, code)
            progress.writing()
            name = source or path.name
            reason = _("Imported from %(file)s") % {"file": name}
            unit = import_unit(checker.communities)
            # A file that edits households lists its other rows in the preview too.
            listed = ImportResult() if updates is not None else None
            if connection.vendor == "postgresql":
                created = _register_set_based(
                    spool, actor=actor, reason=reason, file=name, unit=unit, progress=progress, listed=listed
                )
            else:
                created = _register_in_batches(
                    spool,
                    actor=actor,
                    reason=reason,
                    file=name,
                    unit=unit,
                    communities=checker.communities,
                    listed=listed,
                )
            written = ImportResult(
                rows=checked.rows,
                created=created,
                skipped=checker.staged - created,
                ignored_columns=checked.ignored_columns,
            )
            if listed is not None:
                # Rows repeating an address earlier in the file are skipped too: said by the line they repeat.
                repeats = [{"line": line, "first_line": first} for line, first in checker.repeats]
                written.registered_rows = listed.registered_rows
                written.skipped_rows = sorted(listed.skipped_rows + repeats, key=lambda row: row["line"])[:LISTED_ROWS]
            if updates is not None:
                changes_write(updates, actor=actor, reason=reason, source=name, result=written)
                if written.error_count:  # an address registered twice: nothing is written
                    transaction.set_rollback(True)
                    return written
                summary = updates.changes
                written.updated, written.voided, written.unchanged = summary.updated, summary.voided, summary.unchanged
                written.changed = updates.staged
                written.preview = preview_summary(written, summary)
                if expect is not None and written.preview["digest"] != expect:
                    raise register_changed()
            if not dry_run:
                register_counts_refresh(communities)
            progress.written(checked.rows)
            if dry_run:
                transaction.set_rollback(True)
            else:
                progress.finished(written)
    if dry_run:  # after the rollback, or what it records would be rolled back too
        progress.finished(written)
    return written


STAGING = "household_import_staging"
STAGING_TABLE = f"""
    CREATE TEMPORARY TABLE {STAGING} (
        line integer, division_id bigint, division_code varchar(20), kind varchar(20),
        estate varchar(100), building varchar(20), unit varchar(20), room varchar(20), address varchar(200),
        head_name varchar(50), phone varchar(20), unmanaged boolean, no_gas_or_heating boolean,
        elderly_alone boolean, low_income boolean, disabled boolean, heating varchar(16), latitude numeric(9, 6),
        longitude numeric(10, 6), in_priority_zone boolean, priority_station_id bigint, notes text,
        created_at timestamptz
    ) ON COMMIT DROP
"""
HOUSEHOLD_COLUMNS = (
    "division_id, division_code, kind, estate, building, unit, room, address, head_name, phone, unmanaged, "
    "no_gas_or_heating, elderly_alone, low_income, disabled, heating, latitude, longitude, in_priority_zone, "
    "priority_station_id, notes"
)
# The staged rows whose address is not registered yet (a current household with the same community and address,
# compared as the register compares addresses: services.SPACES, the whitespace str.strip() removes, around each
# part; btrim() alone would remove spaces only, and a legacy 龙亭小区 with an ideographic space would be registered
# twice), each address staged once (the checker skips a repeated one), numbered in the file's order; the import's
# one audit entry (who, when, which file, how many households; none if it registers nobody); and the households
# inserted with those numbers as their ids, each referring to that entry (`import_event`), which its history shows
# as its registration. No audit entry per household: at 100,000 rows those were a sixth of the database's time.
# The address a staged row `s` gives is registered already: a current household of its community with the same
# address, each part compared as the register compares them (services.SPACES trimmed around it).
_REGISTERED_AT = """
    FROM households_household AS h
    WHERE h.voided_at IS NULL AND h.division_code = s.division_code
      AND btrim(h.estate, %(spaces)s) = s.estate AND btrim(h.building, %(spaces)s) = s.building
      AND btrim(h.unit, %(spaces)s) = s.unit AND btrim(h.room, %(spaces)s) = s.room
      AND btrim(h.address, %(spaces)s) = s.address
"""
REGISTER = f"""
    WITH fresh AS MATERIALIZED (
        SELECT nextval(pg_get_serial_sequence('households_household', 'id')) AS id, s.*
        FROM (
            SELECT * FROM {STAGING} AS s WHERE NOT EXISTS (SELECT 1 {_REGISTERED_AT})
            ORDER BY line
        ) AS s
    ), event AS (
        INSERT INTO {AuditEvent._meta.db_table}
            (at, actor_id, action, content_type_id, object_id, object_repr, division_code, changes, reason)
        SELECT %(now)s, %(actor)s, '{IMPORTED}', %(content_type)s, '', %(file)s, %(unit)s,
               jsonb_build_object(
                   'download_file', jsonb_build_array(null, %(file)s::text),
                   'households_registered', jsonb_build_array(null, count(*))
               ),
               %(reason)s
        FROM fresh HAVING count(*) > 0
        RETURNING id
    )
    INSERT INTO households_household (id, {HOUSEHOLD_COLUMNS}, created_at, updated_at, created_by_id,
                                     coal_status, void_reason, import_event_id)
    SELECT id, {HOUSEHOLD_COLUMNS}, coalesce(created_at, %(now)s), %(now)s, %(actor)s, 'never', '',
           (SELECT id FROM event)
    FROM fresh
"""


LISTED_NEW = f"""
    SELECT s.line, s.estate, s.building, s.unit, s.room, s.address FROM {STAGING} AS s
    WHERE NOT EXISTS (SELECT 1 {_REGISTERED_AT}) ORDER BY s.line LIMIT %(n)s
"""
LISTED_SKIPPED = f"""
    SELECT s.line, (SELECT min(h.id) {_REGISTERED_AT}) AS registered FROM {STAGING} AS s
    WHERE EXISTS (SELECT 1 {_REGISTERED_AT}) ORDER BY s.line LIMIT %(n)s
"""


def import_unit(communities: set[str]) -> str:
    """The unit an import's audit entry is filed under, so the audit log shows it to those who see that unit: the
    deepest one holding every unit of `communities` (the communities a file registers in, or the units where
    its user enters households); one query."""
    if not communities:
        return ""
    prefix = os.path.commonprefix(sorted(communities))
    units = Division.objects.filter(code__in=[prefix[:n] for n in range(len(prefix), 0, -1)])
    return units.order_by(Length("code").desc()).values_list("code", flat=True).first() or ""


def _import_changes(file: str, created: int) -> dict:
    return {"download_file": [None, file], "households_registered": [None, created]}


def _register_set_based(
    spool, *, actor, reason: str, file: str, unit: str, progress: Progress, listed: ImportResult | None = None
) -> int:
    """COPY the staged rows into a temporary table and register them in one statement with the import's audit
    entry; returns how many households were registered. With `listed`, its first new and skipped rows are
    recorded in it first (`registered_rows`, `skipped_rows`)."""
    with connection.cursor() as cursor:
        # For this transaction only: the statement's sort of the staged rows in memory rather than on disk, and no
        # JIT compilation (half a second that a single pass over the rows never earns back).
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(STAGING_TABLE)
        cursor.copy_expert(f"COPY {STAGING} ({', '.join(STAGED)}) FROM STDIN", spool)
        cursor.execute(f"ANALYZE {STAGING}")  # a temporary table has no statistics: the plan needs them
        if listed is not None:
            cursor.execute(LISTED_NEW, {"spaces": SPACES, "n": LISTED_ROWS})
            listed.registered_rows = [(line, Household.label_of(None, *parts)) for line, *parts in cursor.fetchall()]
            cursor.execute(LISTED_SKIPPED, {"spaces": SPACES, "n": LISTED_ROWS})
            listed.skipped_rows = [{"line": line, "household": pk} for line, pk in cursor.fetchall()]
        cursor.execute(
            REGISTER,
            {
                "now": timezone.now(),
                "actor": actor.pk,
                "content_type": ContentType.objects.get_for_model(Household).pk,
                "file": file[:200],
                "unit": unit,
                "reason": reason,
                "spaces": SPACES,
            },
        )
        created = cursor.rowcount
        cursor.execute(f"DROP TABLE {STAGING}")
    progress.written(created)
    return created


def _register_in_batches(
    spool, *, actor, reason: str, file: str, unit: str, communities: set[str], listed: ImportResult | None = None
) -> int:
    """The same without COPY (SQLite, for `make run` and `make test` without PostgreSQL): the staged rows read
    back, the registered addresses in Python, bulk_create in batches. The rows are read twice: the import's audit
    entry, which the households refer to, counts them first."""

    def staged():
        spool.seek(0)
        for line in spool:
            yield dict(zip(STAGED, (_from_copy_text(text) for text in line.rstrip("\n").split("\t")), strict=True))

    registered = _registered(communities)
    fresh = set()
    for n, row in enumerate(staged()):
        key = (row["division_code"], *(row[name] for name in ADDRESS_KEY))
        if key not in registered:
            registered[key] = None
            fresh.add(n)
            if listed is not None and len(listed.registered_rows) < LISTED_ROWS:
                label = Household.label_of(None, *(row[name] for name in ADDRESS_KEY))
                listed.registered_rows.append((int(row["line"]), label))
        elif listed is not None and len(listed.skipped_rows) < LISTED_ROWS:
            listed.skipped_rows.append({"line": int(row["line"]), "household": registered[key]})
    if not fresh:
        return 0
    event = AuditEvent(
        actor=actor,
        action=IMPORTED,
        content_type=ContentType.objects.get_for_model(Household),
        object_id="",
        object_repr=file[:200],
        division_code=unit,
        changes=_import_changes(file, len(fresh)),
        reason=reason,
    )
    event.save(force_insert=True)
    batch = []

    def flush():
        Household.objects.bulk_create(batch)
        dated = [h for h in batch if h.registered_at is not None]
        for h in dated:
            h.created_at = h.registered_at
        if dated:  # created_at is auto_now_add, so the insert wrote now
            Household.objects.bulk_update(dated, ["created_at"])
        batch.clear()

    for n, row in enumerate(staged()):
        if n not in fresh:
            continue
        household = Household(
            created_by=actor,
            import_event=event,
            **{name: row[name] for name in ("division_id", "division_code", "kind", *TEXT_FIELDS, "heating")},
            **{name: row[name] == "t" for name in (*BOOLEANS, "in_priority_zone")},
            latitude=Decimal(row["latitude"]) if row["latitude"] else None,
            longitude=Decimal(row["longitude"]) if row["longitude"] else None,
            priority_station_id=int(row["priority_station_id"]) if row["priority_station_id"] else None,
            notes=row["notes"] or "",
        )
        household.registered_at = datetime.datetime.fromisoformat(row["created_at"]) if row["created_at"] else None
        batch.append(household)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return len(fresh)


def _from_copy_text(text: str) -> str | None:
    if text == "\\N":
        return None
    return re.sub(r"\\([\\tnr])", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1), "\\"), text)


def _registered(communities: set[str]) -> dict[tuple, int]:
    """{address key: 编号} of the current households of the file's communities (not the whole city's)."""
    keys = {}
    for code in communities:
        rows = (
            Household.objects.current()
            .filter(division_code__startswith=code)
            .values_list("pk", "division_code", *ADDRESS_KEY)
        )
        for pk, division_code, *parts in rows.iterator():
            keys.setdefault((division_code, *(part.strip(SPACES) for part in parts)), pk)
    return keys
