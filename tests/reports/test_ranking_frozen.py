"""A published week's page tables and downloads are made once from its frozen rows and then kept (reports/frozen.py):
asked again, the same answer comes without reading the rows; it is never given to someone who may not see the week,
never in another language, and never once the publication is withdrawn."""

import datetime
import io
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from divisions.models import Division, Level
from reports.models import RankingWeek
from reports.ranking import ranking_for, ranking_publish, weights_set

from ..factories import MembershipFactory, UserFactory
from .conftest import WEEK

URL = "/units/ranking/"
QUERY = {"week": "2025-11-05"}


def _rows_read(client, path: str) -> tuple[bytes, bool]:
    """The response's content, and whether answering it read the week's ranking rows."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, QUERY)
    assert response.status_code == 200, path
    return response.content, any("reports_rankingrow" in q["sql"] for q in captured.captured_queries)


def _naive(moment: datetime.datetime) -> datetime.datetime:
    """A document's time in UTC without a zone (python-docx and openpyxl differ in giving one)."""
    return moment.astimezone(datetime.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _scores(content: bytes) -> list[tuple[str, float]]:
    sheet = load_workbook(io.BytesIO(content))["全区"]
    return [(row[3].value, row[5].value) for row in sheet.iter_rows(min_row=3)]


def test_a_published_weeks_page_and_downloads_are_the_same_when_asked_again_without_reading_the_rows(client, town):
    ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    client.force_login(town.admin)
    for path in (URL, f"{URL}download/xlsx/", f"{URL}download/docx/", f"{URL}download/csv/"):
        first, read = _rows_read(client, path)
        assert read, path  # made from the frozen rows the first time
        again, read = _rows_read(client, path)
        assert not read, path
        if path == URL:  # the page differs only in its form's CSRF token
            first, again = (re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", c) for c in (first, again))
        assert again == first, path
    assert _scores(client.get(f"{URL}download/xlsx/", QUERY).content)[0] == ("B2社区", 77.0)


def test_a_published_weeks_files_are_dated_when_it_was_published_whenever_downloaded(client, town):
    """The kept files are the published documents: their properties give the publication's time, not the
    time of whichever download first made them. A week not published is dated when it was made."""
    client.force_login(town.admin)
    before = timezone.now().astimezone(datetime.UTC).replace(tzinfo=None, microsecond=0)
    draft_docx = Document(io.BytesIO(client.get(f"{URL}download/docx/", QUERY).content)).core_properties
    draft_xlsx = load_workbook(io.BytesIO(client.get(f"{URL}download/xlsx/", QUERY).content)).properties
    assert _naive(draft_docx.created) >= before and _naive(draft_xlsx.created) >= before

    week = ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    published = datetime.datetime(2025, 11, 10, 9, 30, tzinfo=datetime.UTC)
    RankingWeek.objects.filter(pk=week.pk).update(published_at=published)
    for _ in range(2):  # made, then kept
        docx = Document(io.BytesIO(client.get(f"{URL}download/docx/", QUERY).content)).core_properties
        xlsx = load_workbook(io.BytesIO(client.get(f"{URL}download/xlsx/", QUERY).content)).properties
        assert _naive(docx.created) == _naive(docx.modified) == _naive(published)
        assert _naive(xlsx.created) == _naive(xlsx.modified) == _naive(published)


def test_a_kept_week_is_never_served_to_a_user_who_may_not_see_it(client, town):
    ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    client.force_login(town.admin)
    paths = [URL, f"{URL}download/xlsx/", f"{URL}download/docx/", f"{URL}download/csv/"]
    for path in paths:
        assert client.get(path, QUERY).status_code == 200  # made and kept

    client.force_login(UserFactory(username="nobody_here"))
    for path in paths:
        assert client.get(path, QUERY).status_code == 404, path

    other = Division.objects.create(code="419902", name="别区", level=Level.DISTRICT)
    client.force_login(MembershipFactory(user=UserFactory(), division=other, role="district_admin").user)
    for path in paths:
        assert client.get(path, {**QUERY, "district": town.district.code}).status_code == 404, path
        own = client.get(path, QUERY)  # their own district's week: nothing of this one
        assert own.status_code == 200 and "B2社区".encode() not in own.content, path
    assert _scores(client.get(f"{URL}download/xlsx/", QUERY).content) == []


def test_a_kept_page_is_shown_in_the_language_of_the_reader(client, town):
    ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    client.force_login(town.admin)

    def praised(language: str) -> str:
        client.cookies["django_language"] = language
        html = client.get(URL, QUERY).content.decode()
        return re.search(r'data-testid="praised">(.*?)</div>', html, re.S)[1]

    assert "表扬" in praised("zh-hans") and "B街道B2社区、A街道A2社区" in praised("zh-hans")
    english = praised("en")
    assert "Praised" in english and "B街道B2社区, A街道A2社区" in english and "、" not in english
    assert "表扬" in praised("zh-hans")


def test_a_week_withdrawn_and_published_again_is_served_as_published_again(client, town):
    form = {"district": town.district.code, "week": "2025-11-03"}
    ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    client.force_login(town.admin)
    assert _scores(client.get(f"{URL}download/xlsx/", QUERY).content)[0] == ("B2社区", 77.0)
    assert "77.00" in client.get(URL, QUERY).content.decode()

    client.post(f"{URL}withdraw/", {**form, "reason": "权重有误"})
    # Only survey coverage counts now: the week computed again, then published again, has other scores.
    weights = dict.fromkeys(["night_checks", "problems", "on_time", "rebounds", "overdue", "conversion"], 0.0)
    weights_set(actor=town.admin, district=town.district, weights={**weights, "coverage": 1.0})
    page = client.get(URL, QUERY)
    assert page.context["ranking"].published is None and "77.00" not in page.content.decode()
    live = _scores(client.get(f"{URL}download/xlsx/", QUERY).content)
    assert live[0] == ("A2社区", 100.0)

    client.post(f"{URL}publish/", {**form, "confirm": "yes"})
    page = client.get(URL, QUERY)
    assert page.context["ranking"].published is not None and "77.00" not in page.content.decode()
    assert _scores(client.get(f"{URL}download/xlsx/", QUERY).content) == live


def test_the_subdistricts_table_shows_each_rank_mean_score_and_movement(client, town):
    client.force_login(town.admin)
    html = client.get(URL, QUERY).content.decode()
    body = re.search(r'data-testid="subdistricts">.*?<tbody>(.*?)</tbody>', html, re.S)[1]
    lines = re.findall(r"<tr>(.*?)</tr>", body)
    ranking = ranking_for(district=town.district, week_start=WEEK)
    assert len(lines) == len(ranking.subdistricts) == 2
    for line, s in zip(lines, ranking.subdistricts, strict=True):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", line, re.S)
        assert cells[:4] == [str(s.rank), s.name, f"{s.mean_score:.2f}", str(s.communities)]
        movement = re.sub(r"<[^>]+>", "", cells[4])
        if s.movement:
            assert movement == ("↑" if s.movement > 0 else "↓") + str(abs(s.movement))
        else:
            assert movement == {None: "上周未排名", 0: "–"}[s.movement]
