"""A refused request (403, 404) is one line in the log, without a traceback; a server error keeps its traceback."""

import logging

import pytest
from django.test import Client, override_settings
from django.urls import path

from coalgov.urls import urlpatterns as site_urls

pytestmark = pytest.mark.django_db


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def request_log():
    handler = Records()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [path("broken/", broken), *site_urls]  # the error page links to the site


def test_another_units_page_is_one_line_without_a_traceback(client_as, household_in, huaihelu_community, request_log):
    theirs = household_in(huaihelu_community)
    assert client_as("wulibao_inspector").get(f"/households/{theirs.pk}/").status_code == 404
    assert client_as("wulibao_inspector").get("/users/").status_code == 403

    assert [record.status_code for record in request_log] == [404, 403]
    assert all(record.exc_info is None for record in request_log)


@override_settings(ROOT_URLCONF=__name__)
def test_a_server_error_keeps_its_traceback(request_log):
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    (record,) = request_log
    assert record.status_code == 500 and record.exc_info and record.exc_info[0] is RuntimeError
