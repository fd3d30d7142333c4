"""Importing a register from a spreadsheet: how a district loads its first 300,000 households.

`households_import(actor=..., path=..., dry_run=...)` reads a .xlsx (first sheet) or a UTF-8 .csv whose first
row names the columns — in Chinese as the office writes them (社区代码, 小区, 楼栋, 单元, 房号, 户主 …) or by
field name. It checks every row first and writes nothing if any row is wrong, listing each error with its
line; then writes in batches in one transaction (no save() per row), with the priority zones, an audit entry
per household and the communities' household counts. A row whose address is already registered in its
community is skipped, so importing the same file twice registers nobody twice.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import functools
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.etree.ElementTree import ParseError, iterparse

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from coalgov.audit import changes_between, snapshot
from coalgov.dates import date_check
from coalgov.locks import REGISTER_COUNTS, xact_lock
from coalgov.models import AuditEvent
from divisions.geo import zone_stations
from divisions.models import Division, Level, community_code
from divisions.scoping import covers, entry_codes

from .models import Heating, Household, Kind
from .services import AUDITED_FIELDS, _place, register_counts_refresh

BATCH = 2000
PROGRESS_EVERY = 5000  # rows between two progress reports
MAX_ERRORS = 200  # listed; the count goes on

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
    **dict.fromkeys(("电话", "联系电话", "phone"), "phone"),
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
}
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
    errors: list[str] = field(default_factory=list)
    error_count: int = 0

    def error(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(_("Line %(line)s: %(message)s") % {"line": line, "message": message})


def _rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, {field: text}) for each non-empty row, streamed."""
    if path.suffix.lower() == ".xlsx":
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
            raise ValidationError(_("The file could not be read as an Excel workbook (.xlsx).")) from exc
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # read every row, not only those the file's <dimension> claims
            rows = sheet.iter_rows(values_only=True)
            yield from _mapped(rows)
        except (ParseError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            # A workbook damaged past its first bytes fails while its rows are read.
            raise ValidationError(_("The file could not be read as an Excel workbook (.xlsx).")) from exc
        finally:
            workbook.close()
    elif path.suffix.lower() == ".csv":
        try:
            with path.open(encoding=_csv_encoding(path), newline="") as handle:
                yield from _mapped(csv.reader(handle))
        except UnicodeDecodeError as exc:
            raise ValidationError(_("The file is neither UTF-8 nor GBK text.")) from exc
        except csv.Error as exc:  # a cell over the csv module's limit, a stray NUL byte …
            raise ValidationError(_("The file could not be read as CSV text.")) from exc
    else:
        raise ValidationError(_("Give a .xlsx or .csv file."))


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
            if _xlsx_rows(archive, sheet, stop=max_rows + 2) > max_rows + 1:
                raise _too_many_rows(max_rows)
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


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The name of the workbook's first worksheet part, as the workbook and its relationships name it."""
    with archive.open("xl/workbook.xml") as stream:
        sheet = next(e for _event, e in iterparse(stream) if e.tag == f"{SHEET_NS}sheet")
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


def _registered_on(value: str) -> datetime.date | None:
    """The 登记日期 cell as a date: a spreadsheet's date cell, or text in one of DATE_FORMATS; None if neither."""
    text = value.strip()
    if isinstance(value, DateCell):
        text = text[:10]
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


def _mapped(rows) -> Iterator[tuple[int, dict]]:
    header = next(rows, None)
    if header is None:
        raise ValidationError(_("The file is empty."))
    columns = [HEADERS.get(_text(name)) for name in header]
    if "division" not in columns:
        raise ValidationError(_("The first row must name the columns, including 社区代码 (the community's code)."))
    for line, row in enumerate(rows, start=2):
        values: dict[str, str] = {}
        for name, value in zip(columns, row, strict=False):
            text = _text(value)
            # Columns that name the same field (户主 and 经营者): the first one filled wins; of a community's
            # and a grid's code, the grid's, which is longer and extends the community's.
            if name and text and (not values.get(name) or (name == "division" and len(text) > len(values[name]))):
                values[name] = text
        if values:
            yield line, values


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
        messages = [
            _("%(field)s: %(message)s") % {"field": Household._meta.get_field(k).verbose_name, "message": " ".join(v)}
            for k, v in exc.message_dict.items()
        ]
        result.error(line, "; ".join(messages))
        return None
    return household


def _key(household: Household) -> tuple:
    return (household.division_code, *(getattr(household, name).strip() for name in ADDRESS_KEY))


def households_import(
    *,
    actor,
    path: Path,
    dry_run: bool = False,
    max_rows: int | None = None,
    max_bytes: int | None = None,
    source: str = "",
    progress: Progress | None = None,
) -> ImportResult:
    """Check the file, then (unless `dry_run` or any row is wrong) register its new households. A file over
    `max_bytes`, over `max_rows` rows, or a zip bomb is refused before it is parsed (`import_size_check`).
    `source` names the file in the audit log; `progress` hears how far the check and the writing are."""
    path = Path(path)
    progress = progress or Progress()
    import_size_check(path, max_rows=max_rows, max_bytes=max_bytes)
    entry = entry_codes(actor, "household")  # once: asked per row it would be a query per row
    divisions = {d.code: d for d in Division.objects.filter(level__in=[Level.COMMUNITY, Level.GRID], is_active=True)}

    def households(result: ImportResult, report) -> Iterator[Household]:
        for line, values in _rows(path):
            result.rows += 1
            if max_rows is not None and result.rows > max_rows:  # the size check counted the same rows
                raise _too_many_rows(max_rows)
            if result.rows % PROGRESS_EVERY == 0:
                report(result.rows)
            household = _household(values, divisions, entry, actor, result, line)
            if household is not None:
                yield household

    checked = ImportResult()
    communities = {community_code(h.division_code) for h in households(checked, progress.checked)}  # the check
    progress.checked(checked.rows)
    if checked.error_count:
        return checked
    with transaction.atomic():
        # Two imports of one file at once: the second waits here, then finds the first's households.
        for code in sorted(communities):
            xact_lock(REGISTER_COUNTS, code)
        progress.writing()
        written = _register(
            actor,
            households(ImportResult(), progress.written),
            communities,
            source=source or path.name,
            dry_run=dry_run,
        )
        written.rows, written.error_count, written.errors = checked.rows, 0, []
        progress.written(written.rows)
        if dry_run:
            transaction.set_rollback(True)
        else:
            progress.finished(written)
    if dry_run:  # after the rollback, or what it records would be rolled back too
        progress.finished(written)
    return written


def _registered(communities: set[str]) -> set[tuple]:
    """The address keys of the current households of the file's communities (not the whole city's)."""
    keys = set()
    for code in communities:
        rows = (
            Household.objects.current()
            .filter(division_code__startswith=code)
            .values_list("division_code", *ADDRESS_KEY)
        )
        keys.update((division_code, *(part.strip() for part in parts)) for division_code, *parts in rows.iterator())
    return keys


def _register(actor, households: Iterator[Household], communities: set[str], *, source: str, dry_run: bool):
    """Write the households not yet registered, in batches; count those skipped."""
    result = ImportResult()
    registered = _registered(communities)
    stations = zone_stations()
    content_type = ContentType.objects.get_for_model(Household)
    batch: list[Household] = []

    def flush():
        if not dry_run:
            Household.objects.bulk_create(batch)
            dated = [h for h in batch if h.registered_at is not None]
            for h in dated:
                h.created_at = h.registered_at
            if dated:  # one UPDATE per batch: created_at is auto_now_add, so the insert wrote now
                Household.objects.bulk_update(dated, ["created_at"])
            AuditEvent.objects.bulk_create(
                AuditEvent(
                    actor=actor,
                    action="household.created",
                    content_type=content_type,
                    object_id=str(h.pk),
                    object_repr=str(h)[:200],
                    division_code=h.division_code,
                    changes=changes_between({}, snapshot(h, AUDITED_FIELDS)),
                    reason=_("Imported from %(file)s") % {"file": source},
                )
                for h in batch
            )
        result.created += len(batch)
        batch.clear()

    for household in households:
        key = _key(household)
        if key in registered:  # registered before, or earlier in this file
            result.skipped += 1
            continue
        registered.add(key)
        _place(household, stations)
        batch.append(household)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    if not dry_run:
        register_counts_refresh(communities)
    return result
