"""Ledger exports (台账): a unit's records over a period as an .xlsx, built in the background.

A request (`ledger_request`) is checked, stored as a queued `LedgerExport` and handed to the `build_ledger`
task once its transaction commits. The task claims the export with a conditional UPDATE (healthchecks'
pattern): queued → running, or a running export whose worker's lease ran out. Each claim increments
`attempts`; a worker writes progress and the result only while the attempt is still its own, so a worker
that lost its claim stops, and building again from scratch is always safe.

`ledger_build` streams: each sheet is one `values_list` query read with `.iterator()`, written row by row to
an openpyxl write-only workbook in a temporary file beside its final place, then moved there. Memory stays
flat whatever the number of rows (tests/reports/test_ledgers.py measures it). Sheets are defined in
`ledger_sheets.py`.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import math
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
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment
from openpyxl.worksheet.dimensions import RowDimension
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from coalgov.audit import audit_record
from coalgov.dates import EARLIEST
from coalgov.exports import (
    CENTRED,
    DATE,
    DATETIME,
    FOOTER,
    HEADER_LINE_HEIGHT,
    HEADER_ROW,
    INTEGER,
    WRAPPED,
    chinese_period,
    document_properties,
    header_cells,
    number_style,
    print_setup,
    styled,
    table_filter,
    text_width,
    title_cells,
    xlsx_value,
)
from divisions.models import Division
from divisions.scoping import can_view, covers, phone_codes

from .ledger_sheets import NO, NUMBER_FORMATS, SHEETS, WRAPPED_COLUMNS, YES, Context, Sheet
from .models import LedgerExport

logger = logging.getLogger(__name__)
LEFT = Alignment(horizontal="left")

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
        errors["start"] = _("This date is too far in the past.")
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


def _cell(ws, value):
    """A value as the sheet should hold it: numbers and dates as themselves (local time), yes/no in words,
    text cleaned of characters Excel refuses, and formula-looking text kept as text (coalgov/exports.py)."""
    if value is None or (isinstance(value, (int, Decimal, float)) and not isinstance(value, bool)):
        return value
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, str):
        if not value:
            return None  # a blank cell: nothing written
        return xlsx_value(ws, ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT])
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


class _SheetWriter:
    """Appends rows to a sheet under its title and header; continues on a new sheet at Excel's row limit.

    Each sheet prints on A4 landscape, one page wide, with the header on every page, and has a frozen header
    and an autofilter (coalgov/exports.py). All of it works in write-only mode: what goes before the rows is
    set before the first row, the filter (which needs the last row) once the sheet is full. Numbers, dates and
    money get their formats from a few ready-made styles, copied to each cell: the rows still stream."""

    def __init__(
        self, workbook: Workbook, sheet: Sheet, title: str, limit: int = MAX_SHEET_ROWS, names: dict | None = None
    ):
        self.workbook, self.sheet, self.title, self.limit = workbook, sheet, title, limit
        self.headers = [text for text, _width in sheet.columns]
        # The place columns as wide as the longest name of the unit's subdivisions (known before any row).
        names = names or {}
        self.widths = [max(width, names.get(text, 0)) for text, width in sheet.columns]
        self.part = 0
        self.titles: list[str] = []
        self.ws = None
        self._new()

    def _new(self) -> None:
        self.finish()
        self.part += 1
        title = self.sheet.title if self.part == 1 else f"{self.sheet.title}（{self.part}）"
        ws = self.workbook.create_sheet(title)
        print_setup(ws, headers=self.headers, widths=self.widths, landscape=True)
        ws.append(title_cells(ws, self.title))
        ws.append(header_cells(ws, self.headers))
        # The style of each kind of value, and of the columns whose numbers have a format of their own.
        # Numbers and dates centred under their header, long text wrapped in its column.
        self.by_type = {
            int: number_style(ws, INTEGER, CENTRED),
            datetime.datetime: number_style(ws, DATETIME, CENTRED),
            datetime.date: number_style(ws, DATE, CENTRED),
            str: None,
        }
        wrapped = number_style(ws, alignment=WRAPPED)
        self.by_column = [
            number_style(ws, NUMBER_FORMATS[header]) if header in NUMBER_FORMATS else None for header in self.headers
        ]
        self.text_by_column = [wrapped if header in WRAPPED_COLUMNS else None for header in self.headers]
        self.heights: dict[int, RowDimension] = {}
        self.ws, self.rows = ws, HEADER_ROW
        self.titles.append(title)

    def append(self, values: list) -> None:
        if self.rows >= self.limit:
            self._new()
        ws, by_type = self.ws, self.by_type
        cells, lines = [], 1
        for value, column_style, text_style, width in zip(
            values, self.by_column, self.text_by_column, self.widths, strict=True
        ):
            value = _cell(ws, value)
            if value is None:
                cells.append(None)
                continue
            kind = type(value)
            if kind is str and text_style is not None:
                cells.append(styled(ws, value, text_style))
                if 2 * len(value) > width - 1:  # may need more than one line (a Chinese character is two wide)
                    lines = max(lines, math.ceil(text_width(value) / (width - 1)))
                continue
            if kind is Cell:  # formula-looking text, already a text cell (coalgov/exports.py): wrapped too
                if text_style is not None:
                    value.alignment = WRAPPED
                cells.append(value)
                continue
            style = column_style or by_type.get(kind)
            cells.append(value if style is None else styled(ws, value, style))
        self.rows += 1
        if lines > 1:
            # A row with wrapped text is as tall as its longest text; its height is written with the row, then
            # forgotten, so that memory stays flat.
            height = self.heights.get(lines)
            if height is None:  # one per number of lines, reused: a new one for every row costs more
                height = self.heights[lines] = RowDimension(ws, ht=min(lines, 20) * HEADER_LINE_HEIGHT)
            height.index = self.rows
            ws.row_dimensions[self.rows] = height
            ws.append(cells)
            del ws.row_dimensions[self.rows]
        else:
            ws.append(cells)

    def finish(self) -> None:
        """The autofilter over the sheet's rows, once they are all written."""
        if self.ws is not None:
            table_filter(self.ws, columns=len(self.headers), last_row=self.rows)


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
    """Remove the temporary files a write-only workbook left behind when it was not saved."""
    for ws in workbook.worksheets:
        writer = getattr(ws, "_writer", None)
        if writer is not None:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                writer.cleanup()


def info_setup(ws) -> None:
    """The 说明 sheet: three columns, printed A4 portrait one page wide, with page numbers."""
    for letter, width in (("A", 14), ("B", 40), ("C", 60)):
        ws.column_dimensions[letter].width = width
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.oddFooter.center.text = FOOTER


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
        ["说明", "已作废的记录不列入；统计范围为本单位及下辖单位，且以导出人的权限为限。"],
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
    workbook = Workbook(write_only=True)
    document_properties(workbook, title=f"{export.division.full_name}散煤治理工作台账")
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
        info = workbook.create_sheet("说明")
        info_setup(info)
        left = {  # numbers and the time under the words they go with
            int: number_style(info, INTEGER, LEFT),
            datetime.datetime: number_style(info, "yyyy-mm-dd hh:mm:ss", LEFT),
        }
        for line in _info_rows(export, written):
            cells = [_cell(info, value) for value in line]
            info.append([styled(info, c, left[type(c)]) if type(c) in left else c for c in cells])
        workbook.save(temporary)
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

FILENAME_BAD = re.compile(r'[\\/:*?"<>|\s]+')


def ledger_filename(export: LedgerExport) -> str:
    """台账_五里堡街道_2026-11-01_2026-11-28.xlsx"""
    name = FILENAME_BAD.sub("", export.division.name) or export.division_code
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
