from celery import shared_task

from . import ledgers


@shared_task(
    bind=True,
    autoretry_for=ledgers.RETRYABLE,
    retry_backoff=30,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=4,
    acks_late=True,
)
def build_ledger(self, export_id: int) -> str:
    """Build one ledger export. Idempotent: an export another worker holds, or one done, failed or expired, is
    left alone. Database and disk trouble is retried with backoff; the last try marks the export failed.
    Run in-process (no broker: `make run`), there is one try: the request that asked for it is waiting."""
    last_try = self.request.is_eager or self.request.retries >= self.max_retries
    return ledgers.ledger_run(export_id=export_id, last_try=last_try)


@shared_task
def expire_ledger_exports() -> int:
    """Remove ledger files older than LEDGER_KEEP_DAYS (beat, hourly)."""
    return ledgers.ledgers_expire()


@shared_task
def resume_stuck_ledger_exports() -> int:
    """Queue again the exports a dead worker left, or whose task was lost (beat, every five minutes)."""
    return ledgers.ledgers_resume()
