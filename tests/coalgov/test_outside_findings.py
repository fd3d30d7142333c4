"""What an outside security test of issue 11 found, each kept from coming back."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import TokenProxy

pytestmark = pytest.mark.django_db


def test_a_too_short_password_is_refused_in_chinese_on_a_chinese_page(people):
    office = Client()
    office.force_login(people["qu_admin"])
    response = office.post(
        reverse("divisions:user-detail", args=[people["wulibao_worker"].pk]),
        {"operation": "set_password", "new_password": "a7#", "reason": "忘记密码"},
        follow=True,
    )

    page = response.content.decode()
    assert "密码太短，至少需要 8 个字符。" in page
    assert "too short" not in page
    with translation.override("en"):
        from django.contrib.auth.password_validation import validate_password
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError, match="too short"):
            validate_password("a7#")


def test_a_sign_in_lasts_twelve_hours_not_two_weeks(people, settings):
    browser = Client()
    browser.post(reverse("login"), {"username": "wulibao_inspector", "password": "pw"})

    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert browser.cookies["sessionid"]["max-age"] == 12 * 3600


def test_the_admin_cannot_make_plain_text_tokens():
    assert not admin.site.is_registered(TokenProxy)


def test_the_permissions_policy_names_only_features_browsers_know(people):
    browser = Client()
    browser.force_login(people["qu_admin"])
    policy = browser.get(reverse("home"))["Permissions-Policy"]

    assert "bluetooth" not in policy  # Chromium warns "Unrecognized feature" on every page
    assert "geolocation=(self)" in policy and "camera=(self)" in policy and "microphone=()" in policy
