"""Bad input to the field-work services is refused with a field's message, and nothing of it is saved."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from coalgov.models import AuditEvent
from inspections.models import Ban, Conversion, ConversionTarget, Inspection, Photo, Publicity, Purchase, Seizure
from inspections.services import (
    SeizureInput,
    ban_record,
    conversion_set,
    conversion_target_set,
    inspection_record,
    publicity_record,
    purchase_record,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def elderly_household(register, wulibao_community):
    """孤寡老人: coal stacked in the yard may be bought from her above the market price."""
    return register("wulibao_admin", wulibao_community, head_name="赵桂兰", elderly_alone=True)


@pytest.fixture
def nothing_saved():
    """Assert that a refused call left no field work and no audit row behind."""
    before = AuditEvent.objects.count()

    def check():
        for model in (Inspection, Seizure, Photo, Purchase, Ban, Conversion, ConversionTarget, Publicity):
            assert not model.objects.exists(), model.__name__
        assert AuditEvent.objects.count() == before

    return check


def refused_fields(call) -> set[str]:
    with pytest.raises(ValidationError) as refusal:
        call()
    return set(refusal.value.message_dict)


def buy(people, household, **fields):
    arguments = {
        "item": Purchase.Item.BRIQUETTE,
        "quantity": Decimal(100),
        "unit_price": Decimal("0.80"),
        "market_price": Decimal("0.60"),
        "purchased_on": datetime.date(2017, 1, 2),
        **fields,
    }
    return purchase_record(actor=people["wulibao_worker"], household=household, **arguments)


def visit_with(people, household, outcome="loose_coal", seized=(), **fields):
    return inspection_record(
        actor=people["wulibao_inspector"],
        household=household,
        kind="night_check",
        outcome=outcome,
        started_at=fields.pop("started_at", timezone.now() - datetime.timedelta(hours=1)),
        seizures=[SeizureInput(item, Decimal(quantity), "confiscated") for item, quantity in seized],
        **fields,
    )


# --- Purchases ----------------------------------------------------------------------------------------


def test_a_purchase_from_an_elderly_resident_above_market_is_recorded_with_its_amount(people, elderly_household):
    purchase, created = buy(people, elderly_household, quantity=Decimal(150))

    assert created
    assert purchase.amount == Decimal("120.00")


def test_a_purchase_from_a_household_that_is_not_vulnerable_is_refused(people, wulibao_household, nothing_saved):
    assert refused_fields(lambda: buy(people, wulibao_household)) == {"household"}
    nothing_saved()


@pytest.mark.parametrize("unit_price", ["0.60", "0.59", "0"])
def test_a_purchase_at_or_below_the_market_price_is_refused(people, elderly_household, nothing_saved, unit_price):
    assert refused_fields(lambda: buy(people, elderly_household, unit_price=Decimal(unit_price))) == {"unit_price"}
    nothing_saved()


@pytest.mark.parametrize("quantity", ["0", "-5", "-0.01"])
def test_a_purchase_of_nothing_or_less_is_refused(people, elderly_household, nothing_saved, quantity):
    assert refused_fields(lambda: buy(people, elderly_household, quantity=Decimal(quantity))) == {"quantity"}
    nothing_saved()


def test_a_purchase_of_half_a_briquette_is_refused(people, elderly_household, nothing_saved):
    assert refused_fields(lambda: buy(people, elderly_household, quantity=Decimal("10.5"))) == {"quantity"}
    nothing_saved()


def test_a_purchase_of_loose_coal_may_be_a_fraction_of_a_kilogram(people, elderly_household):
    purchase, _created = buy(people, elderly_household, item=Purchase.Item.LOOSE_COAL, quantity=Decimal("12.5"))

    assert purchase.quantity == Decimal("12.5")


def test_a_purchase_cannot_point_at_a_visit_to_another_household(
    people, elderly_household, wulibao_household, visit, at
):
    other_visit = visit(wulibao_household, "loose_coal", at(2017, 1, 2, 23, 0))

    assert refused_fields(lambda: buy(people, elderly_household, inspection=other_visit)) == {"inspection"}
    assert not Purchase.objects.exists()


# --- Seizures -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["0", "-3"])
@pytest.mark.parametrize("item", ["loose_coal", "briquette", "stove", "charcoal"])
def test_a_seizure_of_nothing_or_less_is_refused(people, wulibao_household, nothing_saved, item, quantity):
    assert refused_fields(lambda: visit_with(people, wulibao_household, seized=[(item, quantity)])) == {"seizures"}
    nothing_saved()


@pytest.mark.parametrize("item", ["briquette", "stove", "charcoal"])
def test_briquettes_stoves_and_charcoal_are_counted_in_whole_numbers(people, wulibao_household, nothing_saved, item):
    assert refused_fields(lambda: visit_with(people, wulibao_household, seized=[(item, "1.5")])) == {"seizures"}
    nothing_saved()


@pytest.mark.parametrize("item", ["loose_coal", "briquette"])
def test_coal_taken_away_from_a_visit_that_found_no_coal_is_refused(people, wulibao_household, nothing_saved, item):
    """Otherwise the bulletin would report coal seized beside 0 households found with coal."""
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        visit_with(people, wulibao_household, outcome="no_coal", seized=[(item, "5")])
    with translation.override("zh-hans"):
        assert "“发现散煤”" in refused.value.message_dict["seizures"][0]
    nothing_saved()


@pytest.mark.parametrize("item", ["stove", "charcoal"])
def test_a_stove_or_charcoal_handed_over_where_no_coal_was_found_is_recorded(people, wulibao_household, item):
    inspection, _created = visit_with(people, wulibao_household, outcome="no_coal", seized=[(item, "1")])

    assert inspection.seizures.get().item == item


def test_loose_coal_is_weighed_and_may_be_a_fraction_of_a_kilogram(people, wulibao_household):
    inspection, _created = visit_with(people, wulibao_household, seized=[("loose_coal", "12.5")])

    assert inspection.seizures.get().quantity == Decimal("12.5")


@pytest.mark.parametrize("outcome", ["refused", "nobody_home"])
def test_nothing_is_taken_away_where_nobody_let_the_team_in(people, wulibao_household, nothing_saved, outcome):
    assert refused_fields(
        lambda: visit_with(people, wulibao_household, outcome=outcome, seized=[("briquette", "20")])
    ) == {"seizures"}
    nothing_saved()


# --- Dates --------------------------------------------------------------------------------------------


def test_a_visit_dated_more_than_ten_minutes_ahead_is_refused(people, wulibao_household, nothing_saved):
    ahead = timezone.now() + datetime.timedelta(minutes=11)

    assert refused_fields(lambda: visit_with(people, wulibao_household, started_at=ahead)) == {"started_at"}
    nothing_saved()


def test_a_phone_clock_a_few_minutes_fast_is_tolerated(people, wulibao_household):
    ahead = timezone.now() + datetime.timedelta(minutes=9)

    inspection, created = visit_with(people, wulibao_household, started_at=ahead)

    assert created
    assert inspection.started_at == ahead


def test_a_purchase_dated_tomorrow_is_refused(people, elderly_household, nothing_saved):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    assert refused_fields(lambda: buy(people, elderly_household, purchased_on=tomorrow)) == {"purchased_on"}
    nothing_saved()


# --- Bans, conversions, targets, publicity --------------------------------------------------------------


def test_a_sale_point_ban_on_a_residence_is_refused(people, wulibao_household, nothing_saved):
    assert refused_fields(
        lambda: ban_record(actor=people["wulibao_inspector"], household=wulibao_household, kind="sale_point")
    ) == {"household"}
    nothing_saved()


def test_a_completed_conversion_needs_its_completion_date(people, wulibao_household, nothing_saved):
    assert refused_fields(
        lambda: conversion_set(
            actor=people["wulibao_worker"], household=wulibao_household, kind="electricity", status="completed"
        )
    ) == {"completed_on"}
    nothing_saved()


@pytest.mark.parametrize("season", ["2017", "2016-2018", "2017-2016", "abcd-efgh", ""])
def test_a_target_needs_a_heating_season_of_two_consecutive_years(people, wulibao_community, nothing_saved, season):
    assert refused_fields(
        lambda: conversion_target_set(
            actor=people["wulibao_admin"], division=wulibao_community, season=season, households=40
        )
    ) == {"season"}
    nothing_saved()


def test_a_target_is_set_per_community_not_per_subdistrict(people, wulibao, nothing_saved):
    assert refused_fields(
        lambda: conversion_target_set(actor=people["wulibao_admin"], division=wulibao, season="2016-2017", households=9)
    ) == {"division"}
    nothing_saved()


def test_setting_a_target_again_changes_the_one_target(people, wulibao_community):
    first = conversion_target_set(
        actor=people["wulibao_admin"], division=wulibao_community, season="2016-2017", households=40
    )
    again = conversion_target_set(
        actor=people["qu_admin"], division=wulibao_community, season="2016-2017", households=55
    )

    assert again.pk == first.pk
    assert ConversionTarget.objects.get().households == 55


@pytest.mark.parametrize("count", [0, -1])
def test_publicity_of_nothing_is_refused(people, wulibao_community, nothing_saved, count):
    assert refused_fields(
        lambda: publicity_record(actor=people["wulibao_worker"], division=wulibao_community, kind="banner", count=count)
    ) == {"count"}
    nothing_saved()
