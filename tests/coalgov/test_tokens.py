"""API tokens (django-rest-knox): obtained with a password at the same address as before, stored hashed, expiring,
listed and revoked by their owner at /tokens/ and by the district office on the user's page, and ended when the
password changes or the user is deactivated."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from coalgov.models import AuditEvent

pytestmark = pytest.mark.django_db

STRONG = "Sanmei-2017-erqi!"


def obtain(username="wulibao_inspector", password="pw"):
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def opens_api(token: str) -> int:
    return APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/me/").status_code


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_a_token_obtained_with_a_password_works_until_its_lifetime_ends(people):
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC), tick=False):
        answer = obtain()
        assert opens_api(answer["token"]) == 200
        assert answer["expiry"].startswith("2026-12-31")  # API_TOKEN_DAYS = 30

    with time_machine.travel(datetime.datetime(2026, 12, 30, 9, 0, tzinfo=datetime.UTC), tick=False):
        assert opens_api(answer["token"]) == 200
    with time_machine.travel(datetime.datetime(2026, 12, 31, 9, 1, tzinfo=datetime.UTC), tick=False):
        response = APIClient(HTTP_AUTHORIZATION=f"Token {answer['token']}").get("/api/v1/me/")
    assert (response.status_code, response.json()["code"]) == (401, "token_expired")


def test_tokens_are_stored_hashed_so_the_database_never_holds_one_that_works(people):
    token = obtain()["token"]

    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, token_key FROM knox_authtoken")
        rows = cursor.fetchall()
    assert len(rows) == 1
    digest, key = rows[0]
    assert token not in digest and len(key) < len(token)


def test_a_wrong_password_gets_no_token(people):
    response = APIClient().post("/api/v1/auth/token/", {"username": "wulibao_inspector", "password": "nope"})

    assert response.status_code == 400
    assert not AuthToken.objects.exists()


def test_a_token_stops_working_after_the_password_changes_on_the_password_page(people):
    user = people["wulibao_inspector"]
    token = obtain()["token"]

    response = signed_in(user).post(
        reverse("password_change"), {"old_password": "pw", "new_password1": STRONG, "new_password2": STRONG}
    )

    assert response.status_code == 302
    assert opens_api(token) == 401
    assert opens_api(obtain(password=STRONG)["token"]) == 200


def test_a_token_stops_working_when_the_password_is_set_anywhere_else(people):
    """The admin, `manage.py changepassword` and any service end up here: set_password, then save."""
    user = people["wulibao_inspector"]
    token = obtain()["token"]

    user.set_password(STRONG)
    user.save()

    assert opens_api(token) == 401


def test_signing_in_again_does_not_end_tokens(people):
    token = obtain()["token"]

    assert Client().post(reverse("login"), {"username": "wulibao_inspector", "password": "pw"}).status_code == 302
    assert opens_api(token) == 200


def test_deactivating_a_user_ends_their_tokens_and_reactivating_does_not_bring_them_back(people):
    token = obtain()["token"]
    office = signed_in(people["qu_admin"])
    page = reverse("divisions:user-detail", args=[people["wulibao_inspector"].pk])

    office.post(page, {"operation": "deactivate", "reason": "调离"})
    assert opens_api(token) == 401
    office.post(page, {"operation": "activate"})

    assert opens_api(token) == 401
    assert not AuthToken.objects.filter(user=people["wulibao_inspector"]).exists()


def test_the_owner_lists_makes_and_revokes_tokens_on_my_tokens(people):
    user = people["wulibao_inspector"]
    script, phone = obtain()["token"], obtain()["token"]
    browser = signed_in(user)

    page = browser.get(reverse("tokens")).content.decode()
    assert page.count('value="revoke"') == 2
    assert script[:8] in page and phone[:8] in page
    assert script not in page  # only the first characters, to tell them apart

    made = browser.post(reverse("tokens"), {"operation": "create"})
    new = made.context["new_token"]
    assert opens_api(new) == 200

    response = browser.post(reverse("tokens"), {"operation": "revoke", "token": script[:15]}, follow=True)
    assert "已撤销 1 个令牌" in response.content.decode()
    assert (opens_api(script), opens_api(phone), opens_api(new)) == (401, 200, 200)
    event = AuditEvent.objects.get(action="token.revoked")
    assert (event.actor, event.object_id, event.division_code) == (user, str(user.pk), "410103006")

    browser.post(reverse("tokens"), {"operation": "revoke_all"})
    assert (opens_api(phone), opens_api(new)) == (401, 401)


def test_nobody_revokes_another_users_token_from_their_own_token_page(people):
    token = obtain()["token"]
    stranger = signed_in(people["huaihelu_inspector"])

    response = stranger.post(reverse("tokens"), {"operation": "revoke", "token": token[:15]}, follow=True)

    assert "该令牌已不存在" in response.content.decode()
    assert opens_api(token) == 200


def test_the_district_office_sees_and_revokes_a_users_tokens_on_the_users_page(people):
    token, other = obtain()["token"], obtain()["token"]
    office = signed_in(people["qu_admin"])
    page = reverse("divisions:user-detail", args=[people["wulibao_inspector"].pk])

    assert token[:8] in office.get(page).content.decode()
    office.post(page, {"operation": "revoke_token", "token": token[:15]})
    assert (opens_api(token), opens_api(other)) == (401, 200)

    office.post(page, {"operation": "revoke_all_tokens"})
    assert opens_api(other) == 401
    assert AuditEvent.objects.filter(action="token.revoked", actor=people["qu_admin"]).count() == 2


def test_a_unit_that_does_not_administer_the_user_cannot_revoke_their_tokens(people):
    token = obtain()["token"]
    outsider = signed_in(people["wulibao_inspector"])  # an inspector administers nobody
    page = reverse("divisions:user-detail", args=[people["wulibao_worker"].pk])

    assert outsider.post(page, {"operation": "revoke_all_tokens"}).status_code == 403
    assert opens_api(token) == 200


def test_the_token_lifetime_comes_from_the_environment():
    assert settings.REST_KNOX["TOKEN_TTL"] == datetime.timedelta(days=30)


def test_a_token_from_before_knox_keeps_working_after_the_migration_until_it_expires(people):
    """Migration divisions/0002 carries DRF's plain-text tokens over, hashed and expiring, and drops the plain text."""
    import importlib

    from django.apps import apps
    from rest_framework.authtoken.models import Token

    carry = importlib.import_module("divisions.migrations.0002_api_tokens_hashed_and_expiring").carry_tokens
    start = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        old = Token.objects.create(user=people["wulibao_inspector"]).key
        carry(apps, None)

        assert not Token.objects.exists()
        assert opens_api(old) == 200
    with time_machine.travel(start + datetime.timedelta(days=31), tick=False):
        assert opens_api(old) == 401


def test_a_user_holds_at_most_the_configured_number_of_tokens_and_each_one_made_is_audited(people, settings):
    settings.API_TOKENS_PER_USER = 3
    tokens = [obtain()["token"] for _ in range(2)]
    browser = signed_in(people["wulibao_inspector"])
    assert browser.post(reverse("tokens"), {"operation": "create"}).status_code == 200

    refused = APIClient().post("/api/v1/auth/token/", {"username": "wulibao_inspector", "password": "pw"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "token_limit" and "3" in refused.json()["detail"]
    page = browser.post(reverse("tokens"), {"operation": "create"})
    assert page.status_code == 400 and "仍然有效的API令牌" in page.content.decode()
    assert AuthToken.objects.filter(user=people["wulibao_inspector"]).count() == 3

    made = AuditEvent.objects.filter(action="token.created", actor=people["wulibao_inspector"])
    assert sorted(e.changes["via"][1] for e in made) == ["/api/v1/auth/token/"] * 2 + ["/tokens/"]
    keys = set(AuthToken.objects.values_list("token_key", flat=True))
    assert {e.changes["tokens"][1] for e in made} == keys
    assert not any(t in str(e.changes) for e in made for t in tokens)  # the key is public, the token is not

    # Revoking one makes room again; an expired one does not count.
    browser.post(reverse("tokens"), {"operation": "revoke", "token": sorted(keys)[0]})
    assert (
        APIClient().post("/api/v1/auth/token/", {"username": "wulibao_inspector", "password": "pw"}).status_code == 200
    )
    AuthToken.objects.filter(user=people["wulibao_inspector"]).update(
        expiry=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    assert (
        APIClient().post("/api/v1/auth/token/", {"username": "wulibao_inspector", "password": "pw"}).status_code == 200
    )


def test_an_expired_token_is_told_apart_from_a_revoked_or_made_up_one_in_chinese(people):
    """knox answered both "Invalid token." in English: the script's owner could not tell to get a new token."""
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC), tick=False):
        expiring = obtain()["token"]
    with time_machine.travel(datetime.datetime(2026, 12, 20, 9, 0, tzinfo=datetime.UTC), tick=False):
        kept = obtain()["token"]
    with time_machine.travel(datetime.datetime(2026, 12, 31, 9, 1, tzinfo=datetime.UTC), tick=False):
        expired = APIClient(HTTP_AUTHORIZATION=f"Token {expiring}").get("/api/v1/me/")
        made_up = APIClient(HTTP_AUTHORIZATION=f"Token {kept[:-4]}abcd").get("/api/v1/me/")

    assert expired.status_code == 401 and expired["WWW-Authenticate"] == "Token"
    assert expired.json() == {"detail": "该API令牌已过期，请用密码重新获取。", "code": "token_expired"}
    assert made_up.status_code == 401
    refused = {"detail": "该API令牌无效：已被撤销或不存在，请重新获取。", "code": "authentication_failed"}
    assert made_up.json() == refused


def test_an_expired_token_says_so_every_time_until_a_working_token_of_its_user_clears_it(people):
    user = people["wulibao_inspector"]
    _, expired = AuthToken.objects.create(user=user, expiry=datetime.timedelta(seconds=-1))
    answers = [APIClient(HTTP_AUTHORIZATION=f"Token {expired}").get("/api/v1/me/") for _ in range(2)]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [(401, "token_expired")] * 2

    assert opens_api(obtain()["token"]) == 200  # knox clears its user's expired tokens as a working one is used
    assert AuthToken.objects.filter(user=user).count() == 1
