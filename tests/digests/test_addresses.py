"""A channel reaches its robot's own service or an address the operator allows, never this server or its intranet.

Left open, the channel page was a port scanner: a unit's administrator saved any address, pressed "send a test
message" and read the answer (a connection error at 127.0.0.1:6379, HTTP 405 at the app's own port). These tests
run with the default settings — nothing allowed but the robots' own hosts — unless they say otherwise; the
stand-ins they start get nothing.
"""

import datetime
import html
import socket

import pytest
import urllib3.connection
from django.conf import settings as django_settings

from coalgov import outbound
from digests import robots, services
from digests.models import Channel

from .robots import HOST, Reply, WebhookServer, WeComServer

pytestmark = pytest.mark.django_db

REFUSED_AT_SEND = "发送失败：服务地址不在允许范围"


@pytest.fixture
def post_channel(client_as, wulibao):
    """post_channel(**fields) -> (response, page text): the channel form posted by 五里堡's administrator."""
    client = client_as("wulibao_admin")
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    def post(**fields):
        data = {"division": wulibao.pk, "name": "五里堡工作群", "is_active": "on", "secret": "", "mention": ""}
        response = client.post("/digests/channels/new/", {**data, **fields})
        return response, html.unescape(response.content.decode())

    return post


@pytest.fixture
def stand_in():
    """A WeCom stand-in on 127.0.0.1 that the settings do not allow: whatever reaches it is a hole."""
    with WeComServer() as server:
        yield server


def intranet_addresses(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}",
        "http://10.0.0.1",
        "http://169.254.169.254",  # the cloud metadata service
        "http://100.100.100.200",  # Alibaba Cloud's metadata service
        f"http://[::1]:{port}",
        f"http://localhost:{port}",  # a name that resolves to loopback
        "https://qyapi.weixin.qq.com:6379",  # the robot's host, but not its port
    ]


@pytest.mark.parametrize("index", range(7))
def test_a_service_address_at_this_server_or_the_intranet_is_refused_when_saved(post_channel, stand_in, index):
    address = intranet_addresses(stand_in.port)[index]

    response, page = post_channel(kind="wecom", key="abc123", base_url=address)

    assert response.status_code == 200
    assert "不是企业微信群机器人的服务地址：请填写 https://qyapi.weixin.qq.com 的地址" in page
    assert not Channel.objects.exists()


@pytest.mark.parametrize("index", range(6))
def test_a_generic_webhook_at_this_server_or_the_intranet_is_refused_when_saved(post_channel, stand_in, index):
    address = intranet_addresses(stand_in.port)[index] + "/hook/digest"

    response, page = post_channel(kind="webhook", key=address)

    assert response.status_code == 200
    assert "通用 webhook 只能发往系统管理员允许的地址（ROBOT_ALLOWED_HOSTS）" in page
    assert not Channel.objects.exists()


def test_another_robots_host_is_refused_as_a_service_address(post_channel):
    response, page = post_channel(kind="wecom", key="abc123", base_url="https://oapi.dingtalk.com")

    assert response.status_code == 200 and "oapi.dingtalk.com 不是企业微信群机器人的服务地址" in page


@pytest.mark.parametrize(
    ("kind", "base_url", "secret"),
    [
        ("wecom", "https://qyapi.weixin.qq.com", ""),
        ("dingtalk", "https://oapi.dingtalk.com/", "SECx"),
        ("feishu", "https://open.feishu.cn", "s"),
        ("feishu", "https://open.larksuite.com", "s"),
        ("wecom", "", ""),
    ],
)
def test_the_robots_own_services_are_accepted(post_channel, kind, base_url, secret):
    response, _page = post_channel(kind=kind, key="abc123", base_url=base_url, secret=secret)

    assert response.status_code == 302 and Channel.objects.count() == 1


def test_an_intranet_proxy_the_operator_allows_is_accepted_and_only_on_its_port(post_channel, settings):
    settings.ROBOT_ALLOWED_HOSTS = ["proxy.erqi.gov.cn:8080"]

    refused, page = post_channel(kind="wecom", key="abc123", base_url="http://proxy.erqi.gov.cn:22")
    assert refused.status_code == 200 and "proxy.erqi.gov.cn:22 不是企业微信群机器人的服务地址" in page

    accepted, _page = post_channel(kind="wecom", key="abc123", base_url="http://proxy.erqi.gov.cn:8080/wecom")
    assert accepted.status_code == 302


def test_the_operators_service_addresses_are_accepted(post_channel, settings):
    settings.ROBOT_BASE_URLS = {**settings.ROBOT_BASE_URLS, "wecom": "http://10.1.2.3:8080/wecom"}

    response, _page = post_channel(kind="wecom", key="abc123", base_url="http://10.1.2.3:8080/other")

    assert response.status_code == 302


# --- at send time: channels saved before addresses were checked, or settings changed since -------------------


@pytest.fixture
def saved_at(people, wulibao):
    """saved_at(kind, address) -> a channel posting to `address`, written as an old row (not through the form,
    which refuses it now)."""

    def make(kind, address):
        return Channel.objects.create(
            division=wulibao,
            division_code=wulibao.code,
            name="旧渠道",
            kind=kind,
            key=address if kind == "webhook" else "good-key",
            base_url="" if kind == "webhook" else address,
            created_by=people["qu_admin"],
        )

    return make


@pytest.mark.parametrize("index", range(7))
def test_a_stored_address_at_this_server_or_the_intranet_is_refused_when_sending(
    people, client_as, saved_at, stand_in, index
):
    channel = saved_at("wecom", intranet_addresses(stand_in.port)[index])

    answer = services.channel_test(actor=people["wulibao_admin"], channel=channel)

    assert answer.startswith(REFUSED_AT_SEND)
    assert stand_in.requests == []
    channel.refresh_from_db()
    assert channel.result == "address_refused" and channel.needs_check


def test_a_stored_generic_webhook_on_this_server_is_refused_and_the_delivery_stops(people, saved_at, wulibao):
    with WebhookServer() as hook:
        saved_at("webhook", hook.url())
        (delivery,) = services.deliveries_prepare(date=datetime.date(2017, 1, 5))

        assert services.delivery_send(delivery_id=delivery.pk) == "stopped"

        assert hook.requests == []
    delivery.refresh_from_db()
    assert (delivery.error_reason, delivery.last_error) == ("address_refused", "")


def test_the_test_message_shows_the_refusal_and_no_connection_error(client_as, saved_at, stand_in):
    channel = saved_at("wecom", "http://127.0.0.1:6379")
    client = client_as("wulibao_admin")
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = client.post("/digests/channels/", {"channel": channel.pk}, follow=True)

    shown = html.unescape(response.content.decode())
    refusal = "服务地址不在允许范围：机器人只能发往其官方服务或系统管理员允许的地址，请核对渠道的服务地址<"
    assert f"旧渠道: 发送失败：{refusal}" in shown
    assert "Connection" not in shown and "HTTP" not in shown.split("发送失败")[1][:200]


# --- at the connection: the name is allowed, the address it resolves to is not -----------------------------------


@pytest.fixture
def resolver(monkeypatch):
    """resolver({name: [ip, ...]}) -> the lookups made: names resolve to the given addresses (DNS we control;
    other names as usual)."""
    real = socket.getaddrinfo
    lookups = []

    def install(answers):
        def fake(host, port, *args, **kwargs):
            if host in answers:
                lookups.append(host)
                return [
                    (
                        socket.AF_INET6 if ":" in ip else socket.AF_INET,
                        socket.SOCK_STREAM,
                        6,
                        "",
                        (ip, port, 0, 0) if ":" in ip else (ip, port),
                    )
                    for ip in answers[host]
                ]
            return real(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", fake)
        return lookups

    return install


@pytest.fixture
def connections(monkeypatch):
    """Every connection urllib3 opens, as (host, port)."""
    opened = []
    real = urllib3.connection.connection.create_connection

    def recording(address, *args, **kwargs):
        opened.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.connection.connection, "create_connection", recording)
    return opened


@pytest.mark.parametrize("answer", [["127.0.0.1"], ["::ffff:127.0.0.1"], ["93.184.216.34", "10.0.0.1"], ["::1"]])
def test_a_robots_host_that_resolves_into_the_intranet_is_refused_before_connecting(resolver, connections, answer):
    # The name passes every check on names; what it resolves to does not (a rebinding DNS, a poisoned resolver).
    resolver({"qyapi.weixin.qq.com": answer})
    robot = robots.Robot(kind="wecom", key="good-key")

    with pytest.raises(robots.Fatal) as refused:
        robots.send(robot, "测试", title="测试")

    assert refused.value.reason == "address_refused" and refused.value.detail == ""
    assert connections == []


def test_the_connection_goes_to_the_address_that_was_checked_never_to_the_name_again(
    resolver, connections, stand_in, settings
):
    # The operator allows robot.example (an intranet proxy); it is looked up once, and the connection is made to
    # that address, with the name kept for the Host header: a second answer of the DNS would never be used.
    settings.ROBOT_ALLOWED_HOSTS = ["robot.example"]
    lookups = resolver({"robot.example": [HOST]})
    robot = robots.Robot(kind="wecom", key="good-key", base_url=f"http://robot.example:{stand_in.port}")

    robots.send(robot, "测试", title="测试")

    assert lookups == ["robot.example"]
    assert connections == [(HOST, stand_in.port)]
    assert stand_in.received[0]["headers"]["host"] == f"robot.example:{stand_in.port}"


def test_a_name_resolving_to_loopback_is_refused_at_the_connection_when_another_host_is_allowed(stand_in):
    session = outbound.session(trusted=["robot.example"])

    with pytest.raises(outbound.AddressRefused):
        session.post(stand_in.url().replace(HOST, "localhost"), json={}, allow_redirects=False, timeout=5)

    assert stand_in.requests == []


def test_the_environments_proxy_is_not_used(stand_in, resolver, settings, monkeypatch):
    # A forward proxy would make the connection for us, wherever the address points.
    settings.ROBOT_ALLOWED_HOSTS = ["robot.example"]
    resolver({"robot.example": [HOST]})
    monkeypatch.setenv("HTTP_PROXY", f"http://{HOST}:{stand_in.port}")
    monkeypatch.setenv("NO_PROXY", "")
    robot = robots.Robot(kind="wecom", key="k", base_url="http://robot.example:9")  # nothing listens there

    with pytest.raises(robots.Retryable) as failed:
        robots.send(robot, "测试", title="测试")

    assert failed.value.reason == "unreachable"
    assert stand_in.requests == []


def test_a_redirect_is_not_followed(settings, stand_in):
    settings.ROBOT_ALLOWED_HOSTS = [HOST]

    class Redirecting(WebhookServer):
        def handle(self, request):
            return Reply(307, {"ok": True}, headers={"Location": stand_in.url()})

    with Redirecting() as redirecting, pytest.raises(robots.Fatal) as refused:
        robots.send(robots.Robot(kind="webhook", key=redirecting.url()), "测试", title="测试")

    assert refused.value.detail == "HTTP 307"
    assert stand_in.requests == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.100.100.200", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fd00:ec2::254", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::7f00:1", False),
        ("2002:7f00:1::", False),
        ("ff02::1", False),
        ("8.8.8.8", True),
        ("::ffff:8.8.8.8", True),
        ("2400:3200::1", True),
        ("not an address", False),
    ],
)
def test_only_public_addresses_are_public(address, public):
    assert outbound.is_public(address) is public
