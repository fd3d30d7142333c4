"""The night-check planner (今晚查哪里): the district's scoring weights, and the plans turned into operations.

A plan that is only looked at is never stored: `/plan/` computes it from the records each time. When a team
leader turns it into a night-check operation, the plan is frozen as a NightPlan with its teams and their doors
(PlanStop), each door with the score and the parts it had then, so the list the teams carry does not change
under them while visits come in.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from divisions.models import Division
from divisions.scoping import ScopedQuerySet
from households.models import Household
from inspections.models import NightOperation


class WeightsQuerySet(ScopedQuerySet):
    scope_field = "district__code"


class PlanWeights(models.Model):
    """One version of a district's planner weights; the newest applies. Never changed, only superseded."""

    district = models.ForeignKey(Division, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    weights = models.JSONField(_("weights"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = WeightsQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("planner weights")
        verbose_name_plural = _("planner weights")

    def __str__(self) -> str:
        return f"{self.district} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"


class NightPlanQuerySet(ScopedQuerySet):
    scope_field = "division_code"


class NightPlan(models.Model):
    """A plan turned into a night-check operation: for a unit (a subdistrict, or a district across its
    subdistricts), a night, N teams of M doors, and the weights it was scored with."""

    division = models.ForeignKey(Division, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(max_length=20, db_index=True, editable=False)
    date = models.DateField(_("night of"))
    teams = models.PositiveSmallIntegerField(_("teams"))
    doors_per_team = models.PositiveSmallIntegerField(_("doors per team"))
    weights = models.JSONField(_("weights applied"))
    weight_version = models.ForeignKey(
        PlanWeights, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("weights")
    )
    operation = models.OneToOneField(
        NightOperation, verbose_name=_("night-check operation"), on_delete=models.PROTECT, related_name="plan"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = NightPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("night-check plan")
        verbose_name_plural = _("night-check plans")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.division}"

    def get_absolute_url(self) -> str:
        return reverse("planning:detail", args=[self.pk])


class PlanTeam(models.Model):
    """One team of a plan (第1组…), and who walks with it."""

    plan = models.ForeignKey(NightPlan, on_delete=models.CASCADE, related_name="team_rows")
    number = models.PositiveSmallIntegerField(_("team"))
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="+")

    class Meta:
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="planteam_unique")]

    def __str__(self) -> str:
        return f"{self.plan} #{self.number}"


class PlanStop(models.Model):
    """A door on a team's list, in walking order, with its score and the parts of it when the plan was made."""

    team = models.ForeignKey(PlanTeam, on_delete=models.CASCADE, related_name="stops")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(max_length=20, editable=False)
    position = models.PositiveIntegerField()
    score = models.FloatField()
    parts = models.JSONField(default=dict)

    class Meta:
        ordering = ["team", "position"]
        constraints = [models.UniqueConstraint(fields=["team", "household"], name="planstop_unique")]
        indexes = [models.Index(fields=["household"], name="planstop_household")]

    def __str__(self) -> str:
        return f"{self.team} {self.position}: {self.household_id}"
