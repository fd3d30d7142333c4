"""The group robots' protocols: how a message is posted, signed and answered, and what an answer means.

WeCom group robot (企业微信群机器人): POST {base}/cgi-bin/webhook/send?key=KEY, markdown ≤ 4096 bytes,
20 messages a minute; errcode 45009 is the rate limit, 93000 a bad key.
DingTalk custom robot (钉钉自定义机器人): POST {base}/robot/send?access_token=T&timestamp=MS&sign=S with
S = urlencode(base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}"))); 20 a minute; errcode 130101/410100
are rate limits, 310000/300001/400101 bad token or signature.
Feishu custom bot (飞书自定义机器人): POST {base}/open-apis/bot/v2/hook/TOKEN with "timestamp" (seconds) and
"sign" = base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=b"")) in the body, ≤ 20 KB; code 11232 is the
rate limit, 19021/19001 a bad signature or hook.
Generic webhook: POST the URL with {"division", "date", "part", "parts", "text"}; 2xx is success.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from dataclasses import dataclass

import requests
from django.conf import settings
from django.utils.translation import gettext as _


class RobotError(Exception):
    """The service did not take the message."""


class Retryable(RobotError):
    """Network trouble, a 5xx, a slow answer: try again later."""


class RateLimited(Retryable):
    """The robot's rate limit: try again after its window."""


class Fatal(RobotError):
    """A bad key, token or signature, or a message the service refuses: retrying cannot help."""


@dataclass(frozen=True)
class Robot:
    kind: str
    key: str
    secret: str = ""
    base_url: str = ""
    mention: tuple[str, ...] = ()

    @property
    def base(self) -> str:
        return (self.base_url or settings.ROBOT_BASE_URLS.get(self.kind, "")).rstrip("/")


# The longest message each service takes (UTF-8 bytes of the text), with room for the JSON around it.
MESSAGE_LIMITS = {"wecom": 4096, "dingtalk": 18000, "feishu": 18000, "webhook": 60000}
RATE_LIMIT_WAIT = {"wecom": 60, "dingtalk": 600, "feishu": 60, "webhook": 60}  # seconds, per the services


def mention_room(robot: Robot) -> int:
    """Bytes the @mentions add to the first message, to be kept free when the digest is split."""
    users = [m for m in robot.mention if not m.isdigit()]
    mobiles = [m for m in robot.mention if m.isdigit()]
    if robot.kind == "wecom" and users:
        return len(("\n" + " ".join(f"<@{u}>" for u in users)).encode())
    if robot.kind == "dingtalk" and mobiles:
        return len(("\n\n" + " ".join(f"@{m}" for m in mobiles)).encode())
    return 0


def wecom_mention_part(robot: Robot) -> str | None:
    """The text of the extra last message that @s a WeCom channel's mobile numbers, or None if it has none."""
    if robot.kind == "wecom" and any(m.isdigit() for m in robot.mention):
        return _("Please read the supervision digest above.")
    return None


def _hmac_b64(key: str, message: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()).decode()


def _request(robot: Robot, text: str, *, title: str, part: int, parts: int, first: bool):
    mobiles = [m for m in robot.mention if m.isdigit()]
    users = [m for m in robot.mention if not m.isdigit()]
    if robot.kind == "wecom":
        url = f"{robot.base}/cgi-bin/webhook/send?{urllib.parse.urlencode({'key': robot.key})}"
        if mobiles and part == parts:
            # WeCom's markdown can @ user ids only; mobile numbers are @-ed by a text message, sent last
            # (`wecom_mention_part` adds it to a digest's parts).
            return url, {"msgtype": "text", "text": {"content": text, "mentioned_mobile_list": mobiles}}
        content = text + ("\n" + " ".join(f"<@{u}>" for u in users) if first and users else "")
        return url, {"msgtype": "markdown", "markdown": {"content": content}}
    if robot.kind == "dingtalk":
        timestamp = str(int(time.time() * 1000))
        query = {"access_token": robot.key}
        if robot.secret:
            query |= {"timestamp": timestamp, "sign": _hmac_b64(robot.secret, f"{timestamp}\n{robot.secret}")}
        at = mobiles if first else []
        body = {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": text + ("\n\n" + " ".join(f"@{m}" for m in at) if at else "")},
            "at": {"atMobiles": at, "isAtAll": False},
        }
        return f"{robot.base}/robot/send?{urllib.parse.urlencode(query)}", body
    if robot.kind == "feishu":
        body = {"msg_type": "text", "content": {"text": text}}
        if robot.secret:
            timestamp = str(int(time.time()))
            body = {"timestamp": timestamp, "sign": _hmac_b64(f"{timestamp}\n{robot.secret}", ""), **body}
        return f"{robot.base}/open-apis/bot/v2/hook/{robot.key}", body
    return robot.key, {"title": title, "part": part, "parts": parts, "text": text}


RATE_LIMIT_CODES = {"wecom": {45009}, "dingtalk": {130101, 410100}, "feishu": {11232}}


def send(robot: Robot, text: str, *, title: str, part: int = 1, parts: int = 1) -> None:
    """Post one message; raise Retryable, RateLimited or Fatal unless the service took it."""
    url, body = _request(robot, text, title=title, part=part, parts=parts, first=part == 1)
    try:
        response = requests.post(url, json=body, timeout=(5, settings.ROBOT_TIMEOUT_SECONDS))
    except requests.RequestException as exc:
        # Only the kind of failure: the exception's text holds the URL, and the URL holds the key.
        raise Retryable(exc.__class__.__name__) from exc
    if response.status_code >= 500 or response.status_code == 429:
        if response.status_code == 429:
            raise RateLimited(f"HTTP {response.status_code}")
        raise Retryable(f"HTTP {response.status_code}")
    if robot.kind == "webhook":
        if response.status_code >= 400:
            raise Fatal(f"HTTP {response.status_code}")
        return
    try:
        answer = response.json()
    except ValueError as exc:
        raise Retryable(f"HTTP {response.status_code}, not JSON") from exc
    code = answer.get("errcode", answer.get("code", 0 if response.ok else -1))
    if code == 0:
        return
    message = f"{code} {answer.get('errmsg') or answer.get('msg') or ''}".strip()
    if code in RATE_LIMIT_CODES.get(robot.kind, ()):
        raise RateLimited(message)
    raise Fatal(message)
