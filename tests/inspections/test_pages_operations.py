"""Night-check operation pages: the list, planning and changing one, and what it found."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inspections.models import Inspection, NightOperation, Seizure

pytestmark = pytest.mark.django_db

LIST = reverse("inspections:operation-list")
CREATE = reverse("inspections:operation-create")


def form_data(division, covered, team=(), **changes):
    data = {
        "division": division.pk,
        "date": timezone.localdate().isoformat(),
        "title": "零点夜查",
        "leader": "区委书记、区长",
        "covered": [unit.pk for unit in covered],
        "team": [user.pk for user in team],
        "notes": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def wulibao_operation(plan_operation, wulibao, wulibao_community):
    return plan_operation(wulibao, covered=[wulibao_community])


@pytest.mark.parametrize("username", ["qu_admin", "qu_leader", "wulibao_admin", "wulibao_inspector"])
def test_those_who_see_wulibao_see_its_operations(client_as, wulibao_operation, username):
    response = client_as(username).get(LIST)

    assert response.status_code == 200
    assert list(response.context["object_list"]) == [wulibao_operation]
    assert response.context["paginator"].count == 1


@pytest.mark.parametrize("username", ["huaihelu_inspector", "nobody"])
def test_others_see_no_wulibao_operation_and_its_page_is_not_found(client_as, wulibao_operation, username):
    client = client_as(username)

    assert list(client.get(LIST).context["object_list"]) == []
    assert client.get(wulibao_operation.get_absolute_url()).status_code == 404
    assert client.get(reverse("inspections:operation-update", args=[wulibao_operation.pk])).status_code == 404
    assert (
        client.post(reverse("inspections:operation-void", args=[wulibao_operation.pk]), {"reason": "x"}).status_code
        == 404
    )


def test_the_list_counts_visits_and_households_of_each_operation(
    client_as, wulibao_operation, visit, household_in, wulibao_community, last_night, plan_operation, huaihelu
):
    first, second = household_in(wulibao_community), household_in(wulibao_community)
    visit(first, "stove_in_use", last_night, operation=wulibao_operation)
    visit(first, "no_coal", last_night + datetime.timedelta(hours=1), operation=wulibao_operation)
    visit(second, "no_coal", last_night, operation=wulibao_operation)
    plan_operation(huaihelu, by="qu_admin")

    response = client_as("qu_admin").get(LIST)

    assert response.context["paginator"].count == 2
    row = next(op for op in response.context["object_list"] if op.pk == wulibao_operation.pk)
    assert (row.visits, row.households) == (3, 2)
    assert client_as("qu_admin").get(LIST, {"division": huaihelu.code}).context["paginator"].count == 1


def test_the_list_costs_the_same_queries_for_3_operations_as_for_30(
    client_as, plan_operation, wulibao, wulibao_community
):
    client = client_as("wulibao_admin")

    def add(n):
        for i in range(n):
            plan_operation(wulibao, covered=[wulibao, wulibao_community], title=f"夜查{i}")

    add(3)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(LIST).context["object_list"]) == 3
    add(27)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(LIST).context["object_list"]) == 30

    assert len(many) == len(few)


def test_the_operation_page_shows_households_findings_seizure_totals_and_visits(
    client_as, wulibao_operation, visit, wulibao_household, household_in, wulibao_community, last_night
):
    found = visit(
        wulibao_household,
        "stove_in_use",
        last_night,
        by="wulibao_inspector",
        kind="night_check",
        operation=wulibao_operation,
        seized=[("briquette", 50), ("stove", 1, "destroyed")],
    )
    neighbour = household_in(wulibao_community)
    visit(neighbour, "loose_coal", last_night, operation=wulibao_operation, seized=[("briquette", 30)])
    visit(neighbour, "no_coal", last_night + datetime.timedelta(hours=1), operation=wulibao_operation)
    visit(neighbour, "no_coal", last_night)  # not part of the operation

    response = client_as("wulibao_inspector").get(wulibao_operation.get_absolute_url())

    assert response.status_code == 200
    context = response.context
    assert context["households_visited"] == 2
    assert dict(context["outcomes"])[Inspection.Outcome.STOVE_IN_USE.label] == 1
    assert dict(context["outcomes"])[Inspection.Outcome.NO_COAL.label] == 1
    assert context["seizure_totals"] == [(Seizure.Item.BRIQUETTE.label, 80), (Seizure.Item.STOVE.label, 1)]
    assert len(context["visits"]) == 3
    assert found.get_absolute_url() in response.content.decode()


def test_a_voided_visit_counts_nowhere_on_the_operation_page(
    client_as, wulibao_operation, visit, void, wulibao_household, last_night
):
    void(visit(wulibao_household, "loose_coal", last_night, operation=wulibao_operation, seized=[("briquette", 9)]))

    context = client_as("wulibao_admin").get(wulibao_operation.get_absolute_url()).context

    assert context["households_visited"] == 0
    assert context["seizure_totals"] == []
    assert list(context["visits"]) == []


def test_a_subdistrict_administrator_plans_an_operation_with_a_team_and_covered_communities(
    client_as, people, wulibao, wulibao_community, wulibao_other_community
):
    team = [people["wulibao_inspector"], people["wulibao_worker"]]

    response = client_as("wulibao_admin").post(
        CREATE, form_data(wulibao, [wulibao_community, wulibao_other_community], team)
    )

    operation = NightOperation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == operation.get_absolute_url()
    assert operation.division == wulibao
    assert set(operation.team.all()) == set(team)
    assert set(operation.covered.all()) == {wulibao_community, wulibao_other_community}


def test_the_form_offers_only_units_and_members_within_the_organising_unit(client_as, people, wulibao):
    form = client_as("wulibao_admin").get(CREATE).context["form"]

    assert wulibao in form.fields["division"].queryset
    assert all(unit.code.startswith(wulibao.code) for unit in form.fields["division"].queryset)
    assert all(unit.code.startswith(wulibao.code) for unit in form.fields["covered"].queryset)
    assert people["huaihelu_inspector"] not in form.fields["team"].queryset
    assert people["wulibao_inspector"] in form.fields["team"].queryset


def test_a_covered_unit_or_a_team_member_outside_the_organising_unit_saves_nothing(
    client_as, people, wulibao, wulibao_community, huaihelu_community
):
    client = client_as("qu_admin")

    outside_unit = client.post(CREATE, form_data(wulibao, [wulibao_community, huaihelu_community]))
    outsider = client.post(CREATE, form_data(wulibao, [wulibao_community], [people["huaihelu_inspector"]]))

    assert outside_unit.status_code == 200
    assert outside_unit.context["form"].errors["covered"] == [f"{huaihelu_community.name}不在组织单位辖区内。"]
    assert outsider.status_code == 200
    # Named, not "选择一个有效的选项。 6 不在可用的选项中。" (an outside planner, as the district office).
    inspector = people["huaihelu_inspector"]
    assert outsider.context["form"].errors["team"] == [
        f"{inspector.first_name or inspector.username}不在{wulibao.name}工作。"
    ]
    assert not NightOperation.objects.exists()


@pytest.mark.parametrize("username", ["wulibao_inspector", "wulibao_worker", "nobody"])
def test_those_who_may_not_organise_cannot_open_the_planning_form(client_as, username):
    assert client_as(username).get(CREATE).status_code == 403


def test_an_administrator_of_wulibao_cannot_organise_for_huaihelu(client_as, huaihelu, huaihelu_community):
    response = client_as("wulibao_admin").post(CREATE, form_data(huaihelu, [huaihelu_community]))

    assert response.status_code == 200
    assert response.context["form"].errors["division"]
    assert not NightOperation.objects.exists()


def test_the_organiser_changes_an_operation_and_an_inspector_may_not(client_as, wulibao_operation, wulibao_community):
    url = reverse("inspections:operation-update", args=[wulibao_operation.pk])
    data = form_data(wulibao_operation.division, [wulibao_community], title="零点夜查（二）")

    assert client_as("wulibao_inspector").post(url, data).status_code == 403
    response = client_as("wulibao_admin").post(url, data)

    assert response.status_code == 302
    wulibao_operation.refresh_from_db()
    assert wulibao_operation.title == "零点夜查（二）"


def test_a_subdistrict_administrator_voids_an_operation(client_as, wulibao_operation):
    response = client_as("wulibao_admin").post(
        reverse("inspections:operation-void", args=[wulibao_operation.pk]), {"reason": "取消"}
    )

    assert response.status_code == 302
    wulibao_operation.refresh_from_db()
    assert wulibao_operation.is_voided
    assert client_as("wulibao_admin").get(LIST).context["paginator"].count == 0
