"""The demo's night-check plan: tonight's plan of 五里堡 turned into an operation of two teams, with a few doors
already visited, so /plan/<id>/ shows coverage and the phone page of each team's member lists its doors.

Made through the planner's own service (`plan_operation_create`) and the visit service, as a subdistrict
administrator would from /plan/, never by creating rows: the demo stays what the system can make.
"""

import uuid

from divisions.models import Division
from inspections.models import Inspection
from inspections.services import inspection_record

from .models import NightPlan
from .selectors import night_in_progress
from .services import plan_operation_create

# Fixed submission keys: a second load_demo finds the plan and the visits it made the first time.
DEMO_PLAN_UUID = uuid.UUID("6f1d2c1e-5b7a-4e8f-9a51-0d3c2b1a7e01")
DEMO_VISITS_NAMESPACE = uuid.UUID("6f1d2c1e-5b7a-4e8f-9a51-0d3c2b1a7e02")
SUBDISTRICT = "410103006"  # 五里堡街道, the demo users' subdistrict
TEAMS, DOORS = 2, 6
# The first doors of each team are visited: (team, position in walking order) → what the visit found.
VISITED = {
    (1, 1): Inspection.Outcome.LOOSE_COAL,
    (1, 2): Inspection.Outcome.NO_COAL,
    (2, 1): Inspection.Outcome.NO_COAL,
}


def demo_plan(*, users: dict) -> int:
    """Tonight's plan for 五里堡, with its first doors visited; once. -> plans created (0 or 1)."""
    if NightPlan.objects.filter(operation__client_uuid=DEMO_PLAN_UUID).exists():
        return 0
    admin, inspector = users["wulibao_admin"], users["wulibao_inspector"]
    plan, created = plan_operation_create(
        actor=admin,
        unit=Division.objects.get(code=SUBDISTRICT),
        night=night_in_progress(),
        teams=TEAMS,
        doors=DOORS,
        title="五里堡街道零点夜查",
        leader="五里堡街道 张主任",
        members=[[inspector], [admin]],
        client_uuid=DEMO_PLAN_UUID,
    )
    if not created:
        return 0
    walkers = {1: inspector, 2: admin}
    for team in plan.team_rows.all():
        for stop in team.stops.select_related("household").order_by("position"):
            outcome = VISITED.get((team.number, stop.position))
            if outcome is None:
                continue
            inspection_record(
                actor=walkers[team.number],
                household=stop.household,
                kind=Inspection.Kind.NIGHT_CHECK,
                outcome=outcome,
                operation=plan.operation,
                client_uuid=uuid.uuid5(DEMO_VISITS_NAMESPACE, f"{team.number}-{stop.position}"),
            )
    return 1
