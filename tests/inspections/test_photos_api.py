"""Photos sent with a visit, a ban or publicity: checked before anything is written, oriented, served in scope."""

import datetime
import io
import os
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from households.models import Household
from inspections.models import Ban, Inspection, Photo, Publicity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Each test stores its photos apart, and they go when it ends."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def submissions(wulibao_community, household_in):
    """A multipart submission that takes photos, for each endpoint that takes them."""
    home = household_in(wulibao_community).pk
    sale_point = household_in(wulibao_community, kind="coal_sale_point", address="京广路散煤点").pk
    return {
        "inspections": (Inspection, {"household": home, "kind": "night_check", "outcome": "loose_coal"}),
        "bans": (Ban, {"household": sale_point, "kind": "sale_point"}),
        "publicity": (Publicity, {"division": wulibao_community.code, "kind": "banner", "count": 4}),
    }


WITH_PHOTOS = ["inspections", "bans", "publicity"]


def send(api, endpoint, payload, photos):
    return api.post(f"/api/v1/{endpoint}/", {**payload, "photos": photos}, format="multipart")


def assert_refused_whole(response, model):
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["photos"]
    assert not model.objects.exists()
    assert not Photo.objects.exists()


@pytest.mark.parametrize("endpoint", WITH_PHOTOS)
def test_a_record_with_two_photos_stores_both_in_its_jurisdiction(api_as, submissions, jpeg, endpoint):
    model, payload = submissions[endpoint]

    response = send(api_as("wulibao_inspector"), endpoint, payload, [jpeg("a.jpg"), jpeg("b.jpg")])

    assert response.status_code == 201, response.json()
    record = model.objects.get()
    assert [p["id"] for p in response.json()["photos"]] == list(record.photos.values_list("pk", flat=True))
    assert {p.division_code for p in Photo.objects.all()} == {record.division_code}


@pytest.mark.parametrize("endpoint", WITH_PHOTOS)
def test_a_text_file_named_jpg_refuses_the_whole_submission(api_as, submissions, jpeg, endpoint):
    model, payload = submissions[endpoint]
    fake = SimpleUploadedFile("photo.jpg", b"GIF89a? not a photo at all", content_type="image/jpeg")

    response = send(api_as("wulibao_inspector"), endpoint, payload, [jpeg(), fake])

    assert_refused_whole(response, model)


@pytest.mark.parametrize("endpoint", WITH_PHOTOS)
def test_a_photo_over_the_size_limit_refuses_the_whole_submission(api_as, submissions, jpeg, endpoint):
    model, payload = submissions[endpoint]
    photo = jpeg()

    with override_settings(PHOTO_MAX_BYTES=photo.size - 1):
        response = send(api_as("wulibao_inspector"), endpoint, payload, [photo])

    assert_refused_whole(response, model)


def test_a_photo_of_exactly_the_size_limit_is_accepted(api_as, submissions, jpeg):
    _model, payload = submissions["inspections"]
    photo = jpeg()

    with override_settings(PHOTO_MAX_BYTES=photo.size):
        response = send(api_as("wulibao_inspector"), "inspections", payload, [photo])

    assert response.status_code == 201
    assert Photo.objects.count() == 1


def test_a_real_30_mb_file_is_refused_under_the_default_limit(api_as, submissions, tmp_path, settings):
    assert settings.PHOTO_MAX_BYTES < 30 * 1024 * 1024
    big = tmp_path / "IMG_0001.jpg"
    big.write_bytes(os.urandom(30 * 1024 * 1024))
    model, payload = submissions["inspections"]

    with big.open("rb") as upload:
        response = send(api_as("wulibao_inspector"), "inspections", payload, [upload])

    assert_refused_whole(response, model)
    assert "MB" in response.json()["photos"][0]


def test_a_refused_photo_does_not_use_up_the_client_uuid(api_as, submissions, jpeg):
    """The phone fixes the photo and sends the same submission again: it is recorded then."""
    model, payload = submissions["inspections"]
    payload = {**payload, "client_uuid": str(uuid.uuid4())}
    fake = SimpleUploadedFile("photo.jpg", b"not a photo", content_type="image/jpeg")
    api = api_as("wulibao_inspector")

    refused = send(api, "inspections", payload, [fake])
    accepted = send(api, "inspections", payload, [jpeg()])

    assert (refused.status_code, accepted.status_code) == (400, 201)
    assert model.objects.count() == 1


def test_a_photo_taken_sideways_is_stored_upright(api_as, submissions, jpeg):
    """EXIF orientation 6: the camera's pixels are 64 wide and 48 high, the scene is 48 wide and 64 high."""
    _model, payload = submissions["inspections"]

    response = send(api_as("wulibao_inspector"), "inspections", payload, [jpeg(size=(64, 48), orientation=6)])

    assert response.status_code == 201
    photo = Photo.objects.get()
    assert (photo.width, photo.height) == (48, 64)
    assert (response.json()["photos"][0]["width"], response.json()["photos"][0]["height"]) == (48, 64)
    with Image.open(photo.image.path) as stored:
        assert stored.size == (48, 64)
        assert stored.getexif().get(0x0112) is None  # nothing left to rotate it a second time


def test_a_photo_taken_upright_keeps_its_shape(api_as, submissions, jpeg):
    _model, payload = submissions["inspections"]

    send(api_as("wulibao_inspector"), "inspections", payload, [jpeg(size=(64, 48))])

    photo = Photo.objects.get()
    assert (photo.width, photo.height) == (64, 48)


def test_the_position_a_phone_wrote_into_the_photo_is_kept(api_as, submissions, jpeg):
    _model, payload = submissions["inspections"]
    photo = jpeg(gps=((34, 45, 9), "N", (113, 38, 30), "E"))

    response = send(api_as("wulibao_inspector"), "inspections", payload, [photo])

    assert response.status_code == 201
    assert (response.json()["photos"][0]["taken_latitude"], response.json()["photos"][0]["taken_longitude"]) == (
        "34.752500",
        "113.641667",
    )


@pytest.mark.parametrize(
    "gps",
    [((3000, 0, 0), "N", (113, 0, 0), "E"), ((34, 0, 0), "N", (9999, 0, 0), "W")],
)
def test_a_position_that_cannot_be_on_earth_is_dropped_and_the_photo_kept(api_as, submissions, jpeg, gps):
    _model, payload = submissions["inspections"]

    response = send(api_as("wulibao_inspector"), "inspections", payload, [jpeg(gps=gps)])

    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    assert (photo.taken_latitude, photo.taken_longitude) == (None, None)


# --- Serving photos -----------------------------------------------------------------------------------


@pytest.fixture
def photo_urls(api_as, submissions, jpeg):
    """The photo and thumbnail addresses of a 五里堡 visit, ban and publicity, as the API gives them."""
    urls = []
    for endpoint in WITH_PHOTOS:
        _model, payload = submissions[endpoint]
        response = send(api_as("wulibao_inspector"), endpoint, payload, [jpeg()])
        photo = response.json()["photos"][0]
        urls += [photo["url"], photo["thumbnail_url"]]
    return urls


@pytest.mark.parametrize("username", ["qu_admin", "qu_leader", "wulibao_admin", "wulibao_inspector", "wulibao_worker"])
def test_a_photo_is_served_as_a_jpeg_to_those_in_its_jurisdiction(client_as, photo_urls, username):
    client = client_as(username)

    for url in photo_urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


@pytest.mark.parametrize("username", ["huaihelu_inspector", "nobody"])
def test_a_photo_is_not_found_for_those_outside_its_jurisdiction(client_as, photo_urls, username):
    client = client_as(username)

    assert [client.get(url).status_code for url in photo_urls] == [404] * len(photo_urls)


def test_an_anonymous_visitor_is_sent_to_sign_in_for_a_photo(client, photo_urls):
    assert {client.get(url).status_code for url in photo_urls} == {302}


def test_a_script_with_a_token_fetches_the_photos_the_api_points_to(photo_urls, people):
    from knox.models import AuthToken

    def fetch(username, token=None):
        token = token or AuthToken.objects.create(user=people[username])[1]
        return [Client(HTTP_AUTHORIZATION=f"Token {token}").get(url) for url in photo_urls]

    assert {(r.status_code, r["Content-Type"]) for r in fetch("wulibao_inspector")} == {(200, "image/jpeg")}
    assert {r.status_code for r in fetch("huaihelu_inspector")} == {404}
    refused = fetch("wulibao_inspector", token="0" * 64)
    assert {(r.status_code, r.json()["code"]) for r in refused} == {(401, "authentication_failed")}
    # A token past its lifetime says so, as in the API.
    _, expired = AuthToken.objects.create(user=people["wulibao_inspector"], expiry=datetime.timedelta(seconds=-1))
    assert {(r.status_code, r.json()["code"]) for r in fetch("wulibao_inspector", expired)} == {(401, "token_expired")}


def _with_comment_and_exif(name="photo.jpg") -> SimpleUploadedFile:
    """A phone photo carrying a JPEG comment with PHP in it, and EXIF: maker, capture time, GPS position."""
    exif = Image.Exif()
    exif[0x010F] = "ShadyPhone"  # Make
    exif[0x8769] = {0x9003: "2026:11:30 09:15:00", 0x9011: "+08:00"}  # DateTimeOriginal, OffsetTimeOriginal
    exif[0x8825] = {1: "N", 2: (IFDRational(34), IFDRational(45), IFDRational(9)), 3: "E", 4: (113, 38, 30)}
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 90, 200)).save(
        out, "JPEG", exif=exif, comment=b"<?php system($_GET['c']); ?>", icc_profile=b"\x00" * 128
    )
    assert b"<?php" in out.getvalue() and b"ShadyPhone" in out.getvalue()
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def test_a_photo_with_a_comment_and_exif_comes_back_without_them(api_as, client_as, submissions):
    _model, payload = submissions["inspections"]

    response = send(api_as("wulibao_inspector"), "inspections", payload, [_with_comment_and_exif()])

    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    client = client_as("wulibao_inspector")
    for url in (photo.get_absolute_url(), photo.thumbnail_url):
        served = b"".join(client.get(url).streaming_content)
        assert b"<?php" not in served and b"ShadyPhone" not in served and b"Exif" not in served, url
        with Image.open(io.BytesIO(served)) as image:
            assert "comment" not in image.info and "exif" not in image.info and "icc_profile" not in image.info
            assert not image.getexif()
            assert image.getpixel((10, 10)) == pytest.approx((90, 90, 200), abs=4)
    # What was worth keeping is on the record instead.
    assert (photo.taken_latitude, photo.taken_longitude) == (Decimal("34.752500"), Decimal("113.641667"))
    assert photo.taken_at == datetime.datetime(2026, 11, 30, 1, 15, tzinfo=datetime.UTC)


@pytest.mark.parametrize("written", ["0000:00:00 00:00:00", "1980:01:01 00:00:00", "2999:01:01 00:00:00", "垃圾"])
def test_a_capture_time_from_a_clock_never_set_is_dropped_and_the_photo_kept(api_as, submissions, written):
    _model, payload = submissions["inspections"]
    exif = Image.Exif()
    exif[0x8769] = {0x9003: written}
    out = io.BytesIO()
    Image.new("RGB", (64, 48)).save(out, "JPEG", exif=exif)

    response = send(api_as("wulibao_inspector"), "inspections", payload, [SimpleUploadedFile("p.jpg", out.getvalue())])

    assert response.status_code == 201, response.content
    assert Photo.objects.get().taken_at is None


def _files(media) -> list:
    return sorted(path for path in media.rglob("*") if path.is_file())


@pytest.mark.parametrize("endpoint", WITH_PHOTOS)
def test_a_resent_submission_stores_its_photos_once(api_as, submissions, jpeg, media, endpoint):
    """An outside tester's phone resent a visit with a photo: each 200 left two more files that no row named."""
    _model, payload = submissions[endpoint]
    payload = {**payload, "client_uuid": str(uuid.uuid4())}
    api = api_as("wulibao_inspector")

    first = send(api, endpoint, payload, [jpeg()])
    stored = _files(media)
    assert first.status_code == 201 and len(stored) == 2  # the photo and its thumbnail
    for _ in range(3):
        again = send(api, endpoint, payload, [jpeg()])
        assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])

    assert _files(media) == stored
    assert Photo.objects.count() == 1


def test_a_visit_refused_after_its_photos_were_written_takes_its_files_back(people, submissions, jpeg, media):
    """Two copies at the same moment both pass the look-up: the second's insert meets the first's client_uuid,
    its transaction is rolled back, and the files it wrote go with it."""
    from inspections.photos import photos_check
    from inspections.services import inspection_record

    _model, payload = submissions["inspections"]
    fields = {
        "actor": people["wulibao_inspector"],
        "household": Household.objects.get(pk=payload["household"]),
        "kind": "night_check",
        "outcome": "no_coal",
        "client_uuid": uuid.uuid4(),
    }
    first, created = inspection_record(**fields, photos=photos_check([jpeg()]))
    stored = _files(media)

    again, created_again = inspection_record(**fields, photos=photos_check([jpeg()]))

    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert _files(media) == stored and len(stored) == 2


def _large(kind: str, size: tuple[int, int]) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("L", size, 128).save(out, kind)
    return SimpleUploadedFile(f"large.{kind.lower()}", out.getvalue(), content_type=f"image/{kind.lower()}")


def test_a_photo_of_more_megapixels_than_decoded_whole_is_kept_as_a_jpeg_and_named_as_too_large_otherwise(
    api_as, submissions
):
    """Outside testers sent a 108-megapixel phone photo (12032×9024) and a 56-megapixel JPEG: "not a JPEG, PNG or
    WebP photo". A JPEG is now decoded scaled down; a PNG that large is refused by its pixels, in those words."""
    _model, payload = submissions["inspections"]
    api = api_as("wulibao_inspector")

    kept = send(api, "inspections", payload, [_large("JPEG", (8000, 7000))])
    assert kept.status_code == 201, kept.content
    (photo,) = Photo.objects.all()
    with Image.open(photo.image.path) as stored:
        assert max(stored.size) == 2048  # PHOTO_MAX_SIDE, as any photo
        # The size given is the stored photo's, which is what is served (an outside tester's API script read
        # 4000 × 3000 and got 2048 × 1536).
        assert (photo.width, photo.height) == stored.size
        assert (kept.json()["photos"][0]["width"], kept.json()["photos"][0]["height"]) == stored.size
    refused = send(api, "inspections", payload, [_large("PNG", (8000, 7000))])
    assert refused.status_code == 400
    assert refused.json() == {"photos": ["large.png有56百万像素，照片最多50百万像素，请用较低的分辨率拍摄。"]}
