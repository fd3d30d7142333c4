"""The morning task on a real Celery worker and broker: every channel gets its digest once."""

import datetime
import time

import pytest
import redis
from django.conf import settings
from django.db import connection

from digests.models import Delivery
from digests.tasks import send_daily_digests

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL or connection.vendor != "postgresql",
    reason="needs REDIS_URL and PostgreSQL (a worker process cannot share SQLite's in-memory test database)",
)
DAY = datetime.date(2017, 1, 5)


@pytest.fixture(autouse=True)
def empty_broker():
    """Tasks queued by earlier tests (a resend's, a morning task no worker ran) must not reach this test's
    workers."""
    from coalgov.celery import app

    app.control.purge()
    # What a killed worker held unacknowledged stays in the broker (Redis hands it out again only after the
    # visibility timeout): it belongs to the test that killed it.
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("unacked", "unacked_index")


def test_beat_s_morning_task_delivers_through_the_worker_once(worker, wecom, feishu, channel_for, wulibao, huaihelu):
    channel_for(wecom, wulibao, "wecom")
    channel_for(feishu, huaihelu, "feishu")

    send_daily_digests.delay(DAY.isoformat())
    wecom.wait_for(1, timeout=30)
    feishu.wait_for(1, timeout=30)
    send_daily_digests.delay(DAY.isoformat())  # beat firing twice, or an operator re-running it

    assert wecom.texts[0].startswith("### 五里堡街道") and feishu.texts[0].startswith("淮河路街道")
    time.sleep(2)  # time for a second delivery to arrive, were there one
    assert (len(wecom.received), len(feishu.received)) == (1, 1)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_the_digest_is_sent_every_morning_by_beat():
    from coalgov.celery import app

    entry = app.conf.beat_schedule["send-daily-digests"]
    assert entry["task"] == "digests.tasks.send_daily_digests"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({7}, {30})


def test_a_worker_killed_mid_send_leaves_the_digest_to_be_resumed_not_lost(
    start_worker, wecom, channel_for, wulibao, people
):
    from cases.models import Case
    from cases.services import case_open
    from digests import services
    from digests.tasks import resume_stuck_deliveries

    for n in range(200):  # enough overdue cases for a digest of several parts
        case_open(actor=people["qu_admin"], source="spot_check", responsible_unit=wulibao, title=f"逾期问题第{n + 1}处")
    Case.objects.update(deadline=DAY - datetime.timedelta(days=3))
    channel_for(wecom, wulibao, "wecom")
    (delivery,) = services.deliveries_prepare(date=DAY)
    parts = services.digest_parts(delivery.digest, delivery.channel)
    assert len(parts) >= 4
    wecom.delay = 0.4  # each part takes a while to be answered
    first = start_worker(DELIVERY_LEASE_SECONDS="2")

    send_daily_digests.delay(DAY.isoformat())
    wecom.wait_for(2, timeout=30)
    first.kill()  # SIGKILL mid-send: no clean-up, no release of the delivery
    first.wait(timeout=10)
    delivery.refresh_from_db()
    assert delivery.status == "sending" and 0 < delivery.parts_sent < len(parts)

    start_worker(DELIVERY_LEASE_SECONDS="2")
    time.sleep(2.5)  # the dead worker's lease runs out
    assert resume_stuck_deliveries() == 1
    wecom.wait_for(len(parts), timeout=30)
    deadline = time.monotonic() + 30
    while Delivery.objects.get().status != "sent":
        assert time.monotonic() < deadline, Delivery.objects.get().status
        time.sleep(0.2)

    # Every part arrived, in order; only the one in flight when the worker died may have come twice.
    texts = wecom.texts
    deduplicated = [t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]]
    assert deduplicated == parts
    assert len(texts) - len(parts) <= 1


def test_a_retry_whose_worker_was_killed_is_resumed_when_its_time_has_passed_and_not_before(
    start_worker, wecom, channel_for, wulibao
):
    from django.utils import timezone

    from digests.tasks import resume_stuck_deliveries

    channel_for(wecom, wulibao, "wecom")
    wecom.fail_next(1, status=502)  # the first try fails: the delivery will retry in 3 s
    times = {"DELIVERY_LEASE_SECONDS": "2", "DELIVERY_RETRY_SECONDS": "3"}
    first = start_worker(**times)

    send_daily_digests.delay(DAY.isoformat())
    deadline = time.monotonic() + 30
    while True:  # until the retry is scheduled: its lease runs to the retry's time and one lease beyond
        delivery = Delivery.objects.first()
        if (
            delivery
            and delivery.status == "retrying"
            and delivery.claimed_until > timezone.now() + datetime.timedelta(seconds=2.5)
        ):
            break
        assert time.monotonic() < deadline, delivery and (delivery.status, delivery.claimed_until)
        time.sleep(0.05)
    # The retry is a message with a countdown, which the worker takes from the queue and holds unacknowledged
    # until its time. Kill the worker only once it holds it: killed before, the message would still be queued
    # and the next worker would simply run it on time (a different story, and a race on a loaded machine).
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    def holds_the_retry() -> bool:
        return broker.llen("celery") == 0 and any(b'"retries": 1' in held for held in broker.hvals("unacked"))

    while not holds_the_retry():
        assert time.monotonic() < deadline, (broker.llen("celery"), broker.hvals("unacked"))
        time.sleep(0.05)
    first.kill()  # SIGKILL while it holds the scheduled retry: the retry dies with it
    first.wait(timeout=10)
    start_worker(**times)

    assert resume_stuck_deliveries() == 0  # the retry's time has not come: leave it alone
    time.sleep(3.5)  # the retry's time has passed, but the lease's grace has not
    assert wecom.received == [] and resume_stuck_deliveries() == 0
    while timezone.now() <= Delivery.objects.get().claimed_until:
        time.sleep(0.1)

    assert resume_stuck_deliveries() == 1
    wecom.wait_for(1, timeout=30)
    deadline = time.monotonic() + 30
    while Delivery.objects.get().status != "sent":
        assert time.monotonic() < deadline, Delivery.objects.get().status
        time.sleep(0.2)
    time.sleep(1)
    assert len(wecom.received) == 1 and Delivery.objects.get().attempts == 2


def test_the_broker_never_hands_a_waiting_retry_to_a_second_worker():
    from coalgov.celery import app
    from digests import robots

    # A retry waits unacknowledged for its countdown; Redis must not think its worker dead meanwhile.
    timeout = app.conf.broker_transport_options["visibility_timeout"]
    assert timeout > robots.RETRY_MAX_SECONDS + 2 * settings.DELIVERY_LEASE_SECONDS


def test_two_workers_sending_two_digests_to_one_group_deliver_them_one_after_the_other(
    start_worker, wecom, channel_for, wulibao, people
):
    from cases.models import Case
    from cases.services import case_open
    from digests import services

    for n in range(200):  # digests of several parts each
        case_open(actor=people["qu_admin"], source="spot_check", responsible_unit=wulibao, title=f"逾期问题第{n + 1}处")
    Case.objects.update(deadline=DAY - datetime.timedelta(days=3))
    channel_for(wecom, wulibao, "wecom")
    channel_for(wecom, wulibao.parent, "wecom")  # the district's channel, set up with the same robot's key
    deliveries = services.deliveries_prepare(date=DAY)
    expected = [services.digest_parts(d.digest, d.channel) for d in deliveries]
    assert len(expected) == 2 and min(len(parts) for parts in expected) >= 3
    wecom.delay = 0.1  # each part takes a while: two unserialised workers would alternate
    start_worker()
    start_worker()

    send_daily_digests.delay(DAY.isoformat())
    wecom.wait_for(sum(len(parts) for parts in expected), timeout=60)
    deadline = time.monotonic() + 30
    while set(Delivery.objects.values_list("status", flat=True)) != {"sent"}:
        assert time.monotonic() < deadline, list(Delivery.objects.values_list("status", flat=True))
        time.sleep(0.2)

    assert wecom.texts in (expected[0] + expected[1], expected[1] + expected[0])
