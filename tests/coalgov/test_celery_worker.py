"""A real Celery worker, on the real broker, doing real work in the test database."""

import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection

from divisions.models import MonitoringStation
from divisions.services import station_update
from households.models import Household

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL or connection.vendor != "postgresql",
    reason="needs REDIS_URL and PostgreSQL (a worker process cannot share SQLite's in-memory test database)",
)


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def test_widening_a_stations_zone_moves_households_into_it_through_the_worker(erqi, people, household_in, worker):
    station = MonitoringStation.objects.get(code="1323A")
    community = erqi.children.get(code="410103007").children.first()
    # About 1,300 m north of 河医大: outside the default 1000 m zone.
    outside = household_in(community, latitude=Decimal("34.764200"), longitude=station.longitude)
    assert not Household.objects.get(pk=outside.pk).in_priority_zone

    station_update(actor=people["qu_admin"], station=station, data={"priority_radius_m": 1500})

    moved = wait_for(lambda: Household.objects.get(pk=outside.pk).in_priority_zone)
    if not moved and worker.poll() is not None:
        pytest.fail("the worker died: " + worker.stderr.read().decode())
    assert moved, "the worker did not recompute the zone in time"
    assert Household.objects.get(pk=outside.pk).priority_station_id == station.pk
