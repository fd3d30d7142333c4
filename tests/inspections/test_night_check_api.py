"""An inspector of 五里堡 records a night check from the phone: JSON or multipart with a photo."""

import datetime
import json
import uuid

import pytest
from django.utils import timezone

from households.models import CoalStatus
from inspections.models import Inspection, Photo, Seizure

pytestmark = pytest.mark.django_db
URL = "/api/v1/inspections/"


def midnight():
    today = timezone.localdate()
    return timezone.make_aware(datetime.datetime.combine(today, datetime.time(0, 20))) - datetime.timedelta(days=1)


def test_a_night_check_with_briquettes_a_stove_and_a_photo_is_recorded_once(api_as, wulibao_household, jpeg):
    api = api_as("wulibao_inspector")
    client_uuid = str(uuid.uuid4())
    payload = {
        "client_uuid": client_uuid,
        "household": wulibao_household.pk,
        "kind": "night_check",
        "outcome": "stove_in_use",
        "started_at": midnight().isoformat(),
        "seizures": json.dumps(
            [
                {"item": "briquette", "quantity": "50", "method": "confiscated"},
                {"item": "stove", "quantity": "1", "method": "destroyed"},
            ]
        ),
    }

    first = api.post(URL, {**payload, "photos": [jpeg()]}, format="multipart")
    again = api.post(URL, {**payload, "photos": [jpeg()]}, format="multipart")

    assert first.status_code == 201, first.json()
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    inspection = Inspection.objects.get()
    assert inspection.is_night
    assert sorted(Seizure.objects.values_list("item", "quantity")) == [("briquette", 50), ("stove", 1)]
    assert Photo.objects.count() == 1
    wulibao_household.refresh_from_db()
    assert wulibao_household.coal_status == CoalStatus.FOUND


def test_a_text_file_named_jpg_refuses_the_whole_visit(api_as, wulibao_household):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("photo.jpg", b"not a photo at all", content_type="image/jpeg")
    response = api_as("wulibao_inspector").post(
        URL,
        {"household": wulibao_household.pk, "kind": "survey", "outcome": "no_coal", "photos": [fake]},
        format="multipart",
    )

    assert response.status_code == 400
    assert "photos" in response.json()
    assert not Inspection.objects.exists()
    assert not Photo.objects.exists()


def test_an_inspector_of_huaihelu_cannot_record_at_a_wulibao_household(api_as, wulibao_household):
    response = api_as("huaihelu_inspector").post(
        URL, {"household": wulibao_household.pk, "kind": "survey", "outcome": "no_coal"}, format="json"
    )

    assert response.status_code == 400
    assert "household" in response.json()
    assert not Inspection.objects.exists()


def test_briquettes_taken_where_no_coal_was_found_are_a_400_in_chinese_that_stores_nothing(api_as, wulibao_household):
    response = api_as("wulibao_inspector").post(
        URL,
        {
            "client_uuid": str(uuid.uuid4()),
            "household": wulibao_household.pk,
            "kind": "night_check",
            "outcome": "no_coal",
            "started_at": midnight().isoformat(),
            "seizures": [{"item": "briquette", "quantity": "20", "method": "confiscated"}],
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.status_code == 400
    assert "发现散煤" in response.json()["seizures"][0]
    assert not Inspection.objects.exists() and not Seizure.objects.exists()
