"""Building digests and delivering them, exactly once per (date, channel).

A delivery is claimed with a conditional UPDATE (healthchecks' pattern): only the worker whose UPDATE
changed the row sends. Each part's success is saved before the next is sent, so a resumed delivery starts
at the first part not yet taken. The claim is a lease: a worker killed mid-send stops renewing it, and the
delivery becomes claimable again when it runs out (resume_stuck_deliveries re-queues it). A delivery left to
retry holds a lease too, to its retry's time and one lease beyond: a worker killed while it kept the retry
is found the same way, and a retry still to come is left alone.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from coalgov.audit import audit_record
from divisions.models import Division
from divisions.scoping import ensure_can_enter

from . import robots
from .models import Channel, Delivery, Digest
from .selectors import digest_text, split_parts

CHANNEL_FIELDS = ["division", "name", "kind", "key", "secret", "base_url", "mention", "is_active"]


def robot_for(channel: Channel) -> robots.Robot:
    mention = tuple(m.strip() for m in channel.mention.replace("，", ",").split(",") if m.strip())
    return robots.Robot(
        kind=channel.kind, key=channel.key, secret=channel.secret, base_url=channel.base_url, mention=mention
    )


def digest_title(digest: Digest) -> str:
    return _("%(unit)s daily digest %(date)s") % {"unit": digest.division.name, "date": digest.date}


def digest_parts(digest: Digest, channel: Channel) -> list[str]:
    """The messages a channel gets for a digest, each within the robot's limit on what is actually sent."""
    robot, title = robot_for(channel), digest_title(digest)
    parts = split_parts(
        digest.text, robots.MESSAGE_LIMITS[channel.kind], measure=lambda text: robots.size(robot, text, title=title)
    )
    mention = robots.wecom_mention_part(robot)
    return [*parts, mention] if mention else parts


def digest_get_or_build(*, division: Division, date: datetime.date) -> Digest:
    """The digest of a date for a division, built the first time it is asked for and kept as sent."""
    digest = Digest.objects.filter(division=division, date=date).first()
    if digest is not None:
        return digest
    try:
        with transaction.atomic():
            return Digest.objects.create(
                division=division, division_code=division.code, date=date, text=digest_text(division, date)
            )
    except IntegrityError:  # built at the same moment by another worker
        return Digest.objects.get(division=division, date=date)


def deliveries_prepare(*, date: datetime.date, division: Division | None = None) -> list[Delivery]:
    """One delivery per active channel for the date (those already there are kept as they are)."""
    channels = Channel.objects.filter(is_active=True).select_related("division")
    if division is not None:
        channels = channels.filter(division=division)
    deliveries = []
    for channel in channels:
        digest = digest_get_or_build(division=channel.division, date=date)
        Delivery.objects.bulk_create(
            [Delivery(digest=digest, channel=channel, division_code=channel.division_code)], ignore_conflicts=True
        )
        deliveries.append(Delivery.objects.get(digest=digest, channel=channel))
    return deliveries


def _claim(delivery_id: int) -> bool:
    now = timezone.now()
    claimable = Q(status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING]) | Q(
        status=Delivery.Status.SENDING, claimed_until__lt=now
    )
    lease = now + datetime.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    claimed = Delivery.objects.filter(claimable, pk=delivery_id).update(
        status=Delivery.Status.SENDING, claimed_until=lease, attempts=F("attempts") + 1
    )
    return claimed == 1


def _lease(seconds: float = 0) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=seconds + settings.DELIVERY_LEASE_SECONDS)


def _finish(delivery: Delivery, status: str, error: str = "") -> None:
    # A delivery left to retry keeps a lease: its worker is about to schedule the retry
    # (delivery_retry_scheduled); if it dies first, the lease runs out and resume_stuck_deliveries takes over.
    until = _lease() if status == Delivery.Status.RETRYING else None
    Delivery.objects.filter(pk=delivery.pk).update(status=status, last_error=error[:500], claimed_until=until)
    channel_status = _("sent %(date)s") % {"date": delivery.digest.date} if status == Delivery.Status.SENT else error
    Channel.objects.filter(pk=delivery.channel_id).update(status=channel_status[:200])


def delivery_send(*, delivery_id: int) -> str:
    """Send what is left of a delivery. Returns its status; raises robots.Retryable for the task to retry.

    Nothing happens if another worker holds it, or it is sent or stopped.
    """
    if not _claim(delivery_id):
        return Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first() or "missing"
    delivery = Delivery.objects.select_related("digest__division", "channel").get(pk=delivery_id)
    parts = digest_parts(delivery.digest, delivery.channel)
    Delivery.objects.filter(pk=delivery.pk).update(parts_total=len(parts))
    robot = robot_for(delivery.channel)
    title = digest_title(delivery.digest)
    for index in range(delivery.parts_sent, len(parts)):
        if index > delivery.parts_sent:
            time.sleep(settings.ROBOT_PART_INTERVAL_SECONDS)
        try:
            robots.send(robot, parts[index], title=title, part=index + 1, parts=len(parts))
        except robots.Fatal as exc:
            _finish(delivery, Delivery.Status.STOPPED, str(exc))
            return Delivery.Status.STOPPED
        except robots.Retryable as exc:
            _finish(delivery, Delivery.Status.RETRYING, str(exc))
            raise
        Delivery.objects.filter(pk=delivery.pk).update(parts_sent=index + 1, claimed_until=_lease())
    Delivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now())
    _finish(delivery, Delivery.Status.SENT)
    return Delivery.Status.SENT


def delivery_retry_scheduled(*, delivery_id: int, countdown: float) -> None:
    """A retry is queued to run in `countdown` seconds: the lease runs to then and one lease beyond, so
    resume_stuck_deliveries leaves the retry to its own time and takes over only if no worker ran it."""
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.RETRYING).update(claimed_until=_lease(countdown))


def delivery_give_up(*, delivery_id: int, error: str) -> None:
    """After the last retry: failed, with the reason for the administrator."""
    Delivery.objects.filter(pk=delivery_id).exclude(status=Delivery.Status.SENT).update(
        status=Delivery.Status.FAILED, last_error=error[:500], claimed_until=None
    )


@transaction.atomic
def delivery_resend(*, actor, delivery: Delivery, enqueue: Callable[[int], object]) -> Delivery:
    """Send again by hand: a stopped or failed delivery resumes at its first part not yet taken;
    a sent one is sent whole again (the administrator asked for it). `enqueue(delivery_id)` queues the
    sending (the caller passes the task: services never import tasks); it runs once this is committed."""
    ensure_can_enter(actor, delivery.channel.division, "channel")
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if (
        delivery.status == Delivery.Status.SENDING
        and delivery.claimed_until
        and delivery.claimed_until > timezone.now()
    ):
        raise ValidationError(_("This delivery is being sent right now."))
    if delivery.status == Delivery.Status.SENT:
        delivery.parts_sent = 0
    delivery.status, delivery.last_error = Delivery.Status.PENDING, ""
    delivery.save(update_fields=["status", "last_error", "parts_sent"])
    audit_record(actor=actor, action="delivery.resent", obj=delivery, division_code=delivery.division_code)
    transaction.on_commit(lambda: enqueue(delivery.pk))
    return delivery


@transaction.atomic
def channel_save(*, actor, data: dict, channel: Channel | None = None) -> Channel:
    """Create or change a channel. An empty key or secret in `data` keeps the stored one (never shown)."""
    division = data.get("division") or channel.division
    ensure_can_enter(actor, division, "channel")
    if channel is not None:
        ensure_can_enter(actor, channel.division, "channel")
    record = channel or Channel(created_by=actor)
    for name, value in data.items():
        if name not in CHANNEL_FIELDS:
            raise ValueError(f"not editable: {name}")
        if name in ("key", "secret") and not value and channel is not None:
            continue
        setattr(record, name, value)
    record.division_code = record.division.code
    if record.kind in (Channel.Kind.DINGTALK, Channel.Kind.FEISHU) and not record.secret:
        raise ValidationError({"secret": _("DingTalk and Feishu robots are used with signing: give the secret.")})
    record.full_clean(exclude=["created_by"])
    record.save()
    audit_record(
        actor=actor,
        action="channel.updated" if channel else "channel.created",
        obj=record,
        division_code=record.division_code,
        changes={"name": [None, record.name], "kind": [None, record.kind], "is_active": [None, record.is_active]},
    )
    return record


def channel_test(*, actor, channel: Channel) -> str:
    """Post a short test message now; the answer, in words, for the administrator."""
    ensure_can_enter(actor, channel.division, "channel")
    text = _("Test message from the loose-coal control system for %(unit)s.") % {"unit": channel.division.name}
    try:
        robots.send(robot_for(channel), text, title=_("Test message"))
    except robots.RobotError as exc:
        result = _("Not delivered: %(error)s") % {"error": exc}
    else:
        result = _("Delivered.")
    Channel.objects.filter(pk=channel.pk).update(status=result[:200])
    return result
