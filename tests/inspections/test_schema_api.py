"""The OpenAPI schema describes every field-work endpoint, and generates without a warning."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

FIELDWORK_PATHS = [
    "/api/v1/inspections/",
    "/api/v1/operations/",
    "/api/v1/operations/{id}/void/",
    "/api/v1/purchases/",
    "/api/v1/purchases/{id}/void/",
    "/api/v1/bans/",
    "/api/v1/bans/{id}/void/",
    "/api/v1/conversions/",
    "/api/v1/conversions/{id}/void/",
    "/api/v1/conversion-targets/",
    "/api/v1/conversion-targets/{id}/",
    "/api/v1/publicity/",
    "/api/v1/publicity/{id}/void/",
    "/api/v1/departments/",
]


def test_the_schema_lists_every_field_work_endpoint(api_as):
    response = api_as("wulibao_inspector").get("/api/v1/schema/")

    assert response.status_code == 200
    paths = yaml.safe_load(response.content)["paths"]
    assert [path for path in FIELDWORK_PATHS if path not in paths] == []
    assert set(paths["/api/v1/operations/{id}/"]) >= {"get", "patch"}
    assert "put" not in paths["/api/v1/operations/{id}/"]
    assert "post" not in paths["/api/v1/departments/"]


def test_the_schema_generates_and_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/v1/bans/" in (tmp_path / "schema.yaml").read_text(encoding="utf-8")


def schema_of(api_as) -> dict:
    response = api_as("qu_admin").get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_requests_and_responses_have_their_own_components_so_a_client_never_sends_read_only_fields(api_as):
    components = schema_of(api_as)["components"]["schemas"]

    assert "recorded_at" in components["Inspection"]["properties"]
    assert "recorded_at" not in components["InspectionRequest"]["properties"]
    assert "problems" in components["SupervisionNoticeRequest"]["required"]
    assert "problems" not in components["SupervisionNotice"]["properties"]


def test_a_case_read_back_may_come_from_a_notice_though_a_client_opens_one_only_from_a_tip_off_or_spot_check(api_as):
    components = schema_of(api_as)["components"]["schemas"]

    assert components["Case"]["properties"]["source"] == {"$ref": "#/components/schemas/CaseSourceEnum"}
    assert set(components["CaseSourceEnum"]["enum"]) == {"notice", "night_check", "tip_off", "spot_check"}
    assert components["CaseRequest"]["properties"]["source"] == {"$ref": "#/components/schemas/CaseOpenedSourceEnum"}
    assert components["CaseOpenedSourceEnum"]["enum"] == ["tip_off", "spot_check"]


def test_fields_answered_as_null_are_nullable_in_responses(api_as):
    components = schema_of(api_as)["components"]["schemas"]

    assert components["Household"]["properties"]["priority_station"]["nullable"] is True
    assert components["Case"]["properties"]["escalated_to"]["nullable"] is True
    assert components["Case"]["properties"]["reporter_name"]["nullable"] is True
    assert "nullable" not in components["CaseRequest"]["properties"]["reporter_name"]
    assert components["Division"]["properties"]["parent"]["nullable"] is True


def test_a_visit_is_sent_as_json_with_seizures_or_as_multipart_with_photos_and_seizures_as_json_text(api_as):
    schema = schema_of(api_as)
    body = schema["paths"]["/api/v1/inspections/"]["post"]["requestBody"]["content"]
    multipart = schema["components"]["schemas"]["InspectionUploadRequest"]["properties"]

    assert set(body) == {"application/json", "multipart/form-data"}
    assert schema["components"]["schemas"]["Inspection"]["properties"]["seizures"]["type"] == "array"
    assert multipart["photos"]["items"] == {"type": "string", "format": "binary"}
    assert multipart["seizures"]["type"] == "string"


def test_only_requests_that_take_photos_list_multipart_and_none_lists_form_encoding(api_as):
    paths = schema_of(api_as)["paths"]
    multipart = {
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    }
    form = [
        path
        for path, operations in paths.items()
        for operation in operations.values()
        if "application/x-www-form-urlencoded" in operation.get("requestBody", {}).get("content", {})
    ]

    assert multipart == {
        "POST /api/v1/inspections/",
        "POST /api/v1/bans/",
        "POST /api/v1/publicity/",
        "POST /api/v1/cases/{id}/rectify/",
    }
    assert form == []


def test_every_operation_documents_the_error_answers_in_the_projects_shape(api_as):
    schema = schema_of(api_as)
    operations = [op for operations in schema["paths"].values() for op in operations.values()]

    assert all({"400", "401", "403", "404"} <= set(operation["responses"]) for operation in operations)
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "code"]
    assert "200" in schema["paths"]["/api/v1/inspections/"]["post"]["responses"]  # a repeated client_uuid
