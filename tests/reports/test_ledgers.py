"""Ledger exports (台账): what the workbook holds, who may ask for which unit and see which export, how the
background build behaves (claims, retries, failures, expiry), and that memory stays flat at 100,000 rows.

The hand-made data set is recorded through the services, over the last seven days (local dates), in 五里堡's
first community, with a household, a visit and a case in 淮河路 that a 五里堡 ledger must never show.
"""

import datetime
import gc
import io
import os
import threading
import time
import tracemalloc
import zipfile
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from cases.models import Case
from cases.services import case_open, case_void
from divisions.models import Division, Membership
from divisions.scoping import forget_grants
from households.services import household_void
from inspections.models import Inspection
from inspections.services import SeizureInput, fieldwork_void, inspection_record, inspection_void, purchase_record
from reports import ledgers
from reports.ledger_sheets import SHEETS, Context
from reports.ledger_views import XLSX
from reports.models import LedgerExport
from reports.tasks import build_ledger

from ..conftest import HUAIHELU, WULIBAO
from ..factories import HouseholdFactory

URL = "/units/ledgers/"
ALL_SHEETS = ["households", "inspections", "seizures", "purchases", "cases"]
DATA_SHEETS = ["住户", "检查记录", "收缴", "收购", "问题"]
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="measured on PostgreSQL, whose server-side cursors production uses"
)
needs_worker = pytest.mark.skipif(
    not django_settings.REDIS_URL or connection.vendor != "postgresql",
    reason="needs REDIS_URL and PostgreSQL (a worker process cannot share SQLite's in-memory test database)",
)


def today() -> datetime.date:
    return timezone.localdate()


def local(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def zh(msgid: str, **values) -> str:
    """A message as the zh-hans page says it (the English msgid until locale/ carries it)."""
    with translation.override("zh-hans"):
        text = gettext(msgid)
    return text % values if values else text


@pytest.fixture
def media(settings, tmp_path):
    """Ledger files in a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def no_broker(monkeypatch):
    """Tasks run in the calling process, as with `make run` (no REDIS_URL), whatever this test run's broker."""
    from coalgov.celery import app

    # The app reads Django's CELERY_* settings under their own names: that is the key to change.
    monkeypatch.setattr(app.conf, "CELERY_TASK_ALWAYS_EAGER", True)
    assert app.conf.task_always_eager


class Data:
    """The records of the last seven days, by name."""


@pytest.fixture
def data(people, register, wulibao_community, huaihelu_community, wulibao):
    d = Data()
    d.start, d.end = today() - datetime.timedelta(days=6), today()
    admin, inspector, qu = people["wulibao_admin"], people["wulibao_inspector"], people["qu_admin"]
    d.wang = register(
        "wulibao_admin",
        wulibao_community,
        head_name="王建国",
        phone="13812341234",
        building="3",
        unit="2",
        room="501",
        elderly_alone=True,
        heating="coal",
    )
    d.li = register(
        "wulibao_admin", wulibao_community, estate="铁路新村", building="7", unit="1", room="101", head_name="李秀英"
    )
    d.voided_household = register("wulibao_admin", wulibao_community, room="909", head_name="作废户")
    household_void(actor=admin, household=d.voided_household, reason="重复登记")
    d.huaihelu = register("qu_admin", huaihelu_community, estate="淮河路小区", head_name="淮河路户主")

    def visit(household, started_at, kind="survey", outcome="no_coal", seized=(), by=inspector, notes=""):
        seizures = [SeizureInput(item, Decimal(quantity), method) for item, quantity, method in seized]
        record, _created = inspection_record(
            actor=by,
            household=household,
            kind=kind,
            outcome=outcome,
            started_at=started_at,
            seizures=seizures,
            notes=notes,
        )
        return record

    # A night check at 00:30 local time: 16:30 UTC the day before.
    d.night = visit(
        d.wang,
        local(d.end - datetime.timedelta(days=2), 0, 30),
        kind="night_check",
        outcome="loose_coal",
        seized=[("briquette", "50", "confiscated"), ("loose_coal", "12.5", "voluntary")],
    )
    d.first = visit(d.li, local(d.start, 0, 0), notes='=HYPERLINK("http://example.com")')  # the first moment
    d.before = visit(d.li, local(d.start - datetime.timedelta(days=1), 23, 59))  # the day before the period
    d.voided_visit = visit(
        d.li, local(d.end - datetime.timedelta(days=3)), outcome="loose_coal", seized=[("stove", "1", "destroyed")]
    )
    inspection_void(actor=admin, inspection=d.voided_visit, reason="录入错误")
    d.huaihelu_visit = visit(
        d.huaihelu, local(d.end - datetime.timedelta(days=1)), seized=[("charcoal", "2", "confiscated")], by=qu
    )

    d.purchase, _ = purchase_record(
        actor=admin,
        household=d.wang,
        item="briquette",
        quantity=Decimal("100"),
        unit_price=Decimal("1.20"),
        market_price=Decimal("0.80"),
        purchased_on=d.end - datetime.timedelta(days=3),
    )
    voided_purchase, _ = purchase_record(
        actor=admin,
        household=d.wang,
        item="loose_coal",
        quantity=Decimal("10"),
        unit_price=Decimal("2"),
        market_price=Decimal("1"),
        purchased_on=d.end - datetime.timedelta(days=2),
    )
    fieldwork_void(actor=admin, record=voided_purchase, reason="录入错误")

    d.tip_off = case_open(
        actor=qu,
        source="tip_off",
        responsible_unit=wulibao_community,
        household=d.li,
        title="群众举报有人烧煤",
        reporter_name="张举报",
        reporter_contact="13611112222",
    )
    d.voided_case = case_open(actor=qu, source="spot_check", responsible_unit=wulibao_community, title="作废的问题")
    case_void(actor=qu, case=d.voided_case, reason="重复")
    case_open(actor=qu, source="spot_check", responsible_unit=huaihelu_community, title="淮河路的问题")
    d.finding = Case.objects.get(inspection=d.night)  # the night check's finding opened it
    return d


def request_export(people, username, division, start, end, sheets=ALL_SHEETS) -> LedgerExport:
    return ledgers.ledger_request(actor=people[username], division=division, start=start, end=end, sheets=sheets)


def build(export: LedgerExport) -> LedgerExport:
    assert ledgers.ledger_run(export_id=export.pk) == "done"
    export.refresh_from_db()
    return export


def workbook_of(export: LedgerExport, read_only=False):
    return load_workbook(ledgers.ledger_path(export), read_only=read_only)


def rows_of(ws) -> list[tuple]:
    return list(ws.iter_rows(min_row=3, values_only=True))  # under the title and the header


def records(ws) -> list[dict]:
    headers = [cell.value for cell in ws[2]]
    return [dict(zip(headers, row, strict=True)) for row in rows_of(ws)]


def column(ws, header: str) -> list:
    headers = [cell.value for cell in ws[2]]
    index = headers.index(header)
    return [row[index] for row in rows_of(ws)]


def all_text(workbook) -> str:
    return "\n".join(
        str(value) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for value in row if value
    )


# --- What the workbook holds ---------------------------------------------------------------------


def test_the_workbook_has_one_sheet_per_kind_with_chinese_headers_frozen_under_them(people, data, wulibao, media):
    export = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end))

    workbook = workbook_of(export)

    assert workbook.sheetnames == [*DATA_SHEETS, "说明"]
    for title in DATA_SHEETS:
        ws = workbook[title]
        assert ws.freeze_panes == "A3"
        assert all(cell.font.b for cell in ws[2])
    headers = {title: [cell.value for cell in workbook[title][2]] for title in DATA_SHEETS}
    assert headers["住户"][:9] == ["编号", "街道", "社区", "网格", "小区", "楼栋", "单元", "房号", "地址"]
    assert {"户主", "电话", "无主管", "无双气", "重点区域", "散煤状态"} <= set(headers["住户"])
    assert headers["检查记录"][:4] == ["编号", "检查时间", "街道", "社区"]
    assert {"检查类型", "结果", "夜查", "重点区域", "夜查行动", "户主"} <= set(headers["检查记录"])
    assert {"收缴物品", "数量", "处置方式"} <= set(headers["收缴"])
    assert {"收购日期", "数量", "收购单价（元）", "市场价（元）", "收购金额（元）"} <= set(headers["收购"])
    assert {"问题来源", "责任单位", "整改期限", "状态", "是否逾期"} <= set(headers["问题"])


def test_the_sheets_hold_the_periods_current_records_of_the_unit_with_numbers_and_local_dates(
    people, data, wulibao, wulibao_community, media
):
    export = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end))
    workbook = workbook_of(export)

    households = workbook["住户"]
    assert sorted(column(households, "户主")) == sorted(["王建国", "李秀英"])  # not the voided one, not 淮河路's
    (wang,) = [r for r in records(households) if r["编号"] == data.wang.pk]
    assert (wang["街道"], wang["社区"], wang["小区"], wang["楼栋"]) == (
        "五里堡街道",
        wulibao_community.name,
        "龙亭小区",
        "3",
    )
    assert (wang["独居老人"], wang["无主管"], wang["取暖方式"]) == ("是", "否", "燃煤")
    assert wang["散煤状态"] == "已发现，未清零"

    visits = workbook["检查记录"]
    assert column(visits, "编号") == [data.first.pk, data.night.pk]  # in time order; voided and 淮河路's left out
    night = records(visits)[1]
    # Local time, as the inspector wrote it: 00:30, not 16:30 the day before (UTC).
    assert night["检查时间"] == datetime.datetime.combine(data.end - datetime.timedelta(days=2), datetime.time(0, 30))
    assert (night["检查类型"], night["结果"], night["夜查"], night["户主"]) == ("夜查", "发现散煤", "是", "王建国")
    assert visits.cell(row=3, column=2).is_date  # a date cell, not text
    assert column(visits, "检查时间")[0] == datetime.datetime.combine(data.start, datetime.time(0, 0))

    seizures = workbook["收缴"]
    assert column(seizures, "收缴物品") == ["型煤/蜂窝煤（块）", "散煤（公斤）"]
    assert column(seizures, "数量") == [50, 12.5]
    assert column(seizures, "处置方式") == ["没收", "主动上交"]
    quantity = seizures.cell(row=4, column=[c.value for c in seizures[2]].index("数量") + 1)
    assert quantity.data_type == "n"

    purchases = workbook["收购"]
    (purchase,) = records(purchases)  # the voided one is left out
    assert (purchase["数量"], purchase["收购单价（元）"], purchase["市场价（元）"], purchase["收购金额（元）"]) == (
        100,
        1.2,
        0.8,
        120,
    )
    assert purchase["收购日期"] == datetime.datetime.combine(data.end - datetime.timedelta(days=3), datetime.time())
    assert purchase["检查编号"] is None and purchase["户主"] == "王建国"

    cases = workbook["问题"]
    # The voided case listed too, as voided, with when and why (a ledger shows everything that happened); not
    # 淮河路's.
    assert column(cases, "编号") == [data.finding.pk, data.tip_off.pk, data.voided_case.pk]
    voided = records(cases)[-1]
    assert (voided["问题"], voided["状态"], voided["作废原因"], voided["是否逾期"]) == (
        "作废的问题",
        "已作废",
        "重复",
        "否",
    )
    assert voided["作废时间"] is not None
    assert column(cases, "问题来源") == ["夜查发现", "群众举报", "督导抽查"]
    assert column(cases, "是否逾期") == ["否", "否", "否"]
    assert column(cases, "整改期限")[1] == datetime.datetime.combine(data.tip_off.deadline, datetime.time())

    info = {row[0]: row[1] for row in workbook["说明"].iter_rows(values_only=True) if row and row[0]}
    assert info["单位代码"] == WULIBAO and info["住户"] == 2 and info["检查记录"] == 2 and info["问题"] == 3
    # The 说明 sheet says what the sheets do: 问题 lists its voided case, the others leave theirs out.
    assert info["作废记录"] == (
        "问题表列出已作废的记录（状态为“已作废”，并写明作废时间和原因）；住户、检查记录、收缴、收购表不列入已作废的记录。"
    )
    assert not any("已作废的记录不列入" in str(v) for v in info.values())
    assert export.rows_total == export.rows_done == 2 + 2 + 2 + 1 + 3
    assert export.size == ledgers.ledger_path(export).stat().st_size


def test_who_recorded_a_row_is_named_by_their_name_or_else_their_username(people, data, wulibao, media):
    # 录入人 comes from a dictionary of the users, not from a join in every row's query.
    inspector, admin = people["wulibao_inspector"], people["wulibao_admin"]
    inspector.first_name, admin.first_name = "张检查", ""
    inspector.save(update_fields=["first_name"])
    admin.save(update_fields=["first_name"])
    export = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end))
    workbook = workbook_of(export)
    assert column(workbook["检查记录"], "录入人") == ["张检查", "张检查"]
    assert column(workbook["收购"], "录入人") == ["wulibao_admin"]


def test_a_past_periods_ledger_lists_the_households_visited_then_though_registered_later(
    people, register, wulibao, wulibao_community, media
):
    """A campaign entered after the fact: households registered today, their visits dated weeks ago."""
    start, end = today() - datetime.timedelta(days=30), today() - datetime.timedelta(days=20)
    visited = register("wulibao_admin", wulibao_community, estate="补录小区", room="301", head_name="补录户")
    register("wulibao_admin", wulibao_community, estate="补录小区", room="302", head_name="未检查户")
    inspection_record(
        actor=people["wulibao_inspector"],
        household=visited,
        kind="survey",
        outcome="no_coal",
        started_at=local(today() - datetime.timedelta(days=25)),
    )

    workbook = workbook_of(build(request_export(people, "wulibao_admin", wulibao, start, end)))

    assert column(workbook["住户"], "户主") == ["补录户"]  # visited in the period; the other registered after it
    assert column(workbook["检查记录"], "户主") == ["补录户"]


def test_a_tip_offs_reporter_is_never_in_the_ledger(people, data, wulibao, media):
    export = build(request_export(people, "qu_admin", wulibao, data.start, data.end))

    text = all_text(workbook_of(export))

    assert "群众举报有人烧煤" in text
    assert "张举报" not in text and "13611112222" not in text


def test_text_that_looks_like_a_formula_stays_text(people, data, wulibao, media):
    export = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end, sheets=["inspections"]))

    visits = workbook_of(export)["检查记录"]
    notes = visits.cell(row=3, column=[c.value for c in visits[2]].index("备注") + 1)

    assert notes.value == '=HYPERLINK("http://example.com")'
    assert notes.data_type == "s"
    assert notes.alignment.wrap_text  # wrapped like every note, not cut off in print


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ('=HYPERLINK("http://example.com")', '=HYPERLINK("http://example.com")'),
        ("-1+1", "-1+1"),
        ("门口 & <煤棚>", "门口 & <煤棚>"),
        # Excel's own escape, escaped in turn: Excel and LibreOffice show _x0041_, not "A" (openpyxl reads the
        # escapes as they are written).
        ("_x0041_", "_x005F_x0041_"),
        ("  两个空格在前", "  两个空格在前"),
        ("在后两个空格  ", "在后两个空格  "),
        ("响铃\x07与\x1b字符", "响铃与字符"),  # characters Excel refuses, removed
        ("第一行\n第二行", "第一行\n第二行"),
        ("长" * 40_000, "长" * 32_767),  # Excel's limit on a cell's text
    ],
)
def test_the_sheet_writer_keeps_any_text_as_written(tmp_path, written, read):
    """The rows are written as XML by hand (reports/ledgers.py): whatever a note holds reads back as typed, as
    text, bordered; a formula-looking note with Excel's quote prefix. Other values keep their kind."""
    path = tmp_path / "ledger.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    writer = ledgers._SheetWriter(workbook, SHEETS["purchases"], "台账·收购")
    moment = timezone.make_aware(datetime.datetime(2026, 11, 2, 23, 30), datetime.UTC)
    day = datetime.date(2026, 11, 3)
    row = [7, day, "五里堡街道", "", "小区", "1", "2", "301", None, "户主", "型煤", Decimal("1.5"), Decimal("12.50")]
    writer.append([*row, 600.0, 18.75, True, written, "录入人"])
    writer.append([8, moment, *[None] * 16])
    writer.append([*row, 600.0, 18.75, True, written, "录入人"])  # again: a text the writer has seen before
    writer.finish()
    workbook.close()

    ws = load_workbook(path)["收购"]
    header = [cell.value for cell in ws[2]]
    first, second, again = (dict(zip(header, ws[n], strict=True)) for n in (3, 4, 5))
    for name in ("备注", "小区", "楼栋", "检查编号"):
        assert (again[name].value, again[name].quotePrefix) == (first[name].value, first[name].quotePrefix)
    assert first["备注"].value == read and first["备注"].data_type == "s"
    assert first["备注"].quotePrefix == read.startswith(("=", "-"))
    assert first["备注"].alignment.wrap_text and first["备注"].border.left.style == "thin"
    assert first["编号"].value == 7 and first["编号"].number_format == "0"
    assert first["收购日期"].value == datetime.datetime(2026, 11, 3) and first["收购日期"].number_format == "yyyy-mm-dd"
    assert first["收购单价（元）"].value == 12.5 and first["收购单价（元）"].number_format == "0.00"
    assert first["检查编号"].value == "是"  # yes/no in words, wherever it is
    assert first["社区"].value is None and first["社区"].border.left.style == "thin"  # an empty cell, bordered
    assert first["楼栋"].value == "1" and first["楼栋"].data_type == "s"  # text stays text, even when digits
    # A time in local time (Asia/Shanghai), to the minute.
    assert second["收购日期"].value == datetime.datetime(2026, 11, 3, 7, 30)
    assert second["收购日期"].number_format == "yyyy-mm-dd hh:mm"


def test_a_ledger_is_zipped_at_the_fast_level_and_other_workbooks_at_the_default(people, data, wulibao, media):
    """A ledger's sheets are deflated at zlib's level 1 (coalgov/exports.py: level 6 took a quarter of a build);
    a workbook closed elsewhere keeps XlsxWriter's default."""

    def deflated(data: bytes, level: int) -> int:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
        return len(compressor.compress(data) + compressor.flush())

    export = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end))
    with zipfile.ZipFile(ledgers.ledger_path(export)) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet2.xml")
        xml = archive.read(sheet)
    assert sheet.compress_size == deflated(xml, 1) != deflated(xml, 6)

    other = media / "other.xlsx"
    workbook = xlsxwriter.Workbook(str(other))
    ws = workbook.add_worksheet()
    for n in range(200):
        ws.write_string(n, 0, f"第{n}行 五里堡街道 建新南街社区")
    workbook.close()
    with zipfile.ZipFile(other) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
        assert sheet.compress_size == deflated(archive.read(sheet), zlib.Z_DEFAULT_COMPRESSION)


def test_only_the_chosen_sheets_are_built(people, data, wulibao, media):
    export = build(
        request_export(people, "wulibao_admin", wulibao, data.start, data.end, sheets=["cases", "purchases"])
    )

    workbook = workbook_of(export)
    assert workbook.sheetnames == ["收购", "问题", "说明"]
    assert export.rows_total == 4  # one purchase, three cases (one voided)
    info = {row[0]: row[1] for row in workbook["说明"].iter_rows(values_only=True) if row and row[0]}
    assert (
        info["作废记录"] == "问题表列出已作废的记录（状态为“已作废”，并写明作废时间和原因）；收购表不列入已作废的记录。"
    )


def test_a_sheet_longer_than_excel_allows_continues_on_the_next(people, data, wulibao, media):
    export = request_export(people, "wulibao_admin", wulibao, data.start, data.end, sheets=["households"])

    assert ledgers.ledger_build(export, sheet_rows=3) == 2  # a title, a header and one row per sheet

    workbook = workbook_of(export)
    assert workbook.sheetnames == ["住户", "住户（2）", "说明"]
    assert [len(rows_of(workbook[t])) for t in ("住户", "住户（2）")] == [1, 1]
    assert workbook["住户（2）"]["A2"].value == "编号" and workbook["住户（2）"].freeze_panes == "A3"


def test_progress_is_written_as_rows_are(people, data, wulibao, media, monkeypatch):
    export = request_export(people, "wulibao_admin", wulibao, data.start, data.end)
    seen = []
    progress = ledgers._progress

    def spy(export, **fields):
        progress(export, **fields)
        seen.append(LedgerExport.objects.values_list("rows_done", "rows_total").get(pk=export.pk))

    monkeypatch.setattr(ledgers, "_progress", spy)
    ledgers.ledger_run(export_id=export.pk, progress_every=2)

    assert seen == [(0, 10), (2, 10), (4, 10), (6, 10), (8, 10), (10, 10)]
    assert LedgerExport.objects.values_list("status", "rows_done").get(pk=export.pk) == ("done", 10)


def test_the_builder_reads_rows_not_model_instances(people, data, wulibao, media, monkeypatch):
    """Every row comes from a values_list query: no model is built per row."""
    from django.db.models.base import Model

    export = request_export(people, "wulibao_admin", wulibao, data.start, data.end)
    created = []
    original = Model.from_db.__func__

    def counting(cls, db, field_names, values):
        created.append(cls.__name__)
        return original(cls, db, field_names, values)

    monkeypatch.setattr(Model, "from_db", classmethod(counting))
    ledgers.ledger_build(export)

    assert set(created) <= {"Division", "LedgerExport", "User"}  # the unit, the export and its requester
    assert len(created) < 10


# --- Jurisdiction --------------------------------------------------------------------------------


def test_a_wulibao_inspectors_ledger_of_wulibao_shows_nothing_of_huaihelu(people, data, wulibao, media):
    export = build(request_export(people, "wulibao_inspector", wulibao, data.start, data.end))

    workbook = workbook_of(export)

    assert "淮河路" not in all_text(workbook)  # no 淮河路 unit, household, head of household or case
    assert data.huaihelu_visit.pk not in column(workbook["检查记录"], "编号")
    assert data.huaihelu_visit.pk not in column(workbook["收缴"], "检查编号")


def test_a_district_ledger_shows_every_subdistrict(people, data, erqi, media):
    export = build(request_export(people, "qu_admin", erqi, data.start, data.end, sheets=["inspections"]))

    assert sorted(column(workbook_of(export)["检查记录"], "街道")) == ["五里堡街道", "五里堡街道", "淮河路街道"]


@pytest.mark.parametrize(
    ("username", "shown"),
    [("wulibao_admin", "13812341234"), ("wulibao_inspector", "138****1234"), ("qu_leader", "138****1234")],
)
def test_phone_numbers_are_masked_for_roles_that_do_not_see_them(people, data, wulibao, media, username, shown):
    export = build(request_export(people, username, wulibao, data.start, data.end, sheets=["households"]))

    phones = column(workbook_of(export)["住户"], "电话")

    assert shown in phones
    assert ("13812341234" in all_text(workbook_of(export))) == (shown == "13812341234")


def test_asking_for_another_subdistricts_ledger_is_refused_and_creates_nothing(client_as, people, data, huaihelu):
    response = client_as("wulibao_inspector").post(
        URL, {"unit": HUAIHELU, "start": data.start, "end": data.end, "sheets": ALL_SHEETS}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["unit"] == [zh("Choose a unit within your jurisdiction.")]
    with pytest.raises(PermissionDenied):
        request_export(people, "wulibao_inspector", huaihelu, data.start, data.end)
    assert not LedgerExport.objects.exists()


def test_another_users_export_answers_404_everywhere(client_as, people, data, wulibao, media):
    export = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end))
    client = client_as("wulibao_inspector")  # same subdistrict, not the requester

    for name in ("reports:ledger", "reports:ledger-status", "reports:ledger-download"):
        assert client.get(reverse(name, args=[export.pk])).status_code == 404
    assert export.pk not in [e.pk for e in client.get(URL).context["exports"]]


def test_nobody_sees_no_export_and_may_ask_for_none(client_as, people, data, wulibao, media):
    export = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end))
    client = client_as("nobody")

    page = client.get(URL)
    assert page.status_code == 200 and page.context["exports"] == []
    assert list(page.context["form"].fields["unit"].queryset) == []
    refused = client.post(URL, {"unit": WULIBAO, "start": data.start, "end": data.end, "sheets": ALL_SHEETS})
    assert "unit" in refused.context["form"].errors
    for name in ("reports:ledger", "reports:ledger-status", "reports:ledger-download"):
        assert client.get(reverse(name, args=[export.pk])).status_code == 404
    assert LedgerExport.objects.count() == 1


def test_an_anonymous_visitor_is_sent_to_sign_in(client, data, wulibao, people, media):
    export = request_export(people, "wulibao_admin", wulibao, data.start, data.end)

    for url in (URL, reverse("reports:ledger-download", args=[export.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_requester_who_left_the_unit_can_no_longer_download_it(client_as, people, data, wulibao, media):
    export = build(request_export(people, "wulibao_inspector", wulibao, data.start, data.end))
    client = client_as("wulibao_inspector")
    assert client.get(reverse("reports:ledger-download", args=[export.pk])).status_code == 200

    Membership.objects.filter(user=people["wulibao_inspector"]).update(is_active=False)
    forget_grants(people["wulibao_inspector"])

    assert client.get(reverse("reports:ledger-download", args=[export.pk])).status_code == 404


def test_a_ledger_is_not_built_for_a_requester_who_left_the_unit(people, data, wulibao, media):
    export = request_export(people, "wulibao_inspector", wulibao, data.start, data.end)
    Membership.objects.filter(user=people["wulibao_inspector"]).update(is_active=False)

    assert ledgers.ledger_run(export_id=export.pk) == "failed"

    export.refresh_from_db()
    assert export.error == zh("The unit is no longer within your jurisdiction: the ledger was not built.")
    assert not export.file


# --- Pages ---------------------------------------------------------------------------------------


def test_asking_through_the_page_without_a_broker_builds_it_before_the_answer(
    client_as, data, wulibao, media, no_broker, django_capture_on_commit_callbacks
):
    client = client_as("wulibao_admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL, {"unit": WULIBAO, "start": data.start, "end": data.end, "sheets": ["households", "cases"]}
        )

    assert response.status_code == 302
    export = LedgerExport.objects.get()
    assert (export.status, export.sheets, export.division_code) == ("done", ["households", "cases"], WULIBAO)
    page = client.get(URL)
    assert reverse("reports:ledger-download", args=[export.pk]) in page.content.decode()
    assert client.get(reverse("reports:ledger-status", args=[export.pk])).json() == {
        "id": export.pk,
        "status": "done",
        "status_label": str(LedgerExport.Status.DONE.label),
        "rows_done": 5,
        "rows_total": 5,
        "percent": 100,
        "pending": False,
        "error": "",
        "download_url": reverse("reports:ledger-download", args=[export.pk]),
    }


def test_the_download_is_the_workbook_under_a_chinese_file_name(client_as, people, data, wulibao, media):
    export = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end))

    response = client_as("wulibao_admin").get(reverse("reports:ledger-download", args=[export.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    name = f"台账_五里堡街道_{data.start:%Y-%m-%d}_{data.end:%Y-%m-%d}.xlsx"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''" + "%E5%8F%B0%E8%B4%A6_%E4%BA%94%E9%87%8C%E5%A0%A1%E8%A1%97%E9%81%93_"
        f"{data.start:%Y-%m-%d}_{data.end:%Y-%m-%d}.xlsx"
    )
    assert ledgers.ledger_filename(export) == name
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == [*DATA_SHEETS, "说明"]


def test_a_pending_export_shows_its_progress_and_the_page_polls_it(client_as, people, data, wulibao):
    export = request_export(people, "wulibao_admin", wulibao, data.start, data.end)
    LedgerExport.objects.filter(pk=export.pk).update(status="running", rows_total=200, rows_done=50)

    page = client_as("wulibao_admin").get(URL).content.decode()

    assert reverse("reports:ledger-status", args=[export.pk]) in page
    assert "js/ledgers.js" in page and "50 / 200" in page and "width: 25%" in page
    assert reverse("reports:ledger-download", args=[export.pk]) not in page


def test_the_list_page_runs_the_same_queries_for_one_export_or_many(client_as, people, data, wulibao, media):
    client = client_as("wulibao_admin")
    build(request_export(people, "wulibao_admin", wulibao, data.start, data.end))
    with CaptureQueriesContext(connection) as one:
        assert client.get(URL).status_code == 200
    for _ in range(5):
        export = LedgerExport.objects.create(
            requested_by=people["wulibao_admin"],
            division=wulibao,
            division_code=WULIBAO,
            start=data.start,
            end=data.end,
            sheets=ALL_SHEETS,
            status="failed",
            error="失败",
        )
    with CaptureQueriesContext(connection) as six:
        page = client.get(URL)

    assert len(page.context["exports"]) == 6 and export in page.context["exports"]
    assert len(six) == len(one) <= 10


def test_the_unit_page_links_to_a_ledger_of_the_unit(client_as, wulibao):
    page = client_as("wulibao_inspector").get(reverse("reports:unit", args=[WULIBAO])).content.decode()

    assert f"{URL}?unit={WULIBAO}" in page
    form = client_as("wulibao_inspector").get(URL, {"unit": WULIBAO}).context["form"]
    assert form["unit"].value() == WULIBAO


# --- Bad input -----------------------------------------------------------------------------------


def _bad(data, **typed):
    return {"unit": WULIBAO, "start": data.start, "end": data.end, "sheets": ALL_SHEETS, **typed}


BAD = {
    "the_end_before_the_start": (lambda d: {"start": d.end, "end": d.start}, "end", "起始日期晚于截止日期。"),
    "a_future_end": (lambda d: {"end": today() + datetime.timedelta(days=1)}, "end", "不能填写未来的日期。"),
    "more_than_366_days": (
        lambda d: {"start": today() - datetime.timedelta(days=366)},
        "end",
        ("A ledger covers at most %(days)s days; choose a shorter period.", {"days": 366}),
    ),
    "no_sheet": (lambda d: {"sheets": []}, "sheets", ("Choose at least one sheet.", {})),
    "an_unknown_sheet": (lambda d: {"sheets": ["passwords"]}, "sheets", None),
    "a_unit_that_does_not_exist": (
        lambda d: {"unit": "999999"},
        "unit",
        ("Choose a unit within your jurisdiction.", {}),
    ),
    "a_date_that_is_not_one": (lambda d: {"start": "2026-13-45"}, "start", "输入一个有效的日期。"),
    "a_year_one_date": (lambda d: {"start": "0001-01-01"}, "start", "日期过早（不得早于1990-01-01），请检查。"),
}


@pytest.mark.parametrize(("typed", "field", "message"), BAD.values(), ids=BAD.keys())
def test_bad_input_is_answered_on_the_field_and_creates_nothing(client_as, data, typed, field, message):
    response = client_as("wulibao_admin").post(URL, _bad(data, **typed(data)))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if isinstance(message, tuple):
        assert errors[field] == [zh(message[0], **message[1])]
    elif message:
        assert errors[field] == [message]
    assert not LedgerExport.objects.exists()


def test_bad_input_to_the_service_creates_nothing(people, data, wulibao):
    from django.core.exceptions import ValidationError

    for start, end, sheets in [
        (data.end, data.start, ALL_SHEETS),
        (data.start, today() + datetime.timedelta(days=1), ALL_SHEETS),
        (today() - datetime.timedelta(days=400), data.end, ALL_SHEETS),
        (data.start, data.end, []),
        (data.start, data.end, ["passwords"]),
    ]:
        with pytest.raises(ValidationError):
            request_export(people, "wulibao_admin", wulibao, start, end, sheets)
    assert not LedgerExport.objects.exists()


def test_a_ledger_may_cover_366_days_up_to_today(people, data, wulibao):
    export = request_export(people, "wulibao_admin", wulibao, today() - datetime.timedelta(days=365), today())

    assert (export.end - export.start).days + 1 == 366


def test_a_user_may_have_three_ledgers_waiting_at_most(client_as, people, data, wulibao, settings):
    for _ in range(3):
        request_export(people, "wulibao_admin", wulibao, data.start, data.end)

    response = client_as("wulibao_admin").post(URL, _bad(data))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        zh(
            "You already have %(n)s ledgers waiting or being built. Request another when one of them is ready.",
            n=settings.LEDGER_MAX_PENDING,
        )
    ]
    assert LedgerExport.objects.count() == 3
    LedgerExport.objects.filter(pk=LedgerExport.objects.first().pk).update(status="done")
    assert client_as("wulibao_admin").post(URL, _bad(data)).status_code == 302  # one is ready: room for another


# Messages new with ledgers, as the Chinese catalogue is to say them.
CHINESE = {
    "Choose a unit within your jurisdiction.": "请选择您辖区内的单位。",
    "Choose at least one sheet.": "请至少选择一个工作表。",
    "A ledger covers at most %(days)s days; choose a shorter period.": "台账时间范围最长%(days)s天，请缩短时间范围。",
    "You already have %(n)s ledgers waiting or being built. Request another when one of them is ready.": (
        "您已有%(n)s份台账在排队或生成中，请待其中一份完成后再申请。"
    ),
    "The ledger could not be saved: the server's storage directory is not usable. "
    "Please tell the system administrator.": "台账无法保存：服务器存储目录不可用，请联系系统管理员。",
}


@pytest.mark.parametrize("msgid", CHINESE)
def test_the_new_messages_read_in_chinese(msgid):
    if zh(msgid) == msgid:
        pytest.skip("locale/ does not carry this message yet (`make messages`)")
    assert zh(msgid) == CHINESE[msgid]


# --- Background work -----------------------------------------------------------------------------


def test_running_the_task_again_for_a_built_export_changes_nothing(people, data, wulibao, media):
    export = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end))
    before = LedgerExport.objects.values().get(pk=export.pk)
    files = sorted(Path(media, "ledgers").iterdir())

    assert build_ledger.apply(args=[export.pk]).get() == "done"
    assert ledgers.ledger_run(export_id=export.pk) == "done"

    assert LedgerExport.objects.values().get(pk=export.pk) == before
    assert sorted(Path(media, "ledgers").iterdir()) == files
    assert len(files) == 1


def test_an_export_held_by_a_live_worker_is_left_alone_and_a_dead_workers_is_rebuilt(
    people, data, wulibao, media, no_broker
):
    export = request_export(people, "wulibao_admin", wulibao, data.start, data.end)
    assert ledgers._claim(export.pk) == 1  # a worker took it and is building

    assert ledgers.ledger_run(export_id=export.pk) == "running"
    assert LedgerExport.objects.get(pk=export.pk).attempts == 1

    LedgerExport.objects.filter(pk=export.pk).update(claimed_until=timezone.now() - datetime.timedelta(seconds=1))
    assert ledgers.ledgers_resume() == 1  # beat queues it again (run in-process here)
    export.refresh_from_db()
    assert (export.status, export.attempts, export.rows_done) == ("done", 2, 10)


def test_a_worker_that_lost_its_claim_stops_and_leaves_no_file(people, data, wulibao, media):
    export = request_export(people, "wulibao_admin", wulibao, data.start, data.end)
    ledgers._claim(export.pk)
    stale = LedgerExport.objects.select_related("division", "requested_by").get(pk=export.pk)
    LedgerExport.objects.filter(pk=export.pk).update(claimed_until=timezone.now() - datetime.timedelta(seconds=1))
    ledgers._claim(export.pk)  # its lease ran out: another worker took it

    with pytest.raises(ledgers.Superseded):
        ledgers.ledger_build(stale)

    assert not Path(media, "ledgers").exists() or list(Path(media, "ledgers").iterdir()) == []
    assert LedgerExport.objects.values_list("status", "attempts").get(pk=export.pk) == ("running", 2)


STORAGE_FAILURE = (
    "The ledger could not be saved: the server's storage directory is not usable. Please tell the system administrator."
)


@pytest.fixture
def unusable_media(settings, tmp_path):
    """MEDIA_ROOT names a file, not a directory (a volume not mounted, a typo in the deployment)."""
    not_a_directory = tmp_path / "media"
    not_a_directory.write_text("a file where the media directory should be")
    settings.MEDIA_ROOT = not_a_directory
    return not_a_directory


def test_disk_trouble_is_retried_and_the_last_try_fails_the_export_with_a_message(
    people, data, wulibao, unusable_media
):
    export = request_export(people, "wulibao_admin", wulibao, data.start, data.end)

    with pytest.raises(OSError):  # for the task to retry later: the export goes back to the queue
        ledgers.ledger_run(export_id=export.pk, last_try=False)
    assert LedgerExport.objects.values_list("status", "attempts").get(pk=export.pk) == ("queued", 1)

    assert ledgers.ledger_run(export_id=export.pk, last_try=True) == "failed"

    export.refresh_from_db()
    assert (export.status, export.attempts) == ("failed", 2)
    assert export.error == zh(STORAGE_FAILURE)
    assert str(unusable_media) not in export.error  # no server paths for the requester
    assert list(unusable_media.parent.iterdir()) == [unusable_media]  # no temporary file left behind
    assert OSError in build_ledger.autoretry_for and build_ledger.max_retries >= 3


def test_without_a_broker_a_failure_is_answered_at_once_not_retried(
    client_as, data, unusable_media, no_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("wulibao_admin").post(URL, _bad(data))

    assert response.status_code == 302  # the page still works
    export = LedgerExport.objects.get()
    assert (export.status, export.attempts, export.error) == ("failed", 1, zh(STORAGE_FAILURE))


def test_a_failed_export_shows_its_message_on_the_page(client_as, people, data, wulibao):
    export = request_export(people, "wulibao_admin", wulibao, data.start, data.end)
    LedgerExport.objects.filter(pk=export.pk).update(status="failed", error="台账无法保存")

    page = client_as("wulibao_admin").get(reverse("reports:ledger", args=[export.pk])).content.decode()

    assert "台账无法保存" in page and "ledger-status" not in page


def test_old_files_expire_and_their_exports_say_so(client_as, people, data, wulibao, media, settings):
    old = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end))
    new = build(request_export(people, "wulibao_admin", wulibao, data.start, data.end))
    path = ledgers.ledger_path(old)
    LedgerExport.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=settings.LEDGER_KEEP_DAYS, minutes=1)
    )
    leftover = Path(media, "ledgers", ".building-killed.xlsx")
    leftover.write_bytes(b"half a workbook")
    stale = time.time() - 2 * 86400
    os.utime(leftover, (stale, stale))

    assert ledgers.ledgers_expire() == 1
    assert ledgers.ledgers_expire() == 0  # nothing more the second time

    old.refresh_from_db()
    assert (old.status, old.file.name) == ("expired", "")
    assert not path.exists() and not leftover.exists()
    assert ledgers.ledger_path(new) is not None
    client = client_as("wulibao_admin")
    assert client.get(reverse("reports:ledger-download", args=[old.pk])).status_code == 404
    assert client.get(reverse("reports:ledger-download", args=[new.pk])).status_code == 200


def test_beat_expires_files_and_resumes_stuck_exports():
    from coalgov.celery import app

    schedule = app.conf.beat_schedule
    assert schedule["expire-ledger-exports"]["task"] == "reports.tasks.expire_ledger_exports"
    assert schedule["resume-stuck-ledger-exports"]["task"] == "reports.tasks.resume_stuck_ledger_exports"


def _wait_for(condition, worker, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.poll() is not None:
            pytest.fail("the worker died: " + worker.stderr.read().decode())
        time.sleep(0.25)
    pytest.fail("the worker did not finish in time")


@needs_worker
def test_a_ledger_asked_for_on_the_page_is_built_by_the_worker_and_downloads(worker, client_as, people, data):
    client = client_as("wulibao_admin")

    response = client.post(URL, _bad(data))
    assert response.status_code == 302
    export = LedgerExport.objects.get()
    assert export.status in ("queued", "running", "done")

    _wait_for(lambda: LedgerExport.objects.get(pk=export.pk).status == "done", worker)
    export.refresh_from_db()
    assert (export.rows_done, export.rows_total, export.attempts) == (10, 10, 1)
    download = client.get(reverse("reports:ledger-download", args=[export.pk]))
    assert download.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert workbook.sheetnames == [*DATA_SHEETS, "说明"]
    assert column(workbook["检查记录"], "编号") == [data.first.pk, data.night.pk]


@needs_worker
def test_the_task_queued_twice_builds_the_ledger_once(worker, people, data, wulibao):
    export = request_export(people, "wulibao_admin", wulibao, data.start, data.end)  # queued once on commit
    build_ledger.delay(export.pk)  # and again (beat's resume, an operator)

    _wait_for(lambda: LedgerExport.objects.get(pk=export.pk).status == "done", worker)
    time.sleep(1.5)  # time for the second task to run, were it to do anything

    export.refresh_from_db()
    assert (export.status, export.attempts) == ("done", 1)
    files = [p for p in Path(django_settings.MEDIA_ROOT, "ledgers").iterdir() if p.name == Path(export.file.name).name]
    assert len(files) == 1


# --- Memory ----------------------------------------------------------------------------------------


def _insert_visits(n: int, households: str, first_id: int, user_id: int, since: datetime.datetime) -> None:
    """n visits spread over the households of a subtree and a week, in one INSERT … SELECT."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH h AS (
                SELECT id, division_code, row_number() OVER (ORDER BY id) - 1 AS k,
                       count(*) OVER () AS n
                FROM households_household WHERE division_code LIKE %s
            )
            INSERT INTO inspections_inspection (
                household_id, division_code, kind, started_at, is_night, in_priority_zone, outcome,
                leaders, notes, recorded_by_id, recorded_at, void_reason)
            SELECT h.id, h.division_code,
                   CASE WHEN g %% 3 = 0 THEN 'night_check' ELSE 'survey' END,
                   %s::timestamptz + make_interval(secs => (g %% 604800)::int),
                   g %% 3 = 0, false,
                   CASE WHEN g %% 10 = 0 THEN 'loose_coal' ELSE 'no_coal' END,
                   '', '第' || g || '次检查，备注文字', %s, now(), ''
            FROM generate_series(%s::bigint, %s::bigint - 1) AS g
            JOIN h ON h.k = g %% h.n
            """,
            [f"{households}%", since, user_id, first_id, first_id + n],
        )


class ResidentPeak:
    """The process's resident memory at its highest while the block runs, above where it started (Linux).

    Unlike tracemalloc it also sees what C code allocates (the database driver's buffers, libxml2), and it
    costs nothing: tracemalloc makes openpyxl about five times slower.
    """

    def __enter__(self):
        self.base = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._rss())

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    @property
    def growth(self) -> int:
        return self.peak - self.base


def _build_measured(export: LedgerExport, *, traced: bool) -> tuple[int, int | None, int]:
    """(rows written, tracemalloc's peak or None, resident memory growth) of one build."""
    gc.collect()
    if traced:
        tracemalloc.start()
    try:
        with ResidentPeak() as resident:
            rows = ledgers.ledger_build(export)
        peak = tracemalloc.get_traced_memory()[1] if traced else None
    finally:
        tracemalloc.stop()
    return rows, peak, resident.growth


MB = 1024 * 1024
# LEDGER_MEMORY_TRACED=1 traces the 100,000-row build too (about a minute more on a small machine).
TRACE_LARGE = os.environ.get("LEDGER_MEMORY_TRACED") == "1"


@needs_postgresql
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads resident memory from /proc (Linux)")
def test_a_ledger_of_100000_visits_is_built_in_flat_memory(people, wulibao, wulibao_community, media):
    HouseholdFactory.create_batch(300, division=wulibao_community)
    admin = people["wulibao_admin"]
    start = today() - datetime.timedelta(days=8)
    since = local(start, 0, 0)

    def export() -> LedgerExport:
        return LedgerExport.objects.create(
            requested_by=admin,
            division=wulibao,
            division_code=WULIBAO,
            start=start,
            end=today(),
            sheets=["inspections"],
        )

    _insert_visits(10_000, WULIBAO, 0, admin.pk, since)
    small_rows, small_traced, small_resident = _build_measured(export(), traced=True)
    _insert_visits(90_000, WULIBAO, 10_000, admin.pk, since)
    large_rows, large_traced, large_resident = _build_measured(export(), traced=TRACE_LARGE)

    assert (small_rows, large_rows) == (10_000, 100_000)
    assert Inspection.objects.filter(division_code__startswith=WULIBAO).count() == 100_000
    sizes = f"10k: traced {small_traced / MB:.1f} MB, resident +{small_resident / MB:.1f} MB; "
    sizes += f"100k: resident +{large_resident / MB:.1f} MB"
    # Holding the rows would take well over 100 MB at 100,000 (a row is some 18 Python objects).
    assert small_traced < 40 * MB, sizes
    assert large_resident < 40 * MB, sizes
    assert large_resident < small_resident + 16 * MB, sizes  # ten times the rows, not ten times the memory
    if TRACE_LARGE:
        assert large_traced < 40 * MB and large_traced < 2 * small_traced, f"100k traced {large_traced / MB:.1f} MB"
    info = load_workbook(ledgers.ledger_path(LedgerExport.objects.latest("id")), read_only=True)["说明"]
    assert ["检查记录", 100_000] in [list(row[:2]) for row in info.iter_rows(values_only=True)]


def test_every_sheet_is_defined_with_a_header_per_cell(people, data, wulibao, media):
    """Each sheet's rows are as long as its header (a column added to one and not the other is caught)."""
    export = request_export(people, "qu_admin", Division.objects.get(code="410103"), data.start, data.end)
    context = Context.of(export)
    for key, sheet in SHEETS.items():
        for row in sheet.query(context):
            assert len(sheet.row(context, row)) == len(sheet.columns), key


@pytest.mark.parametrize("tail", ["99999999999999999999999/", "99999999999999999999999/status/", "0/download/"])
def test_odd_export_ids_are_a_404(client_as, tail):
    assert client_as("wulibao_admin").get(f"{URL}{tail}").status_code == 404
