"""The scheduled pull as it runs in a deployment: the task sent through Redis to a real Celery worker process, which
fetches the day's file from a mirror over HTTP on 127.0.0.1 and stores its readings in the database."""

import time

import pytest
import redis
from django.conf import settings
from django.db import connection

from air.models import Reading, ReadingImport
from air.tasks import pull_readings

from .conftest import Mirror, yesterdays_file

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL or connection.vendor != "postgresql",
    reason="needs REDIS_URL and PostgreSQL (a worker process cannot share SQLite's in-memory test database)",
)


@pytest.fixture(autouse=True)
def empty_broker():
    """Tasks left in the broker by earlier tests must not reach this test's worker."""
    from coalgov.celery import app

    app.control.purge()
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("unacked", "unacked_index")


def wait_for(condition, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def test_a_worker_pulls_yesterdays_file_from_the_mirror_through_the_broker(
    start_worker,
    erqi,
    mirror,
    monkeypatch,
):
    folder, url = mirror
    yesterdays_file(folder)
    requested = []
    monkeypatch.setattr(Mirror, "seen", requested)  # the mirror notes each path asked for
    worker = start_worker(AIR_PULL_URL=url + "/china_sites_{date:%Y%m%d}.csv")

    pull_readings.delay()  # as beat sends it: through Redis, run by the worker, not in this process

    assert wait_for(lambda: ReadingImport.objects.filter(source="schedule").exists()), (
        worker.poll(),
        worker.stderr.read1().decode(errors="replace") if worker.poll() is not None else "",
    )
    assert Reading.objects.count() == 216  # yesterday: 24 hours of the sample's 9 stations
    record = ReadingImport.objects.get(source="schedule")
    assert (record.created, record.changed) == (216, 0)
    assert len(requested) == 2  # yesterday's file and today's (not there yet: a 404, skipped)

    pull_readings.delay()  # the next hour's pull: nothing new, nothing rewritten
    assert wait_for(lambda: ReadingImport.objects.filter(source="schedule").count() == 2)
    assert ReadingImport.objects.filter(source="schedule").latest("at").created == 0
    assert Reading.objects.count() == 216
