"""Who may record which field work where, asked of the services themselves (the API and pages rely on them)."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from inspections.models import Inspection, NightOperation, Purchase
from inspections.services import (
    ban_record,
    conversion_set,
    inspection_record,
    inspection_void,
    operation_create,
    operation_save,
    publicity_record,
    purchase_record,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sibling_household(register, wulibao_other_community):
    """A household of 五里堡 outside the community worker's own community."""
    return register("wulibao_admin", wulibao_other_community, head_name="孙秀兰", elderly_alone=True)


@pytest.fixture
def huaihelu_household(register, huaihelu_community):
    return register("qu_admin", huaihelu_community, head_name="陈淮河", elderly_alone=True)


def record_visit(user, household, kind="survey"):
    return inspection_record(actor=user, household=household, kind=kind, outcome="no_coal")


def buy(user, household):
    return purchase_record(
        actor=user,
        household=household,
        item="briquette",
        quantity=Decimal(50),
        unit_price=Decimal("0.80"),
        market_price=Decimal("0.60"),
    )


# --- Community workers ------------------------------------------------------------------------------


def test_a_community_worker_records_a_visit_in_their_own_community(people, register, wulibao_community):
    household = register("wulibao_worker", wulibao_community)

    inspection, created = record_visit(people["wulibao_worker"], household)

    assert created
    assert inspection.division_code == wulibao_community.code


def test_a_community_worker_cannot_record_in_a_sibling_community_of_wulibao(people, sibling_household):
    with pytest.raises(PermissionDenied):
        record_visit(people["wulibao_worker"], sibling_household)
    with pytest.raises(PermissionDenied):
        buy(people["wulibao_worker"], sibling_household)
    with pytest.raises(PermissionDenied):
        publicity_record(actor=people["wulibao_worker"], division=sibling_household.division, kind="banner", count=2)

    assert not Inspection.objects.exists()
    assert not Purchase.objects.exists()


def test_an_inspector_of_wulibao_records_anywhere_in_wulibao_but_not_in_huaihelu(
    people, sibling_household, huaihelu_household
):
    inspector = people["wulibao_inspector"]

    assert record_visit(inspector, sibling_household)[1]
    with pytest.raises(PermissionDenied):
        record_visit(inspector, huaihelu_household)


# --- District leaders -------------------------------------------------------------------------------


def test_a_district_leader_records_a_spot_check_anywhere_in_the_district(people, sibling_household, huaihelu_household):
    for household in (sibling_household, huaihelu_household):
        inspection, created = record_visit(people["qu_leader"], household, kind="spot_check")
        assert created
        assert inspection.recorded_by == people["qu_leader"]


def test_a_district_leader_records_no_purchase_ban_conversion_or_publicity(people, sibling_household):
    leader = people["qu_leader"]

    with pytest.raises(PermissionDenied):
        buy(leader, sibling_household)
    with pytest.raises(PermissionDenied):
        ban_record(actor=leader, household=sibling_household, kind="food_stall")
    with pytest.raises(PermissionDenied):
        conversion_set(actor=leader, household=sibling_household, kind="electricity", status="planned")
    with pytest.raises(PermissionDenied):
        publicity_record(actor=leader, division=sibling_household.division, kind="banner", count=1)
    assert not Purchase.objects.exists()


def test_someone_without_membership_records_nothing(people, sibling_household):
    with pytest.raises(PermissionDenied):
        record_visit(people["nobody"], sibling_household)


# --- Night-check operations -------------------------------------------------------------------------


@pytest.fixture
def plan(people, wulibao):
    def make(by="wulibao_admin", division=None, covered=(), **fields):
        data = {
            "division": division or wulibao,
            "date": datetime.date(2017, 1, 2),
            "title": "零点夜查",
            "leader": "街道办主任",
            **fields,
        }
        return operation_save(actor=people[by], data=data, covered=covered, team=[people["wulibao_inspector"]])

    return make


def test_an_operation_covers_units_within_its_organising_unit(plan, wulibao_community, wulibao_other_community):
    operation = plan(covered=[wulibao_community, wulibao_other_community])

    assert set(operation.covered.all()) == {wulibao_community, wulibao_other_community}


def test_an_operation_cannot_cover_a_unit_outside_its_organising_unit(plan, wulibao_community, huaihelu_community):
    with pytest.raises(ValidationError) as refusal:
        plan(covered=[wulibao_community, huaihelu_community])

    assert set(refusal.value.message_dict) == {"covered"}
    assert not NightOperation.objects.exists()


def test_an_operation_of_a_community_cannot_cover_its_whole_subdistrict(plan, wulibao, wulibao_community):
    with pytest.raises(ValidationError):
        plan(division=wulibao_community, covered=[wulibao])


def test_a_subdistrict_admin_cannot_organise_for_the_district(plan, erqi, wulibao):
    with pytest.raises(PermissionDenied):
        plan(division=erqi, covered=[wulibao])


@pytest.mark.parametrize("username", ["wulibao_inspector", "wulibao_worker"])
def test_inspectors_and_community_workers_do_not_plan_operations(plan, wulibao_community, username):
    with pytest.raises(PermissionDenied):
        plan(by=username, division=wulibao_community, covered=[wulibao_community])


def test_changing_an_operation_without_naming_the_team_keeps_the_team(plan, people, wulibao_community):
    operation = plan(covered=[wulibao_community])

    operation_save(actor=people["wulibao_admin"], operation=operation, data={"title": "春节零点夜查"})

    operation.refresh_from_db()
    assert operation.title == "春节零点夜查"
    assert list(operation.team.all()) == [people["wulibao_inspector"]]
    assert list(operation.covered.all()) == [wulibao_community]


def test_moving_an_operation_to_another_unit_checks_the_units_it_covers(
    plan, people, wulibao, wulibao_community, wulibao_other_community
):
    operation = plan(covered=[wulibao_community])

    with pytest.raises(ValidationError) as refusal:
        operation_save(actor=people["wulibao_admin"], operation=operation, data={"division": wulibao_other_community})

    assert set(refusal.value.message_dict) == {"covered"}
    operation.refresh_from_db()
    assert operation.division == wulibao


def test_a_voided_operation_cannot_be_changed(plan, people, void, wulibao_community):
    operation = plan(covered=[wulibao_community])
    void(operation)

    with pytest.raises(ValidationError):
        operation_save(actor=people["wulibao_admin"], operation=operation, data={"title": "改"})


def test_an_operation_submitted_twice_is_planned_once(people, wulibao, wulibao_community):
    client_uuid = uuid.uuid4()
    data = {"division": wulibao, "date": datetime.date(2017, 1, 2), "title": "零点夜查", "leader": "街道办主任"}

    first, created = operation_create(
        actor=people["wulibao_admin"], data=data, covered=[wulibao_community], client_uuid=client_uuid
    )
    again, repeated = operation_create(
        actor=people["wulibao_admin"], data=data, covered=[wulibao_community], client_uuid=client_uuid
    )

    assert (created, repeated) == (True, False)
    assert again.pk == first.pk
    assert NightOperation.objects.count() == 1


# --- Voiding ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["wulibao_inspector", "wulibao_worker", "qu_leader"])
def test_only_administrators_void_field_work(people, visit, register, wulibao_community, username):
    inspection = visit(register("wulibao_worker", wulibao_community), "loose_coal")

    with pytest.raises(PermissionDenied):
        inspection_void(actor=people[username], inspection=inspection, reason="录入错误")
    inspection.refresh_from_db()
    assert not inspection.is_voided


def test_a_void_needs_a_reason(people, visit, wulibao_household):
    inspection = visit(wulibao_household)

    with pytest.raises(ValidationError):
        inspection_void(actor=people["wulibao_admin"], inspection=inspection, reason="   ")
