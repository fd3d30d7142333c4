"""One group, one digest at a time: parts never interleave, and a throttled robot is left alone until its window
ends, whoever sends — the morning task, a retry, or "send again"."""

import datetime
import html
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from cases.models import Case
from cases.services import case_open
from digests import robots, services
from digests.models import Channel, Delivery

DAY = datetime.date(2017, 1, 5)


@pytest.fixture
def many_overdue(people, wulibao):
    for n in range(200):
        case_open(actor=people["qu_admin"], source="spot_check", responsible_unit=wulibao, title=f"逾期问题第{n + 1}处")
    Case.objects.update(deadline=DAY - datetime.timedelta(days=3))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two senders need two database connections")
@pytest.mark.parametrize("how", ["one channel, two dates", "two channels to the same group"])
def test_two_digests_sent_to_one_group_at_once_arrive_each_whole_never_interleaved(
    transactional_db, how, wecom, channel_for, wulibao, many_overdue
):
    first = channel_for(wecom, wulibao, "wecom")
    if how == "one channel, two dates":
        deliveries = [
            *services.deliveries_prepare(date=DAY),
            *services.deliveries_prepare(date=DAY - datetime.timedelta(days=1)),
        ]
    else:
        channel_for(wecom, wulibao.parent, "wecom")  # the district's channel, set up with the same robot's key
        deliveries = services.deliveries_prepare(date=DAY)
    assert len(deliveries) == 2 and first.pk in {d.channel_id for d in deliveries}
    expected = [services.digest_parts(d.digest, d.channel) for d in deliveries]
    assert min(len(parts) for parts in expected) >= 3
    wecom.delay = 0.05  # each part takes a moment: unserialised senders would alternate
    start, results = threading.Barrier(2), []

    def sender(delivery):
        start.wait()
        try:
            results.append(services.delivery_send(delivery_id=delivery.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=sender, args=(d,)) for d in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert results == ["sent", "sent"]
    assert wecom.texts in (expected[0] + expected[1], expected[1] + expected[0])


@pytest.fixture
def throttled(db, settings, dingtalk, channel_for, wulibao):
    """A DingTalk group whose robot answered 130101: the morning's delivery waits for the 10 minutes."""
    dingtalk.limit = 0  # the robot has sent too fast already
    channel = channel_for(dingtalk, wulibao, "dingtalk")
    (delivery,) = services.deliveries_prepare(date=DAY)
    with pytest.raises(robots.RateLimited):
        services.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    channel.refresh_from_db()
    assert delivery.status == "retrying"
    assert 590 < (channel.throttled_until - timezone.now()).total_seconds() <= 600
    return channel, delivery


def test_send_again_during_dingtalks_throttle_is_scheduled_for_the_end_of_the_window(client_as, dingtalk, throttled):
    channel, delivery = throttled
    asked = len(dingtalk.requests)

    response = client_as("qu_admin").post("/digests/deliveries/", {"delivery": delivery.pk}, follow=True)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.retry_at) == ("retrying", channel.throttled_until)
    assert delivery.claimed_until > channel.throttled_until  # left alone by resume_stuck_deliveries until then
    page = html.unescape(response.content.decode())
    when = f"{timezone.localtime(channel.throttled_until):%Y-%m-%d %H:%M}"
    assert f"该群机器人因发送太频繁被限流：通报已安排在 {when} 限流结束后发送。" in page
    assert len(dingtalk.requests) == asked  # nothing was posted to the throttled robot


def test_another_channel_to_the_throttled_group_waits_too(dingtalk, channel_for, huaihelu, throttled):
    channel, _delivery = throttled
    channel_for(dingtalk, huaihelu, "dingtalk")  # the same robot, set up again for another unit
    prepared = [d.pk for d in services.deliveries_prepare(date=DAY)]
    other = Delivery.objects.get(pk__in=prepared, channel__division=huaihelu)
    asked = len(dingtalk.requests)

    with pytest.raises(robots.RateLimited) as raised:
        services.delivery_send(delivery_id=other.pk)

    assert len(dingtalk.requests) == asked
    assert raised.value.wait == pytest.approx((channel.throttled_until - timezone.now()).total_seconds(), abs=2)
    assert services.retry_countdown(raised.value, "dingtalk", 0) >= raised.value.wait


def test_after_the_window_the_waiting_digest_is_sent(settings, dingtalk, channel_for, wulibao):
    settings.ROBOT_RATE_LIMIT_SECONDS = {"dingtalk": 1}
    dingtalk.limit, dingtalk.throttle = 0, 1.0
    channel_for(dingtalk, wulibao, "dingtalk")
    (delivery,) = services.deliveries_prepare(date=DAY)
    with pytest.raises(robots.RateLimited):
        services.delivery_send(delivery_id=delivery.pk)
    dingtalk.limit = 20

    with pytest.raises(robots.RateLimited):  # still within the window: not even asked
        services.delivery_send(delivery_id=delivery.pk)
    until = Channel.objects.get().throttled_until
    while timezone.now() <= until:
        time.sleep(0.05)

    assert services.delivery_send(delivery_id=delivery.pk) == "sent"
    assert len(dingtalk.received) == 1
