from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def recompute_priority_zones() -> int:
    """Recompute every household's priority zone (after a station moved or changed its radius).

    Idempotent: it sets each household from its location, so running it twice changes nothing more.
    """
    return services.households_recompute_priority_zones()
