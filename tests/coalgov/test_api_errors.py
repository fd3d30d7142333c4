"""Whatever goes wrong under /api/, the answer is JSON in the API's shape, in the client's language.

A refusal with one message is `{"detail": "…", "code": "…"}`; the site's pages keep their Chinese error pages.
Requests go through the whole stack (middleware, URL resolver, handlers): a token, a signed-in browser, nobody.
"""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.utils import translation
from knox.models import AuthToken
from rest_framework.test import APIClient

from coalgov.views import bad_request, page_not_found, permission_denied
from households.models import Household
from inspections.models import Inspection

NOT_FOUND = {"detail": "未找到。", "code": "not_found"}
NOT_FOUND_EN = {"detail": "Not found.", "code": "not_found"}

# Every resource with a detail route; 999999 is no record's id.
DETAIL_ROUTES = [
    "households",
    "inspections",
    "operations",
    "purchases",
    "bans",
    "conversions",
    "conversion-targets",
    "publicity",
    "departments",
    "cases",
    "notices",
    "accountability",
    "divisions",
]


@pytest.fixture(autouse=True)
def chinese_after():
    # A request answered in English leaves English active in the test's thread.
    yield
    translation.activate("zh-hans")


@pytest.fixture
def token_client(people):
    """A program on the API with the inspector's token (no session, as a phone app or a script)."""

    def make(**headers):
        _instance, token = AuthToken.objects.create(user=people["wulibao_inspector"])
        return APIClient(HTTP_AUTHORIZATION=f"Token {token}", **headers)

    return make


def household(community) -> dict:
    return {"division": community.code, "estate": "龙亭小区", "building": "3", "unit": "2", "room": "501"}


def json_of(response):
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/nonexistent/", "/api/v1/households/1/nothing/", "/api/", "/api/v2/x/"])
@pytest.mark.parametrize("accept", ["application/json", "text/html", "*/*"])
def test_an_unknown_api_path_is_a_json_404_with_a_token_or_without(token_client, path, accept):
    with_token = token_client().get(path, HTTP_ACCEPT=accept)
    without = Client().get(path, HTTP_ACCEPT=accept)

    assert (with_token.status_code, json_of(with_token)) == (404, NOT_FOUND)
    assert (without.status_code, json_of(without)) == (404, NOT_FOUND)


@pytest.mark.django_db
def test_a_post_to_an_unknown_api_path_is_a_json_404_from_a_program_or_a_signed_in_browser(people, token_client):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people["wulibao_inspector"])

    from_browser = browser.post("/api/v1/nonexistent/", {"a": "b"})
    from_program = token_client().post("/api/v1/nonexistent/", {"a": "b"}, format="json")

    assert (from_browser.status_code, json_of(from_browser)) == (404, NOT_FOUND)
    assert (from_program.status_code, json_of(from_program)) == (404, NOT_FOUND)


@pytest.mark.django_db
def test_a_visit_posted_without_the_closing_slash_is_refused_not_redirected_into_a_list(
    token_client, wulibao_household
):
    """A redirected POST comes back as a GET of the list: a client would read that 200 as "sent"."""
    from inspections.models import Inspection

    visit = {"household": wulibao_household.pk, "kind": "survey", "outcome": "no_coal"}
    response = token_client().post("/api/v1/inspections", visit, format="json")
    listed = token_client().get("/api/v1/inspections")

    assert (response.status_code, json_of(response)) == (404, NOT_FOUND)
    assert not Inspection.objects.exists()
    assert listed.status_code == 301  # reading still finds its way
    assert listed["Location"] == "/api/v1/inspections/"


@pytest.mark.django_db
def test_an_unknown_page_still_gets_the_chinese_404_page(client_as):
    response = client_as("wulibao_inspector").get("/nonexistent/", HTTP_ACCEPT="application/json")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "页面不存在" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("route", DETAIL_ROUTES)
def test_a_record_that_does_not_exist_is_not_found_in_chinese_without_naming_the_model(token_client, route):
    response = token_client().get(f"/api/v1/{route}/999999/")

    assert (response.status_code, json_of(response)) == (404, NOT_FOUND)


@pytest.mark.django_db
def test_a_record_outside_ones_jurisdiction_reads_exactly_like_one_that_does_not_exist(api_as, wulibao_household):
    api = api_as("huaihelu_inspector")

    outside = api.get(f"/api/v1/households/{wulibao_household.pk}/")
    missing = api.get("/api/v1/households/999999/")
    not_a_number = api.get("/api/v1/households/abc/")

    assert outside.status_code == missing.status_code == not_a_number.status_code == 404
    assert json_of(outside) == json_of(missing) == json_of(not_a_number) == NOT_FOUND


@pytest.mark.django_db
def test_a_client_that_asks_for_english_gets_english_errors(token_client, wulibao_household):
    api = token_client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    missing = api.get("/api/v1/households/999999/")
    unknown = api.get("/api/v1/nonexistent/")
    broken = api.post("/api/v1/inspections/", "{oops", content_type="application/json")

    assert json_of(missing) == json_of(unknown) == NOT_FOUND_EN
    assert json_of(broken) == {"detail": "The request body is not valid JSON.", "code": "invalid_json"}


@pytest.mark.django_db
def test_a_client_that_asks_for_a_language_the_site_lacks_gets_chinese(token_client):
    response = token_client(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").get("/api/v1/households/999999/")

    assert json_of(response) == NOT_FOUND


@pytest.mark.django_db
def test_the_phone_page_in_an_english_browser_gets_errors_in_the_sites_language(client_as):
    # The page is Chinese until English is chosen; its API calls (with the session) must say the same.
    browser = client_as("wulibao_inspector")

    before = browser.get("/api/v1/households/999999/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    browser.post("/i18n/setlang/", {"language": "en", "next": "/field/"})
    after = browser.get("/api/v1/households/999999/")

    assert json_of(before) == NOT_FOUND
    assert json_of(after) == NOT_FOUND_EN


@pytest.mark.django_db
def test_malformed_json_is_a_400_that_says_so_in_chinese_and_stores_nothing(api_as, wulibao_household):
    api = api_as("wulibao_inspector")

    registered = api.post("/api/v1/households/", '{"estate": "龙亭", }', content_type="application/json")
    visit = api.post("/api/v1/inspections/", "{oops", content_type="application/json")
    edit = api.patch(f"/api/v1/households/{wulibao_household.pk}/", "[", content_type="application/json")

    for response in (registered, visit, edit):
        assert (response.status_code, json_of(response)) == (
            400,
            {"detail": "请求内容不是有效的 JSON。", "code": "invalid_json"},
        )
    assert Household.objects.count() == 1


@pytest.mark.django_db
def test_json_nested_too_deeply_to_read_is_invalid_json_not_a_server_error(api_as, wulibao_household):
    # A 2 KB body that exhausted the decoder's recursion was a 500; sent as JSON or as a visit's seizures text.
    api = api_as("wulibao_inspector")
    deep = "[" * 1100 + "]" * 1100

    visit = api.post("/api/v1/inspections/", f'{{"notes": {deep}}}', content_type="application/json")
    edit = api.patch(f"/api/v1/households/{wulibao_household.pk}/", deep, content_type="application/json")
    form = api.post(
        "/api/v1/inspections/",
        {"household": wulibao_household.pk, "kind": "survey", "outcome": "no_coal", "seizures": deep},
        format="multipart",
    )

    for response in (visit, edit):
        assert (response.status_code, json_of(response)) == (
            400,
            {"detail": "请求内容不是有效的 JSON。", "code": "invalid_json"},
        )
    assert form.status_code == 400 and "seizures" in form.json()
    assert Inspection.objects.count() == 0


@pytest.mark.django_db
def test_a_multipart_body_without_its_boundary_is_a_400_in_chinese(api_as):
    response = api_as("wulibao_inspector").post("/api/v1/inspections/", b"--x\r\n", content_type="multipart/form-data")

    assert response.status_code == 400
    body = json_of(response)
    assert body["code"] == "unreadable_body"
    assert "Multipart" not in body["detail"] and "请求内容" in body["detail"]


@pytest.mark.django_db
def test_a_request_with_too_many_fields_is_a_json_400(token_client):
    response = token_client().post("/api/v1/inspections/", {f"f{n}": "x" for n in range(1100)})

    # Django refuses the form before the viewset sees it: handler400, in the API's shape.
    assert (response.status_code, json_of(response)) == (400, {"detail": "错误的请求。", "code": "bad_request"})


@pytest.mark.django_db
def test_a_session_post_without_its_csrf_token_is_a_json_403_in_chinese_and_stores_nothing(people, wulibao_community):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people["wulibao_worker"])

    response = browser.post("/api/v1/households/", household(wulibao_community), content_type="application/json")

    assert response.status_code == 403
    body = json_of(response)
    assert body["code"] == "csrf_failed"
    assert "重新加载" in body["detail"] and "CSRF Failed" not in body["detail"]
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_a_session_post_with_its_csrf_token_still_goes_through(people, wulibao_community):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people["wulibao_worker"])
    browser.get("/field/")  # sets the csrftoken cookie, as the phone page does

    response = browser.post(
        "/api/v1/households/",
        household(wulibao_community),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value,
    )

    assert response.status_code == 201


@pytest.mark.django_db
def test_a_method_the_resource_lacks_is_a_json_405_in_chinese(api_as, wulibao_household):
    response = api_as("wulibao_admin").delete(f"/api/v1/households/{wulibao_household.pk}/")

    assert (response.status_code, json_of(response)) == (
        405,
        {"detail": "方法 “DELETE” 不被允许。", "code": "method_not_allowed"},
    )
    assert Household.objects.filter(voided_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_a_refused_change_is_a_json_403_in_chinese(api_as, wulibao_household):
    # The district leader views everything and enters nothing in the register.
    response = api_as("qu_leader").patch(
        f"/api/v1/households/{wulibao_household.pk}/", {"head_name": "李"}, format="json"
    )

    assert (response.status_code, json_of(response)) == (
        403,
        {"detail": "您没有执行该操作的权限。", "code": "permission_denied"},
    )


@pytest.mark.django_db
def test_an_anonymous_call_is_a_json_401_in_chinese_that_asks_for_a_token(client):
    response = client.get("/api/v1/households/")

    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")
    assert json_of(response) == {"detail": "身份认证信息未提供。", "code": "not_authenticated"}


@pytest.mark.django_db
def test_drf_field_messages_are_chinese(api_as, wulibao_community):
    response = api_as("wulibao_worker").post(
        "/api/v1/households/", {"division": wulibao_community.code, "latitude": "north"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["latitude"] == ["请填写合法的数字。"]


@pytest.mark.django_db
def test_a_broken_cursor_is_a_json_400_on_the_cursor_in_chinese(api_as):
    # A bad parameter, not a page that does not exist (an outside tester's integrator expected 400, as for the
    # other parameters).
    response = api_as("wulibao_inspector").get("/api/v1/households/", {"cursor": "garbage"})

    assert response.status_code == 400
    assert json_of(response) == {"cursor": ["该游标不是本列表给出的：请使用返回结果中的上一页或下一页链接。"]}


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "largest"), [("/api/v1/households/", 200), ("/api/v1/readings/", 1000)])
@pytest.mark.parametrize("size", ["abc", "0", "-5", "1.5", "100000"])
def test_a_page_size_out_of_range_is_a_400_naming_the_range(api_as, path, largest, size):
    # DRF read these as the default or the largest size, silently.
    response = api_as("qu_admin").get(path, {"page_size": size})

    assert response.status_code == 400
    assert json_of(response) == {"page_size": [f"每页条数请填写1至{largest}之间的整数。"]}


@pytest.mark.django_db
def test_a_page_size_in_range_is_the_pages_size(api_as, wulibao_household):
    response = api_as("qu_admin").get("/api/v1/households/", {"page_size": "1"})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    assert api_as("qu_admin").get("/api/v1/households/", {"page_size": ""}).status_code == 200  # left empty


@pytest.mark.parametrize(
    ("handler", "status", "body"),
    [
        (permission_denied, 403, {"detail": "您没有执行该操作的权限。", "code": "permission_denied"}),
        (bad_request, 400, {"detail": "错误的请求。", "code": "bad_request"}),
        (page_not_found, 404, NOT_FOUND),
    ],
)
def test_what_django_refuses_before_any_api_view_runs_is_json_under_api_and_a_page_elsewhere(handler, status, body):
    # A middleware's refusal (a bad Host, too many fields) reaches these handlers, not DRF's.
    api = handler(RequestFactory().get("/api/v1/households/"), Exception())
    page_request = RequestFactory().get("/households/")
    page_request.user = AnonymousUser()
    page = handler(page_request, Exception())

    assert (api.status_code, json_of(api)) == (status, body)
    assert page.status_code == status and page["Content-Type"].startswith("text/html")


def test_a_signed_in_browser_gets_json_not_drfs_english_pages(client_as):
    """An outside tester opened /api/v1/households/ signed in: DRF's browsable API, in English."""
    client = client_as("wulibao_inspector")
    for path in ("/api/v1/households/?page_size=2", "/api/v1/households/?cursor=zzz"):
        response = client.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
        assert response["Content-Type"] == "application/json", path
    assert client.get("/api/v1/households/?format=api").status_code == 404


@pytest.mark.django_db
def test_the_schema_refused_to_a_stranger_is_the_apis_json_error(client):
    """An outside integrator: the 401 came as a YAML document describing the error."""
    response = client.get("/api/v1/schema/")

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_the_schema_still_comes_as_yaml_to_who_may_read_it(api_as):
    response = api_as("wulibao_inspector").get("/api/v1/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
