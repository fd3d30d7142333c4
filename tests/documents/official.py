"""What every official .docx must be, read back with python-docx (GB/T 9704-2012, coalgov/official_docx.py), and
its rendering through LibreOffice headless: PDF pages counted and measured, text per page read with pdftotext.

LibreOffice (Debian's libreoffice-writer-nogui) and poppler-utils stand in for WPS and Word on an office PC; `.ci/run`
installs them. Without them the rendering tests are skipped, unless REQUIRE_BROWSER=1 (as in CI), where that is
a failure, as with the browser tests."""

from __future__ import annotations

import datetime
import io
import os
import re
import shutil
import subprocess

import pytest
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from coalgov.official_docx import SYSTEM_NAME

A4_POINTS = (595.3, 841.9)
TEXT_WIDTH_TWIPS = round(Mm(156).twips)


def mm(*lengths) -> tuple[float, ...]:
    """Lengths in millimetres to 0.1 mm (Word stores them in twips)."""
    return tuple(round(length.mm, 1) for length in lengths)


def east_asian_font(element) -> str | None:
    fonts = element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def assert_official(content: bytes, *, title: str, prose: bool = True) -> Document:
    """The page, fonts, spacing, page numbers, font table and properties every official document has."""
    document = Document(io.BytesIO(content))
    (section,) = document.sections
    assert mm(section.page_width, section.page_height) == (210, 297)  # A4, portrait
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert mm(*margins) == (37, 35, 28, 26)
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579"  # 28.95 pt: 22 lines in the 225 mm text block

    # Body: 仿宋_GB2312 三号, named for East Asian text (what WPS reads), exact 28.95 pt, nothing after.
    normal = document.styles["Normal"]
    assert normal.font.size == Pt(16)
    assert east_asian_font(normal.element) == "仿宋_GB2312"
    assert normal.paragraph_format.line_spacing == Pt(28.95)
    assert normal.paragraph_format.space_after == 0
    defaults = document.styles.element.find(qn("w:docDefaults"))
    assert defaults.find(f".//{qn('w:lang')}").get(qn("w:val")) == "zh-CN"
    assert defaults.find(f".//{qn('w:lang')}").get(qn("w:eastAsia")) == "zh-CN"
    assert defaults.find(f".//{qn('w:spacing')}").get(qn("w:after")) == "0"  # Word's 10 pt after: gone

    # Title: 方正小标宋简体 二号, centred.
    heading = next(p for p in document.paragraphs if p.text == title)
    assert heading.alignment == 1
    assert {(east_asian_font(r._element), r.font.size) for r in heading.runs} == {("方正小标宋简体", Pt(22))}
    # Body text: first line indented two characters, in points and in characters (WPS).
    body = [p for p in document.paragraphs if p.paragraph_format.first_line_indent]
    assert body or not prose, "no body paragraph"
    for paragraph in body:
        assert paragraph.paragraph_format.first_line_indent == Pt(32)
        assert paragraph._p.pPr.ind.get(qn("w:firstLineChars")) == "200"
        assert all(east_asian_font(r._element) in ("仿宋_GB2312", "黑体") for r in paragraph.runs)

    # Page numbers: "— 1 —", a PAGE field, 4号 (14 pt); odd pages right, even pages left.
    assert document.settings.odd_and_even_pages_header_footer
    for footer, alignment in ((section.footer, 2), (section.even_page_footer, 0)):
        (paragraph,) = footer.paragraphs
        assert paragraph.text == "— 1 —"
        assert paragraph.alignment == alignment
        assert [i.text.strip() for i in paragraph._p.iter(qn("w:instrText"))] == ["PAGE"]
        assert {r.font.size for r in paragraph.runs} == {Pt(14)}

    # The fonts' fallbacks, for a PC without the GB2312 fonts.
    font_table = next(r.target_part for r in document.part.rels.values() if r.reltype.endswith("/fontTable"))
    xml = font_table.blob.decode()
    assert re.search(r'w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>', xml)
    assert re.search(r'w:name="方正小标宋简体"><w:altName w:val="宋体"/>', xml)

    properties = document.core_properties
    assert properties.author == properties.last_modified_by == SYSTEM_NAME
    assert properties.title == title
    now = timezone.now().replace(tzinfo=None) - timezone.now().utcoffset()
    for moment in (properties.created, properties.modified):
        assert abs(moment.replace(tzinfo=None) - now) < datetime.timedelta(minutes=2)
    return document


def assert_table_prints(table, *, header: bool = True) -> None:
    """Widths that add up to the text width, fixed; the header row repeated on every page; no row split."""
    widths = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert abs(sum(widths) - TEXT_WIDTH_TWIPS) <= len(widths)
    assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    for index, row in enumerate(table.rows):
        tr_pr = row._tr.trPr
        assert tr_pr.find(qn("w:cantSplit")) is not None, index
        assert (tr_pr.find(qn("w:tblHeader")) is not None) == (header and index == 0), index


# — rendering —


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path:
        return path
    reason = f"no {name} (install Debian's libreoffice-writer-nogui and poppler-utils)"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def render(tmp_path):
    """render(content, name, lines=False) -> the PDF's pages as (width, height, text without white space, or its
    non-empty lines with `lines`), converted by LibreOffice headless."""
    soffice, pdfinfo, pdftotext = _tool("soffice"), _tool("pdfinfo"), _tool("pdftotext")

    def convert(content: bytes, name: str, lines: bool = False) -> list[tuple[float, float, str]]:
        source = tmp_path / f"{name}.docx"
        source.write_bytes(content)
        # Its own profile: no clash with another LibreOffice running on the machine.
        profile = (tmp_path / "profile").as_uri()
        subprocess.run(
            [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", tmp_path,
             source],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        pdf = tmp_path / f"{name}.pdf"
        info = subprocess.run([pdfinfo, "-f", "1", "-l", "999", pdf], check=True, capture_output=True, text=True)
        sizes = [tuple(map(float, m)) for m in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info.stdout)]
        pages = []
        for number, (width, height) in enumerate(sizes, start=1):
            text = subprocess.run(
                [pdftotext, "-f", str(number), "-l", str(number), "-layout", pdf, "-"],
                check=True, capture_output=True, text=True,
            ).stdout  # fmt: skip
            # LibreOffice spaces out figures: white space is dropped (within each line, with `lines`).
            if lines:
                text = "\n".join(kept for line in text.splitlines() if (kept := re.sub(r"\s+", "", line)))
            pages.append((width, height, text if lines else re.sub(r"\s+", "", text)))
        return pages

    return convert


def assert_a4(pages) -> None:
    for number, (width, height, _text) in enumerate(pages, start=1):
        assert width <= A4_POINTS[0] + 1 and height <= A4_POINTS[1] + 1, (number, width, height)
