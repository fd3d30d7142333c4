"""The daily supervision digest (每日督查通报) and its delivery to the units' work groups.

A Channel is one group robot (WeCom, DingTalk, Feishu, or a generic JSON webhook) that receives one
division's digest. A Digest is the text for one date and division, built once. A Delivery is one digest
to one channel: claimed before sending, sent part by part with its progress saved, so a repeated run,
a second worker or a worker killed mid-send never posts a part twice and never loses one.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coalgov.wording import with_note
from divisions.models import Division
from divisions.scoping import ScopedQuerySet


class DigestQuerySet(ScopedQuerySet):
    scope_field = "division_code"


class Channel(models.Model):
    class Kind(models.TextChoices):
        WECOM = "wecom", _("WeCom group robot")
        DINGTALK = "dingtalk", _("DingTalk custom robot")
        FEISHU = "feishu", _("Feishu custom bot")
        WEBHOOK = "webhook", _("Generic JSON webhook")

    division = models.ForeignKey(
        Division, verbose_name=_("digest of"), on_delete=models.PROTECT, related_name="digest_channels"
    )
    division_code = models.CharField(max_length=20, editable=False, db_index=True)
    name = models.CharField(_("work group"), max_length=100)
    kind = models.CharField(_("robot"), max_length=10, choices=Kind.choices)
    # The robot's key (WeCom key, DingTalk access_token, Feishu hook token) or, for a generic webhook, its
    # whole URL; and the signing secret. Write-only: pages and the API never show them again.
    key = models.CharField(_("key or token"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    base_url = models.CharField(
        _("service address"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty for the default; set it when the intranet reaches the service through a proxy."),
    )
    mention = models.CharField(
        _("mention"),
        max_length=500,
        blank=True,
        help_text=_("Mobile numbers (DingTalk, WeCom) or user ids (WeCom) to @, separated by commas."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The last result: "sent" (result_detail: the digest's date), "delivered" (a test message), or a reason of
    # robots.REASONS with the service's code and message in result_detail; shown translated (result_text).
    result = models.CharField(_("last result"), max_length=20, blank=True, editable=False)
    result_detail = models.CharField(max_length=200, blank=True, editable=False)
    # The robot throttled this group until then (DingTalk: 10 minutes): nothing is sent to it before.
    throttled_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DigestQuerySet.as_manager()

    class Meta:
        ordering = ["division_code", "name"]
        verbose_name = _("digest channel")
        verbose_name_plural = _("digest channels")

    def __str__(self) -> str:
        return with_note(self.name, self.get_kind_display())

    @property
    def result_text(self) -> str:
        from . import robots

        if self.result == "sent":
            return _("Sent the digest of %(date)s") % {"date": self.result_detail}
        if self.result == "delivered":
            return str(_("Test message delivered"))
        return robots.describe(self.result, self.result_detail, self.kind)

    @property
    def needs_check(self) -> bool:
        """The last attempt failed in a way only fixing the channel can cure."""
        from . import robots

        return self.result in robots.CHECK_CHANNEL

    @property
    def key_hint(self) -> str:
        """Enough of the key to recognise it, never enough to use it."""
        return f"…{self.key[-4:]}" if len(self.key) > 8 else "…"


class Digest(models.Model):
    """One day's digest for one division, as sent: built once, so every channel gets the same text."""

    date = models.DateField(_("date"))
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(max_length=20, editable=False, db_index=True)
    text = models.TextField(_("text"))
    built_at = models.DateTimeField(auto_now_add=True)

    objects = DigestQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "division_code"]
        verbose_name = _("daily digest")
        verbose_name_plural = _("daily digests")
        constraints = [models.UniqueConstraint(fields=["date", "division"], name="digest_once_per_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.division}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Will retry")
        SENT = "sent", _("Sent")
        STOPPED = "stopped", _("Stopped: check the channel")
        FAILED = "failed", _("Failed after retries")

    digest = models.ForeignKey(Digest, on_delete=models.PROTECT, related_name="deliveries")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="deliveries")
    division_code = models.CharField(max_length=20, editable=False, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    parts_total = models.PositiveIntegerField(default=0)
    parts_sent = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Why the last attempt failed: a reason of robots.REASONS, and the service's code and message as given.
    error_reason = models.CharField(max_length=20, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    retry_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DigestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.UniqueConstraint(fields=["digest", "channel"], name="delivery_once_per_channel")]

    def __str__(self) -> str:
        return f"{self.digest} → {self.channel}"

    @property
    def error_text(self) -> str:
        """The last error for the administrator, in the page's language, with the service's own words."""
        from . import robots

        if self.error_reason:
            gave_up = self.status == self.Status.FAILED
            return robots.describe(self.error_reason, self.last_error, self.channel.kind, gave_up=gave_up)
        return self.last_error
