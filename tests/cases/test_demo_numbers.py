"""The demo's notices are numbered as a clerk numbers them: within each issuer's series of a year, a later number
is never dated before an earlier one (docs/documents.md)."""

import io

import pytest
from django.core.management import call_command

from cases.models import Case

pytestmark = pytest.mark.django_db


def test_in_the_demo_notice_numbers_rise_with_their_dates():
    call_command("load_demo", "--force", stdout=io.StringIO())

    numbered = Case.objects.filter(notice_serial__isnull=False).order_by(
        "notice_issuer", "notice_year", "notice_serial"
    )
    series: dict = {}
    for case in numbered:
        series.setdefault((case.notice_issuer_id, case.notice_year), []).append(
            (case.notice_serial, case.notice_issued_on)
        )
    assert sum(len(s) for s in series.values()) >= 7
    for numbers in series.values():
        dates = [day for _serial, day in numbers]
        assert dates == sorted(dates), numbers
    # The demo's back-dated notices are there: the series spans more than one day.
    assert any(len({day for _s, day in numbers}) > 1 for numbers in series.values())


def test_the_demos_superuser_has_a_name_people_read_in_records():
    """An outside tester read "admin" beside the demo's names in records and logs, as if a login name leaked."""
    from django.contrib.auth import get_user_model

    call_command("load_demo", "--force", stdout=io.StringIO())

    assert get_user_model().objects.get(username="admin").first_name == "系统管理员"
