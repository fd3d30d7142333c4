"""The night-check plan's .docx is a working list, not a 公文, but it is printed on the office's printers and carried
at night like the official documents: A4, the same fonts, page numbers, the table header on every page and no
door's row split across two pages (coalgov/official_docx.py)."""

import io

import pytest
from docx import Document

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
