"""Started stand-ins for the group robots, stopped at teardown (see `tests/digests/robots.py`)."""

import pytest

from .robots import DingTalkServer, FeishuServer, WebhookServer, WeComServer


@pytest.fixture
def wecom():
    """企业微信群机器人 on 127.0.0.1: key "good-key"; `wecom.url()` is its webhook URL."""
    with WeComServer() as server:
        yield server


@pytest.fixture
def dingtalk():
    """钉钉自定义机器人: token "good-token" signed with "SECsecret"; `dingtalk.url()` lacks timestamp and sign."""
    with DingTalkServer() as server:
        yield server


@pytest.fixture
def feishu():
    """飞书自定义机器人: hook "good-hook" signed with "secret"; `feishu.url()` is its webhook URL."""
    with FeishuServer() as server:
        yield server


@pytest.fixture
def webhook():
    """A generic JSON webhook; `webhook.url("name")` is POST /hook/name."""
    with WebhookServer() as server:
        yield server


@pytest.fixture
def channel_for(people, settings):
    """channel_for(server, division, kind=..., key=..., secret=...) -> an active Channel posting to `server`.

    Parts are sent back to back in tests (the 3-second pause exists for the real robots' limit).
    """
    from digests.services import channel_save

    settings.ROBOT_PART_INTERVAL_SECONDS = 0
    defaults = {
        "wecom": ("good-key", ""),
        "dingtalk": ("good-token", "SECsecret"),
        "feishu": ("good-hook", "secret"),
    }

    def make(server, division, kind, key=None, secret=None, mention=""):
        default_key, default_secret = defaults.get(kind, (server.url() if kind == "webhook" else "", ""))
        return channel_save(
            actor=people["qu_admin"],
            data={
                "division": division,
                "name": f"{division.name}工作群",
                "kind": kind,
                "key": key or default_key,
                "secret": secret if secret is not None else default_secret,
                "base_url": "" if kind == "webhook" else server.base_url,
                "mention": mention,
                "is_active": True,
            },
        )

    return make
