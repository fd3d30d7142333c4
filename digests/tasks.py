import datetime
import logging

from celery import shared_task
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import robots, services
from .models import Delivery
from .selectors import yesterday

logger = logging.getLogger(__name__)
MAX_RETRIES = 8
STALE = datetime.timedelta(minutes=10)


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def deliver(self, delivery_id: int) -> str:
    """Send one delivery; network trouble and rate limits retry with backoff within the robot's window."""
    try:
        return services.delivery_send(delivery_id=delivery_id)
    except robots.Retryable as exc:
        if self.request.retries >= self.max_retries:
            services.delivery_give_up(delivery_id=delivery_id, error=str(exc))
            return Delivery.Status.FAILED
        kind = Delivery.objects.filter(pk=delivery_id).values_list("channel__kind", flat=True).first()
        wait = robots.RATE_LIMIT_WAIT.get(kind, 60) if isinstance(exc, robots.RateLimited) else 0
        countdown = max(wait, min(30 * 2**self.request.retries, 1800))
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task
def send_daily_digests(date: str | None = None) -> int:
    """Build yesterday's digests and queue one delivery per active channel (idempotent)."""
    day = timezone.datetime.fromisoformat(date).date() if date else yesterday()
    with transaction.atomic():
        deliveries = services.deliveries_prepare(date=day)
    for delivery in deliveries:
        if delivery.status in (Delivery.Status.PENDING, Delivery.Status.RETRYING):
            deliver.delay(delivery.pk)
    return len(deliveries)


@shared_task
def resume_stuck_deliveries() -> int:
    """Re-queue deliveries whose worker died mid-send (its lease ran out), and new ones whose task was lost.
    A delivery is claimed before it is sent, so queueing one twice never sends it twice."""
    now = timezone.now()
    dead = Q(status=Delivery.Status.SENDING, claimed_until__lt=now)
    # A retrying delivery has its retry scheduled (after the robot's window): leave it to that.
    waiting = Q(status=Delivery.Status.PENDING, created_at__lt=now - STALE)
    ids = list(Delivery.objects.filter(dead | waiting).values_list("pk", flat=True))
    for pk in ids:
        deliver.delay(pk)
    return len(ids)
