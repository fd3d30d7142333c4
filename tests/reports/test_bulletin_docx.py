"""The weekly bulletin (周通报) as the district office prints and stamps it: GB/T 9704 (read back with python-docx),
its 期号 and date, the communities' table as an attachment whose header repeats on every page, rendered through
LibreOffice onto A4 pages (tests/documents/official.py)."""

import dataclasses
import io
import itertools
import re

import pytest
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn

from reports.bulletin import COLUMNS, ranking_docx
from reports.ranking import ranking_for, ranking_publish
from tests.documents.official import assert_a4, assert_official, assert_table_prints, render  # noqa: F401

from .conftest import WEEK

URL = "/units/ranking/download/docx/"
QUERY = {"week": "2025-11-05"}  # the week of 3 November 2025: ISO week 45


def _bulletin(client, town) -> tuple[bytes, Document]:
    client.force_login(town.admin)
    response = client.get(URL, QUERY)
    assert response.status_code == 200
    return response.content, Document(io.BytesIO(response.content))


def _chinese(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@pytest.fixture
def title(town):
    return f"{town.district.name}散煤治理工作周通报"


def test_a_published_bulletin_is_an_official_document_dated_the_day_it_was_published(client, town, title):
    published = ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)

    content, _ = _bulletin(client, town)

    document = assert_official(content, title=title)
    texts = [p.text for p in document.paragraphs]
    office = f"{town.district.name}散煤治理工作领导小组办公室"
    assert texts[:5] == [office, "", "2025年第45期", "", title]  # the 版头 (office, 期号), then the title
    assert "征求意见稿" not in "".join(texts)
    assert f"现将{town.district.name}2025年11月3日至11月9日散煤治理工作排名情况通报如下。" in texts
    # Signed by the district office, dated the day the week was published, room above for the seal.
    signature = len(texts) - 1 - texts[::-1].index(office)
    assert texts[signature + 1] == _chinese(timezone.localdate(published.published_at))
    assert texts[signature - 2 : signature] == ["", ""]
    # The table is the attachment, on its own page after the signature.
    attachment = ["", "附件", f"{town.district.name}社区排名表", "（2025年11月3日至11月9日）"]
    assert texts[signature + 2 :][:4] == attachment
    assert "11月03日" not in "".join(texts) and "年0" not in "".join(texts)  # no zero padding


def test_a_bulletin_of_a_week_not_published_says_it_is_a_draft(client, town, title):
    _, document = _bulletin(client, town)

    texts = [p.text for p in document.paragraphs]
    assert texts[2] == "2025年第45期"
    assert texts[4:7] == [title, "", "（征求意见稿，未发布）"]
    # A draft carries no signature and no date (nothing to stamp), only where they will go once published.
    signed = texts.index("（发布后署名）")
    assert texts[signed - 2 : signed] == ["", ""] and texts[signed + 1 : signed + 4] == ["", "", "附件"]
    assert not any(re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", text) for text in texts)
    assert "散煤治理工作领导小组办公室" not in texts[signed - 3 : signed + 1]


def test_the_bulletin_opens_with_the_offices_red_name_its_number_and_the_red_rule(client, town, title):
    _, document = _bulletin(client, town)

    mark, number = document.paragraphs[0], document.paragraphs[2]
    assert mark.text == f"{town.district.name}散煤治理工作领导小组办公室" and mark.alignment == 1
    for run in mark.runs:
        assert str(run.font.color.rgb) == "FF0000"
        assert run._element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}").get(qn("w:eastAsia")) == "方正小标宋简体"
    assert number.text == "2025年第45期" and number.alignment == 1
    rule = number._p.pPr.find(f"{qn('w:pBdr')}/{qn('w:bottom')}")
    assert rule is not None and rule.get(qn("w:color")) == "FF0000"
    assert [p.text for p in document.paragraphs].index(title) > 2  # the title under the rule


def test_the_community_table_fits_the_page_and_repeats_its_header(client, town):
    _, document = _bulletin(client, town)

    (table,) = document.tables
    assert_table_prints(table)
    assert [round(c.width.mm) for c in table.rows[0].cells] == [c.width_mm for c in COLUMNS]
    # The community column holds eleven characters of 12 pt on a line (cell margins aside): two lines at most.
    assert COLUMNS[1].width_mm - 3.8 >= 11 * 12 * 25.4 / 72


@pytest.mark.django_db
def test_rendered_by_libreoffice_a_long_bulletin_repeats_the_header_on_every_page(town, render):  # noqa: F811
    ranking = ranking_for(district=town.district, week_start=WEEK)
    # 120 communities: the table runs over several pages.
    long = dataclasses.replace(ranking, rows=ranking.rows * 20)

    pages = render(ranking_docx(long), "bulletin")

    assert_a4(pages)
    office = f"{town.district.name}散煤治理工作领导小组办公室"
    assert pages[0][2].startswith(f"{office}2025年第45期{town.district.name}散煤治理工作周通报")
    # The bulletin ends in its signature; its attachment, the table, starts on the next page.
    table_title = f"附件{town.district.name}社区排名表"
    attachment = next(i for i, (_w, _h, text) in enumerate(pages) if text.startswith(table_title))
    # A draft (this week is not published): no signature, no date, only where they will go.
    assert pages[attachment - 1][2].endswith(f"附件：社区排名表（发布后署名）—{attachment}—")
    assert _chinese(timezone.localdate()) not in "".join(text for _w, _h, text in pages)
    assert len(pages) - attachment >= 3
    for number, (_width, _height, text) in enumerate(pages[attachment:], start=attachment + 1):
        assert "区内排名社区街道得分名次变化" in text, number  # the header row, on every page of the table
        assert text.endswith(f"—{number}—"), number
    # Every community's row is printed, none lost to a split.
    assert sum(text.count("社区") for _w, _h, text in pages[attachment:]) >= 120


def _with_empty_communities(ranking, communities: int = 30, subdistricts: int = 11):
    """The week's ranking plus `communities` communities without data, in `subdistricts` subdistricts of
    their own that rank nobody (a district where most of the map recorded nothing)."""
    from reports.ranking import SubdistrictRow

    template = ranking.rows[0]
    empty = [
        dataclasses.replace(
            template,
            code=f"9{n:08d}",
            name=f"空{n}社区",
            subdistrict_name=f"空{n % subdistricts}街道",
            score=None,
            rank_in_district=None,
            rank_in_subdistrict=None,
            previous_rank_in_district=None,
        )
        for n in range(communities)
    ]
    empty_subdistricts = [SubdistrictRow(f"8{n:05d}", f"空{n}街道", 0, None, None, 0) for n in range(subdistricts)]
    return dataclasses.replace(
        ranking, rows=ranking.rows + empty, subdistricts=ranking.subdistricts + empty_subdistricts
    )


@pytest.mark.django_db
def test_communities_without_data_are_one_line_after_the_table_and_one_sentence_in_the_body(town, render):  # noqa: F811
    ranking = _with_empty_communities(ranking_for(district=town.district, week_start=WEEK))
    ranked = len(ranking.ranked_rows)

    content = ranking_docx(ranking)
    document = Document(io.BytesIO(content))

    texts = [p.text for p in document.paragraphs]
    body = "".join(texts[: texts.index("附件")])
    # The body: the ranking page's words, and the subdistricts without data in one clause, not eleven.
    assert "无登记户" not in body
    assert "另有30个社区本周无数据（无需排查的登记户，也无工作记录），不参与排名，名单见附件。" in body
    assert "（无数据）" not in body and "另有11个街道所辖社区本周均无数据，不参与街道排名" in body
    # The attachment: a row per ranked community only, then the others on one line.
    (table,) = document.tables
    assert len(table.rows) == 1 + ranked
    assert not any(cell.text == "无数据" for row in table.rows for cell in row.cells)
    assert texts[-1].startswith("以下30个社区本周无数据，不参与排名——空0街道：空0社区、空11社区、空22社区；")
    assert all(f"空{n}社区" in texts[-1] for n in range(30))

    pages = render(content, "bulletin_empty")
    table_title = f"附件{town.district.name}社区排名表"
    attachment = next(i for i, (_w, _h, text) in enumerate(pages) if text.startswith(table_title))
    assert len(pages) - attachment == 1  # the attachment on one page, not pages of 无数据 rows
    assert "空29社区" in pages[-1][2]


@pytest.mark.django_db
def test_the_movement_reads_a_dash_when_the_week_before_ranked_nobody(town):
    # A week after one without data (as the published week 47 was): nobody was ranked then, no rank moved.
    ranking = ranking_for(district=town.district, week_start=WEEK)
    after_a_blank_week = dataclasses.replace(
        ranking, rows=[dataclasses.replace(r, previous_rank_in_district=None) for r in ranking.rows]
    )

    (table,) = Document(io.BytesIO(ranking_docx(after_a_blank_week))).tables

    movement = [row.cells[4].text for row in table.rows[1:]]
    assert len(movement) == len(ranking.ranked_rows) and set(movement) == {"—"}


@pytest.mark.django_db
def test_the_signature_page_carries_the_end_of_the_body_not_the_signature_alone(town, render):  # noqa: F811
    """GB/T 9704 7.3.5: a page holding only the attachment's note and the signature is not stamped; the body's
    last paragraph goes over with them (in the test town the body just fills page 1)."""
    ranking_publish(district=town.district, week_start=WEEK, actor=town.admin)
    pages = render(ranking_docx(ranking_for(district=town.district, week_start=WEEK)), "signed")

    office = f"{town.district.name}散煤治理工作领导小组办公室"
    signed = next(text for _w, _h, text in pages if text.rstrip("—0123456789").endswith("日") and office in text[2:])
    rest = re.sub(r"—\d+—$", "", signed).replace("附件：社区排名表", "").split(office)[0]
    assert rest.strip(), signed


@pytest.mark.django_db
def test_rendered_by_libreoffice_a_number_at_a_lines_end_is_never_broken_in_two(town, render):  # noqa: F811
    """The body's condensed spacing fits 28 characters a line; LibreOffice broke a number at a line's end there
    (另有1 / 1个街道…). The first subdistrict's name is lengthened so that the 11 falls exactly at a line's end."""
    ranking = _with_empty_communities(ranking_for(district=town.district, week_start=WEEK))
    first = next(s for s in ranking.subdistricts if s.ranked)
    longer = dataclasses.replace(first, name=first.name + "街" * 14)
    ranking = dataclasses.replace(ranking, subdistricts=[longer if s is first else s for s in ranking.subdistricts])

    pages = render(ranking_docx(ranking), "numbers", lines=True)

    lines = [line for _w, _h, text in pages for line in text.splitlines()]
    body = lines[: lines.index("附件：社区排名表")]  # the prose (the table's rows each end and start in figures)
    broken = [(a, b) for a, b in itertools.pairwise(body) if a[-1].isdigit() and b[0].isdigit()]
    assert not broken, broken
    # The 11 was at the line's end: it went over whole, not one figure on each line.
    assert any(line.startswith("11个街道所辖社区本周均无数据") for line in body), body


@pytest.mark.django_db
def test_a_score_half_way_is_rounded_in_the_bulletin_as_on_the_page(town):
    """An outside tester found 福华街街道 at 65.63 on the page and 65.62分 in the .docx (binary rounding of 65.625)."""
    from reports.ranking import two_places
    from reports.ranking_views import community_rows_html, subdistrict_rows_html

    ranking = ranking_for(district=town.district, week_start=WEEK)
    first = ranking.subdistricts[0]
    ranking = dataclasses.replace(
        ranking,
        subdistricts=[dataclasses.replace(first, mean_score=65.625), *ranking.subdistricts[1:]],
        rows=[dataclasses.replace(ranking.rows[0], score=59.125), *ranking.rows[1:]],
    )
    assert f"{65.625:.2f}" == "65.62" and str(two_places(65.625)) == "65.63"

    texts = [p.text for p in Document(io.BytesIO(ranking_docx(ranking))).paragraphs]
    cells = [c.text for t in Document(io.BytesIO(ranking_docx(ranking))).tables for r in t.rows for c in r.cells]

    assert any(f"{first.name}（65.63分）" in text for text in texts)
    assert "59.13" in cells and "59.12" not in cells
    assert "65.63" in subdistrict_rows_html(ranking)
    assert "59.13" in community_rows_html(ranking, "")
