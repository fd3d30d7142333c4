"""The night-check planner's API: plans turned into operations, read-only, each with its teams, their doors and
the coverage /plan/<id>/ shows.

Jurisdiction is the plan pages' own: `NightPlan.objects.visible_to` through the shared ScopedViewSet (another
subdistrict's plan is a 404, a user without membership lists nothing), and coverage comes from the same selector
as the page (`planning.selectors.plan_coverage`), so the API and the page agree on every figure.
"""

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.response import Response

from coalgov.api import ScopedViewSet
from coalgov.filters import DateRangeFilter, UnitFilterSet

from .models import NightPlan, PlanStop, PlanTeam
from .selectors import PART_KEYS, plan_coverage


class NightPlanFilterSet(UnitFilterSet):
    """Plans by unit (`division`, a code: its subtree) and by night (`date_after`, `date_before`, inclusive)."""

    date = DateRangeFilter(label=_("Night of"))

    class Meta:
        model = NightPlan
        fields = ["division", "date"]


class PlanMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    first_name = serializers.CharField()


class PlanStopSerializer(serializers.ModelSerializer):
    """A door on a team's list, in walking order, with its frozen score and parts, and its coverage since the plan
    was made: `covered` once any visit to it is recorded, `found` when such a visit found coal or a stove."""

    household = serializers.IntegerField(source="household_id")
    address = serializers.CharField(source="household.label")
    community = serializers.CharField(source="household.division.name")
    parts = serializers.SerializerMethodField()
    covered = serializers.BooleanField()
    found = serializers.BooleanField()

    class Meta:
        model = PlanStop
        fields = [
            "position",
            "household",
            "division_code",
            "community",
            "address",
            "score",
            "parts",
            "covered",
            "found",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "description": "Points of each reason that held when the plan was made (keys: "
            + ", ".join(PART_KEYS)
            + ").",
            "additionalProperties": {"type": "number"},
        }
    )
    def get_parts(self, stop) -> dict:
        return stop.parts


class PlanTeamSerializer(serializers.Serializer):
    """A team (第N组): who walks with it, its doors and how many were checked and found with coal."""

    number = serializers.IntegerField()
    members = PlanMemberSerializer(many=True)
    count = serializers.IntegerField()
    covered = serializers.IntegerField()
    found = serializers.IntegerField()
    stops = PlanStopSerializer(many=True)


class NightPlanSerializer(serializers.ModelSerializer):
    """A plan turned into a night-check operation: unit, night, size, and the operation it made."""

    division = serializers.SlugRelatedField(slug_field="code", read_only=True)
    division_name = serializers.CharField(source="division.name")
    title = serializers.CharField(source="operation.title")
    operation_voided = serializers.BooleanField(source="operation.is_voided")
    stop_count = serializers.IntegerField(help_text=_("Doors on the plan's lists."))
    created_by = serializers.CharField(source="created_by.username")

    class Meta:
        model = NightPlan
        fields = [
            "id",
            "division",
            "division_name",
            "date",
            "title",
            "operation",
            "operation_voided",
            "teams",
            "doors_per_team",
            "weights",
            "stop_count",
            "created_by",
            "created_at",
        ]


class NightPlanDetailSerializer(NightPlanSerializer):
    """The plan with each team's doors and coverage, and the totals /plan/<id>/ shows."""

    covered = serializers.IntegerField()
    found = serializers.IntegerField()
    team_lists = PlanTeamSerializer(many=True)

    class Meta(NightPlanSerializer.Meta):
        fields = [*NightPlanSerializer.Meta.fields, "covered", "found", "team_lists"]


class NightPlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Night-check plans within the caller's jurisdiction, newest night first; one plan with its teams' doors and
    which were checked since it was made."""

    queryset = (
        NightPlan.objects.select_related("division", "operation", "created_by")
        .prefetch_related(Prefetch("team_rows", queryset=PlanTeam.objects.prefetch_related("members")))
        # A household voided since the plan is no door (plan_stops): the count agrees with the plan's lists.
        .annotate(stop_count=Count("team_rows__stops", filter=Q(team_rows__stops__household__voided_at__isnull=True)))
    )
    serializer_class = NightPlanSerializer
    filterset_class = NightPlanFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        # The list carries no teams: only the detail reads them.
        return queryset.prefetch_related(None) if self.action == "list" else queryset

    def get_serializer_class(self):
        return NightPlanDetailSerializer if self.action == "retrieve" else NightPlanSerializer

    def retrieve(self, request, *args, **kwargs):
        plan = self.get_object()
        teams = plan_coverage(plan)
        plan.team_lists = teams
        plan.covered = sum(t.covered for t in teams)
        plan.found = sum(t.found for t in teams)
        return Response(self.get_serializer(plan).data)
