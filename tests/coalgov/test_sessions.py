"""Sessions read from Redis and kept in the database (coalgov/sessions.py): a signed-in request costs no session
query, signing out ends the session for good, and a Redis that does not answer signs nobody out."""

import os

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the session cache is Redis")
CACHED_SESSIONS = override_settings(SESSION_ENGINE="coalgov.sessions")
# A Redis nobody listens on: every call to it fails at once (connection refused).
REDIS_DOWN = override_settings(
    SESSION_ENGINE="coalgov.sessions",
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "down": {
            "BACKEND": "coalgov.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    },
    SESSION_CACHE_ALIAS="down",
)


def session_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "django_session" in q["sql"]]


@needs_redis
@CACHED_SESSIONS
def test_a_signed_in_request_reads_its_session_without_a_database_query(people):
    browser = Client()
    browser.force_login(people["wulibao_inspector"])
    assert browser.get("/field/").status_code == 200  # the first read after signing in

    with CaptureQueriesContext(connection) as captured:
        page = browser.get("/field/")

    assert page.status_code == 200
    assert session_queries(captured) == []


@needs_redis
@CACHED_SESSIONS
def test_signing_out_ends_the_session_even_though_it_was_cached(people):
    browser = Client()
    browser.force_login(people["wulibao_inspector"])
    assert browser.get("/field/").status_code == 200
    cookie = browser.cookies["sessionid"].value

    browser.post("/logout/")

    stolen = Client()
    stolen.cookies["sessionid"] = cookie
    answer = stolen.get("/field/")
    assert answer.status_code == 302 and answer["Location"].startswith("/login/")


@pytest.mark.django_db(transaction=True)
@REDIS_DOWN
def test_a_redis_that_does_not_answer_signs_nobody_out_and_stops_no_sign_in(people):
    inspector = people["wulibao_inspector"]
    inspector.set_password("夜查-2016-冬季")
    inspector.save()
    browser = Client()

    signed_in = browser.post("/login/", {"username": inspector.username, "password": "夜查-2016-冬季"})

    assert signed_in.status_code == 302, signed_in.content
    with CaptureQueriesContext(connection) as captured:
        page = browser.get("/field/")
    assert page.status_code == 200
    assert session_queries(captured)  # read from the database, the record


@needs_redis
def test_the_cache_keeps_one_redis_client_and_it_survives_a_dropped_connection():
    from django.core.cache import caches

    cache = caches["default"]
    cache.set("kept-client", "夜查", 30)
    client = cache._cache.get_client("kept-client")
    assert cache._cache.get_client("kept-client") is client  # not a new client (and its reply table) per call
    # Redis closes the connections (a restart, an idle timeout): the kept client's pool connects again.
    client.connection_pool.disconnect()
    assert cache.get("kept-client") == "夜查"
