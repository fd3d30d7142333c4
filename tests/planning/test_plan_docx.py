"""The night-check plan's .docx is a working list, not a 公文, but it is printed on the office's printers and carried
at night like the official documents: A4, the same fonts, page numbers, the table header on every page and no
door's row split across two pages (coalgov/official_docx.py)."""

import io
import uuid
from itertools import pairwise

import pytest
from django.utils import timezone
from docx import Document

from coalgov.models import AuditEvent
from planning import documents
from planning.selectors import night_in_progress
from planning.services import plan_operation_create
from tests.documents.official import assert_official, assert_table_prints

pytestmark = pytest.mark.django_db


def test_the_plan_docx_is_laid_out_like_the_official_documents(client_as, places):
    response = client_as("wulibao_inspector").get("/plan/?teams=2&doors=4&format=docx")
    assert response.status_code == 200
    title = Document(io.BytesIO(response.content)).core_properties.title

    document = assert_official(response.content, title=title, prose=False)

    assert document.tables
    for table in document.tables:
        assert_table_prints(table)
        assert [c.text for c in table.rows[0].cells][1:] and len(table.rows) > 1
    texts = [p.text for p in document.paragraphs]
    assert not any("〔" in t and "号" in t for t in texts)  # a working list: no 文号


def test_a_place_on_its_own_is_named_once_by_its_row(client_as, places):
    """A street shop has no estate: its heading is its community, its row names it (not heading and row both)."""
    response = client_as("wulibao_inspector").get("/plan/?teams=1&doors=10&format=docx")
    document = Document(io.BytesIO(response.content))

    texts = [p.text for p in document.paragraphs] + [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert sum(text.count("大学路8号") for text in texts) == 1, texts


def test_each_plan_download_is_in_the_audit_log_on_its_unit_or_plan(client_as, people, wulibao, places):
    """The plan names households and their addresses: its .docx leaves the system recorded, as the ledgers do."""
    client = client_as("wulibao_admin")
    client.get("/plan/?teams=2&doors=4&format=docx")
    night_plan, _created = plan_operation_create(
        actor=people["wulibao_admin"],
        unit=wulibao,
        night=timezone.localdate(),
        teams=2,
        doors=3,
        title="零点夜查",
        leader="王组长",
        members=[[people["wulibao_inspector"]], [people["wulibao_admin"]]],
        client_uuid=uuid.uuid4(),
    )
    assert client.get(f"/plan/{night_plan.pk}/?format=docx").status_code == 200
    client.get(f"/plan/{night_plan.pk}/")  # the page itself is not a download

    tonight, operation = AuditEvent.objects.filter(action="download").order_by("id")
    assert tonight.actor == operation.actor == people["wulibao_admin"]
    assert (tonight.object_id, tonight.division_code) == (str(wulibao.pk), wulibao.code)
    assert tonight.changes["download_file"][1] == documents.tonight_filename(wulibao, night_in_progress())
    assert (operation.object_id, operation.division_code) == (str(night_plan.pk), wulibao.code)
    assert operation.changes["download_file"][1] == documents.plan_filename(night_plan)


def test_a_plan_refused_to_someone_else_records_no_download(client_as, people, wulibao, places):
    night_plan, _created = plan_operation_create(
        actor=people["wulibao_admin"],
        unit=wulibao,
        night=timezone.localdate(),
        teams=1,
        doors=3,
        title="零点夜查",
        leader="王组长",
        members=[[people["wulibao_inspector"]]],
        client_uuid=uuid.uuid4(),
    )

    assert client_as("huaihelu_inspector").get(f"/plan/{night_plan.pk}/?format=docx").status_code == 404
    assert not AuditEvent.objects.filter(action="download").exists()


def test_the_plan_docx_speaks_the_readers_language(client_as, places):
    from django.utils import translation

    client = client_as("wulibao_inspector")
    try:
        client.post("/i18n/setlang/", {"language": "en", "next": "/plan/"})
        response = client.get("/plan/?teams=1&doors=10&format=docx")
    finally:
        translation.activate("zh-hans")  # the request left English active in this thread

    document = Document(io.BytesIO(response.content))
    texts = [p.text for p in document.paragraphs]
    night = timezone.localdate()
    assert "night-check-plan_" in response["Content-Disposition"]
    assert any(t.startswith("Night of ") and str(night.year) in t for t in texts), texts
    assert not any("年" in t or "（" in t for t in texts), texts


def test_an_operations_docx_names_who_walks_with_each_team(client_as, people, wulibao, places):
    """The page named each team's members; the sheet handed to the team leader did not."""
    night_plan, _created = plan_operation_create(
        actor=people["wulibao_admin"],
        unit=wulibao,
        night=night_in_progress(),
        teams=2,
        doors=3,
        title="零点夜查",
        leader="王组长",
        members=[[people["wulibao_inspector"]], [people["wulibao_admin"]]],
    )
    content = client_as("wulibao_admin").get(f"/plan/{night_plan.pk}/?format=docx").content

    texts = [p.text for p in Document(io.BytesIO(content)).paragraphs]
    inspector, admin = (
        people[name].first_name or people[name].username for name in ("wulibao_inspector", "wulibao_admin")
    )
    assert f"队员：{inspector}" in texts and f"队员：{admin}" in texts


def test_tonights_docx_says_when_each_door_was_last_checked_as_the_page_does(client_as, places):
    """The page had a 上次检查：column; the sheet the teams carry did not. It is the line under the address."""
    client = client_as("wulibao_inspector")
    page = client.get("/plan/?teams=1&doors=10")
    document = Document(io.BytesIO(client.get("/plan/?teams=1&doors=10&format=docx").content))

    assert [c.text for c in document.tables[0].rows[0].cells] == ["场所", "得分", "原因", "已查"]
    # The page's date without its year: every visit of the fixture is of the last few days.
    on_page = {
        stop.label: f"上次检查：{timezone.localtime(stop.last_visit):%-m月%-d日}" if stop.last_visit else "从未检查"
        for team in page.context["teams"]
        for estate in team.estates
        for building in estate.children
        for well in building.children
        for stop in well.stops
    }
    printed = dict(row.cells[0].text.split("\n") for table in document.tables for row in table.rows[1:])
    assert printed == on_page
    assert {"从未检查"} < set(printed.values()), printed  # both kinds of door in the fixture


def test_a_door_last_checked_more_than_a_year_before_the_night_keeps_its_year():
    import datetime

    from django.utils import translation

    night = datetime.date(2027, 1, 10)
    at = lambda day: timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 30)))  # noqa: E731
    with translation.override("zh-hans"):
        assert documents._last_checked(at(datetime.date(2026, 12, 3)), night) == "上次检查：12月3日"
        assert documents._last_checked(at(datetime.date(2026, 1, 11)), night) == "上次检查：1月11日"
        assert documents._last_checked(at(datetime.date(2026, 1, 10)), night) == "上次检查：2026年1月10日"
        assert documents._last_checked(None, night) == "从未检查"


def test_an_operations_docx_numbers_and_places_each_door_as_the_page_does(client_as, people, wulibao, places):
    """An outside planner: the operation's sheet had no door numbers, no community and no leader, and listed each
    door's reasons in another order than the plan's page."""
    from planning.selectors import PART_KEYS, PART_LABELS

    night_plan, _created = plan_operation_create(
        actor=people["wulibao_admin"],
        unit=wulibao,
        night=night_in_progress(),
        teams=1,
        doors=6,
        title="零点夜查",
        leader="王组长",
        members=[[people["wulibao_inspector"]]],
    )
    client = client_as("wulibao_admin")
    page = client.get(f"/plan/{night_plan.pk}/")
    document = Document(io.BytesIO(client.get(f"/plan/{night_plan.pk}/?format=docx").content))

    assert any("带队：王组长" in p.text for p in document.paragraphs)
    # What the page says of the night, coal found included (an outside tester missed it on the sheet).
    total, covered, found = (page.context[k] for k in ("total", "covered", "found"))
    assert any(f"{total}户中已查{covered}户，发现散煤{found}户" in p.text for p in document.paragraphs)
    rows = document.tables[0].rows[1:]
    stops = page.context["teams"][0].stops
    assert len(rows) == len(stops) >= 2
    labels = {label: key for key, label in PART_LABELS.items()}
    for row, stop in zip(rows, stops, strict=True):
        place, _score, why, _checked = (cell.text for cell in row.cells)
        assert place == f"{stop.number}．{stop.household.label}\n{stop.household.division.name}"
        keys = [labels[part.rsplit("\u00a0", 1)[0]] for part in why.split("\n")]
        assert keys == sorted(keys, key=PART_KEYS.index), why
        assert set(keys) == set(stop.parts)


def test_places_on_their_own_next_to_each_other_share_one_heading(client_as, places):
    """An outside planner: "建新南街社区居民委员会（1）" twice in a row, on the page and in the .docx."""
    client = client_as("wulibao_inspector")
    page = client.get("/plan/?teams=1&doors=10")
    document = Document(io.BytesIO(client.get("/plan/?teams=1&doors=10&format=docx").content))

    estates = page.context["teams"][0].estates
    names = [estate.name for estate in estates]
    assert all(a != b for a, b in pairwise(names)), names
    shops = [e for e in estates if not e.children[0].children[0].stops[0].estate]
    assert len(shops) == 1 and shops[0].count == 3  # 大学路8号, 大学路12号, 堆放点院内 under their community
    headings = [p.text for p in document.paragraphs if p.runs and p.runs[0].bold and "（" in p.text]
    assert all(a != b for a, b in pairwise(headings)), headings
    assert f"{places['shop'].division.name}（3）" in headings
