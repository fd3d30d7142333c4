"""An integrator's client, generated from the schema by openapi-python-client, imports and does a day's work.

The client is generated from the live schema into a temporary directory, every module of it is imported, and it
runs the journey of an integrator over the in-process app: sign in for a token, page through every list, read
one of each, record a visit with a seizure and a photo, raise a notice with problems and void a record. Every
answer must be a documented status (the client raises otherwise) and parse into its model.
"""

import importlib
import io
import json
import pkgutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.wsgi import get_wsgi_application
from PIL import Image

from .test_schema_conformance import demo_records, in_test_transaction

pytestmark = pytest.mark.django_db

PACKAGE = "coalgov_client"


def without_unset_bug(templates: Path) -> Path:
    """openapi-python-client 0.29.1's endpoint template, with its one bug for our schema mended.

    Its macro sets `body_required` inside a Jinja for loop, where the assignment does not outlive the loop: an
    operation with two request media types (JSON, or multipart with photos) is declared `| Unset = UNSET` without
    importing Unset, and its module cannot be imported. A namespace carries the value out of the loop.
    """
    import openapi_python_client

    source = Path(openapi_python_client.__file__).parent / "templates" / "endpoint_macros.py.jinja"
    text = source.read_text(encoding="utf-8")
    buggy = "{% set body_required = body_required and body.prop.required %}"
    assert buggy in text, "the generator changed: check whether the template still needs mending"
    text = text.replace(
        "body:\n    {%- for body in endpoint.bodies -%}",
        "{% set ns = namespace(required=true) %}body:\n    {%- for body in endpoint.bodies -%}",
    )
    text = text.replace(buggy, "{% set ns.required = ns.required and body.prop.required %}")
    text = text.replace(
        "{%- endfor -%}{% if not body_required %} | Unset = UNSET{% endif %}",
        "{%- endfor -%}{% if not ns.required %} | Unset = UNSET{% endif %}",
    )
    templates.mkdir()
    (templates / "endpoint_macros.py.jinja").write_text(text, encoding="utf-8")
    return templates


@pytest.fixture
def client_package(api_as, tmp_path):
    """The generated package, imported (every module of it)."""
    schema = api_as("qu_admin").get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    (tmp_path / "schema.json").write_bytes(schema.content)
    generator = Path(sys.executable).parent / "openapi-python-client"
    subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(tmp_path / "schema.json"),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / PACKAGE),
            "--custom-template-path",
            str(without_unset_bug(tmp_path / "templates")),
        ],
        check=True,
        capture_output=True,
    )
    sys.path.insert(0, str(tmp_path))
    try:
        package = importlib.import_module(PACKAGE)
        for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
            importlib.import_module(module.name)
        yield package
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def endpoint(name: str):
    """The generated module of an operation, by operationId (inspections_create), in whichever tag's package."""
    package = importlib.import_module(PACKAGE)
    (path,) = (Path(package.__file__).parent / "api").glob(f"*/{name}.py")
    return importlib.import_module(f"{PACKAGE}.api.{path.parent.name}.{name}")


def ok(response, *statuses):
    assert response.status_code in statuses, (response.status_code, response.content[:500])
    assert response.parsed is not None
    return response.parsed


def a_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "gray").save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_generated_client_imports_and_runs_an_integrators_journey(client_package, people, wulibao, wulibao_community):
    records = demo_records(people, wulibao, wulibao_community)
    models = importlib.import_module(f"{PACKAGE}.models")
    transport = httpx.WSGITransport(app=in_test_transaction(get_wsgi_application()))
    args = {"base_url": "http://localhost", "raise_on_unexpected_status": True, "httpx_args": {"transport": transport}}

    signed_in = endpoint("auth_token_create").sync_detailed(
        client=client_package.Client(**args), body=models.AuthTokenRequest(username="qu_admin", password="pw")
    )
    client = client_package.AuthenticatedClient(token=ok(signed_in, 200).token, prefix="Token", **args)

    ok(endpoint("me_retrieve").sync_detailed(client=client), 200)
    api_dir = Path(client_package.__file__).parent / "api"
    lists = sorted(path.stem for path in api_dir.glob("*/*_list.py"))
    assert len(lists) == 16
    for name in lists:
        page, cursor, rows = None, None, []
        while True:
            kwargs = {"cursor": cursor} if cursor else {}
            page = ok(endpoint(name).sync_detailed(client=client, **kwargs), 200)
            if isinstance(page, list):  # departments: one short list, not paged
                rows += page
                break
            rows += page.results
            if not isinstance(page.next_, str):
                break
            cursor = parse_qs(urlsplit(page.next_).query)["cursor"][0]
        retrieve = name.replace("_list", "_retrieve")
        if rows and list(api_dir.glob(f"*/{retrieve}.py")):
            key = rows[0].code if name in ("divisions_list", "stations_list") else rows[0].id
            ok(endpoint(retrieve).sync_detailed(key, client=client), 200)

    household = records["/api/v1/households/{id}/"]
    upload = models.InspectionUploadRequest(
        household=household,
        kind=models.InspectionKindEnum.SURVEY,
        outcome=models.OutcomeEnum.LOOSE_COAL,
        seizures=json.dumps([{"item": "briquette", "quantity": "20", "method": "confiscated"}]),
        photos=[client_package.types.File(payload=io.BytesIO(a_photo()), file_name="炉子.jpg", mime_type="image/jpeg")],
    )
    visit = ok(endpoint("inspections_create").sync_detailed(client=client, body=upload), 201)
    assert [seizure.item for seizure in visit.seizures] == [models.SeizureItemEnum.BRIQUETTE]
    assert len(visit.photos) == 1

    notice = models.SupervisionNoticeRequest(
        division=wulibao.code,
        number="督办〔2026〕2号",
        issued_on=visit.recorded_at.date(),
        level=models.SupervisionNoticeLevelEnum.DISTRICT,
        title="散煤复烧督办",
        problems=[models.ProblemRequest(responsible_unit=wulibao_community.code, title="散煤复烧")],
    )
    raised = ok(endpoint("notices_create").sync_detailed(client=client, body=notice), 201)
    assert len(raised.cases) == 1

    voided = endpoint("inspections_void_create").sync_detailed(
        visit.id, client=client, body=models.FieldworkVoidRequest(reason="录入错误")
    )
    assert ok(voided, 200).voided_at is not None
