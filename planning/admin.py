from django.contrib import admin

from coalgov.admin import ReadOnlyAdmin

from .models import NightPlan, PlanWeights


@admin.register(PlanWeights)
class PlanWeightsAdmin(ReadOnlyAdmin):
    list_display = ["district", "created_at", "created_by", "note"]


@admin.register(NightPlan)
class NightPlanAdmin(ReadOnlyAdmin):
    """Plans are made by planning.services.plan_operation_create with their operation, and never edited."""

    list_display = ["date", "division", "operation", "teams", "doors_per_team", "created_by"]
    list_select_related = ["division", "operation", "created_by"]
