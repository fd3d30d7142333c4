"""The API's schema and documentation are for signed-in users unless API_DOCS_PUBLIC is on."""

import pytest
from django.test import Client, override_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PAGES = ["/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/"]


@pytest.mark.parametrize("path", PAGES)
def test_a_stranger_cannot_read_the_api_schema_or_docs(path):
    response = Client().get(path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("path", PAGES)
def test_a_signed_in_user_reads_the_api_schema_and_docs(people, path):
    browser = Client()
    browser.force_login(people["wulibao_inspector"])

    assert browser.get(path).status_code == 200


def test_a_script_with_a_token_reads_the_schema(people):
    _instance, token = AuthToken.objects.create(user=people["wulibao_inspector"])

    response = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/schema/")

    assert response.status_code == 200
    assert b"/api/v1/households/" in response.content


@override_settings(API_DOCS_PUBLIC=True)
@pytest.mark.parametrize("path", PAGES)
def test_with_api_docs_public_anyone_reads_the_schema_and_docs(path):
    assert Client().get(path).status_code == 200


def test_no_schema_description_is_a_note_to_developers(people):
    """A serializer without a docstring of its own inherited a mixin's: readers got notes on DRF's internals."""
    browser = Client()
    browser.force_login(people["wulibao_inspector"])
    schemas = browser.get("/api/v1/schema/?format=json").json()["components"]["schemas"]

    leaked = {name for name, schema in schemas.items() if "mixin" in schema.get("description", "").lower()}
    assert not leaked
    assert "took away" in schemas["Seizure"]["description"]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("zh-CN", ["调用者辖区内没有该记录。", "区散煤治理办公室的住户台账"]),
        ("en", ["No such record within the caller's jurisdiction.", "Household register, field work"]),
    ],
)
def test_the_schemas_own_texts_are_in_the_language_asked_for(people, language, said):
    """An outside tester read the schema's answers ("No such record…") and its description in English only."""
    _instance, token = AuthToken.objects.create(user=people["wulibao_inspector"])

    schema = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get(
        "/api/v1/schema/?format=json", HTTP_ACCEPT_LANGUAGE=language
    )

    text = schema.content.decode("unicode_escape") if b"\\u" in schema.content else schema.content.decode()
    assert all(words in text for words in said), said
