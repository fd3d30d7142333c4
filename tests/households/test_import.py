"""Importing a register from a spreadsheet: every row checked before anything is written, nothing twice."""

import io
import os
import time
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook

from coalgov.models import AuditEvent
from households.imports import households_import
from households.models import Household, RegisterCount

HEADER = [
    "社区代码",
    "类型",
    "小区",
    "楼栋",
    "单元",
    "房号",
    "地址",
    "户主",
    "联系电话",
    "独居老人",
    "低保户",
    "取暖方式",
    "纬度",
    "经度",
]


def xlsx(tmp_path, rows, name="台账.xlsx", header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


@pytest.fixture
def rows(wulibao_community, wulibao_other_community):
    return [
        # Beside 河医大's station: in its 1,000 m priority zone.
        [
            wulibao_community.code,
            "居民住户",
            "龙亭小区",
            3,
            2,
            501,
            "",
            "王大爷",
            "13812345678",
            "是",
            "否",
            "燃煤",
            34.7526,
            113.6417,
        ],
        [wulibao_community.code, "residence", "龙亭小区", 3, 2, 502, "", "李阿姨", "", "", "是", "coal", None, None],
        [
            wulibao_other_community.code,
            "沿街门店",
            "",
            "",
            "",
            "",
            "航海路12号",
            "张老板",
            "0371-66668888",
            "否",
            "否",
            "",
            None,
            None,
        ],
    ]


def test_a_spreadsheet_registers_its_households_once(
    tmp_path, people, wulibao_community, wulibao_other_community, rows
):
    path = xlsx(tmp_path, rows)
    result = households_import(actor=people["wulibao_admin"], path=path)

    assert (result.rows, result.created, result.skipped, result.errors) == (3, 3, 0, [])
    wang = Household.objects.get(head_name="王大爷")
    assert (wang.estate, wang.building, wang.unit, wang.room, wang.label) == (
        "龙亭小区",
        "3",
        "2",
        "501",
        "龙亭小区3号楼2单元501",
    )
    assert (wang.elderly_alone, wang.low_income, wang.heating, wang.kind) == (True, False, "coal", "residence")
    assert wang.in_priority_zone and wang.priority_station.code == "1323A"
    assert Household.objects.get(head_name="张老板").kind == "street_shop"
    assert RegisterCount.objects.get(code=wulibao_community.code).households == 2
    assert RegisterCount.objects.get(code=wulibao_other_community.code).households == 1
    # The import is one audit entry, to which each household refers: its history starts with it.
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.reason) == (
        "household.imported",
        people["wulibao_admin"],
        "从 台账.xlsx 导入",
    )
    assert event.changes == {"download_file": [None, "台账.xlsx"], "households_registered": [None, 3]}
    assert set(Household.objects.values_list("import_event", flat=True)) == {event.pk}
    assert not AuditEvent.objects.for_object(wang).exists()

    again = households_import(actor=people["wulibao_admin"], path=path)
    assert (again.created, again.skipped) == (0, 3)
    assert Household.objects.count() == 3
    assert AuditEvent.objects.count() == 1  # an import that registers nobody records nothing


def test_one_wrong_row_and_nothing_is_registered(tmp_path, people, wulibao_community, huaihelu_community, rows):
    bad = [
        ["410103999999", "居民住户", "龙亭小区", 1, 1, 101, "", "", "", "", "", "", None, None],  # no such community
        [huaihelu_community.code, "居民住户", "淮河小区", 1, 1, 101, "", "", "", "", "", "", None, None],  # not theirs
        [wulibao_community.code, "居民住户", "龙亭小区", 1, 1, 102, "", "", "12345", "", "", "", None, None],  # phone
        [wulibao_community.code, "居民住户", "龙亭小区", 1, 1, 103, "", "", "", "也许", "", "", None, None],  # yes/no
        [wulibao_community.code, "居民住户", "", "", "", "", "", "无名", "", "", "", "", None, None],  # no address
        [wulibao_community.code, "别墅", "龙亭小区", 1, 1, 104, "", "", "", "", "", "", None, None],  # kind
        [wulibao_community.code, "居民住户", "龙亭小区", 1, 1, 105, "", "", "", "", "", "", "北纬", 113.6],  # latitude
    ]
    path = xlsx(tmp_path, rows + bad)
    result = households_import(actor=people["wulibao_admin"], path=path)

    assert result.created == 0 and result.error_count == 7
    assert Household.objects.count() == 0 and AuditEvent.objects.count() == 0
    text = "\n".join(result.errors)
    for line, words in (
        (5, "410103999999"),
        (6, "不在您的管辖范围"),
        (7, "联系电话 12345：请输入 11 位手机号码"),
        (8, "也许"),
        (9, "小区"),
        (10, "别墅"),
        (11, "经纬度必须是数字"),
    ):
        assert f"第{line}行" in text and words in text, (line, words, text)


def test_a_csv_with_a_byte_order_mark_and_a_dry_run(tmp_path, people, wulibao_community):
    path = tmp_path / "register.csv"
    path.write_text(
        "\ufeff社区代码,小区,楼栋,单元,房号\n" + f"{wulibao_community.code},铁路新村,1,1,101\n" * 1, encoding="utf-8"
    )
    dry = households_import(actor=people["wulibao_admin"], path=path, dry_run=True)
    assert (dry.rows, dry.created, dry.error_count) == (1, 1, 0) and not Household.objects.exists()  # would be
    households_import(actor=people["wulibao_admin"], path=path)
    assert Household.objects.get().label == "铁路新村1号楼1单元101"


def test_a_file_that_is_not_a_register(tmp_path, people):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    no_codes = tmp_path / "no-codes.csv"
    no_codes.write_text("小区,房号\n龙亭小区,101\n", encoding="utf-8")
    text = tmp_path / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    for path, message in ((empty, "文件是空的"), (no_codes, "社区代码"), (text, ".xlsx 或 .csv")):
        with pytest.raises(CommandError, match=message):
            call_command("import_households", str(path), "--user", "wulibao_admin", stdout=io.StringIO())
    assert not Household.objects.exists()


def test_the_command_lists_errors_and_refuses(tmp_path, people, huaihelu_community):
    path = xlsx(tmp_path, [[huaihelu_community.code, "", "淮河小区", 1, 1, 101, "", "", "", "", "", "", None, None]])
    errors = io.StringIO()
    with pytest.raises(CommandError, match="1 行中有 1 行有误"):
        call_command("import_households", str(path), "--user", "wulibao_admin", stderr=errors, stdout=io.StringIO())
    assert "第2行" in errors.getvalue()
    out = io.StringIO()
    call_command("import_households", str(path), "--user", "qu_admin", stdout=out)
    assert "已登记 1 户" in out.getvalue() and Household.objects.count() == 1
    for argv, message in (
        (["no-such.csv", "--user", "qu_admin"], "找不到文件"),
        ([str(path), "--user", "x"], "没有用户"),
        ([str(path), "--user", "qu_leader"], "qu_leader 无权登记住户"),  # a leader reads; the page refuses too
    ):
        with pytest.raises(CommandError, match=message):
            call_command("import_households", *argv, stdout=io.StringIO())


def test_a_large_file_is_written_in_batches(tmp_path, people, wulibao_community):
    rows = [
        [wulibao_community.code, "", "大院", n // 100, 1, n, "", "", "", "", "", "", None, None] for n in range(5000)
    ]
    path = xlsx(tmp_path, rows)
    with CaptureQueriesContext(connection) as queries:
        result = households_import(actor=people["qu_admin"], path=path)
    assert result.created == 5000
    # Batches of 2,000, not a query per household: about 20 queries on PostgreSQL; SQLite's limit on a
    # statement's parameters splits each batch further (about 200).
    assert len(queries) < (40 if connection.vendor == "postgresql" else 500)
    assert RegisterCount.objects.get(code=wulibao_community.code).households == 5000


def upload(path, name=None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name or path.name, path.read_bytes())


def test_the_register_page_imports_a_communitys_spreadsheet(tmp_path, client_as, wulibao_community, rows):
    client = client_as("wulibao_admin")
    assert "从表格导入" in client.get("/households/").content.decode()
    path = xlsx(tmp_path, rows)
    checked = client.post("/households/import/", {"file": upload(path), "dry_run": "on"})
    assert "文件无误" in checked.content.decode() and not Household.objects.exists()

    response = client.post("/households/import/", {"file": upload(path)}, follow=True)
    assert response.redirect_chain[-1][0] == "/households/"
    assert "已登记 3 户" in response.content.decode()
    assert Household.objects.count() == 3
    assert AuditEvent.objects.filter(action="household.imported", reason="从 台账.xlsx 导入").count() == 1


def test_the_register_page_lists_the_wrong_rows_and_registers_nothing(tmp_path, client_as, huaihelu_community, rows):
    path = xlsx(
        tmp_path, [*rows, [huaihelu_community.code, "", "淮河小区", 1, 1, 101, "", "", "", "", "", "", None, None]]
    )
    response = client_as("wulibao_admin").post("/households/import/", {"file": upload(path)})
    page = response.content.decode()
    assert response.status_code == 200
    assert "第5行" in page and "不在您的管辖范围" in page and "未登记任何住户" in page
    assert not Household.objects.exists()


def test_the_register_page_refuses_files_it_cannot_take(tmp_path, client_as, settings, wulibao_community, rows):
    client = client_as("wulibao_admin")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a workbook", encoding="utf-8")
    notes = tmp_path / "notes.pdf"
    notes.write_bytes(b"%PDF-1.4")
    for path, message in ((fake, "无法作为 Excel 工作簿"), (notes, ".xlsx 或 .csv")):
        response = client.post("/households/import/", {"file": upload(path)})
        assert message in response.content.decode(), path
    settings.HOUSEHOLD_IMPORT_MAX_ROWS = 2
    response = client.post("/households/import/", {"file": upload(xlsx(tmp_path, rows))})
    assert "超过 2 行" in response.content.decode()
    settings.HOUSEHOLD_IMPORT_MAX_BYTES = 100
    response = client.post("/households/import/", {"file": upload(xlsx(tmp_path, rows))})
    assert "大于" in response.content.decode()
    assert not Household.objects.exists()


def test_a_csv_saved_by_excel_on_chinese_windows_is_read_as_gbk(tmp_path, client_as, wulibao_community):
    path = tmp_path / "住户.csv"
    path.write_bytes(f"社区代码,小区,楼栋,房号,户主\n{wulibao_community.code},铁路新村,2,301,赵师傅\n".encode("gbk"))
    client_as("wulibao_admin").post("/households/import/", {"file": upload(path)})
    assert Household.objects.get().head_name == "赵师傅"


@pytest.mark.parametrize("username", ["nobody", "qu_leader"])
def test_only_those_who_register_households_may_import(client_as, username):
    assert client_as(username).get("/households/import/").status_code == 403


def test_columns_naming_the_same_field_keep_the_filled_one(tmp_path, people, wulibao_community, grid):
    header = ["社区代码", "网格代码", "小区", "房号", "户主", "经营者"]
    path = xlsx(
        tmp_path,
        [
            [wulibao_community.code, "", "龙亭小区", 101, "王大爷", ""],
            [wulibao_community.code, grid.code, "龙亭小区", 102, "", "李老板"],
        ],
        header=header,
    )
    result = households_import(actor=people["wulibao_admin"], path=path)
    assert (result.created, result.errors) == (2, [])
    assert Household.objects.get(room="101").head_name == "王大爷"
    second = Household.objects.get(room="102")
    assert (second.head_name, second.division_code) == ("李老板", grid.code)


def test_cells_excel_turned_into_dates_or_control_characters_are_refused(tmp_path, people, wulibao_community):
    import datetime

    # 3-501 typed into a cell Excel formats as a date.
    dated = xlsx(
        tmp_path, [[wulibao_community.code, "", "龙亭小区", 3, 2, datetime.datetime(2003, 5, 1), *[""] * 6, None, None]]
    )
    result = households_import(actor=people["wulibao_admin"], path=dated)
    assert result.errors == ["第2行：户号在表格中是日期（2003-05-01）：请把该列设为文本格式"]
    control = tmp_path / "control.csv"
    control.write_text(f"社区代码,小区,户主\n{wulibao_community.code},龙亭小区,王\x07大爷\n", encoding="utf-8")
    result = households_import(actor=people["wulibao_admin"], path=control)
    assert result.errors == ["第2行：户主/经营者含有控制字符"]
    assert not Household.objects.exists()


def test_damaged_files_get_a_clear_error(tmp_path, client_as, wulibao_community, rows):
    import zipfile

    good = xlsx(tmp_path, rows)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    huge = tmp_path / "huge.csv"
    huge.write_text(f"社区代码,备注\n{wulibao_community.code},{'很' * 200_000}\n", encoding="utf-8")
    client = client_as("wulibao_admin")
    for path, message in ((broken, "无法作为 Excel 工作簿"), (huge, "无法作为 CSV")):
        response = client.post("/households/import/", {"file": upload(path)})
        assert response.status_code == 200 and message in response.content.decode(), path
    assert not Household.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's advisory locks")
def test_the_same_file_imported_twice_at_once_registers_each_household_once(
    transactional_db, tmp_path, people, wulibao_community, rows
):
    import threading

    path = xlsx(tmp_path, rows)
    start, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            start.wait()
            results.append(households_import(actor=people["wulibao_admin"], path=path))
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted((r.created, r.skipped) for r in results) == [(0, 3), (3, 0)]
    assert Household.objects.count() == 3
    assert RegisterCount.objects.get(code=wulibao_community.code).households == 2


def test_a_registration_date_column_dates_the_households_registration(tmp_path, people, wulibao_community):
    import datetime

    from django.utils import timezone

    header = ["社区代码", "小区", "房号", "户主", "登记日期"]
    path = xlsx(
        tmp_path,
        [
            [wulibao_community.code, "龙亭小区", 101, "王大爷", "2025-11-03"],
            [wulibao_community.code, "龙亭小区", 102, "李阿姨", datetime.datetime(2025, 10, 20)],  # an Excel date cell
            [wulibao_community.code, "龙亭小区", 103, "张师傅", "2025年9月1日"],
            [wulibao_community.code, "龙亭小区", 104, "赵大姐", ""],  # none: registered now
        ],
        header=header,
    )
    result = households_import(actor=people["wulibao_admin"], path=path)
    assert (result.created, result.errors) == (4, [])
    registered = {h.head_name: timezone.localtime(h.created_at) for h in Household.objects.all()}
    assert registered["王大爷"].date() == datetime.date(2025, 11, 3)
    assert registered["李阿姨"].date() == datetime.date(2025, 10, 20)
    assert registered["张师傅"].date() == datetime.date(2025, 9, 1)
    assert registered["赵大姐"].date() == timezone.localdate()


def test_a_registration_date_in_the_future_before_1990_or_not_a_date_is_a_row_error(
    tmp_path, people, wulibao_community
):
    import datetime

    from django.utils import timezone

    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    header = ["社区代码", "小区", "房号", "登记日期"]
    path = xlsx(
        tmp_path,
        [
            [wulibao_community.code, "龙亭小区", 101, tomorrow],
            [wulibao_community.code, "龙亭小区", 102, "0001-01-01"],
            [wulibao_community.code, "龙亭小区", 103, "上个月"],
            [wulibao_community.code, "龙亭小区", 104, "2025-11-03"],
        ],
        header=header,
    )
    result = households_import(actor=people["wulibao_admin"], path=path)
    assert result.errors == [
        "第2行：登记日期：不能填写未来的日期。",
        "第3行：登记日期：日期过早（不得早于1990-01-01），请检查。",
        "第4行：登记日期“上个月”不是日期（YYYY-MM-DD）",
    ]
    assert not Household.objects.exists()
    with pytest.raises(CommandError):
        call_command("import_households", str(path), user="wulibao_admin")
    assert not Household.objects.exists()


def test_a_csv_date_excel_saved_with_midnight_is_a_date_and_another_time_of_day_is_refused_clearly(
    tmp_path, people, wulibao_community
):
    import datetime

    from django.utils import timezone

    code = wulibao_community.code
    path = tmp_path / "dates.csv"
    path.write_text(
        f"社区代码,小区,房号,户主,登记日期\n{code},龙亭小区,101,王大爷,2025/11/3 0:00\n"
        f"{code},龙亭小区,102,李阿姨,2025-11-03 00:00:00\n{code},龙亭小区,103,张师傅,2025/11/3 00:00\n",
        encoding="utf-8",
    )
    result = households_import(actor=people["wulibao_admin"], path=path)
    assert (result.created, result.errors) == (3, [])
    days = {timezone.localtime(h.created_at).date() for h in Household.objects.all()}
    assert days == {datetime.date(2025, 11, 3)}

    path.write_text(f"社区代码,小区,房号,登记日期\n{code},龙亭小区,104,2025/11/3 9:30\n", encoding="utf-8")
    result = households_import(actor=people["wulibao_admin"], path=path)
    assert result.errors == ["第2行：登记日期“2025/11/3 9:30”带有时刻（9:30）：请只填写日期，或时刻为 0:00"]
    assert Household.objects.count() == 3


def test_the_register_page_imports_registration_dates_and_refuses_a_future_one(tmp_path, client_as, wulibao_community):
    import datetime

    from django.utils import timezone

    client = client_as("wulibao_admin")
    assert 'data-testid="import-registration-date"' in client.get("/households/import/").content.decode()
    header = ["社区代码", "小区", "房号", "登记日期"]
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    wrong = xlsx(tmp_path, [[wulibao_community.code, "龙亭小区", 101, future]], name="错.xlsx", header=header)
    response = client.post("/households/import/", {"file": upload(wrong)})
    assert "第2行：登记日期：不能填写未来的日期。" in response.content.decode()
    assert not Household.objects.exists()

    right = xlsx(tmp_path, [[wulibao_community.code, "龙亭小区", 101, "2025-11-03"]], header=header)
    client.post("/households/import/", {"file": upload(right)})
    assert timezone.localtime(Household.objects.get().created_at).date() == datetime.date(2025, 11, 3)


# --- Files too large for the page: refused before they are parsed -----------------------------------------


BIG_HEADER = ["社区代码", "小区", "楼栋", "房号", "户主"]


def big_xlsx(tmp_path, code: str, rows: int, *, dimension: str | None = None, name="大台账.xlsx"):
    """A workbook of `rows` households, its sheet written straight into the zip (openpyxl would take minutes for a
    million rows); `dimension` is the `<dimension ref>` it declares (None: the true one)."""
    template = xlsx(tmp_path, [], name="template.xlsx", header=BIG_HEADER)
    path = tmp_path / name
    ref = dimension or f"A1:E{rows + 1}"
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for part in source.infolist():
            if part.filename != "xl/worksheets/sheet1.xml":
                out.writestr(part, source.read(part))
        with out.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
            sheet.write(f'<worksheet xmlns="{ns}"><dimension ref="{ref}"/><sheetData>'.encode())
            header = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in BIG_HEADER)
            sheet.write(f'<row r="1">{header}</row>'.encode())
            chunk = []
            for n in range(2, rows + 2):
                chunk.append(
                    f'<row r="{n}"><c t="inlineStr"><is><t>{code}</t></is></c><c t="inlineStr"><is><t>龙亭小区</t></is>'
                    f'</c><c><v>{n % 40}</v></c><c><v>{n}</v></c><c t="inlineStr"><is><t>户主{n}</t></is></c></row>'
                )
                if len(chunk) == 10000:
                    sheet.write("".join(chunk).encode())
                    chunk = []
            sheet.write(("".join(chunk) + "</sheetData></worksheet>").encode())
    return path


@pytest.fixture(scope="module")
def million_rows(tmp_path_factory):
    return big_xlsx(tmp_path_factory.mktemp("million"), "410103006001", 1_000_000)


def test_a_million_row_workbook_is_refused_within_a_second_and_registers_nothing(
    client_as, settings, million_rows, wulibao_community
):
    assert 5 * 2**20 < million_rows.stat().st_size < settings.HOUSEHOLD_IMPORT_MAX_BYTES
    client = client_as("wulibao_admin")

    # CPU time of this process (the test client runs the view here), not the wall clock: a busy machine must
    # not fail it, and parsing the workbook would still take tens of seconds of it.
    started = time.process_time()
    response = client.post("/households/import/", {"file": upload(million_rows)})
    elapsed = time.process_time() - started

    assert response.status_code == 200
    assert f"超过 {settings.HOUSEHOLD_IMPORT_MAX_ROWS} 行" in response.content.decode()
    assert elapsed < 1.0, elapsed
    assert not Household.objects.exists()


def test_a_workbook_that_understates_its_rows_is_refused_by_counting_them(tmp_path, people, wulibao_community):
    path = big_xlsx(tmp_path, wulibao_community.code, 100_000, dimension="A1:E2")

    started = time.process_time()
    with pytest.raises(ValidationError) as refused:
        households_import(actor=people["wulibao_admin"], path=path, max_rows=20_000, max_bytes=20 * 2**20)

    assert time.process_time() - started < 1.0
    assert "20000" in " ".join(refused.value.messages)
    assert not Household.objects.exists()


def test_a_workbook_of_exactly_the_row_limit_is_imported(tmp_path, people, wulibao_community):
    path = big_xlsx(tmp_path, wulibao_community.code, 30, dimension="A1:E2")

    result = households_import(actor=people["wulibao_admin"], path=path, max_rows=30, max_bytes=2**20)

    assert (result.rows, result.created, result.error_count) == (30, 30, 0)


def test_a_zip_bomb_posing_as_a_workbook_is_refused_without_unpacking_it(tmp_path, client_as, wulibao_community):
    path = big_xlsx(tmp_path, wulibao_community.code, 1)
    bomb = tmp_path / "炸弹.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":  # 200 MB of nothing inside the sheet's XML
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (200 * 2**20))
            out.writestr(part.filename, data)
    assert bomb.stat().st_size < 2**20

    started = time.process_time()
    response = client_as("wulibao_admin").post("/households/import/", {"file": upload(bomb)})

    assert time.process_time() - started < 1.0
    assert "解压" in response.content.decode() or "Excel 或 WPS" in response.content.decode()
    assert not Household.objects.exists()


def test_a_few_rows_padded_to_far_more_than_they_need_is_refused_before_anything_is_stored(
    tmp_path, client_as, wulibao_community
):
    """Padding that packs only a few times (under the zip-bomb ratio) but unpacks to far more than its 300 rows
    could need: refused on the page, nothing stored for a background import, nothing registered."""
    from households.models import HouseholdImport

    path = big_xlsx(tmp_path, wulibao_community.code, 300)
    padded = tmp_path / "填充.xlsx"
    whitespace = bytes(b" \t\r\n"[n % 4] for n in range(256))
    padding = os.urandom(40 * 2**20).translate(whitespace)  # packs about four times, not hundreds
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(padded, "w", zipfile.ZIP_DEFLATED) as out:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + padding)
            out.writestr(part.filename, data)

    response = client_as("wulibao_admin").post("/households/import/", {"file": upload(padded)})

    assert "Excel 或 WPS" in response.content.decode()
    assert not HouseholdImport.objects.exists()
    assert not Household.objects.exists()


def test_a_csv_of_a_hundred_thousand_rows_is_refused_within_a_second(tmp_path, people, wulibao_community):
    path = tmp_path / "住户.csv"
    lines = [f"{wulibao_community.code},龙亭小区,{n % 40},{n},户主{n}" for n in range(100_000)]
    path.write_text("社区代码,小区,楼栋,房号,户主\n" + "\n".join(lines) + "\n", encoding="utf-8")

    started = time.process_time()
    with pytest.raises(ValidationError):
        households_import(actor=people["wulibao_admin"], path=path, max_rows=20_000, max_bytes=20 * 2**20)

    assert time.process_time() - started < 1.0
    assert not Household.objects.exists()


def test_an_import_writes_one_audit_entry_and_each_households_history_shows_it(
    tmp_path, client_as, people, wulibao_community
):
    header = ["社区代码", "小区", "楼栋", "单元", "房号", "户主", "备注", "纬度", "经度"]
    notes = "门口\t有煤棚\\旧\n第二行"  # text COPY must escape comes back as typed
    path = xlsx(
        tmp_path,
        [
            [wulibao_community.code, "龙亭小区", 3, 2, 501, "王大爷", notes, 34.7526, 113.6417],
            [wulibao_community.code, "龙亭小区", 3, 2, 502, "李阿姨", "", None, None],
        ],
        header=header,
    )
    admin = people["wulibao_admin"]
    admin.first_name = "赵管理"
    admin.save()
    households_import(actor=admin, path=path, source="五里堡台账.xlsx", dry_run=True)
    assert not Household.objects.exists() and not AuditEvent.objects.exists()

    households_import(actor=admin, path=path, source="五里堡台账.xlsx")

    first, second = Household.objects.order_by("id")
    assert (first.room, first.notes, first.in_priority_zone, second.room) == ("501", notes, True, "502")
    # One entry for the import — by whom, when, which file, how many — and none per household.
    (event,) = AuditEvent.objects.all()
    assert (event.action, event.actor, event.reason, event.object_repr) == (
        "household.imported",
        admin,
        "从 五里堡台账.xlsx 导入",
        "五里堡台账.xlsx",
    )
    assert event.changes == {"download_file": [None, "五里堡台账.xlsx"], "households_registered": [None, 2]}
    assert event.division_code == wulibao_community.code  # the one community it registered in
    assert (first.import_event, second.import_event) == (event, event)
    # Each household's page shows it as its registration: the file, who, when (and not how many others).
    at = timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M")
    for username in ("wulibao_admin", "wulibao_inspector", "wulibao_worker"):
        for household in (first, second):
            response = client_as(username).get(household.get_absolute_url())
            assert response.status_code == 200
            (entry,) = response.context["history"]
            assert entry["event"] == event
            assert [(str(label), old, new) for label, old, new in entry["changes"]] == [
                ("文件", None, "五里堡台账.xlsx")
            ]
            page = response.content.decode()
            history = page[page.index('data-testid="history"') :]
            for text in (at, "赵管理", "通过导入登记", "从 五里堡台账.xlsx 导入", "五里堡台账.xlsx"):
                assert text in history, text
    # Another subdistrict's inspector, and a user with no membership, do not see the household at all.
    assert client_as("huaihelu_inspector").get(first.get_absolute_url()).status_code == 404
    assert client_as("nobody").get(first.get_absolute_url()).status_code == 404


def test_an_import_over_two_subdistricts_is_filed_under_the_district_and_shown_on_each_household(
    tmp_path, client_as, people, wulibao_community, huaihelu_community
):
    path = tmp_path / "全区台账.csv"
    path.write_text(
        f"社区代码,小区,房号\n{wulibao_community.code},龙亭小区,1\n{huaihelu_community.code},淮河小区,2\n",
        encoding="utf-8",
    )
    households_import(actor=people["qu_admin"], path=path)

    event = AuditEvent.objects.get()
    assert event.division_code == "410103"  # the deepest unit holding both communities
    wulibao_household = Household.objects.get(division_code=wulibao_community.code)
    history = client_as("wulibao_inspector").get(wulibao_household.get_absolute_url()).context["history"]
    assert [entry["event"] for entry in history] == [event]
    # The district's audit log lists the import once, with its file and count; the home page's recent changes too.
    log = client_as("qu_admin").get("/audit/", {"action": "household.imported"}).content.decode()
    assert "全区台账.csv" in log and "登记户数" in log
    # Searched by the household's number, the log shows its registration: the import's entry.
    trail = client_as("qu_admin").get("/audit/", {"object_id": str(wulibao_household.pk)})
    assert [event.pk for event in trail.context["object_list"]] == [event.pk]
    registered_on_the_page = Household.objects.create(
        division=wulibao_community, division_code=wulibao_community.code, estate="新小区"
    )
    trail = client_as("qu_admin").get("/audit/", {"object_id": str(registered_on_the_page.pk)})
    assert list(trail.context["object_list"]) == []
    home = client_as("qu_admin").get("/").content.decode()
    assert "通过导入登记" in home and "全区台账.csv" in home
    # A subdistrict's own list of recent changes does not show an entry about another subdistrict's households.
    assert "全区台账.csv" not in client_as("wulibao_admin").get("/").content.decode()


def test_a_household_keeps_its_own_entry_from_an_older_import_and_later_changes_follow_the_imports(
    tmp_path, client_as, people, wulibao_community, edit_data
):
    from coalgov.audit import audit_record

    # Registered by an import of before, which wrote an entry per household.
    older = Household.objects.create(division=wulibao_community, division_code=wulibao_community.code, estate="旧小区")
    audit_record(
        actor=people["wulibao_admin"],
        action="household.created",
        obj=older,
        division_code=older.division_code,
        changes={"estate": [None, "旧小区"]},
        reason="从 旧台账.xlsx 导入",
    )
    history = client_as("wulibao_inspector").get(older.get_absolute_url()).content.decode()
    assert "从 旧台账.xlsx 导入" in history and "<ins>旧小区</ins>" in history

    path = tmp_path / "新台账.csv"
    path.write_text(f"社区代码,小区,房号\n{wulibao_community.code},龙亭小区,1\n", encoding="utf-8")
    households_import(actor=people["wulibao_admin"], path=path)
    imported = Household.objects.get(estate="龙亭小区")
    client_as("wulibao_inspector").post(f"/households/{imported.pk}/edit/", edit_data(imported, head_name="李秀英"))
    history = client_as("wulibao_inspector").get(imported.get_absolute_url()).context["history"]
    assert [entry["event"].action for entry in history] == ["household.updated", "household.imported"]
