"""The demo data set holds a night-check plan: 五里堡's tonight, two teams, some doors visited, shown on /plan/<id>/
and on each member's phone page; loading the demo again makes no second plan."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from inspections.models import Inspection, NightOperation
from planning.models import NightPlan, PlanStop
from planning.selectors import night_in_progress

pytestmark = pytest.mark.django_db


def test_the_demo_holds_tonights_plan_once_with_some_doors_visited(client):
    call_command("load_demo", "--force", stdout=io.StringIO())

    plan = NightPlan.objects.get()
    assert plan.division_code == "410103006" and plan.date == night_in_progress()
    assert plan.team_rows.count() == 2 and PlanStop.objects.filter(team__plan=plan).count() > 2
    inspector = get_user_model().objects.get(username="wulibao_inspector")

    client.force_login(inspector)
    page = client.get(f"/plan/{plan.pk}/")
    assert page.status_code == 200
    assert (page.context["covered"], page.context["found"]) == (3, 1)
    assert [t.covered for t in page.context["teams"]] == [2, 1]
    phone = client.get("/field/").content.decode()
    assert phone.count('data-testid="plan-team"') == 1 and "data-plan-stop" in phone and "✓ 1." in phone

    counts = (NightPlan.objects.count(), NightOperation.objects.count(), Inspection.objects.count())
    call_command("load_demo", "--force", stdout=io.StringIO())
    assert (NightPlan.objects.count(), NightOperation.objects.count(), Inspection.objects.count()) == counts
