"""Ids and unit codes sent to the API: a whole number or nothing (264.9 was household 264, 1e400 a 500), and a
refusal in plain Chinese that neither names the model's key nor says whether the record exists elsewhere."""

import json

import pytest

from cases.models import Case
from inspections.models import Inspection

pytestmark = pytest.mark.django_db


def post(api, path, body: str):
    return api.post(path, body, content_type="application/json")


@pytest.mark.parametrize("value", ["1e400", "-1e400", "264.9", "1.5", "true", '"1.5"', '"1e400"'])
@pytest.mark.parametrize("field", ["household", "operation"])
def test_a_visits_ids_are_whole_numbers(api_as, wulibao_household, value, field):
    body = {"household": wulibao_household.pk, "kind": "survey", "outcome": "no_coal"}
    raw = (
        json.dumps(body)[:-1] + f', "{field}": {value}}}'
        if field != "household"
        else json.dumps({k: v for k, v in body.items() if k != "household"})[:-1] + f', "household": {value}}}'
    )

    response = post(api_as("wulibao_inspector"), "/api/v1/inspections/", raw)

    assert response.status_code == 400, response.content
    assert response.json() == {field: ["请填写记录的编号（整数）。"]}
    assert not Inspection.objects.exists()


def test_a_whole_number_written_as_a_float_is_that_id(api_as, wulibao_household):
    raw = f'{{"household": {wulibao_household.pk}.0, "kind": "survey", "outcome": "no_coal"}}'

    assert post(api_as("wulibao_inspector"), "/api/v1/inspections/", raw).status_code == 201


def test_departments_and_a_cases_household_too(api_as, wulibao_household):
    raw = f'{{"household": {wulibao_household.pk}, "kind": "survey", "outcome": "no_coal", "departments": [1e400]}}'
    assert post(api_as("wulibao_inspector"), "/api/v1/inspections/", raw).status_code == 400

    response = post(api_as("qu_admin"), "/api/v1/cases/", '{"household": 1e400}')
    assert response.status_code == 400 and "household" in response.json()
    assert not Case.objects.exists()


def test_a_household_outside_ones_view_is_refused_without_naming_the_key(api_as, wulibao_household):
    raw = f'{{"household": {wulibao_household.pk}, "kind": "survey", "outcome": "no_coal"}}'

    response = post(api_as("huaihelu_inspector"), "/api/v1/inspections/", raw)

    assert response.status_code == 400
    assert response.json() == {"household": [f"您可查看的记录中没有编号为 {wulibao_household.pk} 的记录。"]}


def test_a_unit_outside_ones_view_is_refused_in_plain_words(api_as, huaihelu_community):
    response = api_as("wulibao_inspector").post(
        "/api/v1/households/", {"division": huaihelu_community.code, "address": "外区1号"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["division"] == [f"您可查看的单位中没有代码为 {huaihelu_community.code} 的单位。"]


@pytest.mark.parametrize("moment", ["2026-12-05", " 2026-12-05 ", "20261205"])
def test_a_visits_time_is_a_moment_not_a_date(api_as, wulibao_household, moment):
    """ "2026-12-05" was read as its midnight: a visit counted as a night check."""
    body = {"household": wulibao_household.pk, "kind": "night_check", "outcome": "no_coal", "started_at": moment}

    response = api_as("wulibao_inspector").post("/api/v1/inspections/", body, format="json")

    assert response.status_code == 400 and list(response.json()) == ["started_at"]
    assert not Inspection.objects.exists()
