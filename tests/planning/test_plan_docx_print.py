"""The night-check plan's .docx as LibreOffice prints it (rendered to PDF, its pages read back as text): no estate
or team heading left alone at the foot of a page with its table on the next, no number broken across two lines,
dates written as documents write them (2026年12月2日), and a Chinese file name like the other downloads."""

import datetime
import io
import re
from urllib.parse import quote

import pytest
from django.utils import timezone
from docx import Document

from inspections.services import inspection_record
from planning.selectors import night_in_progress
from tests.documents.official import render  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


ESTATES = [
    "龙亭小区", "中铁院家属楼", "铁路新村", "建设东路社区大院", "郑州市第二十中学家属院", "五里堡新村",
    "大学路东院", "陇海花园", "保全街小区", "郑州铁路局第三家属院", "福寿街北院", "长江路小区",
]  # fmt: skip


@pytest.fixture
def many_places(people, household_in, wulibao_community):
    """Six estates of doors: most never visited (久未检查 10), a third 无主管 (8), a few with coal found 3 days ago
    (40), so that scores and their parts differ and tables of different lengths follow one another."""
    admin = people["wulibao_admin"]
    made = 0
    for number, estate in enumerate(ESTATES):
        for building in range(1, 2 + number * 5 % 7):
            for room in ("501", "1202", "302"):
                made += 1
                household = household_in(
                    wulibao_community,
                    estate=estate,
                    building=str(building + 10 * number),
                    unit=str(1 + made % 2),
                    room=room,
                    unmanaged=made % 3 == 0,
                )
                if made % 5 == 0:
                    inspection_record(
                        actor=admin,
                        household=household,
                        kind="survey",
                        outcome="loose_coal",
                        started_at=timezone.now() - datetime.timedelta(days=3),
                    )
    return made


def _pages(client_as, render, url):  # noqa: F811
    response = client_as("wulibao_admin").get(url)
    assert response.status_code == 200, response.content.decode()[-3000:]
    return response, render(response.content, "plan", lines=True)


# Two splits of the same doors: in each, without keep-with-next, a heading fell at a page's foot (an estate's on
# page 5 of the first, a team's on page 6 of the second).
@pytest.mark.parametrize("split", ["teams=3&doors=30", "teams=4&doors=25"])
def test_no_page_of_the_plan_ends_with_a_heading(client_as, render, many_places, split):  # noqa: F811
    _response, pages = _pages(client_as, render, f"/plan/?{split}&format=docx")

    assert len(pages) > 2
    # An estate's heading is its community and name with its count, "…龙亭小区（12）"; a team's, "第1组（20户）".
    heading = re.compile(r".*（\d+）|第\d+组.*")
    for number, (_w, _h, text) in enumerate(pages, start=1):
        lines = [line for line in text.splitlines() if not re.fullmatch(r"—\d+—", line)]
        last = lines[-1]
        assert not heading.fullmatch(last), (number, last)


def test_no_address_score_or_reason_is_broken_across_two_lines(client_as, render, many_places):  # noqa: F811
    response, pages = _pages(client_as, render, "/plan/?teams=2&doors=40&format=docx")
    lines = [line for _w, _h, text in pages for line in text.splitlines()]

    cells = [
        [cell.text.replace("\u00a0", "").replace(" ", "") for cell in row.cells]
        for table in Document(io.BytesIO(response.content)).tables
        for row in table.rows[1:]
    ]
    assert len(cells) > 40
    for place_and_last_check, score, why, _box in cells:
        place, last_check = place_and_last_check.split("\n")
        # The place and its score printed together on one line: neither wrapped (the address in a
        # 58 mm column printed "…12" and "02" on two lines, "60.2" as "60" and ".2").
        assert any(place + score in line for line in lines), (place, score)
        # Each reason whole on one line: "无主管/无双气 8" once printed its 8 on the next.
        for part in why.split("\n"):
            assert any(part in line for line in lines), part
        # The last check under the address, whole on one line too ("上次检查：12月3日", 从未检查).
        assert any(last_check in line for line in lines), last_check


def test_the_plan_is_dated_as_documents_write_dates_and_downloads_under_a_chinese_name(client_as, many_places):
    night = night_in_progress()  # the page's default: after midnight, the night still going on
    response = client_as("wulibao_admin").get("/plan/?teams=2&doors=10&format=docx")

    name = f"夜查计划_五里堡街道_{night:%Y-%m-%d}.docx"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(name)}"
    texts = [p.text for p in Document(io.BytesIO(response.content)).paragraphs]
    assert f"{night.year}年{night.month}月{night.day}日夜 · 共20处" in texts
    assert not any(f"{night:%Y-%m-%d}" in text for text in texts)


def test_each_team_starts_its_own_page(client_as, render, many_places):  # noqa: F811
    """Each team leader is handed their own sheets: team 2 never begins on team 1's last page."""
    _response, pages = _pages(client_as, render, "/plan/?teams=3&doors=10&format=docx")

    starts = [number for number, (_w, _h, text) in enumerate(pages) if re.search(r"第\d+组（\d+户）", text)]
    assert len(starts) == 3
    for number in starts:
        assert len(re.findall(r"第\d+组（\d+户）", pages[number][2])) == 1, pages[number][2]


def test_a_team_is_put_on_a_new_page_by_its_heading_not_by_a_break_after_the_last_table(client_as, many_places):
    """An outside tester's 3 × 6 plan printed a blank second page: team 1 filled page 1 exactly and the page
    break paragraph after its table fell alone onto page 2."""
    response = client_as("wulibao_admin").get("/plan/?teams=3&doors=6&format=docx")
    document = Document(io.BytesIO(response.content))

    assert 'w:type="page"' not in document.element.xml  # no paragraph whose only content is a page break
    headings = [p for p in document.paragraphs if re.fullmatch(r"第\d+组（\d+户）", p.text)]
    assert [bool(p.paragraph_format.page_break_before) for p in headings] == [False, True, True]


@pytest.mark.parametrize("doors", [5, 6, 7, 8])
def test_no_printed_page_is_blank(client_as, render, many_places, doors):  # noqa: F811
    _response, pages = _pages(client_as, render, f"/plan/?teams=3&doors={doors}&format=docx")

    for number, (_w, _h, text) in enumerate(pages, start=1):
        assert re.sub(r"[—\s\d]", "", text), f"page {number} of {len(pages)} is blank"
