"""An upload cut off mid-way (the phone lost its signal) is refused whole; the phone's resend stores all of it.

The cut-off requests are sent over a raw socket to a real server — pytest-django's live server, and gunicorn
as deployed — declaring the full Content-Length and closing the write side in the middle of a photo, as a
phone does when the signal drops. A request whose declared `photo_count` / `seizure_count` differ from
what arrived is refused the same way.
"""

import datetime
import json
import socket
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from django.db import connection
from django.middleware.csrf import _get_new_csrf_string
from django.utils import timezone
from knox.models import AuthToken

from cases.models import Case, SupervisionNotice
from cases.services import ProblemInput, case_start, notice_record
from households.models import Household
from inspections.models import Ban, DailyRollup, Inspection, Photo, Publicity, Seizure, WeeklyRollup
from tests.servers import database_url, start_gunicorn, stop

pytestmark = pytest.mark.usefixtures("transactional_db")

REFUSAL = "上传不完整"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Photo files go to a directory of this test's own, so "no file left behind" can be checked."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- A raw HTTP client -----------------------------------------------------------------------------


def multipart(fields, files=()):
    """(content type, body) of a multipart form: fields [(name, value)], files [(name, filename, bytes[, type])]."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data, *kind in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {kind[0] if kind else 'image/jpeg'}\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


class Answer:
    def __init__(self, raw: bytes):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        self.status = int(head.split()[1]) if head.startswith(b"HTTP/") else None
        self.text = self.body.decode("utf-8", "replace")


def raw_post(address, path, content_type, body, *, headers=None, cut_at=None) -> Answer:
    """POST declaring the whole body's length; with cut_at, send only that many bytes and close the write side.

    The answer, or status None when the server closed the connection without one.
    """
    host, port = address
    headers = {"Accept": "application/json", **(headers or {})}
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        sock.sendall(body if cut_at is None else body[:cut_at])
        if cut_at is not None:
            sock.shutdown(socket.SHUT_WR)
        return read_answer(sock)


def read_answer(sock) -> Answer:
    """Everything the server sends until it closes (or resets) the connection."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return Answer(received)


def cut_in_photo(body: bytes, photo: bytes) -> int:
    """A position in the middle of the photo's bytes."""
    return body.index(photo) + len(photo) // 2


# --- Servers ---------------------------------------------------------------------------------------


@pytest.fixture
def gunicorn_server(transactional_db, media):
    """gunicorn serving the project on the test database, as docker-compose.yml runs it: (host, port)."""
    if connection.vendor != "postgresql":
        pytest.skip("a gunicorn process cannot reach SQLite's in-memory test database")
    process, port = start_gunicorn(database_url(connection.settings_dict), MEDIA_ROOT=str(media), DB_CONN_MAX_AGE="0")
    yield ("127.0.0.1", port)
    stop(process)


@pytest.fixture
def live_address(live_server):
    host, port = live_server.url.removeprefix("http://").split(":")
    return host, int(port)


@pytest.fixture
def token_of(people):
    return lambda username: {"Authorization": f"Token {AuthToken.objects.create(user=people[username])[1]}"}


def rollups():
    return (
        sorted(DailyRollup.objects.values_list("code", "day", "inspections")),
        sorted(WeeklyRollup.objects.values_list("code", "week", "inspections")),
    )


def assert_refused(answer):
    # The server may answer 400 or, having seen the client leave, close without a word; never a success.
    assert answer.status is None or 400 <= answer.status < 500, answer.text
    if answer.status is not None:
        assert answer.status == 400, answer.text
        assert '"code":"incomplete_upload"' in answer.text.replace(" ", ""), answer.text


# --- Visits from the phone -------------------------------------------------------------------------


def visit_form(household, client_uuid, jpeg, *, counts=True):
    photos = [jpeg("a.jpg", size=(640, 480)).read(), jpeg("b.jpg", size=(640, 480), colour=(10, 90, 200)).read()]
    fields = [
        ("client_uuid", client_uuid),
        ("household", household.pk),
        ("kind", "night_check"),
        ("outcome", "loose_coal"),
        ("notes", "楼道堆煤"),
    ]
    if counts:
        fields += [("photo_count", "2"), ("seizure_count", "1")]
    # The phone appends `seizures` after the fields and before the photos: a cut in the second photo
    # loses it and anything after; a cut in the first loses the seizures' companion fields too.
    files = [("photos", "a.jpg", photos[0]), ("photos", "b.jpg", photos[1])]
    fields.append(("seizures", '[{"item": "briquette", "quantity": "50", "method": "confiscated"}]'))
    content_type, body = multipart(fields, files)
    return content_type, body, photos


@pytest.mark.parametrize("server", ["live_address", "gunicorn_server"])
def test_a_visit_cut_off_mid_photo_stores_nothing_and_the_resend_stores_it_whole(
    request, server, wulibao_household, jpeg, token_of, media
):
    address = request.getfixturevalue(server)
    client_uuid = str(uuid.uuid4())
    # Without photo_count / seizure_count, as older phones send it: the body's length alone must tell.
    content_type, body, photos = visit_form(wulibao_household, client_uuid, jpeg, counts=False)
    auth = token_of("wulibao_inspector")
    before = rollups()

    cut = raw_post(
        address, "/api/v1/inspections/", content_type, body, headers=auth, cut_at=cut_in_photo(body, photos[1])
    )

    assert_refused(cut)
    assert not Inspection.objects.exists()
    assert not Photo.objects.exists()
    assert stored_files(media) == []
    assert rollups() == before

    resent = raw_post(address, "/api/v1/inspections/", content_type, body, headers=auth)

    assert resent.status == 201, resent.text
    visit = Inspection.objects.get(client_uuid=client_uuid)
    assert visit.photos.count() == 2
    assert list(Seizure.objects.filter(inspection=visit).values_list("item", flat=True)) == ["briquette"]
    assert rollups() != before


def test_a_visit_cut_off_answers_the_phone_with_the_code_it_resends_on(live_address, wulibao_household, jpeg, token_of):
    content_type, body, photos = visit_form(wulibao_household, str(uuid.uuid4()), jpeg, counts=False)

    cut = raw_post(
        live_address,
        "/api/v1/inspections/",
        content_type,
        body,
        headers=token_of("wulibao_inspector"),
        cut_at=cut_in_photo(body, photos[0]),
    )

    # Under the test server the answer does arrive (the client only closed its write side).
    assert cut.status == 400
    answer = json.loads(cut.body)
    assert answer["code"] == "incomplete_upload"
    assert REFUSAL in answer["detail"] and "请重新发送" in answer["detail"]
    assert not Inspection.objects.exists()


def test_a_body_that_ends_before_its_closing_boundary_is_refused(live_address, wulibao_household, jpeg, token_of):
    """Its length is right (a proxy may pass on what it got), but the multipart body stops inside a photo."""
    content_type, body, photos = visit_form(wulibao_household, str(uuid.uuid4()), jpeg, counts=False)
    short = body[: cut_in_photo(body, photos[1])]

    answer = raw_post(live_address, "/api/v1/inspections/", content_type, short, headers=token_of("wulibao_inspector"))

    assert answer.status == 400, answer.text
    assert '"code":"incomplete_upload"' in answer.text.replace(" ", "")
    assert not Inspection.objects.exists()
    assert not Photo.objects.exists()


# --- Every endpoint that takes files -----------------------------------------------------------------


@pytest.fixture
def rectifying_case(people, erqi, wulibao_community):
    """A case of the worker's community, being rectified: the next step takes evidence photos."""
    notice = notice_record(
        actor=people["qu_admin"],
        division=erqi,
        number="督查〔2017〕1号",
        issued_on=datetime.date(2017, 1, 5),
        level=SupervisionNotice.Level.SUPERVISION_GROUP,
        title="散煤治理督导通报",
        problems=[ProblemInput(responsible_unit=wulibao_community, title="楼道堆放散煤")],
    )
    case = Case.objects.get(notice=notice)
    return case_start(actor=people["wulibao_worker"], case=case, note="开始整改")


@pytest.fixture
def uploads(wulibao_community, household_in, rectifying_case):
    """For each endpoint that takes photos: (path, the user who sends, the fields, how to find what was stored)."""
    sale_point = household_in(wulibao_community, kind="coal_sale_point", address="京广路散煤点")
    case = rectifying_case
    return {
        "bans": (
            "/api/v1/bans/",
            "wulibao_inspector",
            [("household", sale_point.pk), ("kind", "sale_point"), ("client_uuid", str(uuid.uuid4()))],
            lambda: list(Ban.objects.all()),
        ),
        "publicity": (
            "/api/v1/publicity/",
            "wulibao_worker",
            [("division", wulibao_community.code), ("kind", "banner"), ("count", "4"), ("client_uuid", uuid.uuid4())],
            lambda: list(Publicity.objects.all()),
        ),
        "case rectification": (
            f"/api/v1/cases/{case.pk}/rectify/",
            "wulibao_worker",
            [("note", "已清理楼道散煤")],
            lambda: list(Case.objects.filter(status=Case.Status.RECTIFIED)),
        ),
    }


ENDPOINTS = ["bans", "publicity", "case rectification"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_ban_publicity_or_rectification_cut_off_mid_photo_stores_nothing_and_the_resend_stores_it(
    live_address, uploads, endpoint, jpeg, token_of, media
):
    path, username, fields, stored = uploads[endpoint]
    photos = [jpeg("a.jpg", size=(640, 480)).read(), jpeg("b.jpg", size=(640, 480), colour=(0, 0, 0)).read()]
    content_type, body = multipart(fields, [("photos", "a.jpg", photos[0]), ("photos", "b.jpg", photos[1])])

    cut = raw_post(
        live_address, path, content_type, body, headers=token_of(username), cut_at=cut_in_photo(body, photos[1])
    )

    assert_refused(cut)
    assert stored() == []
    assert not Photo.objects.exists()
    assert stored_files(media) == []

    resent = raw_post(live_address, path, content_type, body, headers=token_of(username))

    assert resent.status in (200, 201), resent.text
    assert len(stored()) == 1
    assert Photo.objects.count() == 2


# --- Declared counts -------------------------------------------------------------------------------


def assert_incomplete(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "incomplete_upload"
    assert "请重新发送" in body["detail"]


def counted_visit(household, jpeg, *, photos: int, seizures: int, **declared) -> dict:
    """A visit's multipart fields with `photos` photos, `seizures` seizure rows and the counts `declared`."""
    return {
        "client_uuid": str(uuid.uuid4()),
        "household": household.pk,
        "kind": "night_check",
        "outcome": "loose_coal",
        "seizures": json.dumps([{"item": "briquette", "quantity": "50", "method": "confiscated"}][:seizures]),
        "photos": [jpeg(f"{i}.jpg") for i in range(photos)],
        **declared,
    }


@pytest.mark.parametrize(
    ("declared", "photos", "seizures"),
    [
        ({"photo_count": 2}, 1, 1),
        ({"photo_count": 1}, 0, 1),
        ({"seizure_count": 2}, 1, 1),
        ({"seizure_count": 1}, 1, 0),
    ],
)
def test_a_visit_whose_declared_photos_or_seizures_did_not_all_arrive_is_refused(
    api_as, wulibao_household, jpeg, declared, photos, seizures
):
    payload = counted_visit(wulibao_household, jpeg, photos=photos, seizures=seizures, **declared)

    response = api_as("wulibao_inspector").post("/api/v1/inspections/", payload, format="multipart")

    assert_incomplete(response)
    assert not Inspection.objects.exists()
    assert not Photo.objects.exists()


@pytest.mark.parametrize("part", ["photo", "file", "photos[]"])
def test_photos_under_another_parts_name_are_named_as_the_clients_mistake_not_a_cut(
    api_as, wulibao_household, jpeg, part
):
    # A script that names its part "photo" was told its upload was cut, and sent it again and again.
    payload = counted_visit(wulibao_household, jpeg, photos=0, seizures=1, photo_count=1)
    payload[part] = jpeg("door.jpg")

    response = api_as("wulibao_inspector").post("/api/v1/inspections/", payload, format="multipart")

    assert response.status_code == 400, response.content
    assert response.json() == {
        "photo_count": [f"照片须放在名为 photos 的部分中上传；收到的文件在名为 {part} 的部分中。"]
    }
    assert not Inspection.objects.exists()
    assert not Photo.objects.exists()


def test_photos_under_another_parts_name_without_a_count_are_refused_not_dropped(api_as, wulibao_household, jpeg):
    """Without photo_count, a photo under part "photo" was stored as a visit without photos (201), silently."""
    payload = counted_visit(wulibao_household, jpeg, photos=0, seizures=1)
    payload["photo"] = jpeg("door.jpg")

    response = api_as("wulibao_inspector").post("/api/v1/inspections/", payload, format="multipart")

    assert response.status_code == 400, response.content
    assert response.json() == {"photos": ["照片须放在名为 photos 的部分中上传；收到的文件在名为 photo 的部分中。"]}
    assert not Inspection.objects.exists()


@pytest.mark.parametrize(
    ("declared", "photos", "seizures", "field"),
    [
        ({"photo_count": 0}, 1, 1, "photo_count"),
        ({"photo_count": 1}, 2, 1, "photo_count"),
        ({"seizure_count": 0}, 0, 1, "seizure_count"),
    ],
)
def test_more_parts_than_declared_is_the_clients_mistake_shown_not_retried(
    api_as, wulibao_household, jpeg, declared, photos, seizures, field
):
    # A cut can only lose parts: more than declared is a client's bug, which sending again would repeat.
    # The phone retries only "incomplete_upload"; a field error it shows to the inspector.
    payload = counted_visit(wulibao_household, jpeg, photos=photos, seizures=seizures, **declared)

    response = api_as("wulibao_inspector").post("/api/v1/inspections/", payload, format="multipart")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body.get("code") != "incomplete_upload"
    assert list(body) == [field]
    assert "数量不符" in body[field][0]
    assert not Inspection.objects.exists()
    assert not Photo.objects.exists()


def test_counts_in_a_json_body_are_checked_as_the_clients_mistake_not_a_cut(api_as, wulibao_household):
    # A JSON body arrives whole or is refused by the body check; it cannot carry photos at all.
    payload = {
        "client_uuid": str(uuid.uuid4()),
        "household": wulibao_household.pk,
        "kind": "night_check",
        "outcome": "loose_coal",
        "seizures": [{"item": "briquette", "quantity": "50", "method": "confiscated"}],
        "photo_count": 2,
        "seizure_count": 2,
    }

    response = api_as("wulibao_inspector").post("/api/v1/inspections/", payload, format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body.get("code") != "incomplete_upload"
    assert set(body) == {"photo_count", "seizure_count"}
    assert "multipart/form-data" in body["photo_count"][0]
    assert not Inspection.objects.exists()

    matching = {**payload, "photo_count": 0, "seizure_count": 1}
    assert api_as("wulibao_inspector").post("/api/v1/inspections/", matching, format="json").status_code == 201


def test_a_photo_count_in_a_form_encoded_body_is_the_clients_mistake_not_a_cut(api_as, wulibao_household):
    body = urlencode(
        {
            "client_uuid": str(uuid.uuid4()),
            "household": wulibao_household.pk,
            "kind": "night_check",
            "outcome": "no_coal",
            "photo_count": 1,
        }
    )

    response = api_as("wulibao_inspector").post(
        "/api/v1/inspections/", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400, response.content
    assert response.json().get("code") != "incomplete_upload"
    assert "multipart/form-data" in response.json()["photo_count"][0]
    assert not Inspection.objects.exists()


def test_a_visit_whose_declared_counts_match_is_stored_whole(api_as, wulibao_household, jpeg):
    payload = {
        "client_uuid": str(uuid.uuid4()),
        "household": wulibao_household.pk,
        "kind": "night_check",
        "outcome": "loose_coal",
        "seizures": json.dumps([{"item": "briquette", "quantity": "50", "method": "confiscated"}]),
        "photos": [jpeg("a.jpg"), jpeg("b.jpg")],
        "photo_count": 2,
        "seizure_count": 1,
    }

    response = api_as("wulibao_inspector").post("/api/v1/inspections/", payload, format="multipart")

    assert response.status_code == 201, response.json()
    assert len(response.json()["photos"]) == 2
    assert len(response.json()["seizures"]) == 1
    assert "photo_count" not in response.json()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_ban_publicity_or_rectification_missing_a_declared_photo_is_refused(api_as, uploads, endpoint, jpeg):
    path, username, fields, stored = uploads[endpoint]
    payload = {name: str(value) for name, value in fields}

    response = api_as(username).post(path, {**payload, "photos": [jpeg()], "photo_count": 2}, format="multipart")

    assert_incomplete(response)
    assert stored() == []
    assert not Photo.objects.exists()


# --- The HTML forms that take files ----------------------------------------------------------------


@pytest.fixture
def signed_in(client, people):
    """Headers of a browser session signed in as a story user, with its CSRF token, for raw requests."""

    def headers(username):
        client.force_login(people[username])
        token = _get_new_csrf_string()
        return {
            "Cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={token}",
            "X-CSRFToken": token,
            "Accept": "text/html",
        }

    return headers


def form_fields(data: dict):
    return [(name, v) for name, value in data.items() for v in (value if isinstance(value, list) else [value])]


@pytest.fixture
def forms(wulibao_household, wulibao_community, household_in, rectifying_case, visit_post):
    """For each page form that takes photos: (path, user, fields, the photos' field name, what was stored)."""
    sale_point = household_in(wulibao_community, kind="coal_sale_point", address="京广路散煤点")
    banned_at = timezone.localtime() - datetime.timedelta(hours=2)
    return {
        "visit": (
            "/fieldwork/inspections/new/",
            "wulibao_inspector",
            form_fields(visit_post(wulibao_household, seizures=[("briquette", "50", "confiscated")])),
            "photos",
            lambda: list(Inspection.objects.all()),
        ),
        "ban": (
            "/fieldwork/bans/new/",
            "wulibao_inspector",
            [
                ("household", sale_point.pk),
                ("kind", "sale_point"),
                ("banned_at", banned_at.strftime("%Y-%m-%dT%H:%M")),
                ("officers", "工商所 王所长"),
                ("client_uuid", uuid.uuid4()),
            ],
            "photos",
            lambda: list(Ban.objects.all()),
        ),
        "publicity": (
            "/fieldwork/publicity/new/",
            "wulibao_worker",
            [
                ("division", wulibao_community.pk),
                ("date", timezone.localdate().isoformat()),
                ("kind", "banner"),
                ("count", "12"),
                ("place", "五里堡街道办门口"),
                ("client_uuid", uuid.uuid4()),
            ],
            "photos",
            lambda: list(Publicity.objects.all()),
        ),
        "case rectification": (
            f"/cases/{rectifying_case.pk}/",
            "wulibao_worker",
            [("step", "rectify"), ("rectify-note", "已清理楼道散煤")],
            "rectify-photos",
            lambda: list(Case.objects.filter(status=Case.Status.RECTIFIED)),
        ),
    }


@pytest.mark.parametrize("form", ["visit", "ban", "publicity", "case rectification"])
def test_a_page_form_cut_off_mid_photo_stores_nothing_and_says_so_in_chinese(
    live_address, forms, form, signed_in, jpeg, media
):
    path, username, fields, photo_field, stored = forms[form]
    photo = jpeg("a.jpg", size=(640, 480)).read()
    content_type, body = multipart(fields, [(photo_field, "a.jpg", photo)])
    headers = signed_in(username)

    cut = raw_post(live_address, path, content_type, body, headers=headers, cut_at=cut_in_photo(body, photo))

    assert cut.status is None or cut.status == 400, cut.text
    if cut.status is not None:
        assert REFUSAL in cut.text
    assert stored() == []
    assert not Photo.objects.exists()
    assert stored_files(media) == []

    resent = raw_post(live_address, path, content_type, body, headers=headers)

    assert resent.status == 302, resent.text
    assert len(stored()) == 1
    assert Photo.objects.count() == 1


def test_a_household_import_cut_off_mid_file_registers_nothing_and_the_resend_registers_every_row(
    live_address, signed_in, wulibao_community
):
    rows = "".join(f"{wulibao_community.code},铁路新村,{n // 20 + 1},{n % 20 + 101}\n" for n in range(200))
    sheet = ("社区代码,小区,楼栋,房号\n" + rows).encode()
    content_type, body = multipart([], [("file", "households.csv", sheet, "text/csv")])
    headers = signed_in("wulibao_admin")

    cut = raw_post(
        live_address, "/households/import/", content_type, body, headers=headers, cut_at=body.index(sheet) + 2000
    )

    assert cut.status is None or cut.status == 400, cut.text
    assert not Household.objects.exists()

    resent = raw_post(live_address, "/households/import/", content_type, body, headers=headers)

    assert resent.status == 302, resent.text
    assert Household.objects.count() == 200


# --- The schema ------------------------------------------------------------------------------------


def test_the_api_schema_documents_the_declared_counts_of_every_endpoint_that_takes_photos(api_as):
    schema = yaml.safe_load(api_as("wulibao_inspector").get("/api/v1/schema/").content)

    def request_fields(path):
        body = schema["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
        return schema["components"]["schemas"][body.rsplit("/", 1)[1]]["properties"]

    assert {"photo_count", "seizure_count"} <= set(request_fields("/api/v1/inspections/"))
    for path in ("/api/v1/bans/", "/api/v1/publicity/", "/api/v1/cases/{id}/rectify/"):
        fields = request_fields(path)
        assert "incomplete_upload" in fields["photo_count"]["description"], path


def chunked_post(address, path, content_type, body, *, headers) -> Answer:
    """POST with Transfer-Encoding: chunked and no Content-Length, as some HTTP libraries stream a file."""
    host, port = address
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        f"Content-Type: {content_type}",
        "Transfer-Encoding: chunked",
        "Connection: close",
        "Accept: application/json",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:1000], body[1000:]) if part)
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + chunks + b"0\r\n\r\n")
        return read_answer(sock)


@pytest.mark.parametrize("server", ["live_address", "gunicorn_server"])
def test_a_chunked_visit_without_a_length_is_refused_not_stored_empty(
    request, server, wulibao_household, jpeg, token_of
):
    # Django reads a body by its Content-Length: a chunked body once arrived as an empty form (400 "required"
    # on every field at best). Without a proxy to buffer it, the server asks for the length and stores nothing.
    address = request.getfixturevalue(server)
    content_type, body, _photos = visit_form(wulibao_household, str(uuid.uuid4()), jpeg)

    answer = chunked_post(address, "/api/v1/inspections/", content_type, body, headers=token_of("wulibao_inspector"))

    assert answer.status == 411, answer.text
    assert '"code":"length_required"' in answer.text.replace(" ", "")
    assert "Content-Length" in answer.text
    assert not Inspection.objects.exists()
