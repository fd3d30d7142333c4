"""The optional scheduled pull: station files fetched over HTTP from an operator's mirror (a real local server
here) through the same importer; off unless AIR_PULL_URL is set."""

import functools
import os
import subprocess
import sys

import pytest

from air.models import Reading, ReadingImport
from air.tasks import PullFailed, pull_readings

from .conftest import yesterdays_file


def test_the_pull_imports_yesterdays_file_once_and_skips_a_missing_today(erqi, mirror, settings):
    folder, url = mirror
    yesterdays_file(folder)
    settings.AIR_PULL_URL = url + "/china_sites_{date:%Y%m%d}.csv"
    assert pull_readings() == {"files": 1, "created": 216, "changed": 0}
    assert pull_readings() == {"files": 1, "created": 0, "changed": 0}
    assert Reading.objects.count() == 216
    assert ReadingImport.objects.filter(source="schedule").count() == 2


def test_the_pull_is_off_without_a_url(erqi, settings):
    settings.AIR_PULL_URL = ""
    assert "skipped" in pull_readings()
    assert not Reading.objects.exists()


def test_a_malformed_file_on_the_mirror_writes_nothing_and_a_failing_mirror_is_retried(erqi, mirror, settings):
    folder, url = mirror
    yesterdays_file(folder, b"date,hour,type,1323A\n20161219,99,PM2.5,1\n")
    settings.AIR_PULL_URL = url + "/china_sites_{date:%Y%m%d}.csv"
    assert "refused" in pull_readings()
    assert not Reading.objects.exists()
    settings.AIR_PULL_URL = url + "/broken.csv"
    with pytest.raises(PullFailed):  # autoretry_for: the worker retries with backoff
        pull_readings()


def test_beat_pulls_every_hour_only_when_a_url_is_configured():
    code = "from django.conf import settings; print('pull-station-readings' in settings.CELERY_BEAT_SCHEDULE)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "coalgov.settings_test"}
    run = functools.partial(subprocess.run, capture_output=True, text=True, check=True)
    setup = "import django; django.setup(); "
    off = run([sys.executable, "-c", setup + code], env={**env, "AIR_PULL_URL": ""})
    on = run(
        [sys.executable, "-c", setup + code], env={**env, "AIR_PULL_URL": "http://mirror.example/{date:%Y%m%d}.csv"}
    )
    assert (off.stdout.strip(), on.stdout.strip()) == ("False", "True")
