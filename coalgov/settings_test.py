"""Settings for the test suite: the real settings, with what a test run needs and nothing more."""

import os
import tempfile
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")


def redis_url_for_worker(url: str, worker: str) -> str:
    """The Redis URL of one pytest-xdist worker: the database number of `url` plus the worker's number
    (redis://host:6379/0 -> gw0 on /0, gw1 on /1, ...)."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + int(worker.removeprefix('gw'))}"))


# `pytest -n N` (pytest-xdist) runs N worker processes at once, named gw0, gw1, ... pytest-django gives each its own
# test database; here each also gets its own Redis database (cache, sessions, Celery broker: one worker's purge or
# Celery worker never sees another's queue) and its own MEDIA_ROOT. The environment itself is rewritten, once per
# process tree, so the Celery workers and gunicorn a test starts (they inherit it, and load these settings again)
# land on the same Redis database as the test.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER and os.environ.get("REDIS_URL") and os.environ.get("TEST_REDIS_WORKER") != XDIST_WORKER:
    os.environ["REDIS_URL"] = redis_url_for_worker(os.environ["REDIS_URL"], XDIST_WORKER)
    os.environ["TEST_REDIS_WORKER"] = XDIST_WORKER

from .settings import *  # noqa: E402, F403
from .settings import STORAGES  # noqa: E402

# Tests do not run collectstatic; serve static files through the finders instead of a manifest.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True  # look files up per request: no warning about the STATIC_ROOT tests never fill
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["*"]
MEDIA_FOLDER = f"coalgov-test-media-{XDIST_WORKER}" if XDIST_WORKER else "coalgov-test-media"
MEDIA_ROOT = Path(tempfile.gettempdir()) / MEDIA_FOLDER  # noqa: F405
# The test client and the live server speak plain HTTP.
SECURE_SSL_REDIRECT = False

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    MIDDLEWARE = ["tests.sqlite_serial.serial_requests", *MIDDLEWARE]  # noqa: F405
