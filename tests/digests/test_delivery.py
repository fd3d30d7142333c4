"""Delivering digests to real HTTP servers on 127.0.0.1 that speak each robot's protocol."""

import datetime
import json
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone, translation

from cases.models import Case
from cases.services import case_open
from digests import robots, services
from digests.models import Delivery
from digests.tasks import send_daily_digests

pytestmark = pytest.mark.django_db
DAY = datetime.date(2017, 1, 5)


def deliver_all(day=DAY, division=None):
    """Prepare and send every delivery of a day in this process; returns their statuses."""
    return [services.delivery_send(delivery_id=d.pk) for d in services.deliveries_prepare(date=day, division=division)]


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu", "webhook"])
def test_each_robot_gets_the_digest_in_its_own_signed_format(request, kind, channel_for, wulibao):
    server = request.getfixturevalue(kind)
    channel_for(server, wulibao, kind, mention="13800001111" if kind in ("wecom", "dingtalk") else "")

    assert deliver_all() == ["sent"]

    # WeCom's markdown cannot @ a mobile number: a short text message after the digest does.
    messages = 2 if kind == "wecom" else 1
    message, *mention = server.wait_for(messages)
    heading = "五里堡街道" if kind == "feishu" else "### 五里堡街道"  # Feishu gets rich text, not markdown
    assert message["text"].startswith(heading)
    assert "共排查" in message["text"]
    if kind == "dingtalk":
        assert message["body"]["msgtype"] == "markdown" and message["at"]["atMobiles"] == ["13800001111"]
    if kind == "wecom":
        assert message["msgtype"] == "markdown"
        assert (mention[0]["msgtype"], mention[0]["mentioned_mobile_list"]) == ("text", ["13800001111"])
        assert mention[0]["text"] == "请查看以上督查通报。"
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.parts_sent, delivery.parts_total, delivery.attempts) == (
        "sent",
        messages,
        messages,
        1,
    )


def test_sending_the_same_date_twice_posts_nothing_new(wecom, channel_for, wulibao):
    channel_for(wecom, wulibao, "wecom")

    deliver_all()
    deliver_all()
    send_daily_digests(DAY.isoformat())

    assert len(wecom.received) == 1
    assert Delivery.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two workers need two database connections")
def test_two_workers_racing_post_once(transactional_db, dingtalk, channel_for, wulibao):
    channel_for(dingtalk, wulibao, "dingtalk")
    (delivery,) = services.deliveries_prepare(date=DAY)
    dingtalk.delay = 0.5  # the first worker is still sending when the second one tries
    start, results = threading.Barrier(2), []

    def worker():
        start.wait()
        results.append(services.delivery_send(delivery_id=delivery.pk))
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    # The second waits its turn for the group, then finds the digest sent.
    assert sorted(results) == ["sent", "sent"]
    assert len(dingtalk.received) == 1


def test_a_server_that_is_down_gets_the_digest_when_it_comes_back(feishu, channel_for, wulibao):
    channel_for(feishu, wulibao, "feishu")
    (delivery,) = services.deliveries_prepare(date=DAY)
    feishu.go_down()

    with pytest.raises(robots.Retryable):
        services.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error_reason) == ("retrying", "unreachable")
    with translation.override("zh-hans"):
        assert "无法连接机器人服务，稍后自动重试" in delivery.error_text

    feishu.come_up()
    assert services.delivery_send(delivery_id=delivery.pk) == "sent"
    assert len(feishu.received) == 1


def test_a_502_from_a_proxy_is_retried(wecom, channel_for, wulibao):
    channel_for(wecom, wulibao, "wecom")
    (delivery,) = services.deliveries_prepare(date=DAY)
    wecom.fail_next(1, status=502)

    with pytest.raises(robots.Retryable, match="502"):
        services.delivery_send(delivery_id=delivery.pk)
    assert services.delivery_send(delivery_id=delivery.pk) == "sent"


def test_a_slow_answer_times_out_and_is_retried(settings, dingtalk, channel_for, wulibao):
    settings.ROBOT_TIMEOUT_SECONDS = 0.3
    channel_for(dingtalk, wulibao, "dingtalk")
    (delivery,) = services.deliveries_prepare(date=DAY)
    dingtalk.delay = 1.0

    with pytest.raises(robots.Retryable, match="timeout"):
        services.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    with translation.override("zh-hans"):
        assert delivery.status == "retrying" and delivery.error_text == "机器人服务超时，稍后自动重试"


@pytest.mark.parametrize(
    ("kind", "key", "secret", "code"),
    [
        ("wecom", "wrong-key", None, "93000"),
        ("dingtalk", "good-token", "SECwrong", "310000"),
        ("feishu", "good-hook", "wrong", "19021"),
    ],
)
def test_a_bad_key_or_signature_stops_at_once_with_a_clear_status(
    request, kind, key, secret, code, channel_for, wulibao
):
    server = request.getfixturevalue(kind)
    channel = channel_for(server, wulibao, kind, key=key, secret=secret)

    assert deliver_all() == ["stopped"]
    assert services.delivery_send(delivery_id=Delivery.objects.get().pk) == "stopped"  # no second try

    delivery = Delivery.objects.get()
    channel.refresh_from_db()
    assert code in delivery.last_error and code in channel.result_text and channel.needs_check
    assert delivery.attempts == 1
    assert server.received == []


@pytest.fixture
def overdue_everywhere(people, wulibao):
    """Hundreds of overdue cases in 五里堡: the digest's overdue table runs over several messages."""
    communities = list(wulibao.children.order_by("code")[:5])
    for n in range(300):
        case_open(
            actor=people["qu_admin"],
            source="spot_check",
            responsible_unit=communities[n % 5],
            title=f"楼道堆放散煤未清理第{n + 1}处",
        )
    Case.objects.update(deadline=DAY - datetime.timedelta(days=3))


def test_a_long_digest_arrives_as_numbered_parts_each_within_the_limit(wecom, channel_for, wulibao, overdue_everywhere):
    channel_for(wecom, wulibao, "wecom")

    assert deliver_all() == ["sent"]

    texts = wecom.texts
    assert len(texts) > 3
    assert all(len(t.encode()) <= 4096 for t in texts)
    assert [t.split("\n", 1)[0] for t in texts] == [f"（{n}/{len(texts)}）" for n in range(1, len(texts) + 1)]
    assert sum(t.count("楼道堆放散煤未清理第") for t in texts) == 300


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_a_digest_of_300_overdue_cases_reaches_every_robot_whole(
    request, kind, channel_for, wulibao, overdue_everywhere
):
    # The stand-ins refuse a body over the service's limit as sent (escapes and all), as the services do.
    server = request.getfixturevalue(kind)
    channel_for(server, wulibao, kind, mention="13800001111" if kind in ("wecom", "dingtalk") else "")

    assert deliver_all() == ["sent"]

    delivery = Delivery.objects.get()
    assert delivery.parts_total > 1 and delivery.parts_sent == delivery.parts_total
    assert all(r["accepted"] for r in server.requests)
    assert len(server.received) == delivery.parts_total
    assert sum(t.count("楼道堆放散煤未清理第") for t in server.texts) == 300
    assert "共排查" in server.texts[-2 if kind == "wecom" else -1]
    limit = {"wecom": None, "dingtalk": 20000, "feishu": 20000}[kind]
    if limit:
        assert all(len(r["raw"]) <= limit for r in server.requests)
        # Sent as UTF-8: the parts are about half as many as with \\uXXXX escapes.
        assert all("\\u" not in r["raw"].decode() for r in server.requests)


def test_feishu_gets_rich_text_it_renders_not_raw_markdown(feishu, channel_for, wulibao, overdue_everywhere):
    channel_for(feishu, wulibao, "feishu")

    deliver_all()

    first = feishu.received[0]
    assert first["msgtype"] == "post" and first["title"].startswith("五里堡街道")
    assert first["title"].endswith(f"（1/{len(feishu.received)}）")
    for message in feishu.received:
        assert "###" not in message["text"] and "**" not in message["text"] and "|" not in message["text"]
    paragraphs = [p for m in feishu.received for p in m["body"]["content"]["post"]["zh_cn"]["content"]]
    bold = [p[0]["text"] for p in paragraphs if p[0].get("style") == ["bold"]]
    assert bold[0].startswith("五里堡街道")  # the heading
    assert any("　" in line for line in bold)  # the overdue table's header row, its cells set apart


def test_a_rate_limited_robot_gets_every_part_in_order_without_loss(
    settings, wecom, channel_for, wulibao, overdue_everywhere
):
    wecom.limit, wecom.window = 3, 1.0
    settings.ROBOT_RATE_LIMIT_SECONDS = {"wecom": 1}  # the stand-in's window
    channel_for(wecom, wulibao, "wecom")
    (delivery,) = services.deliveries_prepare(date=DAY)
    expected = services.digest_parts(delivery.digest, delivery.channel)
    assert len(expected) > 3

    deadline = time.monotonic() + 20
    status = None
    while status != "sent":
        assert time.monotonic() < deadline
        try:
            status = services.delivery_send(delivery_id=delivery.pk)
        except robots.RateLimited:
            time.sleep(1.05)  # the task waits out the robot's window before it tries again

    assert wecom.texts == expected
    assert any(r["answer"].get("errcode") == 45009 for r in wecom.requests if isinstance(r["answer"], dict))


def test_a_worker_killed_mid_send_leaves_the_rest_to_be_resumed(wecom, channel_for, wulibao, overdue_everywhere):
    channel_for(wecom, wulibao, "wecom")
    (delivery,) = services.deliveries_prepare(date=DAY)
    parts = services.digest_parts(delivery.digest, delivery.channel)
    # A worker sent two parts, then died holding the delivery: its lease has run out.
    Delivery.objects.filter(pk=delivery.pk).update(
        status="sending", parts_sent=2, claimed_until=timezone.now() - datetime.timedelta(seconds=1)
    )

    assert services.delivery_send(delivery_id=delivery.pk) == "sent"
    assert wecom.texts == parts[2:]


def test_a_delivery_held_by_a_live_worker_is_left_alone(wecom, channel_for, wulibao):
    channel_for(wecom, wulibao, "wecom")
    (delivery,) = services.deliveries_prepare(date=DAY)
    Delivery.objects.filter(pk=delivery.pk).update(
        status="sending", claimed_until=timezone.now() + datetime.timedelta(minutes=1)
    )

    assert services.delivery_send(delivery_id=delivery.pk) == "sending"
    assert wecom.received == []


def test_a_subdistricts_channel_never_receives_another_subdistricts_figures(
    people, register, wecom, dingtalk, channel_for, wulibao, huaihelu, wulibao_community, huaihelu_community
):
    from inspections.services import SeizureInput, inspection_record

    moment = timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(23, 30)))
    for community, pieces in ((wulibao_community, 50), (huaihelu_community, 7)):
        inspection_record(
            actor=people["qu_admin"],
            household=register("qu_admin", community),
            kind="night_check",
            outcome="loose_coal",
            started_at=moment,
            seizures=[SeizureInput("briquette", pieces, "confiscated")],
        )
    channel_for(wecom, wulibao, "wecom")
    channel_for(dingtalk, huaihelu, "dingtalk")

    deliver_all()

    assert "散煤50块" in wecom.texts[0] and "散煤7块" not in wecom.texts[0]
    assert "散煤7块" in dingtalk.texts[0] and "散煤50块" not in dingtalk.texts[0]


def test_the_digest_command_dry_run_sends_nothing(wecom, channel_for, wulibao):
    from io import StringIO

    from django.core.management import call_command

    channel_for(wecom, wulibao, "wecom")
    out = StringIO()
    call_command("send_daily_digest", "--date", DAY.isoformat(), "--dry-run", stdout=out)

    assert "五里堡街道" in out.getvalue() and "1条消息" in out.getvalue()
    assert wecom.received == [] and not Delivery.objects.exists()


def test_the_dry_run_shows_every_message_as_sent_with_wecoms_mention_message(wecom, channel_for, wulibao):
    from io import StringIO

    from django.core.management import call_command

    channel_for(wecom, wulibao, "wecom", mention="13800001111")
    out = StringIO()
    call_command("send_daily_digest", "--date", DAY.isoformat(), "--dry-run", stdout=out)
    shown = out.getvalue()

    assert "2条消息" in shown and "wecom 2/2: 30/2048字节" in shown  # WeCom's text message limit
    assert '"mentioned_mobile_list": ["13800001111"]' in shown and "请查看以上督查通报。" in shown
    assert not Delivery.objects.exists()
    # Sent for real, the group gets exactly the bodies the dry run showed.
    deliver_all()
    sent = [json.dumps(r["body"], ensure_ascii=False) for r in wecom.requests]
    assert all(body in shown for body in sent) and len(sent) == 2


def test_a_dry_run_with_no_channels_says_so_and_how_to_print_a_digest(erqi):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("send_daily_digest", "--date", DAY.isoformat(), "--dry-run", stdout=out)

    assert "没有启用的渠道" in out.getvalue() and "--dry-run --division CODE" in out.getvalue()


def test_an_unreachable_robots_key_never_appears_in_an_error(channel_for, wulibao, client_as):
    class Nowhere:
        base_url = "http://127.0.0.1:9"

    channel_for(Nowhere, wulibao, "wecom", key="very-secret-key-123")
    (delivery,) = services.deliveries_prepare(date=DAY)

    with pytest.raises(robots.Retryable):
        services.delivery_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.error_reason, delivery.last_error) == ("unreachable", "")
    page = client_as("qu_admin").get("/digests/deliveries/").content.decode()
    assert "very-secret-key-123" not in page + client_as("qu_admin").get("/digests/channels/").content.decode()


def test_mentions_are_added_without_pushing_the_first_part_over_the_limit(
    wecom, channel_for, wulibao, overdue_everywhere
):
    channel_for(wecom, wulibao, "wecom", mention="zhangsan,lisi,wangwu")

    assert deliver_all() == ["sent"]
    assert "<@zhangsan>" in wecom.texts[0]
    assert all(len(t.encode()) <= 4096 for t in wecom.texts)


def test_a_hundred_parts_and_more_stay_within_the_limit():
    from digests.selectors import split_parts

    parts = split_parts("\n".join(f"第{i}行数据" for i in range(3000)), 100)

    assert len(parts) >= 100
    assert all(len(p.encode()) <= 100 for p in parts)


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (0, "当天结束后才能发送当天的通报"),
        (1, "不能填写未来的日期"),
        (400, "不能填写未来的日期"),
    ],
)
def test_the_command_refuses_today_and_future_dates_and_sends_and_stores_nothing(
    wecom, channel_for, wulibao, offset, message
):
    from django.core.management import CommandError, call_command

    from digests.models import Digest

    channel_for(wecom, wulibao, "wecom")
    day = timezone.localdate() + datetime.timedelta(days=offset)

    with pytest.raises(CommandError, match=message):
        call_command("send_daily_digest", "--date", day.isoformat())
    with pytest.raises(CommandError, match=message):
        call_command("send_daily_digest", "--date", day.isoformat(), "--dry-run")

    assert wecom.requests == [] and not Digest.objects.exists() and not Delivery.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"), [("1989-12-31", "日期过早"), ("0001-01-01", "日期过早"), ("5.1.2017", "YYYY-MM-DD")]
)
def test_the_command_refuses_far_past_and_malformed_dates(erqi, value, message):
    from django.core.management import CommandError, call_command

    from digests.models import Digest

    with pytest.raises(CommandError, match=message):
        call_command("send_daily_digest", "--date", value)
    assert not Digest.objects.exists()


def test_the_commands_report_is_in_the_operators_language(wecom, channel_for, wulibao):
    from io import StringIO

    from django.core.management import call_command

    channel_for(wecom, wulibao, "wecom")
    out = StringIO()
    call_command("send_daily_digest", "--date", DAY.isoformat(), stdout=out)

    assert out.getvalue() == "五里堡街道工作群（企业微信群机器人）: 已发送\n"


def test_a_second_task_for_a_delivery_waiting_to_retry_sends_nothing_before_its_time(wecom, channel_for, wulibao):
    channel_for(wecom, wulibao, "wecom")
    (delivery,) = services.deliveries_prepare(date=DAY)
    wecom.fail_next(1, status=502)
    with pytest.raises(robots.Retryable) as raised:
        services.delivery_send(delivery_id=delivery.pk)
    countdown = services.retry_countdown(raised.value, "wecom", 0)
    services.delivery_retry_scheduled(delivery_id=delivery.pk, countdown=countdown)

    # The morning task queued twice, say: its second task finds the delivery waiting and leaves it to its retry.
    assert services.delivery_send(delivery_id=delivery.pk) == "retrying"
    assert wecom.received == []

    Delivery.objects.filter(pk=delivery.pk).update(retry_at=timezone.now())  # the retry's time has come
    assert services.delivery_send(delivery_id=delivery.pk) == "sent"
