"""A large edited register goes through a real Celery worker twice: previewed, then, once confirmed, applied."""

import time

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from coalgov import settings_test
from households.imports import households_import
from households.models import Household, HouseholdImport

pytestmark = pytest.mark.skipif(
    not django_settings.REDIS_URL or connection.vendor != "postgresql",
    reason="needs REDIS_URL and PostgreSQL (a worker process cannot share SQLite's in-memory test database)",
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """The same stored files as a worker started with TMPDIR=tmp_path (the test settings put MEDIA_ROOT there)."""
    settings.MEDIA_ROOT = tmp_path / settings_test.MEDIA_FOLDER
    settings.HOUSEHOLD_IMPORT_BACKGROUND_ROWS = 5  # a page's worth of 5 rows: the file goes to the worker
    return settings.MEDIA_ROOT


def wait_for(condition, worker, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.poll() is not None:
            pytest.fail("the worker died: " + worker.stderr.read().decode())
        time.sleep(0.25)
    pytest.fail("the worker did not finish in time")


def test_a_large_edited_register_is_previewed_by_the_worker_and_applied_only_once_confirmed(
    start_worker, tmp_path, client_as, people, wulibao_community
):
    n = 1500
    register = tmp_path / "register.csv"
    lines = [f"{wulibao_community.code},龙亭小区,{k % 40 + 1},{k % 4 + 1},{k},户主{k}" for k in range(n)]
    register.write_text("社区代码,小区,楼栋,单元,房号,户主\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert households_import(actor=people["wulibao_admin"], path=register).created == n
    edited = "编号,户主\n" + "".join(f"{pk},新户主{pk}\n" for pk in Household.objects.values_list("pk", flat=True))
    worker = start_worker(TMPDIR=str(tmp_path))
    client = client_as("wulibao_admin")

    response = client.post(
        reverse("households:import"), {"file": SimpleUploadedFile("住户台账.csv", edited.encode("utf-8"))}
    )
    job = HouseholdImport.objects.get()
    assert response.url == job.get_absolute_url()
    wait_for(lambda: HouseholdImport.objects.get(pk=job.pk).status == "done", worker)
    job.refresh_from_db()
    assert job.dry_run and job.errors["updated"] == n
    page = client.get(response.url).content.decode()
    assert 'data-testid="confirm-import"' in page
    assert not Household.objects.filter(head_name__startswith="新户主").exists()

    client.post(reverse("households:import-job-confirm", args=[job.pk]))
    wait_for(lambda: HouseholdImport.objects.get(pk=job.pk).status == "done", worker)

    job.refresh_from_db()
    assert not job.dry_run and job.error == ""
    assert Household.objects.filter(head_name__startswith="新户主").count() == n
    assert 'data-testid="imported"' in client.get(response.url).content.decode()
