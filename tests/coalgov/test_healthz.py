import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_healthz_reports_the_database_and_the_broker(client, settings):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    # With REDIS_URL set (CI) the broker is checked for real; without it there is none to check.
    assert body["checks"]["broker"] == ("ok" if settings.REDIS_URL else "not configured")


@pytest.mark.django_db
def test_healthz_answers_503_when_the_broker_is_unreachable(client):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")


def test_liveness_needs_no_database(client):
    response = client.get("/healthz?live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
