"""The group robots' protocols: how a message is posted, signed and answered, and what an answer means.

WeCom group robot (企业微信群机器人): POST {base}/cgi-bin/webhook/send?key=KEY, markdown content ≤ 4096
bytes (UTF-8), 20 messages a minute; errcode 45009 is the rate limit, 93000 a bad key.
DingTalk custom robot (钉钉自定义机器人): POST {base}/robot/send?access_token=T&timestamp=MS&sign=S with
S = urlencode(base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}"))); request body ≤ 20000 bytes (460101
beyond); 20 a minute, and a robot that sends more is throttled for 10 minutes (130101 "send too fast";
410100 too); 310000/300001/400101 bad token or signature.
Feishu custom bot (飞书自定义机器人): POST {base}/open-apis/bot/v2/hook/TOKEN with "timestamp" (seconds) and
"sign" = base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=b"")) in the body; request body ≤ 20 KB
(HTTP 400, code 9499 beyond); 100 a minute and 5 a second (11232); 19021/19001 a bad signature or hook.
Generic webhook: POST the URL with {"title", "part", "parts", "text"}; 2xx is success.

Bodies go out as UTF-8 JSON (not \\uXXXX escapes: a Chinese character is 3 bytes, not 6), and a digest is
split on the size of exactly what is sent (`size`), so no part can be refused for its length.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
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


# What each service measures against its limit (`size`): WeCom the markdown content's UTF-8 bytes, the others
# the whole request body as sent.
MESSAGE_LIMITS = {"wecom": 4096, "dingtalk": 20000, "feishu": 20 * 1024, "webhook": 60000}
# Seconds to wait after a rate-limit answer before trying again: DingTalk throttles a robot for 10 minutes.
RATE_LIMIT_WAIT = {"wecom": 60, "dingtalk": 600, "feishu": 60, "webhook": 60}
RETRY_MAX_SECONDS = 1800  # the backoff's cap; the broker's visibility timeout is set above it (settings)


def retry_countdown(kind: str, retries: int, *, rate_limited: bool) -> int:
    """Seconds before retry number `retries` + 1: exponential backoff, never less than the robot's window
    after a rate limit."""
    wait = RATE_LIMIT_WAIT.get(kind, 60) if rate_limited else 0
    return max(wait, min(settings.DELIVERY_RETRY_SECONDS * 2**retries, RETRY_MAX_SECONDS))


def wecom_mention_part(robot: Robot) -> str | None:
    """The text of the extra last message that @s a WeCom channel's mobile numbers, or None if it has none."""
    if robot.kind == "wecom" and any(m.isdigit() for m in robot.mention):
        return _("Please read the supervision digest above.")
    return None


def _hmac_b64(key: str, message: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()).decode()


NUMBERING = re.compile(r"^（\d+/\d+）$")
TABLE_RULE = re.compile(r"^\|[-:| ]+\|$")


def feishu_post(text: str, title: str) -> dict:
    """The digest's markdown as a Feishu rich-text ("post") message, which Feishu renders; its "text" message
    would show the raw `###`, `**` and table pipes. Headings and bold lines become bold text, a table's header
    row bold and its rows cells apart; the part's number (（1/3）) goes into the title."""
    lines = text.split("\n")
    if lines and NUMBERING.match(lines[0]):
        title, lines = f"{title}{lines[0]}", lines[1:]
    content, in_table = [], False
    for line in lines:
        bold, row = False, line.startswith("|")
        if row and TABLE_RULE.match(line):
            continue
        if row:
            bold = not in_table  # a table's first row is its header
            line = "　".join(cell.strip() for cell in line.strip().strip("|").split("|"))
        elif line.startswith("#"):
            line, bold = line.lstrip("#").strip(), True
        elif line.startswith("**") and line.endswith("**") and len(line) > 4:
            line, bold = line[2:-2], True
        in_table = row
        element = {"tag": "text", "text": line}
        if bold:
            element["style"] = ["bold"]
        content.append([element])
    return {"zh_cn": {"title": title, "content": content}}


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
        body = {"msg_type": "post", "content": {"post": feishu_post(text, title)}}
        if robot.secret:
            timestamp = str(int(time.time()))
            body = {"timestamp": timestamp, "sign": _hmac_b64(f"{timestamp}\n{robot.secret}", ""), **body}
        return f"{robot.base}/open-apis/bot/v2/hook/{robot.key}", body
    return robot.key, {"title": title, "part": part, "parts": parts, "text": text}


def encode(body: dict) -> bytes:
    """The request body exactly as sent: compact UTF-8 JSON."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def size(robot: Robot, text: str, *, title: str) -> int:
    """Bytes of `text` sent as a digest part, as the service counts them against MESSAGE_LIMITS: the largest
    case, a first part (it carries the @mentions) of many (the webhook's part numbers)."""
    _url, body = _request(robot, text, title=title, part=1, parts=9999, first=True)
    return _measured(robot, body)


def _measured(robot: Robot, body: dict) -> int:
    if robot.kind == "wecom":  # WeCom limits the message's content, in UTF-8 bytes
        return len(body[body["msgtype"]]["content"].encode())
    # The rest limit the body. Its timestamp and sign are the same length whenever made: the size is exact.
    return len(encode(body))


WECOM_TEXT_LIMIT = 2048  # WeCom's text message (the @-mention message): content ≤ 2048 bytes


def preview(robot: Robot, text: str, *, title: str, part: int = 1, parts: int = 1) -> tuple[int, int, str]:
    """What `send` would post, for a dry run: its size as the service counts it, the service's limit for it,
    and the body (the signature left out: it would let anyone who saw the output post to the group for an
    hour)."""
    _url, body = _request(robot, text, title=title, part=part, parts=parts, first=part == 1)
    limit = WECOM_TEXT_LIMIT if body.get("msgtype") == "text" and robot.kind == "wecom" else MESSAGE_LIMITS[robot.kind]
    shown = {k: ("…" if k == "sign" else v) for k, v in body.items()}
    return _measured(robot, body), limit, json.dumps(shown, ensure_ascii=False)


RATE_LIMIT_CODES = {"wecom": {45009}, "dingtalk": {130101, 410100}, "feishu": {11232}}


def send(robot: Robot, text: str, *, title: str, part: int = 1, parts: int = 1) -> None:
    """Post one message; raise Retryable, RateLimited or Fatal unless the service took it."""
    url, body = _request(robot, text, title=title, part=part, parts=parts, first=part == 1)
    try:
        response = requests.post(
            url,
            data=encode(body),
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=(5, settings.ROBOT_TIMEOUT_SECONDS),
        )
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
