"""Shared fixtures: 二七区 loaded, and people whose names tell the story.

- qu_admin: 区散煤办, district administrator of 二七区
- qu_leader: 督导组, district leader (views everything, enters nothing in the register)
- wulibao_admin / wulibao_inspector: 五里堡街道's administrator and inspector
- wulibao_worker: community worker of one 五里堡 community (`wulibao_community`)
- huaihelu_inspector: 淮河路街道's inspector, who must never see 五里堡's records
- nobody: a signed-in user with no membership, who sees nothing
"""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from rest_framework.test import APIClient

from divisions.models import Division
from divisions.services import divisions_load, read_csv, stations_load
from inspections.photos import CheckedPhoto

from .factories import HouseholdFactory, MembershipFactory, UserFactory

DATA = Path(__file__).resolve().parent.parent / "divisions" / "data"

WULIBAO = "410103006"
HUAIHELU = "410103001"

PEOPLE = {
    "qu_admin": ("410103", "district_admin"),
    "qu_leader": ("410103", "district_leader"),
    "wulibao_admin": (WULIBAO, "subdistrict_admin"),
    "wulibao_inspector": (WULIBAO, "inspector"),
    "wulibao_worker": ("wulibao_community", "community_worker"),
    "huaihelu_inspector": (HUAIHELU, "inspector"),
}


@pytest.fixture(autouse=True)
def _forget_sign_in_audit_counts():
    """The sign-in audit's per-address counts (divisions.services) live in the cache, which outlives a test's
    transaction: each test starts with none. Only those keys: on Redis the cache shares its database with the
    Celery broker."""
    from django.core.cache import cache

    backend = getattr(cache, "_cache", None)
    if hasattr(backend, "get_client"):
        redis = backend.get_client(write=True)
        keys = list(redis.scan_iter(match="*sign-in-audit:*"))
        if keys:
            redis.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: a request in English leaves English active in the thread (the
    locale middleware activates, nothing deactivates), which changed what a later test in the same process read."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def erqi(db):
    """二七区 (1 district, 16 subdistricts, 176 communities) and Zhengzhou's monitoring stations."""
    divisions_load(rows=read_csv(DATA / "erqi_divisions.csv"))
    stations_load(rows=read_csv(DATA / "zhengzhou_stations.csv"))
    return Division.objects.get(code="410103")


@pytest.fixture
def wulibao(erqi):
    return Division.objects.get(code=WULIBAO)


@pytest.fixture
def huaihelu(erqi):
    return Division.objects.get(code=HUAIHELU)


@pytest.fixture
def wulibao_community(wulibao):
    """The community the community worker belongs to."""
    return wulibao.children.order_by("code").first()


@pytest.fixture
def wulibao_other_community(wulibao):
    """A sibling community in 五里堡, outside the community worker's reach."""
    return wulibao.children.order_by("code")[1]


@pytest.fixture
def grid(wulibao_community):
    """A grid of the community worker's community (二七区's data has none): its records fold into the community."""
    return Division.objects.create(
        code=wulibao_community.code + "001", name="一网格", level="grid", parent=wulibao_community
    )


@pytest.fixture
def huaihelu_community(huaihelu):
    return huaihelu.children.order_by("code").first()


@pytest.fixture
def people(erqi, wulibao_community):
    """Every story user, by name; plus `nobody`, who has no membership."""
    users = {}
    for username, (where, role) in PEOPLE.items():
        division = wulibao_community if where == "wulibao_community" else Division.objects.get(code=where)
        users[username] = MembershipFactory(user=UserFactory(username=username), division=division, role=role).user
    users["nobody"] = UserFactory(username="nobody")
    return users


@pytest.fixture
def household_in(erqi):
    """Make a household in a given community: household_in(community, **fields)."""

    def make(division, **fields):
        return HouseholdFactory(division=division, **fields)

    return make


@pytest.fixture
def client_as(client, people):
    """A browser session signed in as one of the story users (None: anonymous)."""

    def as_(username):
        if username is not None:
            client.force_login(people[username])
        return client

    return as_


@pytest.fixture
def api_as(people):
    """An API client authenticated as one of the story users (None: anonymous)."""

    def as_(username):
        api = APIClient()
        if username is not None:
            api.force_authenticate(people[username])
        return api

    return as_


@pytest.fixture
def register(people):
    """Register a household through the service, as a story user would, so it has a history.

    register("wulibao_worker", wulibao_community, phone="13812341234") → the new household.
    """
    from households.services import household_create

    def make(username, division, **fields):
        data = {"division": division, "estate": "龙亭小区", "building": "3", "unit": "2", "room": "501", **fields}
        household, _created = household_create(actor=people[username], data=data)
        return household

    return make


@pytest.fixture
def wulibao_household(register, wulibao_community):
    """A household of the worker's 五里堡 community, registered by the subdistrict administrator."""
    return register("wulibao_admin", wulibao_community, head_name="王建国")


@pytest.fixture
def jpeg():
    """A real JPEG photo as an upload: jpeg(name="x.jpg", size=(64, 48), orientation=None, gps=None).

    gps is ((degrees, minutes, seconds), "N"/"S", (degrees, minutes, seconds), "E"/"W"), as a camera writes it.
    """

    def make(name="photo.jpg", size=(64, 48), orientation=None, colour=(200, 30, 30), gps=None):
        image = Image.new("RGB", size, colour)
        exif = Image.Exif()
        if orientation:
            exif[0x0112] = orientation
        if gps:
            latitude, lat_ref, longitude, lon_ref = gps
            exif[0x8825] = {
                1: lat_ref,
                2: tuple(IFDRational(v) for v in latitude),
                3: lon_ref,
                4: tuple(IFDRational(v) for v in longitude),
            }
        out = io.BytesIO()
        image.save(out, "JPEG", exif=exif)
        return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")

    return make


@pytest.fixture
def evidence():
    """A checked photo, as a rectification form passes it to the services."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 20)).save(out, "JPEG")
    data = out.getvalue()
    return [CheckedPhoto(image=data, thumbnail=data, width=40, height=30, latitude=None, longitude=None)]


@pytest.fixture
def start_worker(transactional_db):
    """start_worker(**env) -> a Celery worker process on the test database and the broker.

    Every worker started is stopped after the test (a test may also kill one itself).
    """
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    processes = []

    def start(**env):
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "coalgov.settings_test",
            "ROBOT_PART_INTERVAL_SECONDS": "0",
            "DATABASE_URL": url,
            **env,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "coalgov", "worker", "--pool", "solo", "--loglevel", "WARNING"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


@pytest.fixture
def worker(start_worker):
    """A Celery worker process connected to the test database and the broker; stopped after the test."""
    return start_worker()
