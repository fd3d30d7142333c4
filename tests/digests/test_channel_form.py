"""The channel form takes what the robots hand out and refuses what can never work, saying why."""

import html

import pytest

from digests import services
from digests.models import Channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def post_channel(client_as, wulibao):
    """post_channel(**fields) -> (response, page text): the channel form posted by 五里堡's administrator."""
    client = client_as("wulibao_admin")

    def post(**fields):
        data = {"division": wulibao.pk, "name": "五里堡工作群", "is_active": "on", "secret": "", "mention": ""}
        response = client.post("/digests/channels/new/", {**data, **fields})
        return response, html.unescape(response.content.decode())

    return post


@pytest.mark.parametrize(
    ("kind", "pasted", "secret"),
    [
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", ""),
        ("wecom", " qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa ", ""),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=5a1b2c3d4e5f60718293a4b5c6d7e8f9", "SECx"),
        ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "s3cret"),
    ],
)
def test_a_pasted_webhook_address_is_kept_as_its_key(post_channel, kind, pasted, secret):
    response, _page = post_channel(kind=kind, key=pasted, secret=secret)

    assert response.status_code == 302
    expected = {
        "wecom": "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
        "dingtalk": "5a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "feishu": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    }[kind]
    assert Channel.objects.get().key == expected


def test_a_channel_made_from_a_pasted_address_delivers(people, wecom, wulibao):
    channel = services.channel_save(
        actor=people["wulibao_admin"],
        data={"division": wulibao, "name": "群", "kind": "wecom", "key": wecom.url(), "base_url": wecom.base_url},
    )

    assert services.channel_test(actor=people["wulibao_admin"], channel=channel) == "发送成功。"
    assert wecom.received[0]["key"] == "good-key"


@pytest.mark.parametrize(
    ("kind", "pasted", "message"),
    [
        (
            "wecom",
            "https://oapi.dingtalk.com/robot/send?access_token=abc123",
            "这是钉钉自定义机器人的地址，不是企业微信群机器人的",
        ),
        ("feishu", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", "这是企业微信群机器人的地址"),
        ("dingtalk", "https://example.com/some/page?x=1", "这不是钉钉自定义机器人的地址"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "地址中没有 Key"),
        ("wecom", "好 的 key", "Key 只含字母、数字"),
        ("webhook", "example.com/hook", "通用 webhook 请填写完整地址"),
    ],
)
def test_a_key_that_can_never_work_is_refused_with_a_reason(post_channel, kind, pasted, message):
    response, page = post_channel(kind=kind, key=pasted, secret="SECx")

    assert response.status_code == 200 and message in page
    assert not Channel.objects.exists()


@pytest.mark.parametrize(
    ("kind", "mention", "message"),
    [
        ("dingtalk", "1380000111", "1380000111 不是有效的手机号"),
        ("wecom", "12800001111", "12800001111 不是有效的手机号"),
        ("dingtalk", "zhangsan", "zhangsan 不是手机号：钉钉机器人只能按手机号@成员"),
        ("wecom", "张三", "张三 既不是手机号，也不是企业微信成员账号"),
        ("feishu", "13800001111", "这种机器人不能@人"),
    ],
)
def test_a_mention_that_cannot_work_is_refused_not_dropped(post_channel, kind, mention, message):
    response, page = post_channel(kind=kind, key="abc123", secret="SECx", mention=f"13900001111，{mention}")

    assert response.status_code == 200 and message in page
    assert not Channel.objects.exists()


def test_mobiles_and_wecom_user_ids_are_kept_as_a_list(post_channel):
    response, _page = post_channel(kind="wecom", key="abc123", mention="13900001111， zhang.san@erqi、 lisi")

    assert response.status_code == 302
    assert Channel.objects.get().mention == "13900001111,zhang.san@erqi,lisi"


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        ("qyapi.weixin.qq.com", "请填写完整地址，以 http:// 或 https:// 开头"),
        ("ftp://proxy.erqi.gov.cn", "请填写完整地址，以 http:// 或 https:// 开头"),
        ("https://", "请填写完整地址"),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", "只填服务地址"),
    ],
)
def test_a_service_address_must_be_a_whole_http_address(post_channel, base_url, message):
    response, page = post_channel(kind="wecom", key="abc123", base_url=base_url)

    assert response.status_code == 200 and message in page
    assert not Channel.objects.exists()


def test_a_proxys_address_is_kept_without_its_trailing_slash(post_channel, settings):
    settings.ROBOT_ALLOWED_HOSTS = ["10.1.2.3:8080"]  # the operator allows the intranet's proxy
    response, _page = post_channel(kind="wecom", key="abc123", base_url="http://10.1.2.3:8080/wecom/")

    assert response.status_code == 302
    assert Channel.objects.get().base_url == "http://10.1.2.3:8080/wecom"


def test_a_dingtalk_secret_must_be_the_one_dingtalk_shows(post_channel):
    response, page = post_channel(kind="dingtalk", key="abc123", secret="abcdef")

    assert response.status_code == 200 and "钉钉的加签密钥以 SEC 开头" in page


@pytest.mark.parametrize(("field", "value"), [("base_url", "http://[::1"), ("key", "https://[abc/x?key=1")])
def test_an_address_that_cannot_be_read_is_refused_on_its_field_not_a_server_error(post_channel, field, value):
    response, page = post_channel(**{"kind": "wecom", "key": "abc123", field: value})

    assert response.status_code == 200 and "这不是可以识别的地址" in page
    assert not Channel.objects.exists()
