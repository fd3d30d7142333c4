"""The import page previews a file that edits households (a 编号 column) and applies it only when confirmed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from households.models import Household, HouseholdImport
from households.services import household_update


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(household, **cells):
    header = ["编号", *cells]
    row = [str(household.pk), *cells.values()]
    text = ",".join(header) + "\n" + ",".join(row) + "\n"
    return SimpleUploadedFile("住户台账.csv", text.encode("utf-8-sig"), content_type="text/csv")


def preview(client, household, **cells):
    response = client.post(reverse("households:import"), {"file": upload(household, **cells)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return HouseholdImport.objects.latest("pk"), response["Location"]


def test_a_file_with_编号_is_previewed_field_by_field_and_applied_when_confirmed(client_as, wulibao_household, media):
    client = client_as("wulibao_admin")
    job, location = preview(client, wulibao_household, 取暖方式="电取暖")

    page = client.get(location).content.decode()
    assert 'data-testid="import-preview"' in page and "电取暖" in page
    wulibao_household.refresh_from_db()
    assert wulibao_household.heating == "unknown"  # nothing applied yet

    response = client.post(reverse("households:import-job-confirm", args=[job.pk]))

    assert response.status_code == 302
    wulibao_household.refresh_from_db()
    assert wulibao_household.heating == "electric"
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.file.name) == ("done", False, "")
    history = client.get(wulibao_household.get_absolute_url()).content.decode()
    assert "住户台账.csv" in history and "电取暖" in history


def test_a_confirmation_after_the_household_was_edited_meanwhile_applies_nothing(
    client_as, people, wulibao_household, media
):
    client = client_as("wulibao_admin")
    job, location = preview(client, wulibao_household, 户主="王建华")
    household_update(actor=people["wulibao_inspector"], household=wulibao_household, data={"phone": "13700000000"})

    client.post(reverse("households:import-job-confirm", args=[job.pk]))

    wulibao_household.refresh_from_db()
    assert (wulibao_household.head_name, wulibao_household.phone) == ("王建国", "13700000000")
    job.refresh_from_db()
    assert job.status == "failed" and "预览" in client.get(location).content.decode()


def test_a_preview_is_confirmed_once_and_only_by_its_requester(client_as, wulibao_household, media, people):
    job, _location = preview(client_as("wulibao_admin"), wulibao_household, 户主="王建华")
    other = client_as("wulibao_inspector")
    assert other.get(reverse("households:import-job", args=[job.pk])).status_code == 404
    assert other.post(reverse("households:import-job-confirm", args=[job.pk])).status_code == 404
    wulibao_household.refresh_from_db()
    assert wulibao_household.head_name == "王建国"

    mine = client_as("wulibao_admin")
    mine.post(reverse("households:import-job-confirm", args=[job.pk]))
    mine.post(reverse("households:import-job-confirm", args=[job.pk]))
    assert Household.objects.get(pk=wulibao_household.pk).head_name == "王建华"
    from coalgov.models import AuditEvent

    assert AuditEvent.objects.filter(action="household.updated", object_id=str(wulibao_household.pk)).count() == 1


def test_a_user_without_membership_cannot_preview_or_confirm(client_as, wulibao_household, media):
    client = client_as("nobody")
    response = client.post(reverse("households:import"), {"file": upload(wulibao_household, 户主="王建华")})
    assert response.status_code == 403
    assert not HouseholdImport.objects.exists()


def test_a_large_previewed_file_is_applied_by_the_worker_after_confirmation(
    client_as, people, wulibao_household, media, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from households import jobs

    settings.HOUSEHOLD_IMPORT_BACKGROUND_ROWS = 0  # every file is more than a page's worth
    queued = []
    monkeypatch.setattr("households.tasks.run_household_import.delay", queued.append)
    client = client_as("wulibao_admin")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("households:import"), {"file": upload(wulibao_household, 户主="王建华")})
    job = HouseholdImport.objects.get()
    assert queued == [job.pk]  # the page did not read the large file's rows: the worker finds the 编号 column
    assert jobs.import_run(job_id=job.pk) == "done"  # and previews it
    job.refresh_from_db()
    assert job.dry_run and job.errors["updated"] == 1 and job.file.name
    assert Household.objects.get(pk=wulibao_household.pk).head_name == "王建国"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("households:import-job-confirm", args=[job.pk]))
    assert queued == [job.pk, job.pk]
    assert Household.objects.get(pk=wulibao_household.pk).head_name == "王建国"  # the worker has not run yet
    assert jobs.import_run(job_id=job.pk) == "done"
    assert Household.objects.get(pk=wulibao_household.pk).head_name == "王建华"


def test_the_preview_masks_phone_numbers_for_those_who_see_them_masked(client_as, register, wulibao_community, media):
    household = register("wulibao_admin", wulibao_community, phone="13812341234")
    client = client_as("wulibao_inspector")
    _job, location = preview(client, household, 电话="13900001111")

    page = client.get(location).content.decode()

    assert "138****1234" in page and "139****1111" in page
    assert "13812341234" not in page and "13900001111" not in page


def badge(page: str) -> str:
    import re

    found = re.search(r'data-testid="import-badge">([^<]*)<', page)
    return found[1] if found else ""


def test_a_file_with_编号_that_fails_the_check_says_so_fully_checked_not_仅检查(client_as, wulibao_household, media):
    """A ledger file (a title row above the header) with a wrong row: the preview is forced, 只检查 not ticked."""
    client = client_as("wulibao_admin")
    text = f"五里堡街道住户台账\n编号,电话\n{wulibao_household.pk},12345\n"
    file = SimpleUploadedFile("住户台账.csv", text.encode("utf-8-sig"), content_type="text/csv")
    response = client.post(reverse("households:import"), {"file": file})
    job = HouseholdImport.objects.latest("pk")

    page = client.get(response["Location"]).content.decode()

    assert job.error_count == 1
    assert badge(page) == "未通过检查"
    assert 'data-role="checked">1</span> / <span data-role="total">1</span>' in page
    assert 'style="width: 100%"' in page and "仅检查" not in page


def test_an_unchanged_file_with_编号_says_it_agrees_with_the_register(client_as, wulibao_household, media):
    client = client_as("wulibao_admin")
    _job, location = preview(client, wulibao_household, 户主=wulibao_household.head_name)

    page = client.get(location).content.decode()

    assert "文件与系统中的登记一致，无需更改" in page
    assert badge(page) == "无需更改" and "仅检查" not in page


def test_a_confirmation_that_failed_shows_a_full_red_bar_not_half_of_it(client_as, people, wulibao_household, media):
    client = client_as("wulibao_admin")
    job, location = preview(client, wulibao_household, 户主="王建华")
    household_update(actor=people["wulibao_inspector"], household=wulibao_household, data={"phone": "13700000000"})
    client.post(reverse("households:import-job-confirm", args=[job.pk]))

    page = client.get(location).content.decode()

    assert 'bg-danger" data-role="bar" style="width: 100%"' in page
    assert badge(page) == ""


def test_a_registration_file_checked_on_request_is_仅检查(client_as, wulibao_community, media, settings):
    settings.HOUSEHOLD_IMPORT_BACKGROUND_ROWS = 0  # to the import's own page
    client = client_as("wulibao_admin")
    text = f"社区代码,小区,房号\n{wulibao_community.code},龙亭小区,101\n"
    file = SimpleUploadedFile("住户.csv", text.encode("utf-8-sig"), content_type="text/csv")
    response = client.post(reverse("households:import"), {"file": file, "dry_run": "on"})
    from households.jobs import import_run

    assert import_run(job_id=HouseholdImport.objects.latest("pk").pk) == "done"  # the worker's part

    page = client.get(response["Location"]).content.decode()

    assert badge(page) == "仅检查"
