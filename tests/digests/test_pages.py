"""The delivery history and channel pages: scoped, resend and test message for administrators only."""

import datetime

import pytest
from django.utils import timezone

from digests import services
from digests.models import Delivery

pytestmark = pytest.mark.django_db
DAY = datetime.date(2017, 1, 5)


@pytest.fixture
def two_deliveries(wecom, feishu, channel_for, wulibao, huaihelu):
    channel_for(wecom, wulibao, "wecom")
    channel_for(feishu, huaihelu, "feishu", secret="wrong")
    for delivery in services.deliveries_prepare(date=DAY):
        services.delivery_send(delivery_id=delivery.pk)
    return Delivery.objects.order_by("division_code")


@pytest.mark.parametrize(
    ("username", "count"), [("qu_admin", 2), ("wulibao_admin", 1), ("huaihelu_inspector", 1), ("nobody", 0)]
)
def test_the_delivery_history_shows_only_the_users_units(client_as, two_deliveries, username, count):
    assert len(client_as(username).get("/digests/deliveries/").context["object_list"]) == count


def test_a_stopped_delivery_can_be_sent_again_once_the_channel_is_fixed(client_as, feishu, two_deliveries):
    from digests.tasks import deliver

    stopped = two_deliveries.get(status="stopped")
    assert "19021" in stopped.last_error
    channel = stopped.channel
    channel.secret = "secret"
    channel.save()

    response = client_as("qu_admin").post("/digests/deliveries/", {"delivery": stopped.pk})

    assert response.status_code == 302
    stopped.refresh_from_db()
    assert (stopped.status, stopped.last_error) == ("pending", "")  # queued for the worker
    deliver.apply(args=(stopped.pk,))  # what the worker does with it
    stopped.refresh_from_db()
    assert stopped.status == "sent"
    assert len(feishu.received) == 1


def test_only_an_administrator_of_the_channels_unit_may_resend(client_as, two_deliveries):
    theirs = two_deliveries.get(status="stopped")  # 淮河路's

    assert client_as("wulibao_admin").post("/digests/deliveries/", {"delivery": theirs.pk}).status_code == 404
    assert client_as("huaihelu_inspector").post("/digests/deliveries/", {"delivery": theirs.pk}).status_code == 403


def test_the_test_message_button_shows_the_services_answer(client_as, wecom, channel_for, wulibao):
    good = channel_for(wecom, wulibao, "wecom")
    bad = channel_for(wecom, wulibao, "wecom", key="not-the-key")
    client = client_as("wulibao_admin")

    client.post("/digests/channels/", {"channel": good.pk})
    client.post("/digests/channels/", {"channel": bad.pk})

    good.refresh_from_db()
    bad.refresh_from_db()
    assert len(wecom.received) == 1 and "五里堡街道" in wecom.texts[0]
    assert "93000" in bad.result_text and "93000" not in good.result_text


@pytest.mark.parametrize("kind", ["wecom", "dingtalk"])
def test_a_test_message_rings_nobody_the_digest_would_mention(request, client_as, channel_for, wulibao, kind):
    """An administrator testing a channel at night @-ed the leaders the digest calls on (on WeCom, as a text)."""
    server = request.getfixturevalue(kind)
    channel = channel_for(server, wulibao, kind, mention="13800001111")

    client_as("wulibao_admin").post("/digests/channels/", {"channel": channel.pk})

    (message,) = server.wait_for(1)
    assert "五里堡街道" in message["text"]
    if kind == "wecom":
        assert (message["msgtype"], message["mentioned_mobile_list"]) == ("markdown", [])
    else:
        assert message["at"]["atMobiles"] == [] and "@13800001111" not in message["text"]


def test_the_date_box_shows_yesterday_in_the_form_a_date_input_takes(client_as):
    """In Chinese, Django writes a date as 2026/11/28, which an <input type=date> throws away."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    page = client_as("wulibao_admin").get("/digests/").content.decode()
    assert f'type="date" name="date" value="{yesterday:%Y-%m-%d}"' in page


def test_a_delivered_digest_is_posted_again_only_when_the_administrator_confirms(client_as, wecom, two_deliveries):
    """An outside tester clicked 重新发送 on a delivered digest: it was posted to the group again without a
    question, and the history no longer showed it had been delivered."""
    from digests.tasks import deliver

    sent = two_deliveries.get(status="sent")
    posted = len(wecom.received)
    client = client_as("qu_admin")
    page = client.get("/digests/deliveries/").content.decode()
    assert f'name="again" value="1" id="again-{sent.pk}" required' in page

    response = client.post("/digests/deliveries/", {"delivery": sent.pk}, follow=True)

    sent.refresh_from_db()
    assert sent.status == "sent" and len(wecom.received) == posted
    assert "该通报已于" in response.content.decode()

    client.post("/digests/deliveries/", {"delivery": sent.pk, "again": "1"})
    deliver.apply(args=(sent.pk,))
    sent.refresh_from_db()
    assert sent.status == "sent" and len(wecom.received) > posted
    assert 'data-testid="delivered-at"' in client.get("/digests/deliveries/").content.decode()


def test_a_delivery_not_split_yet_shows_no_parts_rather_than_0_of_0(client_as, wecom, channel_for, wulibao):
    """Prepared but not sent (waiting for its window, or for the worker): "0/0" read as a digest of no parts."""
    channel_for(wecom, wulibao, "wecom")
    (waiting,) = services.deliveries_prepare(date=DAY)
    page = client_as("qu_admin").get("/digests/deliveries/").content.decode()
    assert 'data-testid="parts"><span class="text-muted"' in page and "0/0" not in page

    services.delivery_send(delivery_id=waiting.pk)
    waiting.refresh_from_db()
    page = client_as("qu_admin").get("/digests/deliveries/").content.decode()
    assert f'data-testid="parts">{waiting.parts_total}/{waiting.parts_total}<' in page
