from celery import shared_task
from django.db import OperationalError

from . import jobs, services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def recompute_priority_zones() -> int:
    """Recompute every household's priority zone (after a station moved or changed its radius).

    Idempotent: it sets each household from its location, so running it twice changes nothing more.
    """
    return services.households_recompute_priority_zones()


@shared_task(
    bind=True,
    autoretry_for=jobs.RETRYABLE,
    retry_backoff=30,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=4,
    acks_late=True,
)
def run_household_import(self, job_id: int) -> str:
    """Check and import one stored spreadsheet. Idempotent: an import another worker holds, or one done or
    failed, is left alone; the result commits with the households. Database and disk trouble is retried with
    backoff; the last try marks the import failed. Run in-process (no broker), there is one try."""
    last_try = self.request.is_eager or self.request.retries >= self.max_retries
    return jobs.import_run(job_id=job_id, last_try=last_try)


@shared_task
def expire_household_imports() -> int:
    """Remove stored import files older than HOUSEHOLD_IMPORT_KEEP_HOURS (beat, hourly)."""
    return jobs.imports_expire()


@shared_task
def resume_stuck_household_imports() -> int:
    """Queue again the imports a dead worker left, or whose task was lost (beat, every five minutes)."""
    return jobs.imports_resume()
