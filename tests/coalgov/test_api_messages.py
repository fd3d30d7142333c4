"""The API's refusals read in Chinese even where Django or DRF has no Chinese, or a wrong one, of its own."""

import json

import pytest

from inspections.models import Inspection

pytestmark = pytest.mark.django_db


def test_a_body_of_json_null_is_refused_in_chinese(api_as, people):
    response = api_as("wulibao_inspector").post(
        "/api/v1/inspections/", data=json.dumps(None), content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["请求内容必须是 JSON 对象。"]}


def test_a_nul_character_is_named_as_such_not_as_an_empty_string(api_as, people, wulibao_household):
    response = api_as("wulibao_inspector").post(
        "/api/v1/inspections/",
        data={"household": wulibao_household.pk, "kind": "survey", "outcome": "no_coal", "notes": "门口\x00"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["notes"] == ["不允许包含空字符（NUL）。"]
    assert not Inspection.objects.exists()


def test_in_english_the_messages_stay_english(api_as, people):
    response = api_as("wulibao_inspector").post(
        "/api/v1/inspections/", data="null", content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.json() == {"non_field_errors": ["The request body must be a JSON object."]}


@pytest.mark.parametrize("body", ["[]", '"x"', "3", "true"])
def test_a_body_that_is_not_an_object_is_refused_without_naming_python_types(api_as, people, body):
    response = api_as("wulibao_inspector").post(
        "/api/v1/inspections/", data=body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["请求内容必须是 JSON 对象。"]}
