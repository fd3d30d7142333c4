"""When the database or the disk fails, people get a Chinese page in the site's layout and the API answers JSON.

The outages are real: gunicorn serves the project through a TCP relay to PostgreSQL that the test cuts (every
connection dropped, new ones accepted and closed at once), or points at a port where nothing listens; the
photo storage is a directory that cannot be created. Django's DEBUG is off, as in production.
"""

import contextlib
import http.client
import json
import socket
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from coalgov.views import server_error
from inspections.models import Inspection, Photo
from tests.servers import database_url, free_port, start_gunicorn, stop

# Served as in production (DEBUG off) and without a broker: an outage is the database's alone.
OUTAGE_SERVER = {"DEBUG": "0", "REDIS_URL": ""}

UNAVAILABLE = "系统暂时无法使用"


class Relay:
    """A TCP relay on 127.0.0.1 to PostgreSQL. `cut()` drops every connection and closes new ones as they
    come, as a database that crashed or a network that broke would; `mend()` relays again."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.cut_off, self.pipes = target, False, []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            if self.cut_off:
                client.close()
                continue
            server = socket.create_connection(self.target)
            self.pipes += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self):
        self.cut_off = True
        for end in self.pipes:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
        self.pipes = []

    def mend(self):
        self.cut_off = False

    def close(self):
        self.cut()
        self.listener.close()


def get(port: int, path: str, headers: dict | None = None, method: str = "GET", body: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    answer = (response.status, dict(response.getheaders()), response.read().decode())
    conn.close()
    return answer


@pytest.fixture
def relayed_server(transactional_db):
    """gunicorn on the test database through a Relay the test can cut: (relay, port)."""
    if connection.vendor != "postgresql":
        pytest.skip("the relay stands between gunicorn and PostgreSQL (SQLite's test database lives in memory)")
    db = connection.settings_dict
    relay = Relay((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    process, port = start_gunicorn(database_url(db, "127.0.0.1", relay.port), **OUTAGE_SERVER)
    yield relay, port
    stop(process)
    relay.close()


@pytest.fixture
def signed_in(people):
    """Headers of a signed-in browser (a session cookie) and of the phone (an API token) of 五里堡's inspector."""
    browser = Client()
    browser.force_login(people["wulibao_inspector"])
    _instance, token = AuthToken.objects.create(user=people["wulibao_inspector"])
    return {"Cookie": f"sessionid={browser.cookies['sessionid'].value}"}, {"Authorization": f"Token {token}"}


def test_while_the_database_is_cut_off_pages_say_so_in_chinese_with_503_and_recover_after(
    relayed_server, signed_in, wulibao_household
):
    relay, port = relayed_server
    cookie, _token = signed_in
    assert get(port, "/households/", cookie)[0] == 200

    relay.cut()
    status, headers, html = get(port, "/households/", cookie)
    relay.mend()

    assert status == 503
    assert int(headers["Retry-After"]) > 0
    assert UNAVAILABLE in html
    assert 'class="navbar-brand"' in html and "散煤治理" in html  # the site's layout
    assert "Server Error" not in html
    assert get(port, "/households/", cookie)[0] == 200


def test_while_the_database_is_cut_off_the_api_answers_503_json_the_phone_can_retry_on(
    relayed_server, signed_in, wulibao_household
):
    relay, port = relayed_server
    _cookie, token = signed_in
    visit = json.dumps(
        {
            "client_uuid": str(uuid.uuid4()),
            "household": wulibao_household.pk,
            "kind": "night_check",
            "outcome": "no_coal",
        }
    )
    post = {**token, "Content-Type": "application/json"}
    assert get(port, "/api/v1/households/", token)[0] == 200

    relay.cut()
    listed = get(port, "/api/v1/households/", token)
    sent = get(port, "/api/v1/inspections/", post, method="POST", body=visit)
    relay.mend()

    for status, headers, body in (listed, sent):
        assert status == 503
        assert headers["Content-Type"] == "application/json"
        assert int(headers["Retry-After"]) > 0
        assert json.loads(body)["code"] == "unavailable"
        assert UNAVAILABLE in json.loads(body)["detail"]
    assert not Inspection.objects.exists()
    assert get(port, "/api/v1/inspections/", post, method="POST", body=visit)[0] == 201


def test_a_server_whose_database_port_refuses_answers_pages_and_the_api_with_503():
    process, port = start_gunicorn(f"postgres://postgres@127.0.0.1:{free_port()}/nowhere", **OUTAGE_SERVER)
    try:
        page = get(port, "/households/", {"Cookie": "sessionid=" + "a" * 32})
        api = get(port, "/api/v1/households/", {"Authorization": "Token " + "b" * 40})
    finally:
        stop(process)

    assert (page[0], api[0]) == (503, 503)
    assert UNAVAILABLE in page[2]
    assert json.loads(api[2])["code"] == "unavailable"


@pytest.fixture
def unwritable_media(settings, tmp_path):
    """Photo storage that cannot be written: its directory would have to be made inside a file."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker / "media"


@pytest.mark.django_db
def test_a_photo_that_storage_cannot_write_is_a_503_json_and_the_visit_is_not_recorded(
    people, wulibao_household, jpeg, unwritable_media
):
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(people["wulibao_inspector"])

    response = api.post(
        "/api/v1/inspections/",
        {"household": wulibao_household.pk, "kind": "survey", "outcome": "no_coal", "photos": [jpeg()]},
        format="multipart",
    )

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "unavailable"
    assert not Inspection.objects.exists() and not Photo.objects.exists()


@pytest.mark.django_db
def test_a_photo_that_storage_cannot_write_on_a_page_is_a_chinese_503_page(
    people, wulibao_household, jpeg, unwritable_media
):
    browser = Client(raise_request_exception=False)
    browser.force_login(people["wulibao_inspector"])

    response = browser.post(
        f"/fieldwork/inspections/new/?household={wulibao_household.pk}",
        {
            "household": wulibao_household.pk,
            "kind": "survey",
            "outcome": "no_coal",
            "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "photos": [jpeg()],
            "seizures-TOTAL_FORMS": "0",
            "seizures-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 503
    assert UNAVAILABLE in response.content.decode()
    assert not Inspection.objects.exists()


def fail_with(exception: Exception, path: str):
    """What handler500 answers for a request to `path` that failed with `exception` (Django calls it in the
    `except` that caught the error)."""
    try:
        raise exception
    except Exception:  # noqa: BLE001 - any error: the handler is what is tested
        return server_error(RequestFactory().get(path))


def test_any_other_api_failure_is_a_json_500_without_retry_after():
    response = fail_with(ZeroDivisionError("a bug"), "/api/v1/households/")

    assert response.status_code == 500
    assert "Retry-After" not in response
    assert json.loads(response.content) == {"code": "server_error", "detail": "服务器出错了，错误已记录，请稍后再试。"}


def test_the_500_page_renders_in_the_layout_without_the_database_the_session_or_the_user():
    # No django_db mark: a query, a session read or a user lookup here would fail the render.
    response = fail_with(ZeroDivisionError("a bug"), "/households/")
    html = response.content.decode()

    assert response.status_code == 500
    assert 'data-testid="error-page"' in html and 'class="navbar-brand"' in html
    assert "服务器出错了" in html


@pytest.mark.django_db
def test_a_record_outside_ones_jurisdiction_gets_the_chinese_404_page(client_as, wulibao_household):
    response = client_as("huaihelu_inspector").get(wulibao_household.get_absolute_url())

    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
    assert 'data-testid="user-menu"' in response.content.decode()  # signed in: the menu is there


@pytest.mark.django_db
def test_a_page_ones_role_does_not_allow_gets_the_chinese_403_page(client_as):
    response = client_as("wulibao_inspector").get("/audit/")

    assert response.status_code == 403
    assert "无权操作" in response.content.decode()


def test_a_request_with_too_many_fields_gets_the_chinese_400_page():
    response = Client(raise_request_exception=False).post("/login/", {f"f{n}": "x" for n in range(1100)})

    assert response.status_code == 400
    assert "请求有误" in response.content.decode()


def test_a_form_sent_without_its_csrf_token_gets_a_chinese_page():
    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    assert "表单已过期" in response.content.decode()


@pytest.mark.django_db
def test_the_site_has_a_favicon_linked_from_every_page_and_at_favicon_ico(client):
    page = client.get("/login/").content.decode()
    icon = client.get("/favicon.ico", follow=True)

    assert 'rel="icon"' in page and "favicon.svg" in page
    assert icon.status_code == 200
    assert icon["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert client.get("/static/favicon.svg")["Content-Type"].startswith("image/svg+xml")


@pytest.mark.parametrize("path", ["/", "/households/"])
def test_a_page_asked_for_under_another_host_name_is_a_400_page_not_a_server_error(db, settings, path):
    """A request whose Host is not ours is refused before the session and the user are read (SecurityMiddleware):
    the 400 page's layout asked for the user, failed, and the fallback 500 said the server had gone wrong."""
    settings.DEBUG, settings.ALLOWED_HOSTS = False, ["127.0.0.1", "localhost"]
    response = Client(raise_request_exception=False).get(path, HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert "请求有误" in response.content.decode()
