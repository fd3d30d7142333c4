"""When a place was last seen inside is kept on the household by the visit services (the planner reads it instead
of counting the visits): after every record, void and resend it equals the value recomputed from the visits, and
the rebuild command restores it after visits were written some other way."""

import datetime
import io
import uuid

import pytest
from django.core.management import call_command
from django.db.models import Max
from django.utils import timezone

from households.models import Household
from inspections.models import Inspection
from inspections.services import households_last_seen_rebuild, inspection_record, inspection_void
from planning.selectors import DEFAULT_WEIGHTS, plan_candidates

pytestmark = pytest.mark.django_db


def ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def recomputed(household) -> datetime.datetime | None:
    """The latest current visit that saw inside, counted from the visits."""
    return (
        Inspection.objects.filter(household=household, voided_at__isnull=True)
        .exclude(outcome__in=["refused", "nobody_home"])
        .aggregate(last=Max("started_at"))["last"]
    )


def kept(household) -> datetime.datetime | None:
    return Household.objects.values_list("last_seen_at", flat=True).get(pk=household.pk)


@pytest.fixture
def home(household_in, wulibao_community):
    return household_in(wulibao_community, estate="龙亭小区", building="5", unit="1", room="101")


@pytest.fixture
def record(people, home):
    def visit(outcome, days, client_uuid=None, household=None):
        inspection, _created = inspection_record(
            actor=people["wulibao_inspector"],
            household=household or home,
            kind="survey",
            outcome=outcome,
            started_at=ago(days),
            client_uuid=client_uuid,
        )
        return inspection

    return visit


def test_the_kept_last_seen_equals_the_visits_after_record_void_and_resend(people, home, record):
    assert kept(home) is None  # never visited

    record("refused", 2)
    assert kept(home) is None  # refused entry: nobody saw inside

    older = record("no_coal", 10)
    assert kept(home) == older.started_at == recomputed(home)

    latest_uuid = uuid.uuid4()
    latest = record("loose_coal", 1, client_uuid=latest_uuid)
    assert kept(home) == latest.started_at == recomputed(home)

    backdated = record("no_coal", 5)  # entered late: the latest stays the latest
    assert kept(home) == latest.started_at == recomputed(home)

    inspection_void(actor=people["wulibao_admin"], inspection=latest, reason="录错户")
    assert kept(home) == backdated.started_at == recomputed(home)

    # The phone sends the voided visit again (its queue retried): the first record answers, nothing moves.
    again = record("loose_coal", 0.5, client_uuid=latest_uuid)
    assert again.pk == latest.pk
    assert kept(home) == backdated.started_at == recomputed(home)

    inspection_void(actor=people["wulibao_admin"], inspection=backdated, reason="录错户")
    inspection_void(actor=people["wulibao_admin"], inspection=older, reason="录错户")
    assert kept(home) is None and recomputed(home) is None


def test_a_place_checked_yesterday_is_back_in_tonights_plan_once_that_visit_is_voided(
    people, home, record, wulibao_community
):
    def planned() -> dict:
        candidates = plan_candidates(unit=wulibao_community, night=timezone.localdate(), weights=dict(DEFAULT_WEIGHTS))
        return {c.pk: c for c in candidates}

    checked = record("no_coal", 1)
    assert home.pk not in planned()  # checked clean yesterday: rests tonight

    inspection_void(actor=people["wulibao_admin"], inspection=checked, reason="录错户")
    candidate = planned()[home.pk]
    assert candidate.parts == {"stale": 10}  # never seen inside now
    assert candidate.last_visit is None

    seen = record("no_coal", 20)
    candidate = planned()[home.pk]
    assert candidate.parts == {"stale": 10}
    assert candidate.last_visit == seen.started_at  # the page's 上次检查 column


def test_the_rebuild_command_restores_last_seen_after_visits_written_without_the_services(
    people, home, record, household_in, wulibao_community, huaihelu_community
):
    seen = record("no_coal", 3)
    other = household_in(wulibao_community, estate="龙亭小区", building="5", unit="1", room="102")
    elsewhere = household_in(huaihelu_community, estate="淮河小区", building="1", unit="1", room="101")
    # An import writes visits straight to the table and leaves the households' marks behind.
    moment = ago(2)
    Inspection.objects.bulk_create(
        [
            Inspection(
                household=h,
                division_code=h.division_code,
                kind="survey",
                outcome="no_coal",
                started_at=moment,
                recorded_by=people["wulibao_admin"],
            )
            for h in (other, elsewhere)
        ]
    )
    Household.objects.filter(pk=home.pk).update(last_seen_at=None)

    assert households_last_seen_rebuild([wulibao_community.code]) == 2
    assert (kept(home), kept(other), kept(elsewhere)) == (seen.started_at, moment, None)  # only the scope

    out = io.StringIO()
    call_command("rollups_rebuild", stdout=out)
    assert "households' last seen inside" in out.getvalue()
    assert kept(elsewhere) == moment
    assert households_last_seen_rebuild() == 0  # nothing left to change
