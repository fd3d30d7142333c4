"""Browser hardening: every page carries a strict Content-Security-Policy and a Permissions-Policy, HTTPS
deployments redirect plain HTTP and send HSTS, and `check --deploy` is clean for a production configuration.

That the pages really work under the policy is shown in real Chromium: tests/browser fail on any violation.
"""

import os
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from .test_settings import run_settings

PAGES = [
    "/",
    "/dashboard/",
    "/households/",
    "/fieldwork/inspections/",
    "/cases/",
    "/digests/",
    "/units/ledgers/",
    "/units/ranking/",
    "/users/",
    "/audit/",
    "/field/",
    "/no-such-page/",
]


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response["Content-Security-Policy"]
    return {name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.django_db
def test_every_page_carries_the_strict_policy_and_the_permissions_policy(client_as):
    client = client_as("qu_admin")
    responses = {path: client.get(path) for path in PAGES}
    client.logout()
    responses["/login/"] = client.get("/login/")

    for path, response in responses.items():
        assert response.status_code in {200, 404}, path
        assert response["Content-Type"].startswith("text/html"), path
        csp = policy(response)
        assert csp["default-src"] == ["'self'"], path
        assert csp["script-src"][0] == "'self'" and all(
            source.startswith("'nonce-") for source in csp["script-src"][1:]
        ), path
        assert csp["style-src"] == ["'self'"], path
        assert csp["connect-src"] == ["'self'"], path
        assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"], path
        assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"], path
        assert csp["img-src"] == ["'self'", "data:", "blob:"], path  # no MAP_TILE_URL in the tests
        features = response["Permissions-Policy"]
        assert "geolocation=(self)" in features and "camera=(self)" in features, path
        assert "microphone=()" in features and "payment=()" in features, path


@pytest.mark.django_db
def test_the_phone_pages_import_map_is_the_only_inline_script_and_runs_by_this_requests_nonce(client_as):
    client = client_as("wulibao_inspector")
    first, second = client.get("/field/"), client.get("/field/")

    nonces = [policy(response)["script-src"][1] for response in (first, second)]
    html = first.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert all(nonce.startswith("'nonce-") for nonce in nonces) and nonces[0] != nonces[1]
    assert [attributes for attributes in inline if "application/json" not in attributes] == [
        f' type="importmap" nonce="{nonces[0][7:-1]}"'
    ]


@pytest.mark.django_db
def test_a_page_without_an_inline_script_gets_no_nonce(client_as):
    response = client_as("qu_admin").get("/dashboard/")

    assert policy(response)["script-src"] == ["'self'"]


@pytest.mark.django_db
def test_the_api_docs_keep_scripts_to_the_apps_own_files_and_allow_only_their_styles(client_as):
    client = client_as("qu_admin")
    page, script = client.get("/api/v1/docs/"), client.get("/api/v1/docs/?script=")

    assert page.status_code == 200 and script.status_code == 200
    assert "<script>" not in page.content.decode()  # Swagger UI's setup comes as a file (?script)
    csp = policy(page)
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy(client.get("/dashboard/"))["style-src"] == ["'self'"]  # only the docs


@pytest.mark.django_db
def test_the_redoc_page_loads_no_fonts_from_the_internet_and_runs_no_inline_script(client_as):
    response = client_as("qu_admin").get("/api/v1/redoc/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "googleapis" not in html and "gstatic" not in html
    assert "<script>" not in html and 'src="/static/drf_spectacular_sidecar/redoc/' in html
    assert policy(response)["script-src"] == ["'self'"]


def test_the_map_tile_host_is_allowed_for_pictures_and_nothing_else():
    code = "import django; django.setup(); from csp.utils import build_policy; print(build_policy())"
    result = run_settings(code=code, MAP_TILE_URL="https://t{s}.tianditu.gov.cn/vec_w/wmts?TILECOL={x}&tk=KEY")

    assert result.returncode == 0, result.stderr
    directives = dict(part.strip().split(" ", 1) for part in result.stdout.strip().split(";"))
    assert directives["img-src"] == "'self' data: blob: https://*.tianditu.gov.cn"
    assert directives["connect-src"] == "'self'" and directives["script-src"] == "'self'"


def test_report_only_mode_reports_the_same_policy_and_enforces_none():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(hasattr(s, 'CONTENT_SECURITY_POLICY'), sorted(s.CONTENT_SECURITY_POLICY_REPORT_ONLY['DIRECTIVES']))"
    )
    result = run_settings(code=code, CSP_REPORT_ONLY="1", CSP_REPORT_URI="/csp-reports/")

    assert result.returncode == 0, result.stderr
    enforced, directives = result.stdout.split(" ", 1)
    assert enforced == "False"
    assert "'script-src'" in directives and "'report-uri'" in directives


SECURITY = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
)


def test_an_https_deployment_redirects_plain_http_and_sends_hsts_for_a_year():
    result = run_settings(code=SECURITY, SECRET_KEY="x", SECURE_COOKIES="1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 2) == ["True", "31536000", "('HTTP_X_FORWARDED_PROTO', 'https')\n"]


def test_without_https_or_in_debug_mode_nothing_is_redirected_and_no_hsts_is_sent():
    plain = run_settings(code=SECURITY, SECRET_KEY="x", SECURE_COOKIES="0", SECURE_PROXY_SSL_HEADER="")
    debug = run_settings(code=SECURITY, DEBUG="1")

    assert plain.stdout.split() == ["False", "0", "None"], plain.stderr
    assert debug.stdout.split()[:2] == ["False", "0"], debug.stderr


def test_the_proxys_https_header_is_configurable():
    result = run_settings(code=SECURITY, SECRET_KEY="x", SECURE_PROXY_SSL_HEADER="X-Forwarded-Scheme")

    assert result.stdout.split(" ", 2)[2].strip() == "('HTTP_X_FORWARDED_SCHEME', 'https')", result.stderr


def test_check_deploy_is_clean_with_debug_off_secure_cookies_and_a_real_secret_key():
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    production = {
        "DJANGO_SETTINGS_MODULE": "coalgov.settings",
        "DEBUG": "0",
        "SECURE_COOKIES": "1",
        "SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(50)),
        "ALLOWED_HOSTS": "x",
    }
    # As an operator's shell has it: no test database, and no DJANGO_ALLOW_ASYNC_UNSAFE (the browser tests set it).
    unset = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", *production}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    check = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env={**clean, **production},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert check.returncode == 0, check.stdout + check.stderr
    assert "System check identified no issues (0 silenced)." in check.stdout
    assert "WARNING" not in check.stdout + check.stderr
