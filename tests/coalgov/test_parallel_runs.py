"""`make test` runs the suite in several pytest-xdist processes at once (gw0, gw1, ...): each must keep to its own
Redis database and media folder, and so must the Celery workers and servers its tests start."""

import json
import os
import subprocess
import sys

SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.REDIS_URL, s.CACHES['default']['LOCATION'], s.CELERY_BROKER_URL, str(s.MEDIA_ROOT)]))"
)


def settings_seen(tmp_path, **env) -> tuple[list[str], dict]:
    """The test settings as a process started with `env` sees them, and the environment it leaves to its children."""
    clean = {k: v for k, v in os.environ.items() if k not in {"PYTEST_XDIST_WORKER", "TEST_REDIS_WORKER", "REDIS_URL"}}
    code = SHOW + "; import os; print(json.dumps(dict(os.environ)))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "coalgov.settings_test", "TMPDIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    shown, environment = result.stdout.splitlines()[-2:]
    return json.loads(shown), json.loads(environment)


def test_each_worker_uses_the_redis_database_of_the_url_plus_its_number_and_its_own_media_folder(tmp_path):
    (first, *_rest), _ = settings_seen(tmp_path, PYTEST_XDIST_WORKER="gw0", REDIS_URL="redis://127.0.0.1:6379/4")
    redis, cache, broker, media = settings_seen(
        tmp_path, PYTEST_XDIST_WORKER="gw2", REDIS_URL="redis://127.0.0.1:6379/4"
    )[0]

    assert first == "redis://127.0.0.1:6379/4"
    assert redis == cache == broker == "redis://127.0.0.1:6379/6"
    assert media == str(tmp_path / "coalgov-test-media-gw2")


def test_a_url_without_a_database_number_counts_from_database_0(tmp_path):
    shown, _ = settings_seen(tmp_path, PYTEST_XDIST_WORKER="gw1", REDIS_URL="redis://:secret@127.0.0.1:6379")

    assert shown[0] == "redis://:secret@127.0.0.1:6379/1"


def test_a_celery_worker_started_by_a_test_stays_on_the_test_s_redis_database(tmp_path):
    """A worker process inherits the test process's environment, and loads the test settings again: it must not
    add the worker's number a second time."""
    _, environment = settings_seen(tmp_path, PYTEST_XDIST_WORKER="gw2", REDIS_URL="redis://127.0.0.1:6379/4")
    inherited = {k: environment[k] for k in ("PYTEST_XDIST_WORKER", "TEST_REDIS_WORKER", "REDIS_URL")}

    shown, _ = settings_seen(tmp_path, **inherited)

    assert shown[:3] == ["redis://127.0.0.1:6379/6"] * 3


def test_run_alone_the_suite_keeps_the_url_and_the_media_folder_as_they_are(tmp_path):
    shown, _ = settings_seen(tmp_path, REDIS_URL="redis://127.0.0.1:6379/4")

    assert shown == ["redis://127.0.0.1:6379/4"] * 3 + [str(tmp_path / "coalgov-test-media")]
