"""A household's coal status and a ban's rebound are derived from the visits, whatever order they arrive in."""

import pytest

from households.models import CoalStatus
from inspections.models import Ban
from inspections.services import ban_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale_point(register, wulibao_community):
    return register(
        "wulibao_admin", wulibao_community, kind="coal_sale_point", address="大学路12号", head_name="刘老板"
    )


@pytest.fixture
def ban(people):
    def make(place, banned_at, kind=Ban.Kind.SALE_POINT, by="wulibao_inspector"):
        record, _created = ban_record(actor=people[by], household=place, kind=kind, banned_at=banned_at)
        return record

    return make


def status_of(household):
    household.refresh_from_db()
    return household.coal_status, household.coal_status_at


# --- Coal status ------------------------------------------------------------------------------------


def test_a_household_never_visited_has_never_been_found_with_coal(wulibao_household):
    assert status_of(wulibao_household) == (CoalStatus.NEVER, None)


def test_coal_found_makes_the_household_found_and_a_later_clean_visit_clears_it(wulibao_household, visit, at):
    visit(wulibao_household, "no_coal", at(2017, 1, 1, 10, 0))
    assert status_of(wulibao_household) == (CoalStatus.NEVER, None)

    visit(wulibao_household, "loose_coal", at(2017, 1, 2, 23, 30), kind="night_check")
    assert status_of(wulibao_household) == (CoalStatus.FOUND, at(2017, 1, 2, 23, 30))

    visit(wulibao_household, "no_coal", at(2017, 1, 5, 9, 0), kind="recheck")
    assert status_of(wulibao_household) == (CoalStatus.CLEARED, at(2017, 1, 5, 9, 0))


def test_a_stove_in_use_counts_as_coal_found(wulibao_household, visit, at):
    visit(wulibao_household, "stove_in_use", at(2017, 1, 2, 23, 30))

    assert status_of(wulibao_household) == (CoalStatus.FOUND, at(2017, 1, 2, 23, 30))


@pytest.mark.parametrize("outcome", ["refused", "nobody_home"])
def test_refused_entry_or_nobody_home_changes_no_status(wulibao_household, visit, at, outcome):
    visit(wulibao_household, outcome, at(2017, 1, 1, 22, 0))
    assert status_of(wulibao_household) == (CoalStatus.NEVER, None)

    visit(wulibao_household, "loose_coal", at(2017, 1, 2, 23, 0))
    visit(wulibao_household, outcome, at(2017, 1, 3, 23, 0))
    assert status_of(wulibao_household) == (CoalStatus.FOUND, at(2017, 1, 2, 23, 0))

    visit(wulibao_household, "no_coal", at(2017, 1, 4, 10, 0))
    visit(wulibao_household, outcome, at(2017, 1, 5, 23, 0))
    assert status_of(wulibao_household) == (CoalStatus.CLEARED, at(2017, 1, 4, 10, 0))


def test_a_clean_visit_entered_late_but_dated_before_the_finding_does_not_clear_it(wulibao_household, visit, at):
    visit(wulibao_household, "loose_coal", at(2017, 1, 5, 23, 0))
    visit(wulibao_household, "no_coal", at(2017, 1, 3, 10, 0))

    assert status_of(wulibao_household) == (CoalStatus.FOUND, at(2017, 1, 5, 23, 0))


def test_cleared_dates_from_the_first_clean_visit_after_the_finding(wulibao_household, visit, at):
    visit(wulibao_household, "loose_coal", at(2017, 1, 1, 23, 0))
    visit(wulibao_household, "no_coal", at(2017, 1, 8, 10, 0))
    visit(wulibao_household, "no_coal", at(2017, 1, 31, 10, 0))

    assert status_of(wulibao_household) == (CoalStatus.CLEARED, at(2017, 1, 8, 10, 0))


def test_voiding_the_only_finding_restores_never_found(wulibao_household, visit, void, at):
    visit(wulibao_household, "no_coal", at(2017, 1, 1, 10, 0))
    finding = visit(wulibao_household, "loose_coal", at(2017, 1, 2, 23, 0))

    void(finding)

    assert status_of(wulibao_household) == (CoalStatus.NEVER, None)


def test_voiding_a_new_finding_restores_the_earlier_clearance(wulibao_household, visit, void, at):
    visit(wulibao_household, "loose_coal", at(2017, 1, 1, 23, 0))
    visit(wulibao_household, "no_coal", at(2017, 1, 2, 10, 0))
    finding = visit(wulibao_household, "loose_coal", at(2017, 1, 3, 23, 0))
    assert status_of(wulibao_household) == (CoalStatus.FOUND, at(2017, 1, 3, 23, 0))

    void(finding)

    assert status_of(wulibao_household) == (CoalStatus.CLEARED, at(2017, 1, 2, 10, 0))


def test_voiding_the_clean_visit_makes_the_household_found_again(wulibao_household, visit, void, at):
    visit(wulibao_household, "loose_coal", at(2017, 1, 1, 23, 0))
    clean = visit(wulibao_household, "no_coal", at(2017, 1, 2, 10, 0))

    void(clean)

    assert status_of(wulibao_household) == (CoalStatus.FOUND, at(2017, 1, 1, 23, 0))


# --- Rebound of a ban -------------------------------------------------------------------------------


def test_a_banned_sale_point_found_with_coal_later_has_rebounded(sale_point, ban, visit, at):
    banned = ban(sale_point, at(2017, 1, 2, 9, 0))

    visit(sale_point, "loose_coal", at(2017, 1, 3, 20, 0), kind="recheck")

    banned.refresh_from_db()
    assert banned.rebound_at == at(2017, 1, 3, 20, 0)


def test_a_second_finding_does_not_move_the_rebound(sale_point, ban, visit, at):
    banned = ban(sale_point, at(2017, 1, 2, 9, 0))
    visit(sale_point, "loose_coal", at(2017, 1, 3, 20, 0))

    visit(sale_point, "loose_coal", at(2017, 1, 9, 20, 0))

    banned.refresh_from_db()
    assert banned.rebound_at == at(2017, 1, 3, 20, 0)


@pytest.mark.parametrize("outcome", ["no_coal", "refused", "nobody_home"])
def test_a_visit_that_finds_no_coal_is_no_rebound(sale_point, ban, visit, at, outcome):
    banned = ban(sale_point, at(2017, 1, 2, 9, 0))

    visit(sale_point, outcome, at(2017, 1, 3, 20, 0))

    banned.refresh_from_db()
    assert banned.rebound_at is None


def test_coal_found_before_the_ban_is_no_rebound(sale_point, ban, visit, at):
    banned = ban(sale_point, at(2017, 1, 2, 9, 0))

    visit(sale_point, "loose_coal", at(2017, 1, 1, 20, 0))

    banned.refresh_from_db()
    assert banned.rebound_at is None


def test_a_voided_ban_does_not_rebound(sale_point, ban, visit, void, at):
    banned = ban(sale_point, at(2017, 1, 2, 9, 0))
    void(banned)

    visit(sale_point, "loose_coal", at(2017, 1, 3, 20, 0))

    banned.refresh_from_db()
    assert banned.rebound_at is None


def test_voiding_the_visit_that_found_the_rebound_undoes_it(sale_point, ban, visit, void, at):
    banned = ban(sale_point, at(2017, 1, 2, 9, 0))
    finding = visit(sale_point, "loose_coal", at(2017, 1, 3, 20, 0))

    void(finding)

    banned.refresh_from_db()
    assert banned.rebound_at is None


def test_voiding_the_first_finding_dates_the_rebound_from_the_next(sale_point, ban, visit, void, at):
    banned = ban(sale_point, at(2017, 1, 2, 9, 0))
    first = visit(sale_point, "loose_coal", at(2017, 1, 3, 20, 0))
    visit(sale_point, "stove_in_use", at(2017, 1, 9, 20, 0))

    void(first)

    banned.refresh_from_db()
    assert banned.rebound_at == at(2017, 1, 9, 20, 0)
