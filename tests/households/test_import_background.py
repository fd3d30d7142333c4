"""Imports larger than a page's worth: stored, checked and imported by a Celery task, followed on a progress page
that only the requester may open (households/jobs.py)."""

import datetime
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from coalgov import settings_test
from coalgov.models import AuditEvent
from households import jobs
from households.models import Household, HouseholdImport, RegisterCount
from households.tasks import run_household_import

needs_worker = pytest.mark.skipif(
    not django_settings.REDIS_URL or connection.vendor != "postgresql",
    reason="needs REDIS_URL and PostgreSQL (a worker process cannot share SQLite's in-memory test database)",
)
URL = "/households/import/"


def register_csv(tmp_path, community, n, *, bad_lines=(), name="住户.csv"):
    """A .csv of `n` flats of one community; the rows at `bad_lines` (1-based data rows) carry a bad phone."""
    lines = []
    for k in range(1, n + 1):
        phone = "12345" if k in bad_lines else f"138{k:08d}"
        lines.append(f"{community.code},龙亭小区,{k % 40 + 1},{k % 4 + 1},{k},户主{k},{phone}")
    path = tmp_path / name
    path.write_text("社区代码,小区,楼栋,单元,房号,户主,联系电话\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def upload(path):
    return SimpleUploadedFile(path.name, path.read_bytes())


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Stored files in a directory of the test's own; a worker started with TMPDIR=tmp_path uses the same one
    (the test settings put MEDIA_ROOT in the temporary directory)."""
    settings.MEDIA_ROOT = tmp_path / settings_test.MEDIA_FOLDER
    return settings.MEDIA_ROOT


@pytest.fixture
def small_pages(settings):
    """A page's worth of 5 rows, so a test's background import stays small."""
    settings.HOUSEHOLD_IMPORT_BACKGROUND_ROWS = 5
    return settings


@pytest.fixture
def no_broker(monkeypatch):
    """Tasks run in the calling process, as with `make run` (no REDIS_URL), whatever this test run's broker."""
    from coalgov.celery import app

    monkeypatch.setattr(app.conf, "CELERY_TASK_ALWAYS_EAGER", True)
    assert app.conf.task_always_eager


@pytest.fixture
def queued(monkeypatch):
    """The task is not sent anywhere: the test runs it (or its pieces) itself."""
    sent = []
    monkeypatch.setattr(run_household_import, "delay", lambda pk: sent.append(pk))
    return sent


def stored_files() -> list[Path]:
    folder = Path(default_storage.path(jobs.DIRECTORY))
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_a_small_file_is_still_imported_at_once(tmp_path, client_as, small_pages, wulibao_community, queued):
    response = client_as("wulibao_admin").post(URL, {"file": upload(register_csv(tmp_path, wulibao_community, 5))})
    assert response.status_code == 302 and response.url == "/households/"
    assert Household.objects.count() == 5
    assert not HouseholdImport.objects.exists() and not queued


def test_a_large_file_is_stored_and_followed_on_its_own_page(
    tmp_path, client_as, small_pages, wulibao_community, no_broker, django_capture_on_commit_callbacks
):
    client = client_as("wulibao_admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"file": upload(register_csv(tmp_path, wulibao_community, 12))})

    job = HouseholdImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("households:import-job", args=[job.pk])
    assert (job.status, job.rows_total, job.rows_checked, job.rows_written) == ("done", 12, 12, 12)
    assert (job.created, job.skipped, job.error_count, job.attempts) == (12, 0, 0, 1)
    assert Household.objects.count() == 12
    assert RegisterCount.objects.get(code=wulibao_community.code).households == 12
    # The import is one audit entry (by whom, from which file), which each household's history shows.
    event = AuditEvent.objects.get(action="household.imported", reason="从 住户.csv 导入")
    assert event.changes["households_registered"] == [None, 12]
    assert Household.objects.filter(import_event=event).count() == 12
    page = client.get(response.url).content.decode()
    assert "导入12户" in page and "住户.csv" in page
    assert client.get(reverse("households:import-job-status", args=[job.pk])).json() == {
        "id": job.pk,
        "status": "done",
        "status_label": "已完成",
        "rows_total": 12,
        "rows_checked": 12,
        "rows_written": 12,
        "percent": 100,
        "pending": False,
        "created": 12,
        "skipped": 0,
        "error_count": 0,
        "error": "",
    }
    # The stored file is gone once the households are registered; the import page lists the import.
    assert not job.file and stored_files() == []
    assert job.name in client.get(URL).content.decode()


def test_a_large_file_with_wrong_rows_registers_nothing_and_lists_each_one(
    tmp_path, client_as, small_pages, wulibao_community, no_broker, django_capture_on_commit_callbacks
):
    client = client_as("wulibao_admin")
    path = register_csv(tmp_path, wulibao_community, 12, bad_lines=(3, 11))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"file": upload(path)})

    job = HouseholdImport.objects.get()
    assert (job.status, job.error_count, job.rows_checked, job.created) == ("done", 2, 12, 0)
    page = client.get(response.url).content.decode()
    assert "第4行" in page and "第12行" in page and "未登记任何住户" in page
    assert not Household.objects.exists()
    assert stored_files() == []


def test_a_check_only_import_registers_nothing(
    tmp_path, client_as, small_pages, wulibao_community, no_broker, django_capture_on_commit_callbacks
):
    client = client_as("wulibao_admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"file": upload(register_csv(tmp_path, wulibao_community, 8)), "dry_run": "on"})

    job = HouseholdImport.objects.get()
    assert (job.status, job.dry_run, job.rows_checked, job.created) == ("done", True, 8, 8)
    assert "文件无误" in client.get(response.url).content.decode()
    assert not Household.objects.exists()


def test_files_over_the_pages_limits_are_refused_before_anything_is_stored(
    tmp_path, client_as, settings, small_pages, wulibao_community, queued
):
    settings.HOUSEHOLD_IMPORT_MAX_ROWS = 10
    response = client_as("wulibao_admin").post(URL, {"file": upload(register_csv(tmp_path, wulibao_community, 11))})
    assert "超过 10 行" in response.content.decode()
    assert not HouseholdImport.objects.exists() and stored_files() == [] and not queued


def test_a_file_over_a_megabyte_goes_to_the_background_whatever_its_rows(settings, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("社区代码\n1\n", encoding="utf-8")
    settings.HOUSEHOLD_IMPORT_BACKGROUND_BYTES = 2**20
    assert not jobs.goes_to_background(path, 100)
    assert jobs.goes_to_background(path, 2**20 + 1)


# --- Jurisdiction ------------------------------------------------------------------------------------


def _job_for(people, tmp_path, community, username="wulibao_admin"):
    path = register_csv(tmp_path, community, 8)
    return jobs.import_request(actor=people[username], upload=upload(path), dry_run=False)


@pytest.mark.parametrize("username", ["wulibao_inspector", "qu_admin", "huaihelu_inspector", "nobody"])
def test_another_users_import_is_a_404_on_every_page(tmp_path, client_as, people, wulibao_community, queued, username):
    job = _job_for(people, tmp_path, wulibao_community)
    client = client_as(username)
    for name in ("households:import-job", "households:import-job-status"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert job.name not in client.get(URL).content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in(tmp_path, client, people, wulibao_community, queued):
    job = _job_for(people, tmp_path, wulibao_community)
    response = client.get(reverse("households:import-job-status", args=[job.pk]))
    assert response.status_code == 302 and "/login/" in response.url


def test_a_user_without_membership_cannot_import(tmp_path, client_as, people, small_pages, wulibao_community, queued):
    client = client_as("nobody")
    assert client.post(URL, {"file": upload(register_csv(tmp_path, wulibao_community, 12))}).status_code == 403
    assert not HouseholdImport.objects.exists() and stored_files() == []


def test_rows_outside_the_requesters_jurisdiction_are_refused_in_the_background(
    tmp_path, people, huaihelu_community, no_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = _job_for(people, tmp_path, huaihelu_community)
    job.refresh_from_db()
    assert job.error_count == 8 and "不在您的管辖范围" in job.errors[0]
    assert not Household.objects.exists()


def test_a_user_may_have_two_imports_waiting_at_most(tmp_path, people, wulibao_community, queued):
    _job_for(people, tmp_path, wulibao_community)
    _job_for(people, tmp_path, wulibao_community)
    with pytest.raises(Exception, match="2"):
        _job_for(people, tmp_path, wulibao_community)
    assert HouseholdImport.objects.count() == 2 and len(stored_files()) == 2


# --- Running once ------------------------------------------------------------------------------------


def test_running_the_task_again_imports_nothing_more(tmp_path, people, wulibao_community, queued):
    job = _job_for(people, tmp_path, wulibao_community)
    assert jobs.import_run(job_id=job.pk) == "done"
    assert jobs.import_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    assert (job.attempts, job.created) == (1, 8)
    assert Household.objects.count() == 8
    assert AuditEvent.objects.filter(action="household.imported").count() == 1


def test_an_import_held_by_a_live_worker_is_left_alone_and_a_dead_workers_is_run_again(
    tmp_path, people, wulibao_community, queued, no_broker
):
    job = _job_for(people, tmp_path, wulibao_community)
    assert jobs._claim(job.pk) == 1  # a worker took it and is running it
    assert jobs.import_run(job_id=job.pk) == "running"
    assert not Household.objects.exists()

    HouseholdImport.objects.filter(pk=job.pk).update(claimed_until=timezone.now() - datetime.timedelta(seconds=1))
    assert jobs.imports_resume() == 1  # beat queues it again
    assert jobs.import_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    assert (job.status, job.attempts, job.created) == ("done", 2, 8)
    assert Household.objects.count() == 8


def test_a_worker_that_lost_its_claim_while_checking_writes_nothing(tmp_path, people, wulibao_community, queued):
    job = _job_for(people, tmp_path, wulibao_community)
    recorder = jobs._Recorder(job, attempt=1)
    jobs._claim(job.pk)
    HouseholdImport.objects.filter(pk=job.pk).update(attempts=2)  # another worker took it over
    with pytest.raises(jobs.Superseded):
        recorder.checked(5)
    assert not Household.objects.exists()


def test_database_trouble_is_retried_and_the_last_try_fails_with_a_message(
    tmp_path, people, wulibao_community, queued, monkeypatch
):
    from django.db import OperationalError

    job = _job_for(people, tmp_path, wulibao_community)

    def down(**kwargs):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(jobs, "households_import", down)
    with pytest.raises(OperationalError):
        jobs.import_run(job_id=job.pk, last_try=False)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("queued", 1) and job.file  # back in the queue, file kept

    assert jobs.import_run(job_id=job.pk, last_try=True) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "数据库" in job.error and "closed" not in job.error
    assert stored_files() == []


def test_an_unreadable_stored_file_fails_with_the_files_message(tmp_path, people, wulibao_community, queued):
    fake = tmp_path / "坏.xlsx"
    fake.write_bytes(b"not a workbook")
    job = jobs.import_request(actor=people["wulibao_admin"], upload=upload(fake), dry_run=False)
    assert jobs.import_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert "无法作为 Excel 工作簿" in job.error and stored_files() == []


def test_files_are_removed_after_the_keep_period_whatever_became_of_the_import(
    tmp_path, people, wulibao_community, queued, settings
):
    job = _job_for(people, tmp_path, wulibao_community)
    assert len(stored_files()) == 1
    assert jobs.imports_expire() == 0
    later = timezone.now() + datetime.timedelta(hours=settings.HOUSEHOLD_IMPORT_KEEP_HOURS, minutes=1)
    assert jobs.imports_expire(now=later) == 1
    job.refresh_from_db()
    assert stored_files() == [] and not job.file and job.status == "failed" and "重新" in job.error
    assert jobs.import_run(job_id=job.pk) == "failed"  # a late task finds nothing to do
    assert not Household.objects.exists()


def test_beat_expires_files_and_resumes_stuck_imports():
    from coalgov.celery import app

    schedule = app.conf.beat_schedule
    assert schedule["expire-household-imports"]["task"] == "households.tasks.expire_household_imports"
    assert schedule["resume-stuck-household-imports"]["task"] == "households.tasks.resume_stuck_household_imports"


def test_a_pending_import_shows_its_progress_and_the_page_polls_it(
    tmp_path, client_as, people, wulibao_community, queued
):
    job = _job_for(people, tmp_path, wulibao_community)
    page = client_as("wulibao_admin").get(job.get_absolute_url()).content.decode()
    assert reverse("households:import-job-status", args=[job.pk]) in page
    assert "js/household-import.js" in page and "已检查" in page


# --- With a real worker ------------------------------------------------------------------------------


def _wait_for(condition, worker, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.poll() is not None:
            pytest.fail("the worker died: " + worker.stderr.read().decode())
        time.sleep(0.25)
    pytest.fail("the worker did not finish in time")


@needs_worker
def test_a_large_file_sent_on_the_page_is_imported_by_the_worker(
    start_worker, tmp_path, client_as, small_pages, wulibao_community
):
    worker = start_worker(TMPDIR=str(tmp_path))
    client = client_as("wulibao_admin")
    response = client.post(URL, {"file": upload(register_csv(tmp_path, wulibao_community, 3000))})
    job = HouseholdImport.objects.get()
    assert response.url == job.get_absolute_url()

    _wait_for(lambda: HouseholdImport.objects.get(pk=job.pk).status == "done", worker)
    status = client.get(reverse("households:import-job-status", args=[job.pk])).json()
    assert (status["created"], status["rows_checked"], status["rows_written"], status["percent"]) == (
        3000,
        3000,
        3000,
        100,
    )
    assert Household.objects.count() == 3000
    assert "导入3000户" in client.get(response.url).content.decode()
    assert stored_files() == []


@needs_worker
def test_the_task_queued_twice_imports_once(start_worker, tmp_path, people, wulibao_community):
    worker = start_worker(TMPDIR=str(tmp_path))
    job = _job_for(people, tmp_path, wulibao_community)  # queued once on commit
    run_household_import.delay(job.pk)  # and again (beat's resume, the broker redelivering)

    _wait_for(lambda: HouseholdImport.objects.get(pk=job.pk).status == "done", worker)
    time.sleep(1.5)  # time for the second task to run, were it to do anything
    job.refresh_from_db()
    assert (job.attempts, job.created) == (1, 8)
    assert Household.objects.count() == 8
    assert AuditEvent.objects.filter(action="household.imported").count() == 1
