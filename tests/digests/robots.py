"""Real HTTP stand-ins for the group chat robots the daily digest is delivered to.

Each server listens on 127.0.0.1 (a free port, kept across `go_down()` / `come_up()`), speaks the service's
documented protocol and answers the way the real service does:

- `WeComServer`     企业微信群机器人   POST /cgi-bin/webhook/send?key=KEY
- `DingTalkServer`  钉钉自定义机器人   POST /robot/send?access_token=TOKEN&timestamp=MS&sign=SIGN
- `FeishuServer`    飞书自定义机器人   POST /open-apis/bot/v2/hook/TOKEN  (timestamp and sign in the body)
- `WebhookServer`   any JSON webhook   POST /hook/NAME
- `NotFoundProxy`   a proxy with no route: 404 "404 page not found" as plain text to everything

A markdown message taken by WeCom or DingTalk records `shown_raw`: its lines the client would show as typed
because they lie outside the service's documented markdown subset (tables for both; lists for WeCom).

Every server keeps `received` (the messages it took) and `requests` (everything it was sent, refused ones
included, with the answer it gave), and can be made to fail: `go_down()` / `come_up()` (or `down = True`),
`fail_next(n, status=502)`, `delay = seconds`, and `script` (canned answers given in order before normal
behaviour resumes).

Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"

WECOM_KEY = "good-key"
DINGTALK_TOKEN = "good-token"
DINGTALK_SECRET = "SECsecret"
FEISHU_TOKEN = "good-hook"
FEISHU_SECRET = "secret"

DINGTALK_DOC = "https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq"


def dingtalk_sign(secret: str, timestamp_ms: int | str) -> str:
    """DingTalk's signature, before URL-encoding: base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}"))."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int | str) -> str:
    """Feishu's signature: base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=b""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def proxy_error_page(status: int) -> str:
    """The HTML a reverse proxy answers with when the service behind it is in trouble."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    title = f"{status} {phrase}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    time: float

    def json(self) -> Any:
        """The body as JSON; raises ValueError when it is not JSON (or not UTF-8)."""
        return json.loads(self.raw.decode("utf-8"))


@dataclass
class Reply:
    status: int
    answer: dict | str | None
    record: dict | None = None  # service fields for `received`; None when the message was not taken
    reason: str | None = None  # why it was refused, for people reading `requests`
    injected: str | None = None  # "fail_next" or "script" when the answer was not the service's own
    headers: dict[str, str] = field(default_factory=dict)


def _html(status: int, reason: str) -> Reply:
    return Reply(status, proxy_error_page(status), reason=reason)


def _first_values(query: str) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}


def _byte_len(text: str) -> int:
    return len(text.encode("utf-8"))


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    robot: RobotServer

    def handle_error(self, request, client_address):
        # A client that timed out and hung up is part of the tests, not an error to print.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection, so `go_down()` really cuts clients off
    server_version = "nginx"
    sys_version = ""
    timeout = 10
    server: _HTTPServer

    def log_message(self, format, *args):
        pass

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline(65537).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self):
        robot = self.server.robot
        try:
            raw = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        url = urllib.parse.urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query=_first_values(url.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            raw=raw,
            time=time.time(),
        )
        reply = robot._dispatch(request)
        robot._pause()
        if isinstance(reply.answer, dict):
            payload = json.dumps(reply.answer, ensure_ascii=False).encode("utf-8")
            content_type = "application/json; charset=utf-8"
        else:
            payload = (reply.answer or "").encode("utf-8")
            content_type = "text/html"
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up waiting

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class RobotServer:
    """One service on 127.0.0.1; subclasses implement `handle(request) -> Reply`.

    Attributes tests may set at any time: `delay` (seconds to wait before answering; the message is taken,
    and recorded, on arrival), `script` (canned answers, see `_dispatch`), `clock` (seconds since the epoch,
    for signature timestamps), `max_skew` (seconds a signature timestamp may be off), `limit` and `window`.
    """

    limit = 20
    window = 60.0

    def __init__(self, host: str = HOST):
        self.host = host
        self.port = 0
        self.received: list[dict] = []
        self.requests: list[dict] = []
        self.script: list = []
        self.delay = 0.0
        self.clock = time.time
        self.max_skew = 3600.0
        self.limit = type(self).limit
        self.window = type(self).window
        self._failures: list[int] = []
        self._hits: dict[str, list[float]] = {}
        self._lock = threading.RLock()
        self._arrived = threading.Condition(self._lock)
        self._life = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # life cycle ---------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> RobotServer:
        self._stopping.clear()
        self.come_up()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes delayed answers
        self.go_down()

    def __enter__(self) -> RobotServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def come_up(self) -> None:
        """Listen again, on the same port as before (a free one the first time)."""
        with self._life:
            if self._httpd is not None:
                return
            deadline = time.monotonic() + 2.0
            while True:
                try:
                    httpd = _HTTPServer((self.host, self.port), _Handler)
                    break
                except OSError:
                    if not self.port or time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
            httpd.robot = self
            self.port = httpd.server_address[1]
            self._httpd = httpd
            self._thread = threading.Thread(
                target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, name=f"{type(self).__name__}"
            )
            self._thread.daemon = True
            self._thread.start()

    def go_down(self) -> None:
        """Stop listening: connections to the port are refused until `come_up()`."""
        with self._life:
            httpd, thread = self._httpd, self._thread
            self._httpd = self._thread = None
            if httpd is None:
                return
            httpd.shutdown()
            httpd.server_close()
            if thread is not None:
                thread.join(timeout=2)

    @property
    def down(self) -> bool:
        return self._httpd is None

    @down.setter
    def down(self, value: bool) -> None:
        if value:
            self.go_down()
        else:
            self.come_up()

    # failure modes and helpers -----------------------------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 502) -> None:
        """Answer the next `n` requests with `status` and a proxy's HTML page."""
        with self._lock:
            self._failures.extend([status] * n)

    def reset(self) -> None:
        """Forget everything received, the rate-limit history and any pending failures, script or delay."""
        with self._lock:
            self.received.clear()
            self.requests.clear()
            self.script.clear()
            self._failures.clear()
            self._hits.clear()
            self.delay = 0.0
            getattr(self, "_throttled_until", {}).clear()

    @property
    def texts(self) -> list[str]:
        """The text of every message taken, in order."""
        with self._lock:
            return [r["text"] for r in self.received]

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[dict]:
        """Wait until at least `count` messages were taken; return (a copy of) `received`."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.received) >= count, timeout):
                seen = [(r["status"], r["answer"]) for r in self.requests]
                raise AssertionError(f"{type(self).__name__}: {len(self.received)} of {count} messages; saw {seen}")
            return list(self.received)

    def _pause(self) -> None:
        delay = self.delay
        if delay:
            self._stopping.wait(delay)

    def _over_limit(self, key: str, rules: list[tuple[int, float]]) -> bool:
        now = time.monotonic()
        horizon = max(window for _, window in rules)
        hits = self._hits.setdefault(key, [])
        hits[:] = [t for t in hits if t > now - horizon]
        return any(sum(1 for t in hits if t > now - window) >= limit for limit, window in rules)

    def _hit(self, key: str) -> None:
        self._hits.setdefault(key, []).append(time.monotonic())

    def _timestamp_ok(self, seconds: float) -> bool:
        return abs(self.clock() - seconds) <= self.max_skew

    def _dispatch(self, request: Request) -> Reply:
        """Injected failures first, then `script`, then the service itself; record what happened.

        A `script` item is a dict (answered with HTTP 200 as JSON) or a pair (status, dict-or-HTML).
        Injected answers never count as taken messages.
        """
        with self._lock:
            if self._failures:
                status = self._failures.pop(0)
                reply = Reply(status, proxy_error_page(status), reason="fail_next", injected="fail_next")
            elif self.script:
                item = self.script.pop(0)
                status, answer = item if isinstance(item, tuple) else (200, item)
                reply = Reply(status, answer, reason="script", injected="script")
            else:
                reply = self.handle(request)
            try:
                body = request.json()
            except ValueError:
                body = None
            self.requests.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "query": request.query,
                    "headers": request.headers,
                    "raw": request.raw,
                    "body": body,
                    "time": request.time,
                    "status": reply.status,
                    "answer": reply.answer,
                    "accepted": reply.record is not None,
                    "reason": reply.reason,
                    "injected": reply.injected,
                }
            )
            if reply.record is not None:
                self.received.append(
                    {
                        "method": request.method,
                        "path": request.path,
                        "query": request.query,
                        "headers": request.headers,
                        "body": body,
                        "time": request.time,
                        **reply.record,
                    }
                )
                self._arrived.notify_all()
            return reply

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError


# What the chat shows --------------------------------------------------------------------------------------

# The markdown each service documents (everything else is shown as typed, pipes and all):
# WeCom group robot, msgtype "markdown": headings (# to ######), **bold**, [links](…), `code`, > quotes and
#   <font color="info|comment|warning">; no tables, no lists (tables only in "markdown_v2").
# DingTalk custom robot, msgtype "markdown": headings, > quotes, **bold**, *italic*, links, images, - and 1.
#   lists; no tables.
TABLE_LINE = re.compile(r"^\s*\|.*\|\s*$")
LIST_LINE = re.compile(r"^\s*([-*+]|\d+\.)\s")


def shown_raw(service: str, msgtype: str, text: str) -> list[str]:
    """The lines of a markdown message that the service's client shows as raw markup, not rendered."""
    if msgtype != "markdown":
        return []
    raw = [line for line in text.split("\n") if TABLE_LINE.match(line)]
    if service == "wecom":
        raw += [line for line in text.split("\n") if LIST_LINE.match(line)]
    return raw


# WeCom -------------------------------------------------------------------------------------------------


class WeComServer(RobotServer):
    """企业微信群机器人. `keys` are the valid webhook keys. 20 messages a key a minute (45009 beyond).

    WeCom limits the content, not the body: markdown.content ≤ 4096 and text.content ≤ 2048 UTF-8 bytes
    (40058 beyond), as its document says.
    """

    PATH = "/cgi-bin/webhook/send"
    MAX_BYTES = {"markdown": 4096, "text": 2048}

    def __init__(self, host: str = HOST):
        super().__init__(host)
        self.keys: set[str] = {WECOM_KEY}

    def url(self, key: str = WECOM_KEY) -> str:
        return f"{self.base_url}{self.PATH}?{urllib.parse.urlencode({'key': key})}"

    @staticmethod
    def _error(errcode: int, errmsg: str, reason: str) -> Reply:
        return Reply(200, {"errcode": errcode, "errmsg": errmsg}, reason=reason)

    def handle(self, request: Request) -> Reply:
        if request.path != self.PATH:
            return _html(404, "no such path")
        if request.method != "POST":
            return _html(405, "not POST")
        key = request.query.get("key", "")
        if key not in self.keys:
            return self._error(93000, "invalid webhook url", f"unknown key {key!r}")
        try:
            body = request.json()
        except ValueError:
            return self._error(40008, "invalid message type", "body is not JSON")
        msgtype = body.get("msgtype") if isinstance(body, dict) else None
        if msgtype not in self.MAX_BYTES:
            return self._error(40008, "invalid message type", f"msgtype {msgtype!r}")
        part = body.get(msgtype)
        if not isinstance(part, dict):
            return self._error(40008, "invalid message type", f"{msgtype} is not an object")
        content = part.get("content")
        if not isinstance(content, str) or not content:
            return self._error(44004, "empty content", f"{msgtype}.content is empty")
        most = self.MAX_BYTES[msgtype]
        if _byte_len(content) > most:
            return self._error(
                40058, f"{msgtype}.content exceed max length {most}", f"{_byte_len(content)} bytes > {most}"
            )
        if self._over_limit(key, [(self.limit, self.window)]):
            return self._error(45009, "api freq out of limit", f"more than {self.limit} in {self.window}s")
        self._hit(key)
        record = {
            "key": key,
            "msgtype": msgtype,
            "text": content,
            "mentioned_list": part.get("mentioned_list", []),
            "mentioned_mobile_list": part.get("mentioned_mobile_list", []),
            "shown_raw": shown_raw("wecom", msgtype, content),
        }
        return Reply(200, {"errcode": 0, "errmsg": "ok"}, record=record)


# DingTalk ----------------------------------------------------------------------------------------------


class DingTalkServer(RobotServer):
    """钉钉自定义机器人. `tokens` maps access_token → signing secret (None: the robot does not sign).

    `keywords` maps access_token → words of which the message must contain one (DingTalk's 自定义关键词
    security setting); `require_json_content_type` refuses bodies not sent as application/json, as DingTalk does.
    The request body, as sent (escapes and all), may be at most `MAX_BYTES` (460101 beyond). More than `limit`
    messages in `window` (20 a minute) throttles the robot: every message is refused with 130101 for
    `throttle` seconds (10 minutes, as DingTalk documents: 如果超过20条，会限流10分钟).
    """

    PATH = "/robot/send"
    MAX_BYTES = 20000

    def __init__(self, host: str = HOST):
        super().__init__(host)
        self.tokens: dict[str, str | None] = {DINGTALK_TOKEN: DINGTALK_SECRET}
        self.keywords: dict[str, list[str]] = {}
        self.require_json_content_type = True
        self.throttle = 600.0
        self._throttled_until: dict[str, float] = {}

    def url(self, token: str = DINGTALK_TOKEN) -> str:
        """The webhook URL as DingTalk shows it; the sender adds `timestamp` and `sign`."""
        return f"{self.base_url}{self.PATH}?{urllib.parse.urlencode({'access_token': token})}"

    @staticmethod
    def _error(errcode: int, errmsg: str, reason: str) -> Reply:
        return Reply(200, {"errcode": errcode, "errmsg": errmsg}, reason=reason)

    def _check_sign(self, request: Request, secret: str) -> Reply | None:
        timestamp, sign = request.query.get("timestamp", ""), request.query.get("sign", "")
        if not timestamp.isdigit() or not self._timestamp_ok(int(timestamp) / 1000):
            return self._error(310000, f"invalid timestamp, more: [{DINGTALK_DOC}]", f"timestamp {timestamp!r}")
        if not hmac.compare_digest(sign.encode(), dingtalk_sign(secret, timestamp).encode()):
            return self._error(310000, f"sign not match, more: [{DINGTALK_DOC}]", f"sign {sign!r}")
        return None

    def handle(self, request: Request) -> Reply:
        if request.path != self.PATH:
            return _html(404, "no such path")
        if request.method != "POST":
            return _html(405, "not POST")
        token = request.query.get("access_token", "")
        if token not in self.tokens:
            return self._error(300001, "token is not exist", f"unknown token {token!r}")
        secret = self.tokens[token]
        if secret is not None and (refusal := self._check_sign(request, secret)):
            return refusal
        content_type = request.headers.get("content-type", "")
        if self.require_json_content_type and not content_type.lower().startswith("application/json"):
            return self._error(43004, "无效的HTTP HEADER Content-Type", f"Content-Type {content_type!r}")
        if len(request.raw) > self.MAX_BYTES:
            return self._error(460101, f"message too long, exceed {self.MAX_BYTES} bytes", f"{len(request.raw)} bytes")
        try:
            body = request.json()
        except ValueError:
            return self._error(40035, "缺少参数 json", "body is not JSON")
        msgtype = body.get("msgtype") if isinstance(body, dict) else None
        part = body.get(msgtype) if msgtype in ("text", "markdown") else None
        if not isinstance(part, dict):
            return self._error(40035, "缺少参数 json", f"msgtype {msgtype!r} or its object is missing")
        if msgtype == "text":
            title, text = None, part.get("content")
        else:
            title, text = part.get("title"), part.get("text")
            if not isinstance(title, str) or not title:
                return self._error(40035, "缺少参数 json", "markdown.title is empty")
        if not isinstance(text, str) or not text:
            return self._error(40035, "缺少参数 json", f"{msgtype} text is empty")
        words = self.keywords.get(token)
        if words and not any(w in text or (title and w in title) for w in words):
            return self._error(310000, f"keywords not in content, more: [{DINGTALK_DOC}]", "no keyword")
        throttled = time.monotonic() < self._throttled_until.get(token, 0.0)
        if throttled or self._over_limit(token, [(self.limit, self.window)]):
            if not throttled:
                self._throttled_until[token] = time.monotonic() + self.throttle
            return self._error(
                130101,
                f"send too fast, exceed {self.limit} times per minute",
                "throttled" if throttled else f"more than {self.limit}",
            )
        self._hit(token)
        at = body.get("at") if isinstance(body.get("at"), dict) else {}
        record = {
            "token": token,
            "timestamp": int(request.query["timestamp"]) if request.query.get("timestamp", "").isdigit() else None,
            "sign": request.query.get("sign"),
            "msgtype": msgtype,
            "title": title,
            "text": text,
            "at": at,
            "shown_raw": shown_raw("dingtalk", msgtype, text),
        }
        return Reply(200, {"errcode": 0, "errmsg": "ok"}, record=record)


# Feishu ------------------------------------------------------------------------------------------------


POST_TAGS = {"text": ("text",), "a": ("text", "href"), "at": ("user_id",), "img": ("image_key",)}
POST_STYLES = {"bold", "underline", "lineThrough", "italic"}


def _post_text(post: dict) -> tuple[str | None, str] | None:
    """Title and plain text of a Feishu rich-text ("post") message, or None when it is malformed: a language
    (zh_cn, en_us…) holding an optional string title and `content`, a list of paragraphs, each a list of
    elements with a known `tag`, its required string fields, and `style` (if any) a list of known styles."""
    if not isinstance(post, dict) or not post:
        return None
    lang = post.get("zh_cn") or post.get("en_us") or next(iter(post.values()))
    if not isinstance(lang, dict) or not isinstance(lang.get("content"), list):
        return None
    if not isinstance(lang.get("title", ""), str):
        return None
    lines = []
    for paragraph in lang["content"]:
        if not isinstance(paragraph, list):
            return None
        parts = []
        for element in paragraph:
            if not isinstance(element, dict) or element.get("tag") not in POST_TAGS:
                return None
            if not all(isinstance(element.get(name), str) for name in POST_TAGS[element["tag"]]):
                return None
            style = element.get("style", [])
            if not isinstance(style, list) or not set(style) <= POST_STYLES:
                return None
            if element["tag"] == "at":
                parts.append(f"@{element.get('user_name') or element['user_id']}")
            elif element["tag"] != "img":
                parts.append(element["text"])
        lines.append("".join(parts))
    return lang.get("title"), "\n".join(lines)


class FeishuServer(RobotServer):
    """飞书自定义机器人. `tokens` maps hook token → signing secret (None: the bot does not sign).

    Rate limits: `limit` per `window` (100 a minute) and `burst_limit` per `burst_window` (5 a second).
    `keywords` maps token → words of which the message must contain one (飞书 自定义关键词).
    The request body, as sent (escapes and all), may be at most `MAX_BYTES` (20 KB): HTTP 400, code 9499
    beyond. A rich-text `post` is checked element by element (`_post_text`); a malformed one is a 9499 too.
    """

    PREFIX = "/open-apis/bot/v2/hook/"
    MAX_BYTES = 20 * 1024
    limit = 100
    window = 60.0

    def __init__(self, host: str = HOST):
        super().__init__(host)
        self.tokens: dict[str, str | None] = {FEISHU_TOKEN: FEISHU_SECRET}
        self.keywords: dict[str, list[str]] = {}
        self.burst_limit = 5
        self.burst_window = 1.0

    def url(self, token: str = FEISHU_TOKEN) -> str:
        return f"{self.base_url}{self.PREFIX}{token}"

    @staticmethod
    def _answer(code: int, msg: str, reason: str | None = None, status: int = 200) -> Reply:
        return Reply(status, {"code": code, "msg": msg, "data": {}}, reason=reason)

    def handle(self, request: Request) -> Reply:
        if not request.path.startswith(self.PREFIX):
            return _html(404, "no such path")
        if request.method != "POST":
            return _html(405, "not POST")
        token = request.path[len(self.PREFIX) :]
        if token not in self.tokens:
            return self._answer(19001, "param invalid: incoming webhook access token invalid", f"token {token!r}")
        if len(request.raw) > self.MAX_BYTES:
            return self._answer(9499, "Bad Request", f"{len(request.raw)} bytes", status=400)
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self._answer(9499, "Bad Request", "body is not a JSON object", status=400)
        secret = self.tokens[token]
        timestamp = str(body.get("timestamp", ""))
        if secret is not None:
            sign = body.get("sign")
            fresh = timestamp.isdigit() and self._timestamp_ok(int(timestamp))
            if not fresh or not isinstance(sign, str) or not hmac.compare_digest(sign, feishu_sign(secret, timestamp)):
                return self._answer(
                    19021,
                    "sign match fail or timestamp is not within one hour from current time",
                    f"timestamp {timestamp!r}, sign {sign!r}",
                )
        msg_type = body.get("msg_type")
        content = body.get("content")
        title = None
        if msg_type == "text":
            text = content.get("text") if isinstance(content, dict) else None
            if not isinstance(text, str) or not text:
                return self._answer(9499, "Bad Request", "content.text is empty", status=400)
        elif msg_type == "post":
            parsed = _post_text(content.get("post")) if isinstance(content, dict) else None
            if parsed is None:
                return self._answer(9499, "Bad Request", "content.post is malformed", status=400)
            title, text = parsed
        else:
            return self._answer(19002, "params error, msg_type need", f"msg_type {msg_type!r}")
        words = self.keywords.get(token)
        if words and not any(w in text or (title and w in title) for w in words):
            return self._answer(19024, "Key Words Not Found", "no keyword")
        if self._over_limit(token, [(self.limit, self.window), (self.burst_limit, self.burst_window)]):
            return self._answer(
                11232, f"frequency limited psm[lark.oapi.app_platform_runtime]appID[{token}]", "rate limit"
            )
        self._hit(token)
        record = {
            "token": token,
            "timestamp": int(timestamp) if timestamp.isdigit() else None,
            "sign": body.get("sign"),
            "msgtype": msg_type,
            "title": title,
            "text": text,
        }
        return Reply(200, {"code": 0, "msg": "success", "data": {}}, record=record)


# Generic webhook ---------------------------------------------------------------------------------------


class WebhookServer(RobotServer):
    """Any JSON webhook: POST /hook/NAME with a JSON object; answers `status` (200) with {"ok": true}.

    `authorization`, when set, is the Authorization header value required (else 401).
    """

    PREFIX = "/hook/"

    def __init__(self, host: str = HOST):
        super().__init__(host)
        self.status = 200
        self.authorization: str | None = None

    def url(self, name: str = "digest") -> str:
        return f"{self.base_url}{self.PREFIX}{urllib.parse.quote(name)}"

    def handle(self, request: Request) -> Reply:
        if not request.path.startswith(self.PREFIX) or len(request.path) == len(self.PREFIX):
            return _html(404, "no such path")
        if request.method != "POST":
            return _html(405, "not POST")
        if self.authorization is not None and request.headers.get("authorization") != self.authorization:
            return Reply(401, {"ok": False, "error": "unauthorized"}, reason="Authorization header")
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return Reply(400, {"ok": False, "error": "expected a JSON object"}, reason="not a JSON object")
        text = next((body[k] for k in ("text", "content", "message") if isinstance(body.get(k), str)), None)
        record = {
            "name": urllib.parse.unquote(request.path[len(self.PREFIX) :]),
            "msgtype": None,
            "text": text if text is not None else json.dumps(body, ensure_ascii=False),
        }
        return Reply(self.status, {"ok": True}, record=record)


class NotFoundProxy(RobotServer):
    """A proxy in front of nothing: every request is answered 404 with a plain-text "404 page not found" (Go's
    net/http default), as when a channel's service address points at the wrong place."""

    def handle(self, request: Request) -> Reply:
        return Reply(404, "404 page not found\n", reason="no route")
