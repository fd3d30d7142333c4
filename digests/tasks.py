"""The digest's Celery tasks: thin wrappers around digests.services (tasks import services, never the reverse)."""

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
    """Send one delivery; network trouble and rate limits retry with backoff, after the robot's window."""
    try:
        return services.delivery_send(delivery_id=delivery_id)
    except robots.Retryable as exc:
        if self.request.retries >= self.max_retries:
            services.delivery_give_up(delivery_id=delivery_id, error=exc)
            return Delivery.Status.FAILED
        kind = Delivery.objects.filter(pk=delivery_id).values_list("channel__kind", flat=True).first()
        countdown = services.retry_countdown(exc, kind, self.request.retries)
        services.delivery_retry_scheduled(delivery_id=delivery_id, countdown=countdown)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task
def send_daily_digests(date: str | None = None) -> int:
    """Build yesterday's digests and queue one delivery per active channel (idempotent)."""
    day = timezone.datetime.fromisoformat(date).date() if date else yesterday()
    with transaction.atomic():
        deliveries = services.deliveries_prepare(date=day)
    for delivery in deliveries:
        # A delivery that will retry has its retry scheduled (after the robot's window): queueing it now
        # would send before that window ends. If its worker died, resume_stuck_deliveries takes it up.
        if delivery.status == Delivery.Status.PENDING:
            deliver.delay(delivery.pk)
    return len(deliveries)


@shared_task
def resume_stuck_deliveries() -> int:
    """Re-queue every unfinished delivery whose lease ran out, and new ones whose task was lost.

    Sending and will-retry deliveries hold a lease (`claimed_until`): renewed after each part while sending;
    for a scheduled retry, running to the retry's time and one lease beyond. So a lease that ran out means the
    worker holding it died (killed mid-send, or with the retry it was keeping), never that a retry is still
    to come. A delivery is claimed before it is sent, so queueing one twice never sends it twice.
    """
    now = timezone.now()
    unfinished = [Delivery.Status.SENDING, Delivery.Status.RETRYING]
    dead = Q(status__in=unfinished, claimed_until__lt=now) | Q(status__in=unfinished, claimed_until__isnull=True)
    waiting = Q(status=Delivery.Status.PENDING, created_at__lt=now - STALE)
    ids = list(Delivery.objects.filter(dead | waiting).values_list("pk", flat=True))
    for pk in ids:
        deliver.delay(pk)
    return len(ids)
