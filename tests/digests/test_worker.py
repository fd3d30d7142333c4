"""The morning task on a real Celery worker and broker: every channel gets its digest once."""

import datetime
import time

import pytest
from django.conf import settings
from django.db import connection

from digests.models import Delivery
from digests.tasks import send_daily_digests

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL or connection.vendor != "postgresql",
    reason="needs REDIS_URL and PostgreSQL (a worker process cannot share SQLite's in-memory test database)",
)
DAY = datetime.date(2017, 1, 5)


def test_beat_s_morning_task_delivers_through_the_worker_once(worker, wecom, feishu, channel_for, wulibao, huaihelu):
    channel_for(wecom, wulibao, "wecom")
    channel_for(feishu, huaihelu, "feishu")

    send_daily_digests.delay(DAY.isoformat())
    wecom.wait_for(1, timeout=30)
    feishu.wait_for(1, timeout=30)
    send_daily_digests.delay(DAY.isoformat())  # beat firing twice, or an operator re-running it

    assert wecom.texts[0].startswith("### 五里堡街道") and feishu.texts[0].startswith("### 淮河路街道")
    time.sleep(2)  # time for a second delivery to arrive, were there one
    assert (len(wecom.received), len(feishu.received)) == (1, 1)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_the_digest_is_sent_every_morning_by_beat():
    from coalgov.celery import app

    entry = app.conf.beat_schedule["send-daily-digests"]
    assert entry["task"] == "digests.tasks.send_daily_digests"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({7}, {30})
