"""The optional scheduled pull: station files fetched from an operator's URL (an intranet mirror, usually),
through the same importer as the upload page. Off unless AIR_PULL_URL is set (see coalgov/settings.py)."""

import datetime
import logging
import urllib.error
import urllib.request

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.utils import timezone

from .imports import max_bytes
from .models import ReadingImport
from .services import readings_import

log = logging.getLogger(__name__)


class PullFailed(Exception):
    """The mirror did not answer, or answered with an error other than 404: worth retrying."""


def pull_url(day: datetime.date) -> str:
    # The operator's URL names a day's file with Python's date format, e.g. …/china_sites_{date:%Y%m%d}.csv.
    return settings.AIR_PULL_URL.format(date=day)


def fetch(url: str) -> bytes | None:
    """The file at `url`, or None if the mirror has none (404: today's file not there yet). Read no more than
    AIR_IMPORT_MAX_BYTES (+1, so that a larger file is refused by the importer, not cut off)."""
    try:
        with urllib.request.urlopen(url, timeout=settings.AIR_PULL_TIMEOUT) as response:  # the operator's own URL
            return response.read(max_bytes() + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise PullFailed(f"{url}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise PullFailed(f"{url}: {exc}") from exc


@shared_task(autoretry_for=(PullFailed, OperationalError), retry_backoff=60, retry_jitter=True, max_retries=5)
def pull_readings() -> dict:
    """Fetch yesterday's and today's files and import them (idempotent: unchanged hours are left alone)."""
    if not settings.AIR_PULL_URL:
        return {"skipped": "AIR_PULL_URL not set"}
    today = timezone.localdate()
    files = []
    for day in (today - datetime.timedelta(days=1), today):
        url = pull_url(day)
        content = fetch(url)
        if content is not None:
            files.append((url.rsplit("/", 1)[-1] or f"{day:%Y%m%d}.csv", content))
    if not files:
        return {"files": 0}
    try:
        outcome = readings_import(actor=None, files=files, source=ReadingImport.Source.SCHEDULE)
    except ValidationError as exc:
        # A malformed file will not mend itself by retrying: log it for the operator, write nothing.
        log.error("station readings pull refused: %s", "; ".join(exc.messages))
        return {"refused": exc.messages}
    return {"files": len(files), "created": outcome.created, "changed": outcome.changed}
