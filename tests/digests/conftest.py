"""Started stand-ins for the group robots, stopped at teardown (see `tests/digests/robots.py`)."""

import pytest

from .robots import HOST, DingTalkServer, FeishuServer, WebhookServer, WeComServer


@pytest.fixture
def stand_ins_allowed(settings):
    """The stand-ins listen on 127.0.0.1, an address no channel may post to: the operator's allow-list lets the
    tests reach them, as it would an intranet proxy (`ROBOT_ALLOWED_HOSTS`)."""
    settings.ROBOT_ALLOWED_HOSTS = [HOST]


@pytest.fixture
def start_worker(start_worker, transactional_db):
    """Workers allow the stand-ins too (their settings come from the environment). `transactional_db` is named
    again: pytest reads an overriding fixture's own arguments to choose the database, and a worker needs the
    test's rows committed."""

    def start(**env):
        return start_worker(**{"ROBOT_ALLOWED_HOSTS": HOST, **env})

    return start


@pytest.fixture
def wecom(stand_ins_allowed):
    """企业微信群机器人 on 127.0.0.1: key "good-key"; `wecom.url()` is its webhook URL."""
    with WeComServer() as server:
        yield server


@pytest.fixture
def dingtalk(stand_ins_allowed):
    """钉钉自定义机器人: token "good-token" signed with "SECsecret"; `dingtalk.url()` lacks timestamp and sign."""
    with DingTalkServer() as server:
        yield server


@pytest.fixture
def feishu(stand_ins_allowed):
    """飞书自定义机器人: hook "good-hook" signed with "secret"; `feishu.url()` is its webhook URL."""
    with FeishuServer() as server:
        yield server


@pytest.fixture
def webhook(stand_ins_allowed):
    """A generic JSON webhook; `webhook.url("name")` is POST /hook/name."""
    with WebhookServer() as server:
        yield server


@pytest.fixture
def channel_for(people, settings, stand_ins_allowed):
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
