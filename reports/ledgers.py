"""Ledger exports (台账): a unit's records over a period as an .xlsx, built in the background.

A request (`ledger_request`) is checked, stored as a queued `LedgerExport` and handed to the `build_ledger`
task once its transaction commits. The task claims the export with a conditional UPDATE (healthchecks'
pattern): queued → running, or a running export whose worker's lease ran out. Each claim increments
`attempts`; a worker writes progress and the result only while the attempt is still its own, so a worker
that lost its claim stops, and building again from scratch is always safe.

`ledger_build` streams: each sheet is one `values_list` query read with `.iterator()`, written row by row to
an XlsxWriter workbook in constant-memory mode (each row goes to disk as soon as the next one starts) in a
temporary file beside its final place, then moved there. Memory stays flat whatever the number of rows
(tests/reports/test_ledgers.py measures it). Sheets are defined in `ledger_sheets.py`.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import re
import secrets
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from xlsxwriter import Workbook
from xlsxwriter.utility import xl_col_to_name

from coalgov.audit import audit_record
from coalgov.dates import EARLIEST
from coalgov.downloads import file_name_part
from coalgov.exports import (
    EXCEL_EPOCH,
    FOOTER,
    HEADER_LINE_HEIGHT,
    LEDGER_ZIP_LEVEL,
    ONE_DAY,
    SYSTEM_NAME,
    XlsxRows,
    chinese_period,
    excel_serial,
    formula_looking,
    header_widths,
    inline_string,
    per_line,
    xlsxwriter_formats,
    xlsxwriter_print_setup,
    zip_level,
)
from divisions.models import Division
from divisions.scoping import can_view, covers, phone_codes

from .ledger_sheets import NO, NUMBER_FORMATS, SHEETS, WRAPPED_COLUMNS, YES, Context, Sheet, voided_note
from .models import LedgerExport

logger = logging.getLogger(__name__)
# Text that can go into a cell's XML as it is: no character Excel refuses or XML must escape, no _xHHHH_ (Excel
# would read it as an escape: checked apart), no leading or trailing whitespace, and not formula-looking
# (coalgov/exports.py).
PLAIN_TEXT = re.compile(r"(?![=+\-@\s])[^\x00-\x1f&<>\ufffe\uffff]{0,32767}(?<!\s)")  # and within Excel's limit
PLAIN_KEPT, PLAIN_KEPT_LENGTH = 20_000, 40  # plain texts a sheet writer remembers, and the longest it does

MAX_DAYS = 366
PROGRESS_EVERY = 5000  # rows between two progress UPDATEs (each also renews the lease)
CHUNK_SIZE = 2000  # rows fetched from the database at a time
MAX_SHEET_ROWS = 1_048_576  # Excel's limit, header included: a longer sheet continues on 检查记录（2）…
MAX_CELL_TEXT = 32_767  # Excel's limit on a cell's text
DIRECTORY = "ledgers"
STALE_TEMPORARY = datetime.timedelta(days=1)
WAITING_TOO_LONG = datetime.timedelta(minutes=10)
# Trouble worth trying again: the database went away, the disk was full or not writable.
RETRYABLE = (OperationalError, InterfaceError, OSError)


class Superseded(Exception):
    """Another worker claimed the export after this one's lease ran out: this build stops."""


class Refused(Exception):
    """The export may not be built for its requester any more (the unit left their jurisdiction)."""


# --- Requesting ----------------------------------------------------------------------------------


def check_request(*, start: datetime.date, end: datetime.date, sheets: list[str] | None) -> None:
    """The rules a request must meet, for the form and the service alike; raises ValidationError by field.
    `sheets=None` leaves the sheets unchecked (the form's own field checks them)."""
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if end > today:
        errors["end"] = _("This date is in the future.")
    if start > today:
        errors["start"] = _("This date is in the future.")
    elif start < EARLIEST:
        errors["start"] = _("This date is too far in the past (before %(earliest)s).") % {
            "earliest": EARLIEST.isoformat()
        }
    if start > end and "start" not in errors:
        errors["end"] = _("The start date is after the end date.")
    elif (end - start).days + 1 > MAX_DAYS and not errors:
        errors["end"] = _("A ledger covers at most %(days)s days; choose a shorter period.") % {"days": MAX_DAYS}
    if sheets is not None and not sheets:
        errors["sheets"] = _("Choose at least one sheet.")
    elif sheets is not None and set(sheets) - set(LedgerExport.Sheet.values):
        errors["sheets"] = _("Unknown sheet.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def ledger_request(
    *, actor, division: Division, start: datetime.date, end: datetime.date, sheets: list[str]
) -> LedgerExport:
    """Queue a ledger of `division` from `start` to `end` (local dates, inclusive) with the chosen sheets."""
    if not can_view(actor, division):
        raise PermissionDenied(_("This unit is not within your jurisdiction."))
    check_request(start=start, end=end, sheets=sheets)
    # One request at a time per user, so two at once cannot both pass the limit.
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
    if LedgerExport.objects.filter(requested_by=actor).pending().count() >= settings.LEDGER_MAX_PENDING:
        raise ValidationError(
            _("You already have %(n)s ledgers waiting or being built. Request another when one of them is ready.")
            % {"n": settings.LEDGER_MAX_PENDING}
        )
    export = LedgerExport.objects.create(
        requested_by=actor,
        division=division,
        division_code=division.code,
        start=start,
        end=end,
        sheets=[key for key in LedgerExport.Sheet.values if key in sheets],
    )
    audit_record(
        actor=actor,
        action="ledger.requested",
        obj=export,
        division_code=division.code,
        changes={
            "start": [None, start.isoformat()],
            "end": [None, end.isoformat()],
            "sheets": [None, export.sheets],
        },
    )
    from .tasks import build_ledger  # tasks import this module

    # Without a broker (CELERY_TASK_ALWAYS_EAGER) this builds right here, once the request's data is committed.
    transaction.on_commit(lambda: build_ledger.delay(export.pk))
    return export


# --- Claiming and running ------------------------------------------------------------------------


def _lease() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=settings.LEDGER_LEASE_SECONDS)


def _claim(export_id: int) -> int | None:
    """Take the export for this worker; the attempt number that identifies the claim, or None if not taken."""
    now = timezone.now()
    claimable = Q(status=LedgerExport.Status.QUEUED) | Q(status=LedgerExport.Status.RUNNING, claimed_until__lt=now)
    claimed = LedgerExport.objects.filter(claimable, pk=export_id).update(
        status=LedgerExport.Status.RUNNING,
        attempts=F("attempts") + 1,
        claimed_until=_lease(),
        started_at=now,
        rows_done=0,
        error="",
    )
    if claimed != 1:
        return None
    return LedgerExport.objects.filter(pk=export_id).values_list("attempts", flat=True).first()


def _failure(exc: BaseException | None) -> str:
    """What the requester reads when a build fails: in the office's language, without server details."""
    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(exc, Refused):
            return _("The unit is no longer within your jurisdiction: the ledger was not built.")
        if isinstance(exc, OSError):
            return _(
                "The ledger could not be saved: the server's storage directory is not usable. "
                "Please tell the system administrator."
            )
        if isinstance(exc, (OperationalError, InterfaceError)):
            return _("The records could not be read from the database. Please request the ledger again later.")
        return _("The ledger could not be built. Please tell the system administrator.")


def _fail(export_id: int, attempt: int, message: str) -> None:
    LedgerExport.objects.filter(pk=export_id, attempts=attempt).update(
        status=LedgerExport.Status.FAILED, error=message[:500], claimed_until=None, finished_at=timezone.now()
    )


def _release(export_id: int, attempt: int) -> None:
    """Give a claimed export back to the queue, for the task's next try."""
    LedgerExport.objects.filter(pk=export_id, attempts=attempt, status=LedgerExport.Status.RUNNING).update(
        status=LedgerExport.Status.QUEUED, claimed_until=None, rows_done=0
    )


def ledger_run(*, export_id: int, last_try: bool = True, progress_every: int = PROGRESS_EVERY) -> str:
    """Claim and build an export. Returns its status ("missing" if there is no such export).

    Nothing happens if another worker holds it, or it is done, failed or expired. Database and disk trouble
    is raised for the task to retry (the export goes back to the queue), unless this is the last try: then,
    as for any other error, the export is marked failed with a message for the requester.
    """
    attempt = _claim(export_id)
    if attempt is None:
        return LedgerExport.objects.filter(pk=export_id).values_list("status", flat=True).first() or "missing"
    export = LedgerExport.objects.select_related("division", "requested_by").get(pk=export_id)
    try:
        ledger_build(export, progress_every=progress_every)
    except Superseded:
        return LedgerExport.Status.RUNNING
    except Refused as exc:
        _fail(export_id, attempt, _failure(exc))
        return LedgerExport.Status.FAILED
    except RETRYABLE as exc:
        if not last_try:
            logger.warning("ledger export %s: %r; trying again later", export_id, exc)
            _release(export_id, attempt)
            raise
        logger.exception("ledger export %s failed after its last try", export_id)
        _fail(export_id, attempt, _failure(exc))
        return LedgerExport.Status.FAILED
    except Exception as exc:
        logger.exception("ledger export %s failed", export_id)
        _fail(export_id, attempt, _failure(exc))
        return LedgerExport.Status.FAILED
    return LedgerExport.Status.DONE


# --- Building ------------------------------------------------------------------------------------


def _cell(value):
    """A value as the sheet should hold it: numbers and dates as themselves (local time), yes/no in words,
    text cleaned of characters Excel refuses and cut at its limit; None for an empty text."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT] or None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


class _SheetWriter:
    """Writes rows to a sheet under its title and header; continues on a new sheet at Excel's row limit.

    Each sheet prints on A4 landscape, one page wide, with the header on every page, thin borders round the
    table, and has a frozen header and an autofilter (coalgov/exports.py), all set through XlsxWriter. The rows
    are streamed as XML into XlsxWriter's constant-memory row file (`XlsxRows`), a row at a time: memory stays
    flat. Text is always an inline string, never a formula; formula-looking text also gets Excel's quote
    prefix, so it stays text when someone edits the cell."""

    def __init__(
        self, workbook: Workbook, sheet: Sheet, title: str, limit: int = MAX_SHEET_ROWS, names: dict | None = None
    ):
        self.workbook, self.sheet, self.title, self.limit = workbook, sheet, title, limit
        self.headers = [text for text, _width in sheet.columns]
        # The place columns as wide as the longest name of the unit's subdivisions (known before any row), and
        # every column as wide as its header needs.
        names = names or {}
        self.widths = header_widths(self.headers, [max(width, names.get(text, 0)) for text, width in sheet.columns])
        f = self.formats = xlsxwriter_formats(workbook)
        xf = {name: fmt._get_xf_index() for name, fmt in f.items()}  # a format's number in the workbook's styles
        wrapped = [header in WRAPPED_COLUMNS for header in self.headers]
        # Each column's letter and the styles of its cells by kind of value: text, formula-looking text, whole
        # number, other number, date, time.
        self.columns = []
        for index, (header, wraps) in enumerate(zip(self.headers, wrapped, strict=True)):
            number = xf[NUMBER_FORMATS[header]] if header in NUMBER_FORMATS else None
            self.columns.append(
                (
                    xl_col_to_name(index),
                    xf["wrapped" if wraps else "text"],
                    xf["wrapped_quoted" if wraps else "text_quoted"],
                    number or xf["integer"],
                    number or xf["number"],
                    xf["date"],
                    xf["datetime"],
                )
            )
        # Wrapped columns, whose text may need more than one line: (index, width, half-width characters a line).
        self.measured = [
            (i, width, per_line(width)) for i, (w, width) in enumerate(zip(wrapped, self.widths, strict=True)) if w
        ]
        # Texts already known to go into the XML as they are (a community's name, 是, a building's number recur on
        # most rows), with their XML: a look-up instead of a pattern match. At most PLAIN_KEPT short ones: flat.
        self.plain: dict[str, str] = {}
        self.zone = timezone.get_current_timezone()
        self.part = 0
        self.titles: list[str] = []
        self.ws = self.rows = None
        self._new()

    def _new(self) -> None:
        self.finish()
        self.part += 1
        title = self.sheet.title if self.part == 1 else f"{self.sheet.title}（{self.part}）"
        self.ws = self.workbook.add_worksheet(title)
        xlsxwriter_print_setup(self.ws, self.formats, title=self.title, headers=self.headers, widths=self.widths)
        self.rows = XlsxRows(self.ws, columns=len(self.headers))
        self.row = 1  # 0-based: the header's row; data from 2 (row 3 in Excel's numbering)
        self.titles.append(title)

    def append(self, values: list) -> None:
        # The innermost loop of a ledger (millions of rows): one pass over the row, a string per cell.
        if self.row + 1 >= self.limit:
            self._new()
        self.row += 1
        n = self.row + 1  # the row's number in Excel
        cells = []
        add = cells.append
        plain, zone = self.plain, self.zone
        for value, (letter, text, quoted, whole, number, day, moment) in zip(values, self.columns, strict=True):
            kind = type(value)
            if kind is bool:
                value, kind = YES if value else NO, str
            if kind is str:
                xml = plain.get(value)
                if xml is not None:
                    add(f'<c r="{letter}{n}" s="{text}" t="inlineStr">{xml}</c>')
                elif not value:
                    add(f'<c r="{letter}{n}" s="{text}"/>')  # a blank cell, bordered like the others
                elif PLAIN_TEXT.fullmatch(value) and "_x" not in value:
                    xml = f"<is><t>{value}</t></is>"
                    if len(plain) < PLAIN_KEPT and len(value) <= PLAIN_KEPT_LENGTH:
                        plain[value] = xml
                    add(f'<c r="{letter}{n}" s="{text}" t="inlineStr">{xml}</c>')
                else:
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT]
                    style = quoted if formula_looking(value) else text
                    add(f'<c r="{letter}{n}" s="{style}" t="inlineStr">{inline_string(value)}</c>')
            elif kind is int:
                add(f'<c r="{letter}{n}" s="{whole}"><v>{value}</v></c>')
            elif value is None:
                add(f'<c r="{letter}{n}" s="{text}"/>')
            elif kind is datetime.datetime:
                if value.tzinfo is not None:
                    value = value.astimezone(zone).replace(tzinfo=None)  # timezone.localtime's work, less its calls
                add(f'<c r="{letter}{n}" s="{moment}"><v>{(value - EXCEL_EPOCH) / ONE_DAY:.16G}</v></c>')
            elif kind is datetime.date:
                add(f'<c r="{letter}{n}" s="{day}"><v>{excel_serial(value):.16G}</v></c>')
            else:  # a decimal or a float
                add(f'<c r="{letter}{n}" s="{number}"><v>{float(value):.16G}</v></c>')
        lines = 1
        for column, _width, characters in self.measured:  # a row with wrapped text is as tall as its longest text
            value = values[column]
            if type(value) is not str:
                continue
            if "\n" in value:
                # A note typed on several lines (详细情况 from a phone's form) takes a line for each of its own
                # lines, however short: counted as one wrapped run, its row was squashed to one or two lines.
                lines = max(
                    lines, sum(-(-max((len(p) + len(p.encode())) // 2, 1) // characters) for p in value.split("\n"))
                )
            elif 2 * len(value) > characters:
                # (Not `width - 2`: a column of 20 holds 16 half-width characters a line, not 18, the font's
                # Chinese being wider than two figures; a 问题 of nine characters wrapped in a one-line row.)
                # Its width, counted fast: a character of three or four bytes in UTF-8 (Chinese) as two, one of
                # a byte as one; the few narrow ones of two or three bytes count more than they take, never less
                # (a row a little too tall, never a note cut off).
                wide = (len(value) + len(value.encode())) // 2
                lines = max(lines, -(-wide // characters))
        self.rows.row(self.row, "".join(cells), min(lines, 20) * HEADER_LINE_HEIGHT if lines > 1 else None)

    def finish(self) -> None:
        """The autofilter over the sheet's rows, once they are all written."""
        if self.ws is not None:
            self.rows.close()
            self.ws.autofilter(1, 0, max(self.row, 1), len(self.headers) - 1)


def _all_of(queryset):
    """The queryset's rows, streamed through a server-side cursor. PostgreSQL plans a cursor for its first
    10 % of rows by default (`cursor_tuple_fraction`), which for a community's ledger picks walking the
    whole district's visits in time order; every row will be read, so plan for all of them."""
    if connection.vendor != "postgresql":
        yield from queryset.iterator(chunk_size=CHUNK_SIZE)
        return
    with connection.cursor() as cursor:
        cursor.execute("SET cursor_tuple_fraction = 1.0")
    try:
        yield from queryset.iterator(chunk_size=CHUNK_SIZE)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET cursor_tuple_fraction")


def _progress(export: LedgerExport, **fields) -> None:
    """Record progress and renew the lease, while the claim is still this build's."""
    updated = LedgerExport.objects.filter(pk=export.pk, attempts=export.attempts).update(
        claimed_until=_lease(), **fields
    )
    if updated != 1:
        raise Superseded


def _discard(workbook: Workbook) -> None:
    """Remove the temporary files a workbook left behind when it was not saved (constant-memory mode writes
    each sheet's rows to one until the workbook is closed)."""
    for ws in workbook.worksheets():
        with contextlib.suppress(OSError, ValueError, AttributeError):
            ws.row_data_fh.close()
            os.unlink(ws.row_data_filename)


def _info_sheet(workbook: Workbook, rows: list[list]) -> None:
    """The 说明 sheet: three columns, printed A4 portrait one page wide, with page numbers."""
    ws = workbook.add_worksheet("说明")
    f = xlsxwriter_formats(workbook)
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 40)
    ws.set_column(2, 2, 60)
    ws.set_paper(9)
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_start_page(1)
    ws.set_footer(f"&C{FOOTER}")
    for row, line in enumerate(rows):
        for column, value in enumerate(line):
            value = _cell(value)
            if isinstance(value, str):  # a name typed by people: text, never a formula
                ws.write_string(row, column, value, f["info_quoted"] if formula_looking(value) else None)
            elif isinstance(value, datetime.datetime):
                ws.write_datetime(row, column, value, f["info_time"])
            elif isinstance(value, int):
                ws.write_number(row, column, value, f["info_integer"])


def _info_rows(export: LedgerExport, written: list[tuple[Sheet, list[str], int]]) -> list[list]:
    user = export.requested_by
    masked = not covers(phone_codes(user), export.division.code)
    rows = [
        ["项目", "内容"],
        ["台账", f"{export.division.full_name}散煤治理工作台账"],
        ["单位代码", export.division.code],
        ["时间范围", f"{export.start:%Y-%m-%d} 至 {export.end:%Y-%m-%d}（含首尾两日，北京时间）"],
        ["导出人", user.get_full_name() or user.username],
        ["导出时间", timezone.localtime().replace(tzinfo=None, microsecond=0)],
        [],
        ["工作表", "行数", "内容"],
    ]
    rows += [["、".join(titles), count, sheet.defines] for sheet, titles, count in written]
    rows += [
        [],
        # Which sheets list voided records and which leave them out, as the sheets written do it.
        ["作废记录", voided_note([sheet for sheet, _titles, _count in written])],
        ["说明", "统计范围为本单位及下辖单位，且以导出人的权限为限。"],
    ]
    if masked:
        rows.append(["电话", "按导出人的权限，电话号码中间四位以*代替。"])
    return rows


def ledger_build(
    export: LedgerExport, *, progress_every: int = PROGRESS_EVERY, sheet_rows: int = MAX_SHEET_ROWS
) -> int:
    """Build the export's workbook now, store it and mark the export done; returns the number of rows written.

    Scope: the unit's subtree, within what the requester may view today. Progress (rows_done) is written every
    `progress_every` rows. Raises Superseded if another worker claimed the export meanwhile, Refused if the
    unit left the requester's jurisdiction, and whatever the database or the disk raises.
    """
    if not can_view(export.requested_by, export.division):
        raise Refused
    context = Context.of(export)
    plan = [(SHEETS[key], SHEETS[key].query(context)) for key in LedgerExport.Sheet.values if key in export.sheets]
    total = sum(queryset.count() for _sheet, queryset in plan)
    _progress(export, rows_total=total, rows_done=0)

    name = f"{DIRECTORY}/{secrets.token_urlsafe(24)}.xlsx"
    final = Path(default_storage.path(name))
    final.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=final.parent, prefix=".building-", suffix=".xlsx")
    os.close(handle)
    # constant_memory: each row is written out when the next starts (rows must come in order, as they do).
    # strings_to_numbers and the like stay off: text is written as text, as given.
    workbook = Workbook(temporary, {"constant_memory": True})
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None, microsecond=0)
    workbook.set_properties(
        {"title": f"{export.division.full_name}散煤治理工作台账", "author": SYSTEM_NAME, "created": now}
    )
    period = chinese_period(export.start, export.end)
    names = context.name_widths()
    written, done = [], 0
    try:
        for sheet, queryset in plan:
            title = f"{export.division.full_name}散煤治理工作台账·{sheet.title}（{period}）"
            writer, count = _SheetWriter(workbook, sheet, title, limit=sheet_rows, names=names), 0
            for row in _all_of(queryset):
                writer.append(sheet.row(context, row))
                count += 1
                done += 1
                if done % progress_every == 0:
                    _progress(export, rows_done=done)
            writer.finish()
            written.append((sheet, writer.titles, count))
        _info_sheet(workbook, _info_rows(export, written))
        with zip_level(LEDGER_ZIP_LEVEL):
            workbook.close()
        os.chmod(temporary, 0o640)
        os.replace(temporary, final)
    except BaseException:
        _discard(workbook)
        Path(temporary).unlink(missing_ok=True)
        raise
    previous = export.file.name
    finished = LedgerExport.objects.filter(pk=export.pk, attempts=export.attempts).update(
        status=LedgerExport.Status.DONE,
        file=name,
        size=final.stat().st_size,
        rows_done=done,
        rows_total=max(total, done),
        error="",
        claimed_until=None,
        finished_at=timezone.now(),
    )
    if finished != 1:
        final.unlink(missing_ok=True)
        raise Superseded
    if previous and previous != name:  # built again (a benchmark, an operator): the old file goes
        default_storage.delete(previous)
    export.refresh_from_db()
    return done


# --- Downloading ---------------------------------------------------------------------------------


def ledger_filename(export: LedgerExport) -> str:
    """台账_五里堡街道_2026-11-01_2026-11-28.xlsx"""
    name = file_name_part(export.division.name) or export.division_code
    return f"台账_{name}_{export.start:%Y-%m-%d}_{export.end:%Y-%m-%d}.xlsx"


def ledger_path(export: LedgerExport) -> Path | None:
    """Where a built export's file is, if it is there."""
    if export.status != LedgerExport.Status.DONE or not export.file.name:
        return None
    path = Path(default_storage.path(export.file.name))
    return path if path.is_file() else None


# --- Housekeeping (beat) -------------------------------------------------------------------------


def ledgers_expire(*, now: datetime.datetime | None = None) -> int:
    """Remove the files of exports finished more than LEDGER_KEEP_DAYS ago (status expired), and what builds
    killed mid-way left behind. Returns how many exports expired. Safe to run any number of times."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.LEDGER_KEEP_DAYS)
    expired = 0
    old = LedgerExport.objects.filter(status=LedgerExport.Status.DONE, finished_at__lt=cutoff)
    for pk, name in old.values_list("pk", "file").iterator():
        if name:
            default_storage.delete(name)  # first: a file is never kept longer than said
        expired += LedgerExport.objects.filter(pk=pk, status=LedgerExport.Status.DONE).update(
            status=LedgerExport.Status.EXPIRED, file="", size=0
        )
    directory = Path(default_storage.path(DIRECTORY))
    if directory.is_dir():
        for leftover in directory.glob(".building-*"):
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime < time.time() - STALE_TEMPORARY.total_seconds():
                    leftover.unlink()
    return expired


def ledgers_resume(*, now: datetime.datetime | None = None) -> int:
    """Queue again the exports whose worker died mid-build (lease run out) and queued ones whose task was lost.
    The claim makes a second task for the same export harmless."""
    now = now or timezone.now()
    dead = Q(status=LedgerExport.Status.RUNNING, claimed_until__lt=now)
    waiting = Q(status=LedgerExport.Status.QUEUED, created_at__lt=now - WAITING_TOO_LONG)
    ids = list(LedgerExport.objects.filter(dead | waiting).values_list("pk", flat=True))
    from .tasks import build_ledger

    for pk in ids:
        build_ledger.delay(pk)
    return len(ids)
