"""The rectification notice's number and date are written once, when the case is opened: one series per issuing
unit and year, a date that is the day the notice was issued — not the day it is downloaded, so an overdue case's
notice is still dated before its deadline."""

import datetime
import io
import re
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from docx import Document

from cases.models import Case, NoticeSeries
from cases.numbering import _next_number
from cases.services import case_open
from cases.tasks import check_case_deadlines

pytestmark = pytest.mark.django_db


def _chinese(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _notice(client, case) -> tuple[list[str], str]:
    """The .docx's paragraphs and the printed page's document."""
    docx = client.get(f"/cases/{case.pk}/rectification-notice/", {"format": "docx"})
    page = client.get(f"/cases/{case.pk}/rectification-notice/")
    assert docx.status_code == page.status_code == 200
    article = re.search(r"<article.*?</article>", page.content.decode(), re.S)[0]
    return [p.text for p in Document(io.BytesIO(docx.content)).paragraphs], article


def _open(people, unit, title="楼道堆放散煤", **kw) -> Case:
    return case_open(actor=people["qu_admin"], source="spot_check", responsible_unit=unit, title=title, **kw)


def test_cases_opened_one_after_another_get_consecutive_numbers_of_the_districts_series(
    people, erqi, wulibao_community, huaihelu_community
):
    year = timezone.localdate().year
    first = _open(people, wulibao_community)
    second = _open(people, huaihelu_community)  # another subdistrict, the same district office issues it

    assert (first.notice_issuer, first.notice_year, first.notice_serial) == (erqi, year, 1)
    assert (second.notice_issuer, second.notice_year, second.notice_serial) == (erqi, year, 2)
    assert first.notice_issued_on == second.notice_issued_on == timezone.localdate()
    assert NoticeSeries.objects.get(issuer=erqi, year=year).last_number == 2


def test_each_year_starts_its_own_series(erqi):
    assert _next_number(issuer=erqi, year=2026) == 1
    assert _next_number(issuer=erqi, year=2026) == 2
    assert _next_number(issuer=erqi, year=2027) == 1


def test_the_database_refuses_a_number_given_twice(people, wulibao_community):
    first = _open(people, wulibao_community)
    second = _open(people, wulibao_community, title="另一处散煤")

    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=second.pk).update(notice_serial=first.notice_serial)


def test_an_overdue_cases_notice_keeps_the_number_and_date_it_was_issued_with(client_as, people, wulibao_community):
    case = _open(people, wulibao_community)
    # Opened ten days ago with a week to fix it: three days overdue today.
    opened = timezone.localdate() - datetime.timedelta(days=10)
    Case.objects.filter(pk=case.pk).update(
        opened_at=timezone.now() - datetime.timedelta(days=10),
        notice_issued_on=opened,
        deadline=opened + datetime.timedelta(days=7),
        notice_deadline=opened + datetime.timedelta(days=7),
    )
    check_case_deadlines.apply().get()
    case.refresh_from_db()
    assert case.is_overdue
    client = client_as("wulibao_admin")

    first, page = _notice(client, case)
    again, page_again = _notice(client, case)

    number = f"二七散煤办〔{case.notice_year}〕{case.notice_serial}号"
    assert first == again and page == page_again  # the same document every time
    assert first[2] == number and number in page  # under the 版头's office name
    assert first[-1] == _chinese(opened) and _chinese(opened) in page  # dated the day it was issued …
    assert case.notice_issued_on < case.deadline  # … before its deadline
    assert f"请于{_chinese(case.deadline)}前整改到位" in "".join(first)
    assert _chinese(timezone.localdate()) not in "".join(first)  # never the download date


def test_a_case_written_without_a_number_is_numbered_once_dated_the_day_it_opened(client_as, people, wulibao_community):
    """A case written without case_open (a script, an import) gets its number at its first print, dated as if it
    had been numbered when it was opened; later prints show the same."""
    opened = timezone.now() - datetime.timedelta(days=4)
    _open(people, wulibao_community)  # number 1 of the year is taken
    bare = Case.objects.create(
        source="tip_off",
        responsible_unit=wulibao_community,
        division_code=wulibao_community.code,
        title="举报散煤",
        deadline=timezone.localdate() + datetime.timedelta(days=3),
        opened_by=people["qu_admin"],
        opened_at=opened,
    )
    client = client_as("wulibao_admin")

    first, _page = _notice(client, bare)
    again, _page = _notice(client, bare)

    bare.refresh_from_db()
    assert bare.notice_serial == 2 and bare.notice_issued_on == timezone.localdate(opened)
    assert first == again
    assert first[2] == f"二七散煤办〔{bare.notice_year}〕2号" and first[-1] == _chinese(timezone.localdate(opened))


def test_another_subdistricts_inspector_gets_no_notice_and_numbers_nothing(client_as, people, wulibao_community):
    case = Case.objects.create(
        source="tip_off",
        responsible_unit=wulibao_community,
        division_code=wulibao_community.code,
        title="举报散煤",
        deadline=timezone.localdate() + datetime.timedelta(days=3),
        opened_by=people["qu_admin"],
    )
    client = client_as("huaihelu_inspector")

    for url in ("rectification-notice", "follow-up-sheet"):
        assert client.get(f"/cases/{case.pk}/{url}/", {"format": "docx"}).status_code == 404
        assert client.get(f"/cases/{case.pk}/{url}/").status_code == 404
    case.refresh_from_db()
    assert case.notice_serial is None and not NoticeSeries.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
def test_cases_opened_at_the_same_moment_never_share_a_number(transactional_db, people, wulibao_community):
    """Eight cases opened at once, from eight connections, the series' row not yet there: eight numbers, 1 to 8."""
    start = threading.Barrier(8)
    errors = []

    def open_one(n):
        try:
            start.wait()
            _open(people, wulibao_community, title=f"散煤{n}")
        except Exception as exc:  # noqa: BLE001 - reported below, with the thread's own error
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_one, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    serials = sorted(Case.objects.values_list("notice_serial", flat=True))
    assert serials == list(range(1, 9))
    assert NoticeSeries.objects.get().last_number == 8
