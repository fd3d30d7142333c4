"""The rollups give the same figures as counting the visits themselves, whatever order visits are entered and
voided in, and two visits entered at the same moment both count."""

import datetime
import random
import threading
from decimal import Decimal
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import Substr

from digests.selectors import households_checked_week_so_far
from households.models import RegisterCount
from households.services import household_create, household_update, household_void, register_counts_rebuild
from inspections.models import DailyRollup, Inspection, WeeklyRollup
from inspections.rollups import rollups_rebuild, seizure_counts, visit_counts
from inspections.selectors import (
    _seizures_in,
    fieldwork_figures,
    inspections_in,
    rolled_up,
    visits_by_day,
    visits_by_unit,
)
from inspections.services import SeizureInput, inspection_record, inspection_void

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.date(2025, 11, 3)
VISIT_FIGURES = (
    "inspections",
    "night_checks",
    "priority_zone_checks",
    "households_checked",
    "households_with_coal_found",
    "households_recovered",
    "briquettes_pieces",
    "loose_coal_kg",
    "stoves",
    "charcoal_boxes",
    "communities_checked",
)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), SHANGHAI)


def raw(codes, start=None, end=None) -> dict:
    """The figures counted from the visits themselves, as fieldwork_figures counted them before rollups."""
    visits = inspections_in(codes, start, end)
    communities = visits.annotate(c=Substr("division_code", 1, 12)).values("c").distinct().count()
    return {
        **visits.aggregate(**visit_counts()),
        **_seizures_in(codes, start, end).aggregate(**seizure_counts()),
        "communities_checked": communities,
    }


def rolled(codes, start=None, end=None) -> dict:
    assert rolled_up(codes, start, end) is not None, "this question should be answered from the rollups"
    figures = fieldwork_figures(codes=codes, start=start, end=end).as_dict()
    return {name: figures[name] for name in VISIT_FIGURES}


def rows(model):
    """The model's rows as tuples, without the all-zero rows a void leaves (a rebuild writes none)."""
    fields = [f.name for f in model._meta.fields if f.name != "id"]
    return sorted(
        (
            tuple(r[f] for f in fields)
            for r in model.objects.values(*fields)
            if r["inspections"] or any(r.get(name) for name in ("first_checked", "first_found", "first_recovered"))
        ),
    )


def assert_same_as_rebuilt():
    """What the services kept equals what a rebuild from the visits writes."""
    kept = rows(DailyRollup), rows(WeeklyRollup)
    rollups_rebuild()
    assert (rows(DailyRollup), rows(WeeklyRollup)) == kept


def test_a_random_winter_of_visits_and_voids_adds_up_as_the_visits_do(
    people, household_in, wulibao, wulibao_community, wulibao_other_community, huaihelu_community, grid
):
    rng = random.Random(20251103)
    homes = [
        household_in(c)
        for c in (wulibao_community, wulibao_other_community, huaihelu_community, grid)
        for _ in range(4)
    ]
    admin = people["qu_admin"]
    outcomes = ["no_coal", "no_coal", "loose_coal", "stove_in_use", "refused", "nobody_home"]
    recorded = []
    for n in range(70):
        home = rng.choice(homes)
        day = MONDAY + datetime.timedelta(days=rng.randrange(-8, 14))  # entered in any order, backdated too
        outcome = rng.choice(outcomes)
        seizures = []
        if outcome == "loose_coal":
            seizures = [
                SeizureInput("briquette", Decimal(rng.randrange(1, 60)), "confiscated"),
                SeizureInput(
                    rng.choice(["loose_coal", "stove", "charcoal"]), Decimal(rng.randrange(1, 9)), "destroyed"
                ),
            ]
        visit, _ = inspection_record(
            actor=admin,
            household=home,
            kind="survey",
            outcome=outcome,
            started_at=at(day, rng.choice([0, 9, 21, 23]), rng.randrange(60)),
            seizures=seizures,
        )
        recorded.append(visit)
        if n % 6 == 5:
            inspection_void(actor=admin, inspection=rng.choice(recorded), reason="录入错误")

    assert Inspection.objects.filter(voided_at__isnull=False).exists()
    for codes in (None, ["410103"], [wulibao.code], [wulibao_community.code], [huaihelu_community.code]):
        assert rolled(codes) == raw(codes)
        for offset in range(-9, 15):
            day = MONDAY + datetime.timedelta(days=offset)
            assert rolled(codes, day, day) == raw(codes, day, day), day
            assert rolled(codes, None, day) == raw(codes, None, day), day
        for monday in (MONDAY - datetime.timedelta(days=7), MONDAY, MONDAY + datetime.timedelta(days=7)):
            sunday = monday + datetime.timedelta(days=6)
            assert rolled(codes, monday, sunday) == raw(codes, monday, sunday), monday
    # The per-unit and per-day groupings the dashboard and ranking use agree too.
    by_unit = visits_by_unit(codes=["410103"], length=9)
    assert by_unit[wulibao.code]["households_checked"] == raw([wulibao.code])["households_checked"]
    assert by_unit[wulibao.code]["briquettes_pieces"] == raw([wulibao.code])["briquettes_pieces"]
    by_day = visits_by_day(codes=["410103"], start=MONDAY, end=MONDAY + datetime.timedelta(days=6))
    for day, figures in by_day.items():
        assert figures["inspections"] == raw(["410103"], day, day)["inspections"]
    # Monday to each day, per community (the digest's "this week so far"), from the week marks.
    for offset in range(-9, 15):
        day = MONDAY + datetime.timedelta(days=offset)
        assert households_checked_week_so_far(wulibao, day) == week_so_far_from_the_visits(wulibao.code, day), day
    assert_same_as_rebuilt()
    # The migration that added the week marks fills them as the services keep them.
    kept = rows(DailyRollup)
    DailyRollup.objects.update(week_first_checked=0)
    import_module("inspections.migrations.0011_dailyrollup_week_first_checked").fill(apps, None)
    assert rows(DailyRollup) == kept


def week_so_far_from_the_visits(code: str, day: datetime.date) -> dict:
    monday = day - datetime.timedelta(days=day.weekday())
    return dict(
        inspections_in([code], monday, day)
        .annotate(c=Substr("division_code", 1, 12))
        .values("c")
        .annotate(n=Count("household", distinct=True))
        .order_by()
        .values_list("c", "n")
    )


def test_a_backdated_visit_moves_the_households_first_check_and_voiding_it_moves_it_back(
    people, wulibao_household, wulibao_community
):
    admin = people["qu_admin"]
    codes = [wulibao_community.code]
    day5, day7, day10 = (MONDAY + datetime.timedelta(days=n) for n in (5, 7, 10))
    inspection_record(
        actor=admin, household=wulibao_household, kind="survey", outcome="no_coal", started_at=at(day10, 20)
    )
    assert fieldwork_figures(codes=codes, end=day7).households_checked == 0
    early, _ = inspection_record(
        actor=admin, household=wulibao_household, kind="survey", outcome="loose_coal", started_at=at(day5, 20)
    )
    assert fieldwork_figures(codes=codes, end=day7).households_checked == 1
    assert fieldwork_figures(codes=codes, end=day7).households_with_coal_found == 1
    assert fieldwork_figures(codes=codes).households_checked == 1  # one household, counted once
    inspection_void(actor=admin, inspection=early, reason="录错了日期")
    assert fieldwork_figures(codes=codes, end=day7).households_checked == 0
    assert fieldwork_figures(codes=codes).households_checked == 1
    assert fieldwork_figures(codes=codes).households_with_coal_found == 0
    assert_same_as_rebuilt()


def test_a_period_the_rollups_cannot_answer_is_counted_from_the_visits(people, wulibao_household, grid):
    admin = people["qu_admin"]
    for day in (MONDAY + datetime.timedelta(days=1), MONDAY + datetime.timedelta(days=2)):
        inspection_record(
            actor=admin, household=wulibao_household, kind="survey", outcome="no_coal", started_at=at(day, 20)
        )
    tuesday, wednesday = MONDAY + datetime.timedelta(days=1), MONDAY + datetime.timedelta(days=2)
    assert rolled_up(["410103"], tuesday, wednesday) is None  # two days: distinct households do not add up
    assert rolled_up([grid.code], None, None) is None  # below a community
    figures = fieldwork_figures(codes=["410103"], start=tuesday, end=wednesday)
    assert (figures.inspections, figures.households_checked) == (2, 1)


def test_visits_written_without_the_services_count_after_the_rebuild_command(people, wulibao_household):
    Inspection.objects.create(
        household=wulibao_household,
        division_code=wulibao_household.division_code,
        kind="survey",
        outcome="no_coal",
        started_at=at(MONDAY, 21),
        is_night=True,
        recorded_by=people["qu_admin"],
    )
    assert fieldwork_figures(codes=["410103"]).inspections == 0  # an import the services never saw
    call_command("rollups_rebuild", verbosity=0)
    figures = fieldwork_figures(codes=["410103"])
    assert (figures.inspections, figures.night_checks, figures.households_checked) == (1, 1, 1)
    assert WeeklyRollup.objects.get(week=MONDAY).inspections == 1


def test_the_household_counts_follow_registrations_moves_and_voids(people, wulibao_community, wulibao_other_community):
    admin = people["qu_admin"]

    def count(unit):
        return RegisterCount.objects.filter(code=unit.code).values_list("households", flat=True).first() or 0

    made = [
        household_create(actor=admin, data={"division": wulibao_community, "estate": "龙亭小区", "room": str(n)})[0]
        for n in range(3)
    ]
    assert (count(wulibao_community), count(wulibao_other_community)) == (3, 0)
    household_update(actor=admin, household=made[0], data={"division": wulibao_other_community})
    assert (count(wulibao_community), count(wulibao_other_community)) == (2, 1)
    household_void(actor=admin, household=made[1], reason="重复登记")
    assert (count(wulibao_community), count(wulibao_other_community)) == (1, 1)
    kept = sorted(RegisterCount.objects.filter(households__gt=0).values_list("code", "households"))
    register_counts_rebuild()
    assert sorted(RegisterCount.objects.filter(households__gt=0).values_list("code", "households")) == kept
    expected = (
        type(made[0])
        .objects.current()
        .annotate(c=Substr("division_code", 1, 12))
        .values("c")
        .annotate(n=Count("pk"))
        .values_list("c", "n")
    )
    assert sorted(expected) == kept


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
def test_two_visits_in_one_community_at_the_same_moment_both_count(
    transactional_db, people, household_in, wulibao_community
):
    first_home, second_home = household_in(wulibao_community), household_in(wulibao_community)
    admin = people["qu_admin"]
    first_counted, release_first = threading.Event(), threading.Event()
    errors = []

    def record(home, hold: bool):
        try:
            with transaction.atomic():
                inspection_record(
                    actor=admin, household=home, kind="survey", outcome="no_coal", started_at=at(MONDAY, 20)
                )
                if hold:
                    # Counted, not yet committed: the second visit's count must wait for it, then include it.
                    first_counted.set()
                    release_first.wait(10)
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=record, args=(first_home, True))
    first.start()
    assert first_counted.wait(10)
    second = threading.Thread(target=record, args=(second_home, False))
    second.start()
    second.join(1)
    assert second.is_alive(), "the second count should wait for the first transaction"
    release_first.set()
    first.join(10)
    second.join(10)

    assert errors == []
    day = DailyRollup.objects.get(code=wulibao_community.code, day=MONDAY)
    assert (day.inspections, day.households_checked, day.first_checked) == (2, 2, 2)
    assert WeeklyRollup.objects.get(code=wulibao_community.code, week=MONDAY).households_checked == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's table locks")
def test_a_visit_recorded_during_a_rebuild_waits_for_it_and_counts(
    transactional_db, people, household_in, wulibao_community
):
    home = household_in(wulibao_community)
    admin = people["qu_admin"]
    inspection_record(actor=admin, household=home, kind="survey", outcome="no_coal", started_at=at(MONDAY, 20))
    rebuilt, release, errors = threading.Event(), threading.Event(), []

    def rebuild():
        try:
            with transaction.atomic():
                rollups_rebuild()
                rebuilt.set()
                release.wait(10)  # the rebuild's transaction still open
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def record():
        try:
            inspection_record(
                actor=admin, household=home, kind="survey", outcome="loose_coal", started_at=at(MONDAY, 22)
            )
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    rebuilder = threading.Thread(target=rebuild)
    rebuilder.start()
    assert rebuilt.wait(10)
    recorder = threading.Thread(target=record)
    recorder.start()
    recorder.join(1)
    assert recorder.is_alive(), "the visit's rollup step should wait for the rebuild"
    release.set()
    rebuilder.join(10)
    recorder.join(10)

    assert errors == []
    day = DailyRollup.objects.get(code=wulibao_community.code, day=MONDAY)
    assert (day.inspections, day.households_checked, day.households_with_coal_found, day.first_checked) == (2, 1, 1, 1)
