"""Background imports: a spreadsheet larger than a page's worth, checked and imported by a Celery task.

Like the ledgers (reports/ledgers.py): `import_request` stores the upload (MEDIA_ROOT/imports/, a random name,
never served) as a queued `HouseholdImport` and hands it to the `run_household_import` task once its transaction
commits. The task claims the import with a conditional UPDATE (queued → running, or a running import whose
worker's lease ran out); each claim increments `attempts`, and a worker records progress only while the claim is
still its own. The import itself (`households_import`) is unchanged: every row checked first, nothing written if
any is wrong, all of it written in one transaction. The import's result is written in that same transaction, so
the households and "done" commit together: a second run of the task (beat's resume, the broker redelivering,
an operator) finds it done and does nothing, and a worker killed while writing leaves nothing written.

The writing transaction holds the import's row locked from its first step: a claim by another worker waits for
it to end, then finds the import done (or, if the worker died, its claim rolled back and the lease run out).
Rows written inside the transaction are invisible to the progress page until it commits, so their count goes
through the cache (Redis in production) as they are written.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from coalgov.audit import audit_record
from divisions.scoping import entry_codes, may_enter_somewhere

from .imports import ImportResult, Progress, count_rows, edits_households, households_import, import_unit
from .models import HouseholdImport

logger = logging.getLogger(__name__)

DIRECTORY = "imports"
WAITING_TOO_LONG = datetime.timedelta(minutes=10)
# Trouble worth trying again: the database went away, the disk was full or not readable.
RETRYABLE = (OperationalError, InterfaceError, OSError)


class Superseded(Exception):
    """Another worker claimed the import after this one's lease ran out: this run stops (writing nothing)."""


def goes_to_background(path: Path, size: int) -> bool:
    """Whether an upload is more than a page's worth: over HOUSEHOLD_IMPORT_BACKGROUND_BYTES, or over
    HOUSEHOLD_IMPORT_BACKGROUND_ROWS rows (counted up to the limit, within a few milliseconds)."""
    if size > settings.HOUSEHOLD_IMPORT_BACKGROUND_BYTES:
        return True
    limit = settings.HOUSEHOLD_IMPORT_BACKGROUND_ROWS
    return count_rows(path, stop=limit + 1) > limit


# --- Requesting ----------------------------------------------------------------------------------


@transaction.atomic
def import_request(
    *, actor, upload, dry_run: bool, previewed: bool = False, language: str = "", queue: bool = True
) -> HouseholdImport:
    """Store an upload the size checks passed and queue its import. The caller has refused files over the
    page's limits already (`import_size_check`), so nothing too large is ever stored. With `queue=False` the
    caller runs it (`import_run`) itself: a preview of a page's worth of rows, answered in the request.
    `previewed`: a file that edits households, checked as a preview (not written) until the user confirms it;
    `dry_run` is whether the user asked only to check it."""
    if not may_enter_somewhere(actor, "household"):
        raise PermissionDenied(_("You may not register households."))
    # One request at a time per user, so two at once cannot both pass the limit.
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
    if HouseholdImport.objects.filter(requested_by=actor).pending().count() >= settings.HOUSEHOLD_IMPORT_MAX_PENDING:
        raise ValidationError(
            _("You already have %(n)s imports waiting or running. Send another when one of them is finished.")
            % {"n": settings.HOUSEHOLD_IMPORT_MAX_PENDING}
        )
    suffix = Path(upload.name).suffix.lower()
    stored = default_storage.save(f"{DIRECTORY}/{secrets.token_urlsafe(24)}{suffix}", upload)
    try:
        job = HouseholdImport.objects.create(
            requested_by=actor,
            name=Path(upload.name).name[:200],
            file=stored,
            size=upload.size,
            dry_run=dry_run or previewed,
            check_only=dry_run,
            language=language or settings.LANGUAGE_CODE,
        )
        if dry_run:
            reason = _("Only checked")
        else:
            reason = _("A file that edits households: previewed first") if previewed else ""
        _audit_import(job, actor, action="household_import.requested", reason=reason)
    except BaseException:
        default_storage.delete(stored)  # nothing refers to it: it must not stay behind
        raise
    from .tasks import run_household_import  # tasks import this module

    # Without a broker (CELERY_TASK_ALWAYS_EAGER) this runs right here, once the request's data is committed.
    if queue:
        transaction.on_commit(lambda: run_household_import.delay(job.pk))
    return job


def _audit_import(job: HouseholdImport, actor, *, action: str, reason: str = "") -> None:
    """An import's own audit entry (its upload, confirmation or failure), naming its file, filed under the
    deepest unit holding every unit where the user enters households: that unit and the offices above it see it
    (filed under none, only the district's superusers did)."""
    audit_record(
        actor=actor,
        action=action,
        obj=job,
        division_code=import_unit(set(entry_codes(actor, "household") or ())),
        changes={"download_file": [None, job.name]},
        reason=reason,
    )


def import_awaits_confirmation(job: HouseholdImport) -> bool:
    """A preview of a file that edits households (a dict in `errors`, households.import_changes.preview_summary),
    its file still stored, nothing applied yet."""
    return (
        job.status == HouseholdImport.Status.DONE
        and job.dry_run
        and not job.check_only
        and not job.error_count
        and isinstance(job.errors, dict)
        and bool(job.file)
    )


def import_confirm(*, actor, job: HouseholdImport) -> tuple[HouseholdImport, bool]:
    """Apply a preview: the same stored file imported, refused unless it changes exactly what was previewed
    (the preview's digest). Returns the import and whether the caller runs it now (a page's worth) rather than
    the worker. A preview confirmed twice (a double click) is applied once: the second finds it claimed."""
    if not may_enter_somewhere(actor, "household"):
        raise PermissionDenied(_("You may not register households."))
    claimed = (
        HouseholdImport.objects.filter(
            pk=job.pk,
            requested_by=actor,
            status=HouseholdImport.Status.DONE,
            dry_run=True,
            check_only=False,
            error_count=0,
        )
        .exclude(file="")
        .update(status=HouseholdImport.Status.QUEUED, dry_run=False, rows_checked=0, rows_written=0, finished_at=None)
    )
    if claimed != 1:
        job.refresh_from_db()
        if not job.dry_run and job.status != HouseholdImport.Status.FAILED:
            # Confirmed already (a second tab, a double click): it is applied, or being applied, once.
            raise ValidationError(_("These changes have been confirmed already; they are applied once."))
        raise ValidationError(_("This preview can no longer be applied: send the file again."))
    job.refresh_from_db()
    run_now = (
        job.rows_total <= settings.HOUSEHOLD_IMPORT_BACKGROUND_ROWS
        and job.size <= settings.HOUSEHOLD_IMPORT_BACKGROUND_BYTES
    )
    _audit_import(job, actor, action="household_import.confirmed")
    if not run_now:
        from .tasks import run_household_import

        transaction.on_commit(lambda: run_household_import.delay(job.pk))
    return job, run_now


# --- Claiming and running ------------------------------------------------------------------------


def _lease() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=settings.HOUSEHOLD_IMPORT_LEASE_SECONDS)


def _written_key(job_id: int, attempt: int) -> str:
    return f"household-import:{job_id}:{attempt}:written"


def _claim(job_id: int) -> int | None:
    """Take the import for this worker; the attempt number that identifies the claim, or None if not taken."""
    now = timezone.now()
    claimable = Q(status=HouseholdImport.Status.QUEUED) | Q(
        status=HouseholdImport.Status.RUNNING, claimed_until__lt=now
    )
    claimed = HouseholdImport.objects.filter(claimable, pk=job_id).update(
        status=HouseholdImport.Status.RUNNING,
        attempts=F("attempts") + 1,
        claimed_until=_lease(),
        started_at=now,
        rows_checked=0,
        rows_written=0,
        error="",
    )
    if claimed != 1:
        return None
    return HouseholdImport.objects.filter(pk=job_id).values_list("attempts", flat=True).first()


class _Recorder(Progress):
    """Records the import's progress while the claim is this worker's; renews the lease as it goes."""

    def __init__(self, job: HouseholdImport, attempt: int):
        self.job, self.attempt = job, attempt

    def _update(self, **fields) -> None:
        running = HouseholdImport.Status.RUNNING
        mine = HouseholdImport.objects.filter(pk=self.job.pk, attempts=self.attempt, status=running)
        if mine.update(**{"claimed_until": _lease(), **fields}) != 1:
            raise Superseded

    def checked(self, rows: int) -> None:
        self._update(rows_checked=rows)

    def writing(self) -> None:
        self._update()  # locks the import's row until the writing commits or rolls back

    def written(self, rows: int) -> None:
        cache.set(_written_key(self.job.pk, self.attempt), rows, timeout=settings.HOUSEHOLD_IMPORT_LEASE_SECONDS)

    def finished(self, result: ImportResult) -> None:
        self._update(
            status=HouseholdImport.Status.DONE,
            rows_total=result.rows,  # the count before the check took a ledger's title row for a row
            rows_checked=result.rows,
            # The rows that registered or changed a household, not the file's: a ledger of 2,560 rows that edits
            # three households has written three.
            rows_written=result.created + result.changed if not self.job.dry_run else 0,
            created=result.created,
            skipped=result.skipped,
            error_count=0,
            # A file that edits households: the preview (its changes, their digest) until it is confirmed, then
            # what was applied. The model has no field of its own for it.
            errors=result.preview or [],
            claimed_until=None,
            finished_at=timezone.now(),
        )


def _failure(exc: BaseException) -> str:
    """What the requester reads when an import fails: in their language, without server details."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, (OperationalError, InterfaceError)):
        return _("The database could not be reached. Please send the file again later.")
    if isinstance(exc, OSError):
        return _("The stored file could not be read. Please send it again.")
    return _("The file could not be imported. Please tell the system administrator.")


def _audit_failed(job: HouseholdImport, message: str) -> None:
    """A confirmed import that failed says so in the audit log, beside its confirmation: without it, an auditor
    read "确认住户导入" and took the file for applied. (A preview or a check that fails wrote nothing to confirm.)"""
    if not job.dry_run:
        _audit_import(job, job.requested_by, action="household_import.failed", reason=message[:500])


def _end(job_id: int, attempt: int, **fields) -> None:
    HouseholdImport.objects.filter(pk=job_id, attempts=attempt).update(
        claimed_until=None, finished_at=timezone.now(), **fields
    )


def _release(job_id: int, attempt: int) -> None:
    """Give a claimed import back to the queue, for the task's next try."""
    HouseholdImport.objects.filter(pk=job_id, attempts=attempt, status=HouseholdImport.Status.RUNNING).update(
        status=HouseholdImport.Status.QUEUED, claimed_until=None, rows_checked=0, rows_written=0
    )


def _discard_file(job_id: int) -> None:
    """Remove a finished import's stored file: the households are in the register now, the errors on the page."""
    name = HouseholdImport.objects.filter(pk=job_id).values_list("file", flat=True).first()
    if name:
        default_storage.delete(name)
        HouseholdImport.objects.filter(pk=job_id, file=name).update(file="")


def import_run(*, job_id: int, last_try: bool = True) -> str:
    """Claim and run an import. Returns its status ("missing" if there is no such import).

    Nothing happens if another worker holds it, or it is done or failed. Database and disk trouble is raised
    for the task to retry (the import goes back to the queue), unless this is the last try: then, as for any
    other error, the import is marked failed with a message for the requester.
    """
    attempt = _claim(job_id)
    if attempt is None:
        return HouseholdImport.objects.filter(pk=job_id).values_list("status", flat=True).first() or "missing"
    job = HouseholdImport.objects.select_related("requested_by").get(pk=job_id)
    with translation.override(job.language):
        try:
            path = Path(default_storage.path(job.file.name))
            if not path.is_file():
                raise FileNotFoundError(job.file.name)
            HouseholdImport.objects.filter(pk=job_id, attempts=attempt).update(rows_total=count_rows(path))
            # Confirming a preview: what is applied must be exactly what it showed.
            previewed = job.errors.get("digest") if isinstance(job.errors, dict) and not job.dry_run else None
            if previewed is None and not job.dry_run and edits_households(path):
                # A file that edits households is previewed first, however it came (the page decides without
                # reading a large file's rows): the requester confirms before anything changes.
                HouseholdImport.objects.filter(pk=job_id, attempts=attempt).update(dry_run=True)
                job.dry_run = True
            result = households_import(
                actor=job.requested_by,
                path=path,
                dry_run=job.dry_run,
                max_rows=settings.HOUSEHOLD_IMPORT_MAX_ROWS,
                max_bytes=settings.HOUSEHOLD_IMPORT_MAX_BYTES,
                source=job.name,
                progress=_Recorder(job, attempt),
                expect=previewed,
            )
        except Superseded:
            return HouseholdImport.Status.RUNNING
        except ValidationError as exc:  # the file as a whole: unreadable, too many rows, changed since the preview
            _end(job_id, attempt, status=HouseholdImport.Status.FAILED, error=_failure(exc)[:500])
            _audit_failed(job, _failure(exc))
            _discard_file(job_id)
            return HouseholdImport.Status.FAILED
        except RETRYABLE as exc:
            if not last_try:
                logger.warning("household import %s: %r; trying again later", job_id, exc)
                _release(job_id, attempt)
                raise
            logger.exception("household import %s failed after its last try", job_id)
            _end(job_id, attempt, status=HouseholdImport.Status.FAILED, error=_failure(exc)[:500])
            _audit_failed(job, _failure(exc))
            _discard_file(job_id)
            return HouseholdImport.Status.FAILED
        except Exception as exc:
            logger.exception("household import %s failed", job_id)
            _end(job_id, attempt, status=HouseholdImport.Status.FAILED, error=_failure(exc)[:500])
            _audit_failed(job, _failure(exc))
            _discard_file(job_id)
            return HouseholdImport.Status.FAILED
    if result.error_count:  # checked, refused: nothing was written
        _end(
            job_id,
            attempt,
            status=HouseholdImport.Status.DONE,
            rows_total=result.rows,  # the count before the check took a ledger's title row for a row
            rows_checked=result.rows,
            error_count=result.error_count,
            errors=result.errors,
        )
    elif job.dry_run and result.preview and (result.created or result.updated or result.voided):
        return HouseholdImport.Status.DONE  # a preview keeps its file until it is confirmed (or expires)
    _discard_file(job_id)
    return HouseholdImport.Status.DONE


def rows_written(job: HouseholdImport) -> int:
    """The rows written so far: recorded when done, counted in the cache while the writing runs."""
    if job.status != HouseholdImport.Status.RUNNING:
        return job.rows_written
    return cache.get(_written_key(job.pk, job.attempts), job.rows_written)


# --- Housekeeping (beat) -------------------------------------------------------------------------


def imports_expire(*, now: datetime.datetime | None = None) -> int:
    """Remove the stored files of imports older than HOUSEHOLD_IMPORT_KEEP_HOURS, whatever became of them (an
    import still waiting then is failed: its file is gone). Returns how many files were removed."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(hours=settings.HOUSEHOLD_IMPORT_KEEP_HOURS)
    removed = 0
    old = HouseholdImport.objects.filter(created_at__lt=cutoff).exclude(file="")
    for pk, name, status in old.values_list("pk", "file", "status").iterator():
        default_storage.delete(name)  # first: a file is never kept longer than said
        removed += HouseholdImport.objects.filter(pk=pk, file=name).update(file="")
        if status in (HouseholdImport.Status.QUEUED, HouseholdImport.Status.RUNNING):
            with translation.override(settings.LANGUAGE_CODE):
                message = _("The import did not finish in time and its file was removed. Please send it again.")
            HouseholdImport.objects.filter(pk=pk, status=status).update(
                status=HouseholdImport.Status.FAILED, error=message, claimed_until=None, finished_at=now
            )
    return removed


def imports_resume(*, now: datetime.datetime | None = None) -> int:
    """Queue again the imports whose worker died (lease run out) and queued ones whose task was lost. The
    claim makes a second task for the same import harmless."""
    now = now or timezone.now()
    dead = Q(status=HouseholdImport.Status.RUNNING, claimed_until__lt=now)
    waiting = Q(status=HouseholdImport.Status.QUEUED, created_at__lt=now - WAITING_TOO_LONG)
    ids = list(HouseholdImport.objects.filter(dead | waiting).values_list("pk", flat=True))
    from .tasks import run_household_import

    for pk in ids:
        run_household_import.delay(pk)
    return len(ids)
