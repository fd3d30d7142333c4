"""The group robots' protocols: how a message is posted, signed and answered, and what an answer means.

WeCom group robot (企业微信群机器人): POST {base}/cgi-bin/webhook/send?key=KEY, markdown content ≤ 4096
bytes (UTF-8), 20 messages a minute; errcode 45009 is the rate limit, 93000 a bad key.
DingTalk custom robot (钉钉自定义机器人): POST {base}/robot/send?access_token=T&timestamp=MS&sign=S with
S = urlencode(base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}"))); request body ≤ 20000 bytes (460101
beyond); 20 a minute, and a robot that sends more is throttled for 10 minutes (130101 "send too fast";
410100 too); 310000/300001/400101 bad token or signature.
Feishu custom bot (飞书自定义机器人): POST {base}/open-apis/bot/v2/hook/TOKEN with "timestamp" (seconds) and
"sign" = base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=b"")) in the body; request body ≤ 20 KB, read
here as 20000 bytes, the stricter reading (HTTP 400, code 9499 beyond); 100 a minute and 5 a second (11232);
19021/19001 a bad signature or hook.
Generic webhook: POST the URL with {"title", "part", "parts", "text"}; 2xx is success.

Bodies go out as UTF-8 JSON (not \\uXXXX escapes: a Chinese character is 3 bytes, not 6), and a digest is
split on the size of exactly what is sent (`size`), so no part can be refused for its length.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import time
import urllib.parse
from dataclasses import dataclass

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coalgov import outbound

from . import markup


class RobotError(Exception):
    """The service did not take the message.

    `reason` is a key of REASONS (what a clerk reads, translated when shown); `detail` the service's code and
    message as it gave them ("93000 invalid webhook url", "HTTP 502"), never a URL (it holds the key);
    `wait` the seconds before trying again may help, when the service or its window says so.
    """

    def __init__(self, reason: str, detail: str = "", *, wait: float | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail, self.wait = reason, detail, wait


class Retryable(RobotError):
    """Network trouble, a 5xx, a slow answer: try again later."""


class RateLimited(Retryable):
    """The robot's rate limit: try again after its window."""


class Fatal(RobotError):
    """A wrong address, key, token or signature, or a message the service refuses: retrying cannot help, the
    channel must be checked."""


# What each reason tells the administrator: what went wrong and what to do (or that nothing needs doing).
REASONS = {
    "bad_key": gettext_lazy("The key is not valid: check the channel's Key/Token"),
    "bad_sign": gettext_lazy("The signature does not match: check the signing secret"),
    "bad_timestamp": gettext_lazy("The signature's time was refused: check this server's clock"),
    "keyword": gettext_lazy("The robot only takes messages with its keyword: set the robot to signing instead"),
    "ip_refused": gettext_lazy("The robot refuses messages from this server: add its address to the robot's IP list"),
    "bad_url": gettext_lazy("The service address is wrong: check the channel's service address"),
    "forbidden": gettext_lazy("The service refused access: check the channel's Key/Token and service address"),
    "not_robot": gettext_lazy("The answer did not come from the robot: check the channel's service address"),
    "address_refused": gettext_lazy(
        "The service address is not allowed: robots are reached at their own services or at addresses the "
        "system administrator allows"
    ),
    "refused": gettext_lazy("The robot refused the message"),
    "timeout": gettext_lazy("The robot service did not answer in time; it is retried automatically"),
    "unreachable": gettext_lazy("The robot service cannot be reached; it is retried automatically"),
    "server_error": gettext_lazy("The robot service is having trouble; it is retried automatically"),
    "busy": gettext_lazy("Another digest is being sent to this group; this one follows automatically"),
    "rate_limited": gettext_lazy("Sent too often; retried automatically in %(minutes)s minutes"),
}
# The passing troubles once the last retry failed too: nothing more happens by itself.
GAVE_UP = {
    "timeout": gettext_lazy(
        "The robot service did not answer in time, retry after retry: check the network, then send again"
    ),
    "unreachable": gettext_lazy(
        "The robot service could not be reached, retry after retry: check the network, then send again"
    ),
    "server_error": gettext_lazy("The robot service was in trouble, retry after retry: send again later"),
    "busy": gettext_lazy("The robot service was in trouble, retry after retry: send again later"),
    "rate_limited": gettext_lazy("The robot was still throttled after every retry: send again later"),
}
# Reasons that stop a delivery: the channel's set-up is wrong (retrying would fail the same way forever).
CHECK_CHANNEL = {
    "bad_key",
    "bad_sign",
    "bad_timestamp",
    "keyword",
    "ip_refused",
    "bad_url",
    "forbidden",
    "not_robot",
    "address_refused",
}


def describe(reason: str, detail: str = "", kind: str = "", *, gave_up: bool = False) -> str:
    """A reason in the active language, followed by the service's own code and message (kept as given).
    `gave_up`: the delivery failed after its last retry, so no "retried automatically"."""
    if reason not in REASONS:
        return detail or reason
    text = str(GAVE_UP[reason] if gave_up and reason in GAVE_UP else REASONS[reason])
    if reason == "rate_limited" and not gave_up:
        text = text % {"minutes": max(1, rate_limit_wait(kind) // 60)}
    return _("%(reason)s (%(detail)s)") % {"reason": text, "detail": detail} if detail else text


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


# Where the robots may be reached ------------------------------------------------------------------------
# A channel's address is typed by a unit's administrator, and the server posts to it and reports the answer:
# left open, that is a scanner of the intranet (server-side request forgery). So a channel reaches only its
# robot's own service (PUBLIC_HOSTS, https or http on the default port, at a public IP address) or a host the
# operator named: ROBOT_ALLOWED_HOSTS (an intranet proxy; "host" or "host:port") and the hosts of
# ROBOT_BASE_URLS. Those the operator named may be on the intranet; everything else must resolve to public
# addresses, checked at the connection itself (coalgov/outbound.py), so DNS rebinding cannot slip past.
PUBLIC_HOSTS = {
    "wecom": ("qyapi.weixin.qq.com",),
    "dingtalk": ("oapi.dingtalk.com",),
    "feishu": ("open.feishu.cn", "open.larksuite.com"),  # Feishu, and Lark, its edition outside China
    "webhook": (),  # a generic webhook has no service of its own: only the operator's hosts
}
_ALL_PUBLIC_HOSTS = {host for hosts in PUBLIC_HOSTS.values() for host in hosts}


def operator_hosts() -> list[str]:
    """The hosts the operator set (ROBOT_ALLOWED_HOSTS, and the hosts and ports of ROBOT_BASE_URLS other than the
    robots' own): they may be anywhere, the intranet included."""
    hosts = list(getattr(settings, "ROBOT_ALLOWED_HOSTS", ()))
    for url in settings.ROBOT_BASE_URLS.values():
        host, port = outbound.address_of(url)
        default_port = outbound.DEFAULT_PORTS.get(urllib.parse.urlsplit(url).scheme.lower())
        if host and not (host in _ALL_PUBLIC_HOSTS and port == default_port):  # the robots' own: public IPs only
            hosts.append(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    return hosts


def address_allowed(kind: str, url: str) -> bool:
    """Whether a channel of this robot may post to `url`: its robot's own host on the scheme's port, or a host
    the operator allows. (Where the name points is checked when connecting.)"""
    host, port = outbound.address_of(url)
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if host in PUBLIC_HOSTS.get(kind, ()) and port == outbound.DEFAULT_PORTS.get(scheme):
        return True
    return bool(host) and outbound.host_allowed(host, port, operator_hosts())


# What each service measures against its limit (`size`): WeCom the markdown content's UTF-8 bytes, the others
# the whole request body as sent.
# Feishu says "20 KB": read as 20000 bytes, the stricter reading, like DingTalk's.
MESSAGE_LIMITS = {"wecom": 4096, "dingtalk": 20000, "feishu": 20000, "webhook": 60000}
# Seconds to wait after a rate-limit answer before trying again: DingTalk throttles a robot for 10 minutes.
RATE_LIMIT_WAIT = {"wecom": 60, "dingtalk": 600, "feishu": 60, "webhook": 60}
RETRY_MAX_SECONDS = 1800  # the backoff's cap; the broker's visibility timeout is set above it (settings)


def rate_limit_wait(kind: str) -> int:
    """The robot's window after a rate-limit answer (settings.ROBOT_RATE_LIMIT_SECONDS may set it per robot,
    for a service whose window differs, or a test's stand-in)."""
    return {**RATE_LIMIT_WAIT, **getattr(settings, "ROBOT_RATE_LIMIT_SECONDS", {})}.get(kind, 60)


def retry_countdown(kind: str, retries: int, *, rate_limited: bool, wait: float | None = None) -> int:
    """Seconds before retry number `retries` + 1: exponential backoff, never less than `wait` (what is left of
    a target's throttle window) or, after a rate limit, the robot's window."""
    if wait is None:
        wait = rate_limit_wait(kind) if rate_limited else 0
    return max(math.ceil(wait), min(settings.DELIVERY_RETRY_SECONDS * 2**retries, RETRY_MAX_SECONDS))


MOBILE = re.compile(r"^1[3-9]\d{9}$")  # a mainland mobile number


def is_mobile(mention: str) -> bool:
    return bool(MOBILE.match(mention))


def wecom_mention_part(robot: Robot) -> str | None:
    """The text of the extra last message that @s a WeCom channel's mobile numbers, or None if it has none."""
    if robot.kind == "wecom" and any(is_mobile(m) for m in robot.mention):
        return _("Please read the supervision digest above.")
    return None


def _hmac_b64(key: str, message: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()).decode()


NUMBERING = re.compile(r"^（\d+/\d+）$")
TABLE_RULE = markup.TABLE_RULE


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
    mobiles = [m for m in robot.mention if is_mobile(m)]
    users = [m for m in robot.mention if not is_mobile(m)]
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
BUSY_CODES = {-1}  # WeCom's and DingTalk's "system busy": try again later
# The services' own codes for a set-up that cannot work, by reason (DingTalk's 310000 says which in its message).
SERVICE_CODES = {
    "wecom": {93000: "bad_key", 93004: "bad_key", 93008: "bad_key"},
    "dingtalk": {300001: "bad_key", 400101: "bad_key", 300005: "bad_key", 310000: "bad_sign"},
    "feishu": {19001: "bad_key", 19021: "bad_sign", 19022: "ip_refused", 19024: "keyword"},
}
DINGTALK_310000 = [
    ("timestamp", "bad_timestamp"),
    ("keyword", "keyword"),
    ("whitelist", "ip_refused"),
    ("ip ", "ip_refused"),
]
# An address that cannot be a URL (no scheme, no host): requests says so before connecting.
BAD_URL_ERRORS = (
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidURL,
    requests.exceptions.URLRequired,
)


def _service_error(kind: str, code: int, message: str) -> RobotError:
    detail = f"{code} {message}".strip()
    if code in RATE_LIMIT_CODES.get(kind, ()):
        return RateLimited("rate_limited", detail)
    if code in BUSY_CODES:
        return Retryable("server_error", detail)
    reason = SERVICE_CODES.get(kind, {}).get(code, "refused")
    if kind == "dingtalk" and code == 310000:
        reason = next((r for word, r in DINGTALK_310000 if word in message.lower()), reason)
    return Fatal(reason, detail)


def _http_error(status: int) -> RobotError:
    """An HTTP status without the robot's answer (a proxy's page, a wrong path)."""
    detail = f"HTTP {status}"
    if status == 429:
        return RateLimited("rate_limited", detail)
    if status >= 500:
        return Retryable("server_error", detail)
    if status in (401, 403):
        return Fatal("forbidden", detail)
    if status in (404, 405):
        return Fatal("bad_url", detail)
    return Fatal("refused" if status >= 400 else "not_robot", detail)


def send(robot: Robot, text: str, *, title: str, part: int = 1, parts: int = 1) -> None:
    """Post one message; raise Retryable, RateLimited or Fatal unless the service took it.

    Retryable: network errors, timeouts, 5xx, "busy", rate limits. Fatal: everything that fails the same way
    every time — an address that is no URL or answers 404, 401/403, the services' key and signature codes.
    """
    url, body = _request(robot, text, title=title, part=part, parts=parts, first=part == 1)
    if urllib.parse.urlsplit(url).hostname and not address_allowed(robot.kind, url):
        raise Fatal("address_refused")  # saved before addresses were checked, or the settings changed since
    try:
        with outbound.session(trusted=operator_hosts()) as session:
            response = session.post(
                url,
                data=encode(body),
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=(5, settings.ROBOT_TIMEOUT_SECONDS),
                allow_redirects=False,  # a redirect could lead anywhere; it is an answer that is not the robot's
            )
    except outbound.AddressRefused as exc:
        raise Fatal("address_refused") from exc  # the name resolved to this server or its intranet
    except BAD_URL_ERRORS as exc:
        raise Fatal("bad_url") from exc
    except requests.Timeout as exc:
        # Never the exception's text: it holds the URL, and the URL holds the key.
        raise Retryable("timeout") from exc
    except requests.RequestException as exc:
        raise Retryable("unreachable") from exc
    if robot.kind == "webhook":
        if not 200 <= response.status_code < 300:
            raise _http_error(response.status_code)
        return
    try:
        answer = response.json()
    except ValueError as exc:
        raise _http_error(response.status_code) from exc
    if not isinstance(answer, dict) or not ({"errcode", "code"} & answer.keys()):
        raise _http_error(response.status_code)
    code = answer.get("errcode", answer.get("code"))
    if code == 0 and response.ok:
        return
    if not isinstance(code, int) or code == 0:
        raise _http_error(response.status_code)
    raise _service_error(robot.kind, code, str(answer.get("errmsg") or answer.get("msg") or ""))


# Rendering for each robot -----------------------------------------------------------------------------


def render(kind: str, text: str) -> str:
    """The digest's markdown as the robot renders it. WeCom's `markdown` and DingTalk's markdown have no
    tables (their documented subsets: headings, bold, links, quotes, and for DingTalk lists): a table becomes
    one line per row — a quote line for WeCom, a list item for DingTalk. DingTalk joins lines that are not
    separated by a blank line, so each line ends in a hard break (two spaces). Feishu's post renders tables
    itself (`feishu_post`); a generic webhook gets the text as written."""
    if kind == "wecom":
        return markup.tables_as_lines(text, bullet="> ")
    if kind == "dingtalk":
        lines = markup.tables_as_lines(text, bullet="- ").split("\n")
        return "\n".join(
            f"{line}  " if line and index + 1 < len(lines) and lines[index + 1] else line
            for index, line in enumerate(lines)
        )
    return text
