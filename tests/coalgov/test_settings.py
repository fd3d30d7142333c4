import os
import subprocess
import sys

import pytest
from knox.models import AuthToken


def run_settings(code: str = "", **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL"}}
    code = code or (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.LANGUAGE_CODE, s.TIME_ZONE, s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "coalgov.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_to_serve_without_a_secret_key():
    result = run_settings(code="import coalgov.wsgi")

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_management_commands_run_without_a_secret_key():
    result = run_settings()

    assert result.returncode == 0, result.stderr


def test_with_nothing_set_a_developer_gets_sqlite_chinese_and_no_broker():
    result = run_settings(DEBUG="1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["zh-hans", "Asia/Shanghai", "django.db.backends.sqlite3", "True"]


def test_database_and_broker_come_from_the_environment():
    result = run_settings(
        SECRET_KEY="x", DATABASE_URL="postgres://u:p@db:5432/coalgov", REDIS_URL="redis://redis:6379/0"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["zh-hans", "Asia/Shanghai", "django.db.backends.postgresql", "False"]


@pytest.mark.django_db
def test_a_token_obtained_with_a_password_opens_the_api(people):
    from rest_framework.test import APIClient

    api = APIClient()
    response = api.post("/api/v1/auth/token/", {"username": "wulibao_inspector", "password": "pw"})
    assert response.status_code == 200
    token = response.json()["token"]
    assert AuthToken.objects.get(token_key=token[:15]).user == people["wulibao_inspector"]

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").json()["username"] == "wulibao_inspector"
