"""The weekly ranking (周排名): the weights district administrators set, and the weeks they publish.

A published week is frozen: its RankingRows keep each community's inputs, indicator values, normalised
values, score and ranks as they were when it was published, whatever is recorded afterwards.
An unpublished week is not stored at all: it is computed from the records whenever it is asked for.

Ledger exports (台账): a user's request for a unit's records over a period as an .xlsx, and its progress.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from divisions.models import Division
from divisions.scoping import ScopedQuerySet


class RankingQuerySet(ScopedQuerySet):
    scope_field = "district__code"


class WeightVersion(models.Model):
    """One version of a district's ranking weights; the newest applies. Never changed, only superseded."""

    district = models.ForeignKey(Division, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    weights = models.JSONField(_("weights"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RankingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ranking weights")
        verbose_name_plural = _("ranking weights")

    def __str__(self) -> str:
        return f"{self.district} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"


class RankingWeek(models.Model):
    """A published week of a district's ranking, frozen."""

    district = models.ForeignKey(Division, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    week_start = models.DateField(_("week starting"))
    weight_version = models.ForeignKey(
        WeightVersion,
        verbose_name=_("weights"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="weeks",
        help_text=_("Empty: the default weights."),
    )
    weights = models.JSONField(_("weights applied"))
    # [{code, name, communities, mean_score, coverage, overdue, rank, previous_rank}], in rank order.
    subdistricts = models.JSONField(default=list)
    # The community codes praised and named as published, so that a later change of the rule or of
    # RANKING_PRAISE_COUNT does not rewrite a published bulletin. None: published before they were kept.
    praised = models.JSONField(null=True, blank=True, editable=False)
    named = models.JSONField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    # A withdrawn publication stays, frozen, as the record of what was published and why it was taken back;
    # the week may then be published again (a new row), so only one row per week is not withdrawn.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdraw_reason = models.TextField(_("reason for withdrawing"), blank=True)

    objects = RankingQuerySet.as_manager()

    class Meta:
        ordering = ["-week_start", "district__code"]
        verbose_name = _("published ranking week")
        verbose_name_plural = _("published ranking weeks")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "week_start"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="ranking_week_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.district} {self.week_start:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return f"{reverse('reports:ranking')}?district={self.district.code}&week={self.week_start:%Y-%m-%d}"


class RankingRow(models.Model):
    """One community's line of a published week. A community without data that week (docs/ranking.md) has
    no score and no ranks."""

    week = models.ForeignKey(RankingWeek, on_delete=models.CASCADE, related_name="rows")
    community_code = models.CharField(max_length=20)
    community_name = models.CharField(max_length=100)
    subdistrict_code = models.CharField(max_length=20)
    subdistrict_name = models.CharField(max_length=100)
    inputs = models.JSONField(default=dict)
    values = models.JSONField(default=dict)
    normalised = models.JSONField(default=dict)
    score = models.FloatField(null=True, blank=True)
    rank_in_subdistrict = models.PositiveIntegerField(null=True, blank=True)
    rank_in_district = models.PositiveIntegerField(null=True, blank=True)
    previous_rank_in_district = models.PositiveIntegerField(null=True, blank=True)
    # The line's place in the table: equal scores share a rank, and the tie-break orders them.
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ranking row")
        verbose_name_plural = _("ranking rows")
        ordering = ["week", "position", "rank_in_district", "community_code"]
        constraints = [
            models.UniqueConstraint(fields=["week", "community_code"], name="ranking_row_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.community_name} {self.rank_in_district}"


class LedgerExportQuerySet(ScopedQuerySet):
    """An export is seen only by the user who asked for it, and only while its unit is in their jurisdiction."""

    scope_field = "division_code"

    def visible_to(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        return super().visible_to(user).filter(requested_by=user)

    def pending(self):
        return self.filter(status__in=[LedgerExport.Status.QUEUED, LedgerExport.Status.RUNNING])


class LedgerExport(models.Model):
    """A ledger (台账) of a unit for a period: an .xlsx with the sheets the user chose, built in the background.

    The file is stored under MEDIA_ROOT/ledgers/ with a random name and served only through the download view,
    to the user who asked. Beat removes it after LEDGER_KEEP_DAYS (status expired); the row stays.
    `attempts` counts claims: a worker writes progress and the result only while its claim is the latest.
    """

    class Sheet(models.TextChoices):
        HOUSEHOLDS = "households", _("Household register")
        INSPECTIONS = "inspections", _("Visits")
        SEIZURES = "seizures", _("Taken away")
        PURCHASES = "purchases", _("Purchases")
        CASES = "cases", _("Cases")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being built")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    division = models.ForeignKey(Division, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(max_length=20, editable=False)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    sheets = models.JSONField(_("sheets"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(upload_to="ledgers/", max_length=200, blank=True, editable=False)
    size = models.PositiveBigIntegerField(_("file size"), default=0, editable=False)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(default=0, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = LedgerExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ledger export")
        verbose_name_plural = _("ledger exports")
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="ledger_export_mine")]

    def __str__(self) -> str:
        return f"{self.division.name} {self.start:%Y-%m-%d}–{self.end:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("reports:ledger", args=[self.pk])

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, 100 * self.rows_done // self.rows_total)

    @property
    def sheet_labels(self) -> list[str]:
        return [str(self.Sheet(key).label) for key in self.Sheet.values if key in self.sheets]
