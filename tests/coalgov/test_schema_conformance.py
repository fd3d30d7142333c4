"""The OpenAPI schema is the truth: every answer the API gives is one the schema documents.

Schemathesis generates requests from the schema for every operation and checks each answer: no server error, a
documented status, a documented content type and a body that fits the documented schema. It runs as the district
office and as an inspector, against demo-like records, with a fixed seed and a few examples per operation (the
long run is bench/schemathesis_long.py).
"""

import datetime
import os

import pytest
import schemathesis
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Examples per operation: a few, with a fixed seed, in the suite; bench/schemathesis_long.py asks for many, at random.
LONG_RUN_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "0"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# A CSRF secret of our own choosing: sent as the cookie and as the header, as a browser's page would.
CSRF = "schemathesisschemathesisschemat1"


def demo_records(people, wulibao, community) -> dict:
    """One record of each kind, entered through the API as the district office would (paths to read them)."""
    api = APIClient()
    api.force_authenticate(people["qu_admin"])
    today = datetime.date.today().isoformat()

    def post(path, data, **kwargs):
        response = api.post(path, data, format=kwargs.pop("format", "json"), **kwargs)
        assert response.status_code in (200, 201), (path, response.content)
        return response.json()

    place = {"division": community.code, "estate": "铁路新村"}
    # An elderly resident living alone: purchases may be made from them.
    home = post("/api/v1/households/", {**place, "building": "7", "room": "304", "elderly_alone": True})
    shop = post("/api/v1/households/", {**place, "building": "8", "kind": "coal_sale_point"})
    seizure = {"item": "briquette", "quantity": "50", "method": "confiscated"}
    visit = post(
        "/api/v1/inspections/",
        {"household": home["id"], "kind": "survey", "outcome": "loose_coal", "seizures": [seizure]},
    )
    case = post(
        "/api/v1/cases/",
        {"source": "tip_off", "responsible_unit": community.code, "title": "散煤堆放", "household": home["id"]},
    )
    notice = post(
        "/api/v1/notices/",
        {
            "division": wulibao.code,
            "number": "督办〔2026〕1号",
            "issued_on": today,
            "level": "district",
            "title": "散煤督办",
            "problems": [{"responsible_unit": community.code, "title": "散煤复烧"}],
        },
    )
    operation = post(
        "/api/v1/operations/",
        {"division": wulibao.code, "date": today, "title": "零点夜查", "leader": "张队", "covered": [community.code]},
    )
    purchase = post(
        "/api/v1/purchases/",
        {"household": home["id"], "item": "briquette", "quantity": "100", "unit_price": "1.2", "market_price": "1.0"},
    )
    ban = post("/api/v1/bans/", {"household": shop["id"], "kind": "sale_point"})
    conversion = post("/api/v1/conversions/", {"household": home["id"], "kind": "electricity", "status": "planned"})
    target = post("/api/v1/conversion-targets/", {"division": community.code, "season": "2026-2027", "households": 10})
    publicity = post("/api/v1/publicity/", {"division": community.code, "kind": "banner", "count": 2})
    measure = post("/api/v1/accountability/", {"kind": "praise", "unit": community.code, "reason": "整改迅速"})
    return {
        "/api/v1/households/{id}/": home["id"],
        "/api/v1/inspections/{id}/": visit["id"],
        "/api/v1/cases/{id}/": case["id"],
        "/api/v1/notices/{id}/": notice["id"],
        "/api/v1/operations/{id}/": operation["id"],
        "/api/v1/purchases/{id}/": purchase["id"],
        "/api/v1/bans/{id}/": ban["id"],
        "/api/v1/conversions/{id}/": conversion["id"],
        "/api/v1/conversion-targets/{id}/": target["id"],
        "/api/v1/publicity/{id}/": publicity["id"],
        "/api/v1/accountability/{id}/": measure["id"],
        "/api/v1/divisions/{code}/": community.code,
    }


def signed_in(user) -> dict:
    """A signed-in session and its CSRF token, as the browser's pages send them (independent of API tokens)."""
    client = Client()
    client.force_login(user)
    assert client.session[SESSION_KEY] == str(user.pk)
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    return {"cookies": {**cookies, settings.CSRF_COOKIE_NAME: CSRF}, "headers": {"X-CSRFToken": CSRF}}


def in_test_transaction(app):
    """The WSGI app, serving requests on the test's own connection (as Django's test client does, the end of a
    request does not close it), so every request sees the test's records and the test rolls all back."""

    def serve(environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return list(app(environ, start_response))
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return serve


def conformance_failures(session: dict, *, max_examples: int, seed_paths: dict | None = None) -> list[str]:
    """Every operation, with generated requests and (seed_paths) a read of a real record; the failures found."""
    reader = Client()
    reader.cookies.load(session["cookies"])
    response = reader.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = schemathesis.openapi.from_dict(response.json())
    schema.app = in_test_transaction(get_wsgi_application())
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @hypothesis_settings(
            max_examples=LONG_RUN_EXAMPLES or max_examples,
            derandomize=not LONG_RUN_EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(**session, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - every operation is tried; each failure is reported
            failures.append(f"{operation.label}: {exc}")
        if seed_paths and operation.method.upper() == "GET" and operation.path in seed_paths:
            name = "code" if "{code}" in operation.path else "id"
            case = operation.Case(path_parameters={name: seed_paths[operation.path]})
            try:
                response = case.call_and_validate(**session, checks=CHECKS)
                assert response.status_code == 200, (operation.label, response.status_code)
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{operation.label} (a real record): {exc}")
    return failures


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["qu_admin", "wulibao_inspector"])
def test_every_answer_of_every_operation_is_one_the_schema_documents(people, wulibao, wulibao_community, username):
    records = demo_records(people, wulibao, wulibao_community)

    failures = conformance_failures(signed_in(people[username]), max_examples=4, seed_paths=records)

    assert failures == []
