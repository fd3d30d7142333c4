"""The robot stand-ins speak each service's protocol, refuse what the service refuses, and fail on demand.

Signatures are computed here from the services' documents, not with the helpers in `robots.py`.
"""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest


def post(url, body=None, *, raw=None, content_type="application/json", timeout=2.0):
    """POST JSON (or raw bytes); return (HTTP status, answer as JSON when it is JSON, else as text)."""
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    text = payload.decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


# Signing, from the documents -----------------------------------------------------------------------------


def dingtalk_url(server, token="good-token", secret="SECsecret", timestamp=None, encode=True):
    timestamp = timestamp if timestamp is not None else int(time.time() * 1000)
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = base64.b64encode(digest).decode()
    sign = urllib.parse.quote_plus(sign) if encode else sign
    return f"{server.base_url}/robot/send?access_token={token}&timestamp={timestamp}&sign={sign}"


def feishu_body(msg, secret="secret", timestamp=None):
    timestamp = str(timestamp if timestamp is not None else int(time.time()))
    key = f"{timestamp}\n{secret}".encode()
    sign = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    return {"timestamp": timestamp, "sign": sign, **msg}


def wecom_markdown(content):
    return {"msgtype": "markdown", "markdown": {"content": content}}


def dingtalk_markdown(text, title="日报"):
    at = {"atMobiles": [], "isAtAll": False}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}, "at": at}


def feishu_text(text):
    return {"msg_type": "text", "content": {"text": text}}


# WeCom ---------------------------------------------------------------------------------------------------


def test_wecom_takes_a_markdown_message_and_records_it(wecom):
    assert wecom.base_url.startswith("http://127.0.0.1:")
    url = f"{wecom.base_url}/cgi-bin/webhook/send?key=good-key"
    status, answer = post(url, wecom_markdown("## 二七区日报\n> 7 户"))

    assert (status, answer) == (200, {"errcode": 0, "errmsg": "ok"})
    [message] = wecom.received
    assert message["text"] == "## 二七区日报\n> 7 户"
    assert message["query"] == {"key": "good-key"}
    assert message["key"] == "good-key"
    assert message["msgtype"] == "markdown"
    assert message["body"] == wecom_markdown("## 二七区日报\n> 7 户")
    assert abs(message["time"] - time.time()) < 5
    assert wecom.requests[0]["accepted"] and wecom.requests[0]["answer"] == {"errcode": 0, "errmsg": "ok"}
    assert wecom.url() == f"{wecom.base_url}/cgi-bin/webhook/send?key=good-key"


def test_wecom_takes_text_with_mentions(wecom):
    body = {"msgtype": "text", "text": {"content": "日报", "mentioned_list": ["wangwu"], "mentioned_mobile_list": []}}
    assert post(wecom.url(), body) == (200, {"errcode": 0, "errmsg": "ok"})
    assert wecom.received[0]["mentioned_list"] == ["wangwu"]
    assert wecom.texts == ["日报"]


@pytest.mark.parametrize(
    ("url_key", "body", "errcode"),
    [
        ("bad-key", wecom_markdown("x"), 93000),
        (None, wecom_markdown("x"), 93000),
        ("good-key", {"msgtype": "Markdown", "Markdown": {"content": "x"}}, 40008),
        ("good-key", {"msgtype": "image", "image": {}}, 40008),
        ("good-key", {"markdown": {"content": "x"}}, 40008),
        ("good-key", ["not", "an", "object"], 40008),
        ("good-key", wecom_markdown(""), 44004),
        ("good-key", {"msgtype": "markdown", "markdown": {}}, 44004),
    ],
)
def test_wecom_refuses_bad_keys_and_shapes(wecom, url_key, body, errcode):
    url = f"{wecom.base_url}/cgi-bin/webhook/send" + (f"?key={url_key}" if url_key else "")
    status, answer = post(url, body)

    assert status == 200
    assert answer["errcode"] == errcode
    assert wecom.received == []
    assert wecom.requests[0]["accepted"] is False


def test_wecom_refuses_a_body_that_is_not_json(wecom):
    assert post(wecom.url(), raw=b"{not json")[1]["errcode"] == 40008
    assert wecom.requests[0]["body"] is None


def test_wecom_unknown_key_answer_is_the_documented_one(wecom):
    assert post(wecom.url("nope"), wecom_markdown("x"))[1] == {"errcode": 93000, "errmsg": "invalid webhook url"}


def test_wecom_counts_utf8_bytes_not_characters(wecom):
    exactly = "煤" * 1365 + "x"  # 4095 + 1 bytes
    assert post(wecom.url(), wecom_markdown(exactly))[1]["errcode"] == 0
    status, answer = post(wecom.url(), wecom_markdown(exactly + "x"))
    assert (status, answer) == (200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"})
    text = {"msgtype": "text", "text": {"content": "煤" * 683}}  # 2049 bytes
    assert post(wecom.url(), text)[1]["errcode"] == 40058
    assert len(wecom.received) == 1


def test_wecom_rate_limit_trips_at_limit_plus_one_and_clears_after_the_window(wecom):
    wecom.limit, wecom.window = 3, 2.0  # wide enough for six posts on a busy machine (the suite runs in parallel)
    wecom.keys.add("other-key")
    codes = [post(wecom.url(), wecom_markdown(f"第{i}条"))[1]["errcode"] for i in range(5)]
    assert codes == [0, 0, 0, 45009, 45009]
    assert post(wecom.url(), wecom_markdown("x"))[1] == {"errcode": 45009, "errmsg": "api freq out of limit"}
    assert post(wecom.url("other-key"), wecom_markdown("另一群"))[1]["errcode"] == 0  # per key
    time.sleep(2.1)
    assert post(wecom.url(), wecom_markdown("after"))[1]["errcode"] == 0
    assert wecom.texts == ["第0条", "第1条", "第2条", "另一群", "after"]


# DingTalk ------------------------------------------------------------------------------------------------


def test_dingtalk_takes_a_signed_markdown_message(dingtalk):
    body = dingtalk_markdown("#### 日报\n- 7 户", title="二七区日报")
    body["at"] = {"atMobiles": ["13800000000"], "isAtAll": False}
    status, answer = post(dingtalk_url(dingtalk), body)

    assert (status, answer) == (200, {"errcode": 0, "errmsg": "ok"})
    [message] = dingtalk.received
    assert message["text"] == "#### 日报\n- 7 户"
    assert message["title"] == "二七区日报"
    assert message["at"] == {"atMobiles": ["13800000000"], "isAtAll": False}
    assert message["query"]["access_token"] == "good-token"
    assert message["token"] == "good-token"
    assert abs(message["timestamp"] - time.time() * 1000) < 5000


def test_dingtalk_takes_text_messages(dingtalk):
    body = {"msgtype": "text", "text": {"content": "日报"}}
    assert post(dingtalk_url(dingtalk), body)[1]["errcode"] == 0
    assert dingtalk.texts == ["日报"]


def test_dingtalk_refuses_an_unknown_token(dingtalk):
    status, answer = post(dingtalk_url(dingtalk, token="nope"), dingtalk_markdown("x"))
    assert (status, answer) == (200, {"errcode": 300001, "errmsg": "token is not exist"})


@pytest.mark.parametrize(
    "url",
    [
        lambda s: dingtalk_url(s, secret="SECwrong"),
        lambda s: dingtalk_url(s, timestamp=int(time.time() * 1000) - 2 * 3600 * 1000),  # two hours old
        lambda s: dingtalk_url(s, timestamp=int(time.time() * 1000) + 2 * 3600 * 1000),
        lambda s: f"{s.base_url}/robot/send?access_token=good-token",  # unsigned
        lambda s: dingtalk_url(s).replace("&timestamp=", "&timestamp=1"),  # signed over another timestamp
    ],
)
def test_dingtalk_refuses_a_wrong_sign_or_timestamp(dingtalk, url):
    status, answer = post(url(dingtalk), dingtalk_markdown("x"))
    assert status == 200
    assert answer["errcode"] == 310000
    assert answer["errmsg"].startswith(("sign not match", "invalid timestamp"))
    assert dingtalk.received == []


def test_dingtalk_refuses_a_sign_that_was_not_url_encoded(dingtalk):
    """A '+' in the base64 sign turns into a space when not URL-encoded, as with the real service."""
    now = int(time.time() * 1000)
    for timestamp in range(now, now + 200):
        url = dingtalk_url(dingtalk, timestamp=timestamp, encode=False)
        if "+" in url.split("&sign=")[1]:
            break
    assert post(url, dingtalk_markdown("x"))[1]["errcode"] == 310000
    assert post(dingtalk_url(dingtalk, timestamp=timestamp), dingtalk_markdown("x"))[1]["errcode"] == 0


def test_dingtalk_needs_no_signature_from_a_robot_without_a_secret(dingtalk):
    dingtalk.tokens["keyword-token"] = None
    dingtalk.keywords["keyword-token"] = ["日报"]
    url = f"{dingtalk.base_url}/robot/send?access_token=keyword-token"
    assert post(url, dingtalk_markdown("今日数据", title="日报"))[1]["errcode"] == 0
    answer = post(url, dingtalk_markdown("今日数据", title="周报"))[1]
    assert answer["errcode"] == 310000 and answer["errmsg"].startswith("keywords not in content")


def test_dingtalk_wants_json_content_type_and_a_whole_body(dingtalk):
    raw = json.dumps(dingtalk_markdown("x")).encode()
    form = "application/x-www-form-urlencoded"
    assert post(dingtalk_url(dingtalk), raw=raw, content_type=form)[1]["errcode"] == 43004
    untitled = {"msgtype": "markdown", "markdown": {"text": "no title"}}
    assert post(dingtalk_url(dingtalk), untitled)[1]["errcode"] == 40035
    assert post(dingtalk_url(dingtalk), raw=b"nope")[1]["errcode"] == 40035


def test_dingtalk_refuses_a_message_over_20000_bytes(dingtalk):
    body = dingtalk_markdown("煤" * 6700)  # over 20000 bytes as JSON
    status, answer = post(dingtalk_url(dingtalk), body)
    assert (status, answer["errcode"]) == (200, 460101)
    assert answer["errmsg"] == "message too long, exceed 20000 bytes"
    assert post(dingtalk_url(dingtalk), dingtalk_markdown("煤" * 6000))[1]["errcode"] == 0


def test_dingtalk_rate_limit_trips_at_limit_plus_one_and_throttles_until_its_time_is_up(dingtalk):
    dingtalk.limit, dingtalk.window, dingtalk.throttle = 3, 0.3, 0.8
    codes = [post(dingtalk_url(dingtalk), dingtalk_markdown(str(i)))[1]["errcode"] for i in range(4)]
    assert codes == [0, 0, 0, 130101]
    assert dingtalk.requests[-1]["answer"]["errmsg"].startswith("send too fast")
    time.sleep(0.35)  # the window is over, the throttle is not
    assert post(dingtalk_url(dingtalk), dingtalk_markdown("too soon"))[1]["errcode"] == 130101
    time.sleep(0.5)
    assert post(dingtalk_url(dingtalk), dingtalk_markdown("after"))[1]["errcode"] == 0
    assert len(dingtalk.received) == 4


def test_dingtalk_throttles_for_ten_minutes_by_default(dingtalk):
    assert dingtalk.throttle == 600.0


def test_dingtalk_counts_the_body_as_sent_so_escaped_chinese_counts_six_bytes(dingtalk):
    body = dingtalk_markdown("煤" * 4000)  # 12,000 bytes as UTF-8 JSON, 24,000 as \\uXXXX escapes
    escaped = json.dumps(body).encode()

    assert post(dingtalk_url(dingtalk), raw=escaped)[1]["errcode"] == 460101
    assert post(dingtalk_url(dingtalk), body)[1]["errcode"] == 0


def test_dingtalk_default_limit_is_20_a_minute(dingtalk):
    codes = [post(dingtalk_url(dingtalk), dingtalk_markdown(str(i)))[1]["errcode"] for i in range(21)]
    assert codes == [0] * 20 + [130101]


# Feishu --------------------------------------------------------------------------------------------------


def test_feishu_takes_a_signed_text_message(feishu):
    status, answer = post(f"{feishu.base_url}/open-apis/bot/v2/hook/good-hook", feishu_body(feishu_text("日报")))

    assert (status, answer) == (200, {"code": 0, "msg": "success", "data": {}})
    [message] = feishu.received
    assert message["text"] == "日报"
    assert message["token"] == "good-hook"
    assert message["msgtype"] == "text"
    assert message["body"]["content"] == {"text": "日报"}
    assert feishu.url() == f"{feishu.base_url}/open-apis/bot/v2/hook/good-hook"


def test_feishu_takes_a_post_message_and_extracts_its_text(feishu):
    post_msg = {
        "msg_type": "post",
        "content": {
            "post": {
                "zh_cn": {
                    "title": "二七区日报",
                    "content": [
                        [{"tag": "text", "text": "夜查 "}, {"tag": "a", "text": "详情", "href": "http://x"}],
                        [{"tag": "at", "user_id": "all", "user_name": "所有人"}],
                    ],
                }
            }
        },
    }
    assert post(feishu.url(), feishu_body(post_msg))[1]["code"] == 0
    assert feishu.received[0]["title"] == "二七区日报"
    assert feishu.received[0]["text"] == "夜查 详情\n@所有人"


def test_feishu_refuses_an_unknown_hook(feishu):
    status, answer = post(feishu.url("nope"), feishu_body(feishu_text("x")))
    assert (status, answer["code"]) == (200, 19001)
    assert answer["msg"] == "param invalid: incoming webhook access token invalid"


def dingtalk_style_feishu_body(msg, secret="secret"):
    """The classic mistake: DingTalk's algorithm (key=secret, message=timestamp\\nsecret) used for Feishu."""
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return {"timestamp": timestamp, "sign": base64.b64encode(digest).decode(), **msg}


@pytest.mark.parametrize(
    "body",
    [
        lambda: feishu_body(feishu_text("x"), secret="wrong"),
        lambda: feishu_body(feishu_text("x"), timestamp=int(time.time()) - 2 * 3600),
        lambda: feishu_body(feishu_text("x"), timestamp=int(time.time() * 1000)),  # milliseconds
        lambda: dingtalk_style_feishu_body(feishu_text("x")),
        lambda: feishu_text("x"),  # unsigned
    ],
)
def test_feishu_refuses_a_wrong_sign_or_timestamp(feishu, body):
    status, answer = post(feishu.url(), body())
    assert (status, answer) == (
        200,
        {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time", "data": {}},
    )
    assert feishu.received == []


def test_feishu_refuses_a_body_over_20_kb_with_http_400(feishu):
    status, answer = post(feishu.url(), feishu_body(feishu_text("x" * (20 * 1024))))
    assert (status, answer) == (400, {"code": 9499, "msg": "Bad Request", "data": {}})
    assert post(feishu.url(), feishu_body(feishu_text("x" * (20 * 1024 - 200))))[1]["code"] == 0


def test_feishu_counts_the_body_as_sent_so_escaped_chinese_counts_six_bytes(feishu):
    body = feishu_body(feishu_text("煤" * 4000))  # 12,000 bytes as UTF-8 JSON, 24,000 as \\uXXXX escapes

    assert post(feishu.url(), raw=json.dumps(body).encode())[1]["code"] == 9499
    assert post(feishu.url(), body)[1]["code"] == 0


@pytest.mark.parametrize(
    "paragraph",
    [
        [{"tag": "markdown", "text": "**x**"}],  # no such tag in a post
        [{"tag": "text"}],  # text without its text
        [{"tag": "a", "text": "link"}],  # a link without its href
        [{"tag": "text", "text": "x", "style": ["heavy"]}],  # no such style
        {"tag": "text", "text": "x"},  # a paragraph is a list of elements
    ],
)
def test_feishu_refuses_a_malformed_post(feishu, paragraph):
    msg = {"msg_type": "post", "content": {"post": {"zh_cn": {"title": "日报", "content": [paragraph]}}}}
    assert post(feishu.url(), feishu_body(msg)) == (400, {"code": 9499, "msg": "Bad Request", "data": {}})
    assert feishu.received == []


def test_feishu_refuses_unknown_message_types(feishu):
    assert post(feishu.url(), feishu_body({"msg_type": "markdown", "content": {"text": "x"}}))[1]["code"] == 19002
    assert post(feishu.url(), raw=b"nope")[0] == 400


def test_feishu_rate_limit_per_window_trips_and_clears(feishu):
    feishu.limit, feishu.window = 3, 2.0  # wide enough for four posts on a busy machine
    codes = [post(feishu.url(), feishu_body(feishu_text(str(i))))[1]["code"] for i in range(4)]
    assert codes == [0, 0, 0, 11232]
    assert feishu.requests[-1]["answer"]["msg"].startswith("frequency limited psm[")
    time.sleep(2.1)
    assert post(feishu.url(), feishu_body(feishu_text("after")))[1]["code"] == 0


def test_feishu_allows_five_a_second(feishu):
    feishu.burst_window = 2.0  # six posts fit in it on a busy machine; the default is 5 per 1.0 s
    codes = [post(feishu.url(), feishu_body(feishu_text(str(i))))[1]["code"] for i in range(6)]
    assert codes == [0] * 5 + [11232]
    time.sleep(2.1)
    assert post(feishu.url(), feishu_body(feishu_text("after")))[1]["code"] == 0


# Generic webhook -----------------------------------------------------------------------------------------


def test_webhook_takes_any_json_object(webhook):
    body = {"title": "日报", "part": 1, "parts": 1, "text": "7 户"}
    assert post(f"{webhook.base_url}/hook/erqi", body) == (200, {"ok": True})
    [message] = webhook.received
    assert (message["name"], message["text"], message["body"]) == ("erqi", "7 户", body)


def test_webhook_refuses_what_is_not_a_json_object(webhook):
    assert post(webhook.url("erqi"), [1, 2])[0] == 400
    assert post(webhook.url("erqi"), raw=b"nope")[0] == 400
    assert post(f"{webhook.base_url}/elsewhere", {"text": "x"})[0] == 404
    assert webhook.received == []


# Failure modes, on every server --------------------------------------------------------------------------


def good_message(server):
    kind = type(server).__name__
    if kind == "WeComServer":
        return server.url(), wecom_markdown("日报")
    if kind == "DingTalkServer":
        return dingtalk_url(server), dingtalk_markdown("日报")
    if kind == "FeishuServer":
        return server.url(), feishu_body(feishu_text("日报"))
    return server.url("erqi"), {"text": "日报"}


def answered_ok(answer):
    return answer == {"ok": True} or answer.get("errcode", answer.get("code")) == 0


@pytest.fixture(params=["wecom", "dingtalk", "feishu", "webhook"])
def server(request):
    return request.getfixturevalue(request.param)


def test_going_down_refuses_connections_and_coming_up_keeps_the_port(server):
    url, body = good_message(server)
    base = server.base_url
    server.go_down()
    assert server.down
    with pytest.raises(urllib.error.URLError) as refused:
        post(url, body)
    assert isinstance(refused.value.reason, ConnectionRefusedError)

    server.come_up()
    assert server.base_url == base and not server.down
    assert answered_ok(post(*good_message(server))[1])

    server.down = True
    with pytest.raises(urllib.error.URLError):
        post(url, body)
    server.down = False
    assert answered_ok(post(*good_message(server))[1])
    assert len(server.received) == 2


def test_fail_next_answers_like_a_proxy_then_recovers(server):
    server.fail_next(2)
    first, second = post(*good_message(server)), post(*good_message(server))
    assert first[0] == second[0] == 502
    assert "502 Bad Gateway" in first[1]
    assert server.received == []
    assert [r["injected"] for r in server.requests] == ["fail_next", "fail_next"]

    status, answer = post(*good_message(server))
    assert status == 200 and answered_ok(answer)
    assert len(server.received) == 1

    server.fail_next(1, status=504)
    assert post(*good_message(server))[0] == 504


def test_script_gives_canned_answers_first(wecom):
    wecom.script = [{"errcode": 45009, "errmsg": "api freq out of limit"}, (503, "<html>busy</html>")]
    assert post(*good_message(wecom)) == (200, {"errcode": 45009, "errmsg": "api freq out of limit"})
    assert post(*good_message(wecom)) == (503, "<html>busy</html>")
    assert post(*good_message(wecom)) == (200, {"errcode": 0, "errmsg": "ok"})
    assert wecom.texts == ["日报"]


def test_delay_holds_the_answer_back(feishu):
    feishu.delay = 0.3
    started = time.monotonic()
    assert answered_ok(post(*good_message(feishu))[1])
    assert time.monotonic() - started >= 0.3

    feishu.delay = 0.6
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        post(*good_message(feishu), timeout=0.2)
    assert len(feishu.received) == 2  # taken on arrival: the client just never heard back


def test_wait_for_waits_for_messages_from_another_thread(webhook):
    import threading

    threading.Timer(0.1, lambda: post(*good_message(webhook))).start()
    assert [m["text"] for m in webhook.wait_for(1, timeout=2)] == ["日报"]
    with pytest.raises(AssertionError):
        webhook.wait_for(2, timeout=0.1)


def test_reset_forgets_history(wecom):
    wecom.limit = 1
    post(*good_message(wecom))
    wecom.reset()
    assert wecom.received == wecom.requests == []
    assert answered_ok(post(*good_message(wecom))[1])
