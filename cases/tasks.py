from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def check_case_deadlines() -> dict:
    """Remind, mark overdue and escalate (idempotent; see cases.services.cases_check_deadlines)."""
    return services.cases_check_deadlines()
