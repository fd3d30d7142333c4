"""Why a delivery failed, in words a clerk can act on; set-up mistakes stop, passing trouble is retried."""

import datetime
import html

import pytest
from django.conf import settings as django_settings

from digests import robots, services
from digests.models import Channel

from .robots import NotFoundProxy

pytestmark = pytest.mark.django_db
DAY = datetime.date(2017, 1, 5)


def send_once():
    """What the worker's task does with a delivery: send it, or schedule its retry (the retry itself is not
    run here)."""
    (delivery,) = services.deliveries_prepare(date=DAY)
    try:
        services.delivery_send(delivery_id=delivery.pk)
    except robots.Retryable as exc:
        countdown = services.retry_countdown(exc, delivery.channel.kind, 0)
        services.delivery_retry_scheduled(delivery_id=delivery.pk, countdown=countdown)
    delivery.refresh_from_db()
    return delivery


def page(client, path="/digests/deliveries/", language="zh-hans"):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return html.unescape(client.get(path).content.decode())


def history(client, language="zh-hans"):
    return page(client, language=language)


@pytest.mark.parametrize(
    ("kind", "setup", "chinese", "english", "given"),
    [
        (
            "wecom",
            {"key": "wrong-key"},
            "密钥无效，请核对渠道的 Key/Token",
            "The key is not valid: check the channel's Key/Token",
            "93000 invalid webhook url",
        ),
        (
            "dingtalk",
            {"secret": "SECwrong"},
            "签名不符，请核对加签密钥",
            "The signature does not match: check the signing secret",
            "310000 sign not match",
        ),
        (
            "feishu",
            {"secret": "wrong"},
            "签名不符，请核对加签密钥",
            "The signature does not match: check the signing secret",
            "19021 sign match fail",
        ),
    ],
)
def test_a_bad_key_or_signature_is_explained_in_the_pages_language_with_the_robots_own_words(
    request, client_as, kind, setup, chinese, english, given, channel_for, wulibao
):
    server = request.getfixturevalue(kind)
    channel_for(server, wulibao, kind, **setup)

    assert send_once().status == "stopped"

    client = client_as("qu_admin")
    assert f"{chinese}（{given}" in history(client)
    assert f"{english} ({given}" in history(client, "en")
    channels = page(client, "/digests/channels/")
    assert "请检查渠道配置" in channels and chinese in channels


def test_a_proxys_error_page_is_a_reason_and_a_status_never_its_html(client_as, wecom, channel_for, wulibao):
    channel_for(wecom, wulibao, "wecom")
    wecom.fail_next(1, status=502)

    delivery = send_once()

    assert (delivery.status, delivery.error_reason, delivery.last_error) == ("retrying", "server_error", "HTTP 502")
    shown = history(client_as("qu_admin"))
    assert "机器人服务出错，稍后自动重试（HTTP 502）" in shown and "nginx" not in shown


def test_a_waiting_delivery_shows_when_it_will_be_tried_again(client_as, settings, dingtalk, channel_for, wulibao):
    from django.utils import timezone

    dingtalk.limit = 0  # the robot is sending too fast already: 130101
    channel_for(dingtalk, wulibao, "dingtalk")

    delivery = send_once()

    assert (delivery.status, delivery.error_reason) == ("retrying", "rate_limited")
    wait = (delivery.retry_at - timezone.now()).total_seconds()
    assert 590 < wait <= 600  # DingTalk throttles for 10 minutes
    shown = history(client_as("qu_admin"))
    assert "发送太频繁，10分钟后自动重试（130101 send too fast" in shown
    assert f"下次发送：{timezone.localtime(delivery.retry_at):%Y-%m-%d %H:%M}" in shown


def test_a_timeout_is_explained_and_retried(client_as, settings, dingtalk, channel_for, wulibao):
    settings.ROBOT_TIMEOUT_SECONDS = 0.3
    channel_for(dingtalk, wulibao, "dingtalk")
    dingtalk.delay = 1.0

    assert send_once().status == "retrying"
    shown = history(client_as("qu_admin"))
    assert "机器人服务超时，稍后自动重试" in shown and "ReadTimeout" not in shown


def test_a_service_address_without_a_scheme_stops_and_flags_the_channel(client_as, wecom, channel_for, wulibao):
    channel = channel_for(wecom, wulibao, "wecom")
    # Saved before addresses were checked: the form refuses it now (test_channel_form).
    Channel.objects.filter(pk=channel.pk).update(base_url="qyapi.weixin.qq.com")

    delivery = send_once()

    assert (delivery.status, delivery.error_reason, delivery.attempts) == ("stopped", "bad_url", 1)
    channel.refresh_from_db()
    assert channel.needs_check
    shown = history(client_as("qu_admin"))
    assert "服务地址有误，请核对渠道的服务地址" in shown and "MissingSchema" not in shown


def test_a_proxy_answering_404_as_plain_text_stops_the_delivery(client_as, channel_for, wulibao):
    with NotFoundProxy() as proxy:
        channel = channel_for(proxy, wulibao, "wecom")

        delivery = send_once()
        assert services.delivery_send(delivery_id=delivery.pk) == "stopped"  # not tried again

    delivery.refresh_from_db()
    assert (delivery.status, delivery.error_reason, delivery.last_error, delivery.attempts) == (
        "stopped",
        "bad_url",
        "HTTP 404",
        1,
    )
    channel.refresh_from_db()
    assert channel.needs_check and len(proxy.requests) == 1
    assert "服务地址有误，请核对渠道的服务地址（HTTP 404）" in history(client_as("qu_admin"))


@pytest.mark.parametrize("status", [401, 403])
def test_a_webhook_refusing_access_stops_the_delivery(webhook, channel_for, wulibao, status):
    webhook.status = status
    channel_for(webhook, wulibao, "webhook")

    delivery = send_once()

    assert (delivery.status, delivery.error_reason, delivery.last_error) == ("stopped", "forbidden", f"HTTP {status}")


def test_the_test_message_button_answers_in_chinese(client_as, wecom, channel_for, wulibao):
    bad = channel_for(wecom, wulibao, "wecom", key="not-the-key")
    client = client_as("wulibao_admin")
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = client.post("/digests/channels/", {"channel": bad.pk}, follow=True)

    shown = html.unescape(response.content.decode())
    assert "发送失败：密钥无效，请核对渠道的 Key/Token（93000 invalid webhook url）" in shown


def test_a_delivery_that_failed_after_its_last_retry_promises_no_more_retries(client_as, channel_for, wulibao):
    class Nowhere:
        base_url = "http://127.0.0.1:9"  # nothing listens there

    channel_for(Nowhere, wulibao, "wecom")
    (delivery,) = services.deliveries_prepare(date=DAY)
    with pytest.raises(robots.Retryable) as raised:
        services.delivery_send(delivery_id=delivery.pk)
    services.delivery_give_up(delivery_id=delivery.pk, error=raised.value)  # what the task does after the last

    shown = history(client_as("qu_admin"))
    assert "多次重试仍无法连接机器人服务：请检查网络后点“重新发送”" in shown and "稍后自动重试" not in shown
