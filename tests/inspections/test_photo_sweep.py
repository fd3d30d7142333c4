"""Photo files a failed submission left behind are deleted the next night; every photo a record has stays."""

import io
import os
import time

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from inspections.models import Inspection, Photo
from inspections.photos import photos_sweep_orphans
from inspections.services import inspection_record


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Each test stores its photos apart, and they go when it ends."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files() -> list[str]:
    files, folders = [], ["photos"]
    while folders:
        folder = folders.pop()
        subfolders, names = default_storage.listdir(folder)
        folders.extend(f"{folder}/{name}" for name in subfolders)
        files.extend(f"{folder}/{name}" for name in names)
    return files


def age(path: str, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(default_storage.path(path), (then, then))


def test_files_of_a_failed_submission_go_and_kept_photos_stay(people, wulibao_household, evidence):
    inspection_record(
        actor=people["qu_admin"], household=wulibao_household, kind="survey", outcome="no_coal", photos=evidence
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        inspection_record(
            actor=people["qu_admin"], household=wulibao_household, kind="survey", outcome="no_coal", photos=evidence
        )
        raise RuntimeError("the database went away")  # after the files were written
    photo = Photo.objects.get()
    assert Inspection.objects.count() == 1
    files = stored_files()
    assert len(files) == 4  # two photos and their thumbnails, one of each orphaned
    for path in files:
        age(path, 2)

    assert photos_sweep_orphans() == 2
    assert default_storage.exists(photo.image.name) and default_storage.exists(photo.thumbnail.name)
    assert photos_sweep_orphans() == 0  # nothing more to do


def test_a_fresh_file_may_belong_to_a_submission_still_open_and_stays(people):
    default_storage.save("photos/2026/11/fresh.jpg", io.BytesIO(b"x"))
    assert photos_sweep_orphans() == 0
    assert default_storage.exists("photos/2026/11/fresh.jpg")
