"""The weekly ranking (周排名): the weights district administrators set, and the weeks they publish.

A published week is frozen: its RankingRows keep each community's inputs, indicator values, normalised
values, score and ranks as they were when it was published, whatever is recorded afterwards.
An unpublished week is not stored at all: it is computed from the records whenever it is asked for.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
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
        return f"{self.district} {self.created_at:%Y-%m-%d %H:%M}"


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
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)

    objects = RankingQuerySet.as_manager()

    class Meta:
        ordering = ["-week_start", "district__code"]
        verbose_name = _("published ranking week")
        verbose_name_plural = _("published ranking weeks")
        constraints = [models.UniqueConstraint(fields=["district", "week_start"], name="ranking_week_unique")]

    def __str__(self) -> str:
        return f"{self.district} {self.week_start:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return f"{reverse('reports:ranking')}?district={self.district.code}&week={self.week_start:%Y-%m-%d}"


class RankingRow(models.Model):
    """One community's line of a published week."""

    week = models.ForeignKey(RankingWeek, on_delete=models.CASCADE, related_name="rows")
    community_code = models.CharField(max_length=20)
    community_name = models.CharField(max_length=100)
    subdistrict_code = models.CharField(max_length=20)
    subdistrict_name = models.CharField(max_length=100)
    inputs = models.JSONField(default=dict)
    values = models.JSONField(default=dict)
    normalised = models.JSONField(default=dict)
    score = models.FloatField()
    rank_in_subdistrict = models.PositiveIntegerField()
    rank_in_district = models.PositiveIntegerField()
    previous_rank_in_district = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["week", "rank_in_district"]
        constraints = [
            models.UniqueConstraint(fields=["week", "community_code"], name="ranking_row_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.community_name} {self.rank_in_district}"
