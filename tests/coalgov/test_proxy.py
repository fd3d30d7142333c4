"""deploy/nginx.conf in front of the app, on a port other than 80 (the compose file publishes 8000): a browser's
sign-in passes the CSRF origin check, and the links the app writes (the API's next page) keep the port.

Needs nginx (Debian's nginx-light); skipped where it is not installed.
"""

import json
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings

pytestmark = [
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed"),
    pytest.mark.usefixtures("transactional_db"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def proxy(live_server, tmp_path):
    """nginx with the deployment's configuration, forwarding to the live server: its base URL."""
    upstream = urlsplit(live_server.url)
    port = free_port()
    conf = (
        (Path(settings.BASE_DIR) / "deploy" / "nginx.conf")
        .read_text()
        .replace("server web:8000;", f"server {upstream.hostname}:{upstream.port};")
        .replace("listen 8080;", f"listen 127.0.0.1:{port};")
        .replace("/tmp/", f"{tmp_path}/")
    )
    (tmp_path / "nginx.conf").write_text(conf)
    nginx = subprocess.Popen(
        ["nginx", "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log"), "-g", "daemon off;"]
    )
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        nginx.terminate()
        nginx.wait(10)


def test_signing_in_through_the_proxy_on_its_own_port_passes_the_origin_check(proxy, people):
    browser = requests.Session()
    page = browser.get(f"{proxy}/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    # As a browser posts a form: with its Origin, which carries the port.
    signed_in = browser.post(
        f"{proxy}/login/",
        data={"csrfmiddlewaretoken": token, "username": "wulibao_inspector", "password": "pw"},
        headers={"Origin": proxy, "Referer": f"{proxy}/login/"},
        allow_redirects=False,
        timeout=10,
    )

    assert signed_in.status_code == 302, signed_in.text[:300]
    assert browser.get(f"{proxy}/field/", timeout=10).status_code == 200


def test_the_apis_next_page_link_keeps_the_proxys_port(proxy, people, household_in, wulibao_community):
    for _ in range(3):
        household_in(wulibao_community)
    browser = requests.Session()
    answer = browser.get(
        f"{proxy}/api/v1/households/?page_size=2",
        headers={"Authorization": f"Token {token_for(people['wulibao_inspector'])}"},
        timeout=10,
    )

    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["next"].startswith(f"{proxy}/api/v1/households/")


def token_for(user) -> str:
    from knox.models import AuthToken

    _instance, token = AuthToken.objects.create(user=user)
    return token


@pytest.mark.parametrize(
    ("path", "content_type", "text"),
    [
        ("/api/v1/inspections/", "application/json", '"code": "too_large"'),
        ("/cases/1/", "text/html; charset=utf-8", "请返回上一页"),
    ],
)
def test_a_body_over_the_proxys_limit_is_refused_in_chinese_in_the_shape_of_where_it_went(
    proxy, path, content_type, text
):
    """Outside testers sent 64 and 70 MB of photos: nginx answered its own English "413 Request Entity Too Large".
    nginx refuses by the announced length, before reading the body: the request's head is enough."""
    head, body = _sent_too_much(proxy, path, headers="")
    assert head.startswith("HTTP/1.1 413")
    assert f"Content-Type: {content_type}" in head
    assert "上传内容过大" in body and text in body
    if content_type == "application/json":
        assert json.loads(body)["code"] == "too_large"


def _sent_too_much(proxy, path: str, headers: str) -> tuple[str, str]:
    port = int(urlsplit(proxy).port)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}Content-Type: text/plain\r\n"
            f"Content-Length: {64 * 1024 * 1024}\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.decode().partition("\r\n\r\n")
    return head, body


@pytest.mark.parametrize(
    ("path", "headers", "english"),
    [
        ("/api/v1/inspections/", "Accept-Language: en-US,en;q=0.9\r\n", True),
        ("/api/v1/inspections/", "Accept-Language: zh-CN,en;q=0.8\r\n", False),
        ("/api/v1/inspections/", "Cookie: django_language=en\r\n", True),
        # A signed-in browser's call (the phone page's) speaks the site's language, as the app does.
        ("/api/v1/inspections/", "Accept-Language: en\r\nCookie: sessionid=abc\r\n", False),
        # Pages follow the language picked on them, not the browser's (as the app does).
        ("/households/import/", "Accept-Language: en-US,en;q=0.9\r\n", False),
        ("/households/import/", "Cookie: csrftoken=x; django_language=en\r\n", True),
    ],
)
def test_a_body_over_the_proxys_limit_is_refused_in_the_readers_language(proxy, path, headers, english):
    """An outside tester who read the pages and the API in English was refused in Chinese alone."""
    head, body = _sent_too_much(proxy, path, headers)

    assert head.startswith("HTTP/1.1 413")
    assert ("The upload is too large" in body) is english and ("上传内容过大" in body) is not english


@pytest.mark.parametrize("path", ["/api/v1/households/?q=", "/cases/?q="])
def test_an_address_over_the_proxys_limit_is_refused_in_chinese_in_the_apis_shape(proxy, path):
    """An outside tester's script built a query of several thousand ids: gunicorn answered an English HTML 400."""
    answer = requests.get(f"{proxy}{path}{'1,' * 5000}", timeout=10)

    assert answer.status_code == 414
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json()["code"] == "too_long"
    assert "过长" in answer.json()["detail"]


def test_an_address_under_the_proxys_limit_reaches_the_app(proxy, people):
    answer = requests.get(
        f"{proxy}/api/v1/households/?q={'x' * 6000}",
        headers={"Authorization": f"Token {token_for(people['wulibao_inspector'])}"},
        timeout=10,
    )

    assert answer.status_code == 200, answer.text[:300]


def test_an_address_nginx_cannot_read_is_refused_in_chinese_in_the_apis_shape(proxy):
    """An outside tester's GET /api/v1/households/%00/ got nginx's English HTML 400."""
    answer = requests.get(f"{proxy}/api/v1/households/%00/", timeout=10)

    assert answer.status_code == 400
    detail = "请求格式不正确，无法读取。(The request could not be read.)"
    assert answer.json() == {"detail": detail, "code": "bad_request"}


def test_the_apps_own_400_passes_through_the_proxy_unchanged(proxy, people):
    answer = requests.get(
        f"{proxy}/api/v1/households/?cursor=garbage",
        headers={"Authorization": f"Token {token_for(people['wulibao_inspector'])}"},
        timeout=10,
    )

    assert answer.status_code == 400
    assert list(answer.json()) == ["cursor"]


def test_a_long_link_opened_signed_out_is_sent_to_sign_in_not_a_bad_gateway(proxy):
    """An outside tester opened a long filter link signed out: the sign-in redirect's Location (next=…) was longer
    than nginx passed, and it answered a bare 502."""
    answer = requests.get(f"{proxy}/households/?q={'x' * 5000}", allow_redirects=False, timeout=10)

    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login/?next=")
