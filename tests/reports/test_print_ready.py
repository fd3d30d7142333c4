"""Workbooks a clerk can print (issue 14): the ranking's .xlsx and a ledger open in openpyxl with their print
setup — A4 landscape, one page wide, the header row on every page, frozen and filtered, a title row naming the
unit and the period, page numbers, number formats, wide enough text columns, the system named as creator — and
LibreOffice prints them so: every page of a sheet carries the sheet's whole width. The ranking's CSV opens in
LibreOffice with the community code as text.

The rendering tests need LibreOffice (Debian's libreoffice-calc-nogui) and poppler-utils; without them they
are skipped, unless REQUIRE_BROWSER=1 (as in CI), where that is a failure.
"""

import csv
import datetime
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from coalgov.exports import FOOTER, SYSTEM_NAME, chinese_period, column_for, csv_number_as_text, text_width
from divisions.models import Division, Level
from reports import ledgers
from reports.ranking_exports import HEADER, SUBDISTRICT_HEADER

from . import test_ledgers
from .test_ledgers import DATA_SHEETS, build, request_export

data, media = test_ledgers.data, test_ledgers.media  # the ledger tests' fixtures: their records, a MEDIA_ROOT

URL = "/units/ranking/"
QUERY = {"week": "2025-11-05"}  # the week of 2025-11-03 (tests/reports/conftest.py)
A4_LANDSCAPE = (842, 595)  # points, rounded
A4_PORTRAIT = (595, 842)


def _print_setup_is_a4_one_page_wide(ws, *, landscape=True):
    assert int(ws.page_setup.paperSize) == 9, ws.title  # A4
    assert ws.page_setup.orientation == ("landscape" if landscape else "portrait"), ws.title
    fit = (int(ws.page_setup.fitToWidth or 1), int(ws.page_setup.fitToHeight))  # 1 is the default, often left out
    assert fit == (1, 0), ws.title
    assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
    # The page number only, from 1 on every sheet: LibreOffice would count 共 &N 页 over the whole workbook.
    assert ws.oddFooter.center.text == FOOTER == "第 &P 页", ws.title
    assert (int(ws.page_setup.firstPageNumber or 1), ws.page_setup.useFirstPageNumber) == (1, True), ws.title


def _table_setup(ws, headers: list[str], rows: int):
    """Title in row 1, header in row 2 (wrapped, tall enough, on every page, frozen, filtered), data under."""
    _print_setup_is_a4_one_page_wide(ws)
    assert [cell.value for cell in ws[2]] == headers, ws.title
    assert ws.print_title_rows.replace("$", "") == "2:2", ws.title
    assert ws.freeze_panes == "A3", ws.title
    last = chr(ord("A") + len(headers) - 1) if len(headers) <= 26 else None
    assert ws.auto_filter.ref == f"A2:{last}{2 + rows}", ws.title
    assert all(cell.alignment.wrap_text for cell in ws[2]), ws.title
    # A header wider than its column wraps, and the row is tall enough to show its second line.
    widths = [ws.column_dimensions[cell.column_letter].width for cell in ws[2]]
    if any(text_width(h) > w for h, w in zip(headers, widths, strict=True)):
        assert ws.row_dimensions[2].height >= 30, ws.title
    assert f"A1:{last}1" in {str(r) for r in ws.merged_cells.ranges}, ws.title
    # Every header whole: a short one on one line, a long one split evenly over two, never a character alone.
    for header, width in zip(headers, widths, strict=True):
        assert width >= column_for(header, 1 if text_width(header) <= 10 else 2), (ws.title, header, width)
    # Thin borders round every cell of the table, header and data, and none round the title.
    assert not ws["A1"].border.bottom.style, ws.title
    for row in ws.iter_rows(min_row=2, max_row=2 + rows):
        for cell in row:
            sides = (cell.border.left, cell.border.right, cell.border.top, cell.border.bottom)
            assert {side.style for side in sides} == {"thin"}, (ws.title, cell.coordinate)


def test_dates_in_titles_are_written_as_an_office_writes_them():
    assert chinese_period(datetime.date(2026, 11, 23), datetime.date(2026, 11, 29)) == "2026年11月23日—11月29日"
    assert chinese_period(datetime.date(2026, 3, 2), datetime.date(2026, 3, 8)) == "2026年3月2日—3月8日"
    assert chinese_period(datetime.date(2025, 12, 29), datetime.date(2026, 1, 4)) == "2025年12月29日—2026年1月4日"
    assert chinese_period(datetime.date(2026, 12, 2), datetime.date(2026, 12, 2)) == "2026年12月2日"


# --- The ranking -----------------------------------------------------------------------------------


def _ranking(client, town):
    client.force_login(town.admin)
    response = client.get(f"{URL}download/xlsx/", QUERY)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content)), response.content


def test_every_sheet_of_the_ranking_prints_a4_landscape_one_page_wide_with_its_title_and_header(client, town):
    before = timezone.now().replace(microsecond=0, tzinfo=None) - datetime.timedelta(seconds=1)
    workbook, _content = _ranking(client, town)

    assert workbook.sheetnames == ["全区", "街道排名", "A街道", "B街道"]
    for ws, rows in ((workbook["全区"], 6), (workbook["A街道"], 3), (workbook["B街道"], 3)):
        _table_setup(ws, HEADER, rows)
    _table_setup(workbook["街道排名"], SUBDISTRICT_HEADER, 2)
    assert workbook["街道排名"]["A1"].value == "测试区各街道散煤治理工作周排名（2025年11月3日—11月9日）"
    # The title names the unit and the week, dates as an office writes them (no leading zeros).
    assert workbook["全区"]["A1"].value == "测试区散煤治理工作周排名（2025年11月3日—11月9日）"
    assert workbook["B街道"]["A1"].value == "测试区B街道散煤治理工作周排名（2025年11月3日—11月9日）"
    assert workbook["全区"]["A1"].font.b
    # The system made it, just now (not python's or openpyxl's name, not a fixed date).
    assert workbook.properties.creator == SYSTEM_NAME == "散煤治理案件管理系统"
    assert workbook.properties.title == workbook["全区"]["A1"].value
    assert before <= workbook.properties.created <= timezone.now().replace(tzinfo=None)


def test_the_ranking_formats_ranks_and_counts_whole_rates_with_two_decimals_and_the_movement_with_its_sign(
    client, town
):
    ws = _ranking(client, town)[0]["全区"]
    header = [cell.value for cell in ws[2]]
    first = dict(zip(header, ws[3], strict=True))  # B2社区: 1st, up 4 places

    assert first["社区"].value == "B2社区" and first["区内排名"].number_format == "0"
    assert first["社区代码"].value == "419901002002" and first["社区代码"].data_type == "s"
    assert first["社区代码"].number_format == "@"  # text, even when someone types in it
    assert first["得分"].value == 77.0 and first["得分"].number_format == "0.00"
    assert first["名次变化"].value == 4 and first["名次变化"].number_format == "+0;-0;0"  # shows +4, stays a number
    for column in ("排查覆盖率(%)", "每百户夜查次数", "双替代完成率(%)"):
        assert first[column].number_format == "0.00", column
    for column in ("督导发现问题数", "反弹数", "周末逾期问题数"):
        assert first[column].number_format == "0" and isinstance(first[column].value, int), column


def test_the_ranking_names_columns_are_as_wide_as_the_longest_name(client, town):
    long_name = "建设路街道办事处第一社区居民委员会"
    Division.objects.filter(pk=town.unit["A1"].pk).update(name=long_name)
    ws = _ranking(client, town)[0]["全区"]

    assert ws.column_dimensions["D"].width >= text_width(long_name) == 34
    assert ws.column_dimensions["C"].width >= len("419901001001")


# --- The ranking's CSV ------------------------------------------------------------------------------


def _soffice() -> str | None:
    path = shutil.which("soffice")
    if path and shutil.which("pdfinfo") and shutil.which("pdftotext"):
        return path
    reason = "LibreOffice (soffice) or poppler-utils (pdfinfo, pdftotext) is not installed"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _convert(source: Path, to: str, tmp_path: Path, infilter: str | None = None) -> Path:
    """LibreOffice headless, with a profile of its own (two conversions at once would share one otherwise)."""
    command = [
        _soffice(),
        f"-env:UserInstallation=file://{tmp_path / 'profile'}",
        "--headless",
        "--convert-to",
        to,
        "--outdir",
        str(tmp_path / "out"),
    ]
    if infilter:
        command.append(f"--infilter={infilter}")
    subprocess.run([*command, str(source)], check=True, capture_output=True, timeout=240)
    converted = tmp_path / "out" / f"{source.stem}.{to.split(':')[0]}"
    assert converted.is_file(), f"LibreOffice made no {converted.name}"
    return converted


def test_the_csv_reads_back_with_codes_as_text_whole_counts_and_signed_movements(client, town):
    client.force_login(town.admin)
    lines = list(csv.reader(io.StringIO(client.get(f"{URL}download/csv/", QUERY).content.decode("utf-8-sig"))))
    header, rows = lines[0], lines[1:]
    code, move = header.index("社区代码"), header.index("名次变化")
    counts = [
        header.index(c) for c in ("区内排名", "街道内排名", "上周排名", "督导发现问题数", "反弹数", "周末逾期问题数")
    ]

    assert all(re.fullmatch(r'="\d{12}"', row[code]) for row in rows)
    assert all(re.fullmatch(r"\d+", row[i]) for row in rows for i in counts)  # never "0.0"
    assert {row[move] for row in rows} >= {'="+4"', '="-5"', "0"}
    assert all(re.fullmatch(r'="[+-][1-9]\d*"|0', row[move]) for row in rows)


def test_a_spreadsheet_opening_the_csv_keeps_the_12_digit_code_as_text(client, town, tmp_path):
    """What Excel and WPS are asked to do, done by LibreOffice: ="419901002001" is the text 419901002001 — its
    12 digits (not 4.19901E+11), and nothing else (a tab in front of it, the form used before, stayed visible
    in LibreOffice); counts are read as numbers, the signed movement as written."""
    client.force_login(town.admin)
    source = tmp_path / "ranking.csv"
    source.write_bytes(client.get(f"{URL}download/csv/", QUERY).content)

    # 44 comma, 34 double quote, 76 UTF-8, 1 the first line: as Excel reads a UTF-8 CSV with its BOM.
    converted = _convert(source, "xlsx", tmp_path, infilter="CSV:44,34,76,1")

    ws = load_workbook(converted, data_only=True).active  # the cells as LibreOffice shows them
    header = [cell.value for cell in ws[1]]
    b1 = dict(zip(header, ws[7], strict=True))  # the last ranked: B1社区
    assert b1["社区"].value == "B1社区"
    assert b1["社区代码"].data_type == "s" and b1["社区代码"].value == "419901002001"
    assert b1["名次变化"].data_type == "s" and b1["名次变化"].value == "-5"
    assert dict(zip(header, ws[2], strict=True))["名次变化"].value == "+4"  # B2社区, up 4
    assert b1["区内排名"].value == 6 and b1["周末逾期问题数"].value == 1  # numbers, whole


# --- The ledger ----------------------------------------------------------------------------------


def test_every_data_sheet_of_a_ledger_prints_a4_landscape_one_page_wide_with_its_title_and_header(
    people, data, wulibao, media
):
    before = timezone.now().replace(microsecond=0, tzinfo=None) - datetime.timedelta(seconds=1)
    export = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end))
    workbook = load_workbook(ledgers.ledger_path(export))

    counts = {"住户": 2, "检查记录": 2, "收缴": 2, "收购": 1, "问题": 3}
    period = chinese_period(data.start, data.end)
    for title in DATA_SHEETS:
        ws = workbook[title]
        headers = [cell.value for cell in ws[2]]
        _table_setup(ws, headers, counts[title])
        assert ws["A1"].value == f"{wulibao.full_name}散煤治理工作台账·{title}（{period}）"
    _print_setup_is_a4_one_page_wide(workbook["说明"], landscape=False)
    assert workbook.properties.creator == SYSTEM_NAME
    assert before <= workbook.properties.created <= timezone.now().replace(tzinfo=None)


def test_a_ledger_formats_ids_whole_money_with_two_decimals_and_dates_as_dates(people, data, wulibao, media):
    export = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end))
    workbook = load_workbook(ledgers.ledger_path(export))

    def cells(title):
        ws = workbook[title]
        header = [cell.value for cell in ws[2]]
        return [dict(zip(header, row, strict=True)) for row in ws.iter_rows(min_row=3)]

    (purchase,) = cells("收购")
    for money in ("收购单价（元）", "市场价（元）", "收购金额（元）"):
        assert purchase[money].number_format == "0.00", money
    assert purchase["编号"].number_format == "0"
    assert purchase["收购日期"].is_date and purchase["收购日期"].number_format == "yyyy-mm-dd"
    visit = cells("检查记录")[0]
    assert visit["检查时间"].is_date and visit["检查时间"].number_format == "yyyy-mm-dd hh:mm"
    case = cells("问题")[0]
    assert case["整改期限"].number_format == "yyyy-mm-dd" and case["立案时间"].number_format == "yyyy-mm-dd hh:mm"
    # Long free text wraps in its column and its row is tall enough to show it; names of places do not wrap.
    ws = workbook["问题"]
    place = [cell.value for cell in ws[2]].index("场所") + 1
    for row in range(3, ws.max_row + 1):
        text = ws.cell(row=row, column=place).value
        assert ws.cell(row=row, column=place).alignment.wrap_text
        lines = -(-text_width(text) // (ws.column_dimensions[ws.cell(row=row, column=place).column_letter].width - 1))
        assert (ws.row_dimensions[row].height or 15) >= 15 * lines, (text, lines)
    assert not case["社区"].alignment.wrap_text
    household = cells("住户")[0]
    assert household["纬度"].value is None or household["纬度"].number_format == "0.000000"


def test_a_ledgers_place_columns_are_as_wide_as_the_longest_name_of_the_unit(
    people, data, wulibao, wulibao_community, media
):
    long_name = "五里堡街道办事处建设路第一社区居民委员会"
    Division.objects.filter(pk=wulibao_community.pk).update(name=long_name)
    export = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end, sheets=["households"]))

    ws = load_workbook(ledgers.ledger_path(export))["住户"]
    assert [cell.value for cell in ws[2]][2] == "社区"
    assert ws.column_dimensions["C"].width >= text_width(long_name)


# --- Printed through LibreOffice -----------------------------------------------------------------


def _pages(pdf: Path) -> list[tuple[tuple[int, int], str]]:
    """Each page's size in points and its text."""
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True)
    sizes = [
        (round(float(w)), round(float(h)))
        for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info.stdout)
    ]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    pages = text.stdout.split("\f")[: len(sizes)]
    return list(zip(sizes, pages, strict=True))


def _wide_district(town, subdistricts=14, communities=4):
    """The town and 14 more subdistricts of four communities each: the ranking has 18 sheets (the district's, the
    subdistricts' ranking, and 16 subdistricts')."""
    for s in range(subdistricts):
        sub = Division.objects.create(
            code=f"419901{s + 3:03d}", name=f"第{s + 3}街道", level=Level.SUBDISTRICT, parent=town.district
        )
        Division.objects.bulk_create(
            Division(code=f"{sub.code}{c:03d}", name=f"建设路第{c}社区", level=Level.COMMUNITY, parent=sub)
            for c in range(1, communities + 1)
        )


def test_the_17_sheet_ranking_prints_each_sheet_one_page_wide_on_a_few_landscape_pages(client, town, tmp_path):
    _soffice()
    _wide_district(town)
    workbook, content = _ranking(client, town)
    assert len(workbook.sheetnames) == 18
    source = tmp_path / "ranking.xlsx"
    source.write_bytes(content)

    pages = _pages(_convert(source, "pdf", tmp_path))

    # One page a sheet, two for the district's 62 communities — not 60 portrait pages of columns A to E.
    assert 18 <= len(pages) <= 21, len(pages)
    for number, (size, text) in enumerate(pages, 1):
        assert size == A4_LANDSCAPE, (number, size)
        if "各街道散煤治理工作周排名" in text:  # the subdistricts' ranking, a table of its own
            assert all(header in text for header in SUBDISTRICT_HEADER if text_width(header) <= 10), number
            continue
        # The header on every page, from the first column to the last: the sheet's whole width on the page.
        assert "区内排名" in text and "双替代完成率" in text, number
        # Every header whole on the page: the short ones on one line.
        assert all(header in text for header in HEADER if text_width(header) <= 10), number
    # Page numbers count from 1 on each sheet (a sheet's first page carries its title), with no total.
    expected, numbers = [], []
    for _size, text in pages:
        expected.append(1 if "散煤治理工作周排名" in text else expected[-1] + 1)
        numbers.append(int(re.search(r"第\s*(\d+)\s*页", text)[1]))
        assert "共" not in text
    assert numbers == expected and max(numbers) >= 2  # the district's sheet takes two pages
    assert "测试区散煤治理工作周排名（2025年11月3日—11月9日）" in pages[0][1]
    assert "测试区B街道散煤治理工作周排名" in "".join(text for _size, text in pages)


def test_a_ledger_prints_each_sheet_one_page_wide_on_a4(people, data, wulibao, media, tmp_path):
    _soffice()
    export = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end))
    source = tmp_path / "ledger.xlsx"
    shutil.copy(ledgers.ledger_path(export), source)
    last_headers = {"住户": "登记时间", "检查记录": "录入人", "收缴": "说明", "收购": "录入人", "问题": "作废原因"}

    pages = _pages(_convert(source, "pdf", tmp_path))

    assert len(pages) == len(DATA_SHEETS) + 1  # one page a sheet, and the 说明 sheet
    for (size, text), title in zip(pages, DATA_SHEETS, strict=False):
        assert size == A4_LANDSCAPE, title
        assert f"散煤治理工作台账·{title}" in text and "编号" in text and last_headers[title] in text, title
    for number, (_size, text) in enumerate(pages, 1):
        assert re.search(r"第\s*1\s*页", text) and "共" not in text, number  # each sheet's one page is its page 1
    size, text = pages[-1]
    assert size == A4_PORTRAIT and "时间范围" in text


@pytest.mark.parametrize("text", ["=1+1", "\t=1+1", "410103001001A", "+4+A1", "\t\t1", '1"&HYPERLINK("x")&"', "1.5"])
def test_only_digits_may_be_written_as_a_text_formula(text):
    """="…" that keeps a code as text is never a way for a formula in: anything but digits is refused."""
    with pytest.raises(ValueError):
        csv_number_as_text(text)
    assert csv_number_as_text("410103001001") == '="410103001001"' and csv_number_as_text("-5") == '="-5"'


def test_a_ledgers_notice_numbers_fit_their_column_and_rows_are_as_tall_as_their_wrapped_text(
    people, data, erqi, wulibao, wulibao_community, media
):
    from cases.models import SupervisionNotice
    from cases.services import ProblemInput, notice_record

    number = "二七散煤督〔2026〕12号"
    notice_record(
        actor=people["qu_admin"],
        division=erqi,
        number=number,
        issued_on=timezone.localdate(),
        level=SupervisionNotice.Level.SUPERVISION_GROUP,
        title="散煤治理督导通报",
        problems=[
            # Nine characters: two half-width units each fit the 问题 column's 20 minus its padding, but the font's
            # Chinese is wider than that and it wrapped in a one-line row.
            ProblemInput(responsible_unit=wulibao_community, title="楼道堆放散煤未清理"),
            ProblemInput(
                responsible_unit=wulibao_community, title="院内散煤", description="北侧院墙\n东侧车棚\n西侧楼道\n南门"
            ),
        ],
    )
    export = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end))
    ws = load_workbook(ledgers.ledger_path(export))["问题"]
    headers = [cell.value for cell in ws[2]]

    notice_column = ws.cell(row=2, column=headers.index("督导通报文号") + 1).column_letter
    assert ws.column_dimensions[notice_column].width >= column_for(number)  # its 号 not in the next cell
    assert number in [
        ws.cell(row=row, column=headers.index("督导通报文号") + 1).value for row in range(3, ws.max_row + 1)
    ]
    for header in ("问题", "详细情况", "场所", "作废原因"):
        column = headers.index(header) + 1
        width = ws.column_dimensions[ws.cell(row=2, column=column).column_letter].width
        for row in range(3, ws.max_row + 1):
            text = ws.cell(row=row, column=column).value or ""
            # Each of its own lines wraps at the width of a Chinese character as the font prints it (1.1 units).
            lines = sum(max(-(-round(text_width(part) * 1.1, 3) // (width - 2)), 1) for part in text.split("\n"))
            assert (ws.row_dimensions[row].height or 15) >= 15 * lines, (header, row, text, lines)
