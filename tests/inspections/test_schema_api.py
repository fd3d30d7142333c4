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
