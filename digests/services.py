"""Building digests and delivering them, exactly once per (date, channel).

A delivery is claimed with a conditional UPDATE (healthchecks' pattern): only the worker whose UPDATE
changed the row sends. Each part's success is saved before the next is sent, so a resumed delivery starts
at the first part not yet taken. The claim is a lease: a worker killed mid-send stops renewing it, and the
delivery becomes claimable again when it runs out (resume_stuck_deliveries re-queues it). A delivery left to
retry holds a lease too, to its retry's time and one lease beyond: a worker killed while it kept the retry
is found the same way, and a retry still to come is left alone.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import time
import urllib.parse
from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
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
        robots.render(channel.kind, digest.text),
        robots.MESSAGE_LIMITS[channel.kind],
        measure=lambda text: robots.size(robot, text, title=title),
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


# A retry's task may fire a moment before its retry_at on another clock: that much early still counts as due.
RETRY_CLOCK_SKEW = datetime.timedelta(seconds=1)


def _claim(delivery_id: int) -> bool:
    now = timezone.now()
    # A delivery waiting for its retry is claimable only once the retry is due: a second task for it (the
    # morning task queued twice, "send again" pressed meanwhile) never sends before its time.
    due = Q(retry_at__isnull=True) | Q(retry_at__lte=now + RETRY_CLOCK_SKEW)
    claimable = (
        Q(status=Delivery.Status.PENDING)
        | Q(due, status=Delivery.Status.RETRYING)
        | Q(status=Delivery.Status.SENDING, claimed_until__lt=now)
    )
    lease = now + datetime.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    claimed = Delivery.objects.filter(claimable, pk=delivery_id).update(
        status=Delivery.Status.SENDING, claimed_until=lease, attempts=F("attempts") + 1
    )
    return claimed == 1


def _lease(seconds: float = 0) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=seconds + settings.DELIVERY_LEASE_SECONDS)


def _finish(delivery: Delivery, status: str, error: robots.RobotError | None = None) -> None:
    # A delivery left to retry keeps a lease: its worker is about to schedule the retry
    # (delivery_retry_scheduled); if it dies first, the lease runs out and resume_stuck_deliveries takes over.
    until = _lease() if status == Delivery.Status.RETRYING else None
    reason, detail = (error.reason, error.detail) if error else ("", "")
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status, error_reason=reason, last_error=detail[:500], claimed_until=until, retry_at=None
    )
    if status == Delivery.Status.SENT:
        reason, detail = "sent", f"{delivery.digest.date:%Y-%m-%d}"
    Channel.objects.filter(pk=delivery.channel_id).update(result=reason, result_detail=detail[:200])


# The robot target a delivery posts to: one group, whichever channels point at it (same service and key).
# Namespace of the PostgreSQL advisory lock that lets one delivery at a time send to a target (coalgov/locks.py
# keeps the transaction-scoped ones; this one is held by the session across a send's parts and commits).
TARGET_LOCK = 7390


def target_of(robot: robots.Robot) -> str:
    return f"{robot.kind}|{robot.base}|{robot.key}"


def target_channels(channel: Channel) -> list[int]:
    """The channels posting to the same group as `channel`: same robot, key and service address."""
    target = target_of(robot_for(channel))
    candidates = Channel.objects.filter(kind=channel.kind, key=channel.key)
    return [c.pk for c in candidates if target_of(robot_for(c)) == target]


@contextmanager
def target_lock(target: str, *, wait: float):
    """Hold the target's lock (yields True), or yield False after waiting `wait` seconds for it.

    A session-level advisory lock: held across the parts of one delivery, whose progress is committed part by
    part, and released by PostgreSQL if the worker dies. Other databases (the demo's SQLite) send without it.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    deadline = time.monotonic() + wait
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [TARGET_LOCK, target])
            if cursor.fetchone()[0]:
                break
            if time.monotonic() >= deadline:
                yield False
                return
            time.sleep(0.1)
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [TARGET_LOCK, target])


def _throttled_until(channel: Channel) -> datetime.datetime | None:
    """When the robot of the channel's group takes messages again, if it is throttled now: the window is the
    group's, noted on whichever channel to it met the rate limit (a channel set up later included)."""
    windows = Channel.objects.filter(pk__in=target_channels(channel)).values_list("throttled_until", flat=True)
    until = max((t for t in windows if t), default=None)
    return until if until and until > timezone.now() else None


def delivery_send(*, delivery_id: int) -> str:
    """Send what is left of a delivery. Returns its status; raises robots.Retryable for the task to retry.

    Nothing happens if another worker holds it, or it is sent or stopped. Deliveries to one group (one target:
    same robot and key, even through two channels) take turns: each sends all its parts while holding the
    target's lock, so two digests never arrive interleaved. Nothing is sent to a target its robot throttled
    (DingTalk: 10 minutes) before the window ends: the delivery waits for it.
    """
    channel = Channel.objects.filter(deliveries__pk=delivery_id).first()
    if channel is None:
        return "missing"
    robot = robot_for(channel)
    with target_lock(target_of(robot), wait=settings.DELIVERY_LEASE_SECONDS) as locked:
        if not locked:  # another digest is still being sent to the group: this one follows
            raise robots.Retryable("busy", wait=settings.DELIVERY_RETRY_SECONDS)
        if not _claim(delivery_id):
            return Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first() or "missing"
        delivery = Delivery.objects.select_related("digest__division", "channel").get(pk=delivery_id)
        until = _throttled_until(delivery.channel)
        if until is not None:
            exc = robots.RateLimited("rate_limited", wait=(until - timezone.now()).total_seconds())
            _finish(delivery, Delivery.Status.RETRYING, exc)
            raise exc
        return _send_parts(delivery, robot)


def _send_parts(delivery: Delivery, robot: robots.Robot) -> str:
    parts = digest_parts(delivery.digest, delivery.channel)
    Delivery.objects.filter(pk=delivery.pk).update(parts_total=len(parts))
    title = digest_title(delivery.digest)
    for index in range(delivery.parts_sent, len(parts)):
        if index > delivery.parts_sent:
            time.sleep(settings.ROBOT_PART_INTERVAL_SECONDS)
        try:
            robots.send(robot, parts[index], title=title, part=index + 1, parts=len(parts))
        except robots.Fatal as exc:
            _finish(delivery, Delivery.Status.STOPPED, exc)
            return Delivery.Status.STOPPED
        except robots.RateLimited as exc:
            # The robot's window applies to the group, whichever channel posts to it next.
            exc.wait = robots.rate_limit_wait(robot.kind)
            until = timezone.now() + datetime.timedelta(seconds=exc.wait)
            Channel.objects.filter(pk__in=target_channels(delivery.channel)).update(throttled_until=until)
            _finish(delivery, Delivery.Status.RETRYING, exc)
            raise
        except robots.Retryable as exc:
            _finish(delivery, Delivery.Status.RETRYING, exc)
            raise
        Delivery.objects.filter(pk=delivery.pk).update(parts_sent=index + 1, claimed_until=_lease())
    Delivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now())
    _finish(delivery, Delivery.Status.SENT)
    return Delivery.Status.SENT


def retry_countdown(exc: robots.Retryable, kind: str, retries: int) -> int:
    """Seconds before the next try after `exc`: the backoff, never before the robot's window or the target's
    throttle ends."""
    return robots.retry_countdown(kind, retries, rate_limited=isinstance(exc, robots.RateLimited), wait=exc.wait)


def delivery_retry_scheduled(*, delivery_id: int, countdown: float) -> None:
    """A retry is queued to run in `countdown` seconds: the lease runs to then and one lease beyond, so
    resume_stuck_deliveries leaves the retry to its own time and takes over only if no worker ran it."""
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.RETRYING).update(
        claimed_until=_lease(countdown), retry_at=timezone.now() + datetime.timedelta(seconds=countdown)
    )


def delivery_give_up(*, delivery_id: int, error: robots.RobotError) -> None:
    """After the last retry: failed, with the reason for the administrator."""
    Delivery.objects.filter(pk=delivery_id).exclude(status=Delivery.Status.SENT).update(
        status=Delivery.Status.FAILED,
        error_reason=error.reason,
        last_error=error.detail[:500],
        claimed_until=None,
        retry_at=None,
    )


@transaction.atomic
def delivery_resend(
    *, actor, delivery: Delivery, enqueue: Callable[[int, float], object], again: bool = False
) -> Delivery:
    """Send again by hand: a stopped or failed delivery resumes at its first part not yet taken;
    a sent one is sent whole again, only when `again` says the administrator means it (one misclick would post
    the whole digest to the group a second time). `enqueue(delivery_id, countdown)` queues
    the sending (the caller passes the task: services never import tasks); it runs once this is committed.

    If the group's robot is throttled (DingTalk: 10 minutes after it sent too fast), the delivery is scheduled
    for the end of the window: `retry_at` says when.
    """
    ensure_can_enter(actor, delivery.channel.division, "channel")
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if (
        delivery.status == Delivery.Status.SENDING
        and delivery.claimed_until
        and delivery.claimed_until > timezone.now()
    ):
        raise ValidationError(_("This delivery is being sent right now."))
    if delivery.status == Delivery.Status.SENT:
        if not again:
            raise ValidationError(
                _("This digest was delivered to the group at %(time)s. To post it to the group again, confirm it.")
                % {"time": f"{timezone.localtime(delivery.sent_at):%Y-%m-%d %H:%M}" if delivery.sent_at else "—"}
            )
        delivery.parts_sent = 0
    until = _throttled_until(delivery.channel)
    countdown = 0.0
    if until is None:
        delivery.status, delivery.claimed_until, delivery.retry_at = Delivery.Status.PENDING, None, None
        delivery.error_reason, delivery.last_error = "", ""
    else:
        # Held like a scheduled retry: resume_stuck_deliveries leaves it alone until its time has passed.
        countdown = (until - timezone.now()).total_seconds()
        delivery.status, delivery.retry_at = Delivery.Status.RETRYING, until
        delivery.claimed_until = _lease(countdown)
        delivery.error_reason, delivery.last_error = "rate_limited", ""
    delivery.save(update_fields=["status", "error_reason", "last_error", "parts_sent", "claimed_until", "retry_at"])
    audit_record(actor=actor, action="delivery.resent", obj=delivery, division_code=delivery.division_code)
    transaction.on_commit(lambda: enqueue(delivery.pk, countdown))
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
    record.key = channel_key(record.kind, record.key)
    record.base_url = _base_url(record.kind, record.base_url)
    record.mention = _mentions(record.kind, record.mention)
    record.secret = record.secret.strip()
    if record.kind in (Channel.Kind.DINGTALK, Channel.Kind.FEISHU) and not record.secret:
        raise ValidationError({"secret": _("DingTalk and Feishu robots are used with signing: give the secret.")})
    if record.kind == Channel.Kind.DINGTALK and not record.secret.startswith("SEC"):
        raise ValidationError(
            {"secret": _("A DingTalk signing secret starts with SEC: copy it from the robot's security settings.")}
        )
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


# Where each robot's webhook address keeps its key: the path it posts to, and the query parameter (or, for
# Feishu, the path's last segment) holding the key.
ROBOT_ADDRESSES = {
    Channel.Kind.WECOM: ("/cgi-bin/webhook/send", "key"),
    Channel.Kind.DINGTALK: ("/robot/send", "access_token"),
    Channel.Kind.FEISHU: ("/open-apis/bot/v2/hook/", None),
}
KEY_CHARACTERS = re.compile(r"^[A-Za-z0-9_.~-]+$")
USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_@.-]{0,63}$")  # WeCom's userid: letters, digits and _-@.


def _split(value: str, field: str) -> urllib.parse.SplitResult:
    """urlsplit, with an address it cannot read (an unclosed "[" of an IPv6 host) answered on its field."""
    try:
        return urllib.parse.urlsplit(value)
    except ValueError as exc:
        raise ValidationError({field: _("This is not an address that can be read.")}) from exc


def _is_http_url(value: str) -> bool:
    parts = _split(value, "base_url")
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _robot_of_address(parts: urllib.parse.SplitResult) -> str | None:
    for kind, (path, _param) in ROBOT_ADDRESSES.items():
        if parts.path.rstrip("/") == path.rstrip("/") or (path.endswith("/") and parts.path.startswith(path)):
            return kind
    return None


def channel_key(kind: str, value: str) -> str:
    """The key to store from what was typed or pasted. The robots hand out a whole webhook address
    (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…, https://oapi.dingtalk.com/robot/send?access_token=…,
    https://open.feishu.cn/open-apis/bot/v2/hook/…): people paste it, and its key is taken out of it. Another
    robot's address is refused. A generic webhook's key is its whole address."""
    value = value.strip()
    if kind == Channel.Kind.WEBHOOK:
        if not _is_http_url(value):
            raise ValidationError(
                {"key": _("For a generic webhook, give its whole address, starting with http:// or https://.")}
            )
        if not robots.address_allowed(kind, value):
            raise ValidationError(
                {
                    "key": _(
                        "A generic webhook can only post to addresses the system administrator allows "
                        "(ROBOT_ALLOWED_HOSTS); %(host)s is not one of them: ask the system administrator."
                    )
                    % {"host": _shown_host(value)}
                }
            )
        return value
    if not value:
        return value
    robot = Channel.Kind(kind).label
    if "/" in value or "?" in value or "=" in value:
        parts = _split(value if "://" in value else f"https://{value}", "key")
        found = _robot_of_address(parts)
        if found is None:
            raise ValidationError(
                {
                    "key": _("This is not a %(robot)s's address: paste the address the robot gives, or only its key.")
                    % {"robot": robot}
                }
            )
        if found != kind:
            raise ValidationError(
                {
                    "key": _(
                        "This is the address of a %(found)s, not of a %(robot)s: choose %(found)s as the robot, "
                        "or paste the %(robot)s's address."
                    )
                    % {"found": Channel.Kind(found).label, "robot": robot}
                }
            )
        path, param = ROBOT_ADDRESSES[kind]
        if param:
            value = urllib.parse.parse_qs(parts.query).get(param, [""])[0].strip()
        else:
            value = parts.path[len(path) :].strip("/")
        if not value:
            raise ValidationError({"key": _("The address holds no key: copy the robot's whole address again.")})
    if not KEY_CHARACTERS.match(value):
        raise ValidationError(
            {"key": _("A key holds only letters, digits and - _ . ~: copy it again from the robot's settings.")}
        )
    return value


def _shown_host(url: str) -> str:
    """The host of an address as typed, with its port if it names one: what a refusal names (never the path,
    which may hold a key)."""
    try:
        return urllib.parse.urlsplit(url).netloc.rpartition("@")[2] or url
    except ValueError:
        return url


def _base_url(kind: str, value: str) -> str:
    """The service address: empty for the default, else an absolute http(s) address, no query, at the robot's
    own service or at a host the operator allows (an intranet proxy): never anywhere else, since the server
    posts there and reports the answer (robots.address_allowed)."""
    value = value.strip().rstrip("/")
    if not value:
        return value
    parts = _split(value, "base_url")
    if not _is_http_url(value):
        raise ValidationError(
            {
                "base_url": _(
                    "Give the whole address, starting with http:// or https://, e.g. https://qyapi.weixin.qq.com."
                )
            }
        )
    if parts.query or parts.fragment:
        raise ValidationError(
            {"base_url": _("Give the service's address only, without ?…: the key goes into Key or Token.")}
        )
    if not robots.address_allowed(kind, value):
        public = robots.PUBLIC_HOSTS.get(kind, ())
        if public:
            message = _(
                "%(host)s is not the %(robot)s's service: give an address at %(hosts)s, or leave it empty; a proxy "
                "must first be allowed by the system administrator (ROBOT_ALLOWED_HOSTS)."
            )
        else:
            message = _(
                "%(host)s is not an address the system administrator allows (ROBOT_ALLOWED_HOSTS): leave it empty."
            )
        raise ValidationError(
            {
                "base_url": message
                % {
                    "host": _shown_host(value),
                    "robot": Channel.Kind(kind).label,
                    "hosts": " / ".join(f"https://{host}" for host in public),
                }
            }
        )
    return value


def _mentions(kind: str, value: str) -> str:
    """The @-mentions, checked one by one: mainland mobile numbers (DingTalk, WeCom) or WeCom user ids.
    One that cannot work is refused with its value, never dropped."""
    entries = [m for m in re.split(r"[,，、;；\s]+", value) if m]
    if entries and kind in (Channel.Kind.FEISHU, Channel.Kind.WEBHOOK):
        raise ValidationError({"mention": _("This robot cannot @ anyone: leave it empty.")})
    for entry in entries:
        if robots.is_mobile(entry):
            continue
        if entry.isdigit() or entry.lstrip("+").isdigit():
            message = _("%(value)s is not a mobile number: give 11 digits starting with 13–19.")
        elif kind == Channel.Kind.DINGTALK:
            message = _("%(value)s is not a mobile number: DingTalk @s members by their mobile numbers.")
        elif USER_ID.match(entry):
            continue
        else:
            message = _("%(value)s is neither a mobile number nor a WeCom user id (letters, digits and _-@. only).")
        raise ValidationError({"mention": message % {"value": entry}})
    return ",".join(entries)


def channel_test(*, actor, channel: Channel) -> str:
    """Post a short test message now; the answer, in words, for the administrator."""
    ensure_can_enter(actor, channel.division, "channel")
    text = _("Test message from the loose-coal control system for %(unit)s.") % {"unit": channel.division.name}
    # It @s nobody: the people the digest calls on (leaders, at any hour the administrator tests) are not
    # rung for a test, and on WeCom, whose markdown cannot @ a mobile, it stays one markdown message like a digest.
    robot = dataclasses.replace(robot_for(channel), mention=())
    try:
        robots.send(robot, text, title=_("Test message"))
    except robots.RobotError as exc:
        Channel.objects.filter(pk=channel.pk).update(result=exc.reason, result_detail=exc.detail[:200])
        return _("Not delivered: %(error)s") % {"error": robots.describe(exc.reason, exc.detail, channel.kind)}
    Channel.objects.filter(pk=channel.pk).update(result="delivered", result_detail="")
    return _("Delivered.")
