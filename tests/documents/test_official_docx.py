"""The shared builder's page holds what GB/T 9704 says a page holds — 22 lines of 28 characters — when LibreOffice
prints it, and every official document it builds starts the same way (coalgov/official_docx.py)."""

import datetime

from coalgov.official_docx import Column, OfficialDocument, chinese_date

from .official import assert_a4, assert_official, assert_table_prints, render  # noqa: F401

LINE = 28
LINES = 22


def test_dates_are_written_without_zero_padding():
    assert chinese_date(datetime.date(2026, 12, 2)) == "2026年12月2日"
    assert chinese_date(datetime.date(2027, 1, 9)) == "2027年1月9日"


def test_a_page_of_body_text_holds_22_lines_of_28_characters(render):  # noqa: F811
    document = OfficialDocument("版心")
    # One paragraph of three pages' worth, first line indented two characters.
    characters = "一" * (LINE - 2 + LINE * (3 * LINES - 1))
    document.text(characters)

    pages = render(document.bytes(), "grid", lines=True)

    assert_a4(pages)
    assert len(pages) == 3
    for number, (_width, _height, text) in enumerate(pages, start=1):
        *body, footer = text.split("\n")
        assert footer == f"—{number}—"
        assert len(body) == LINES, number
        widths = [len(line) for line in body]
        assert widths == ([LINE - 2] if number == 1 else [LINE]) + [LINE] * (LINES - 1), number


def test_every_document_starts_with_the_official_page_and_properties():
    document = OfficialDocument("测试标题")
    document.title("测试标题")
    document.text("正文。")
    document.table([Column("甲", 56), Column("乙", 100)], [["一", "二"]] * 3)
    document.signature("二七区散煤治理工作领导小组办公室", datetime.date(2026, 12, 2))

    read = assert_official(document.bytes(), title="测试标题")

    assert_table_prints(read.tables[0])
    assert [p.text for p in read.paragraphs][-2:] == ["二七区散煤治理工作领导小组办公室", "2026年12月2日"]
