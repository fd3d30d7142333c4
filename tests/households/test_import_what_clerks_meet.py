"""What an outside tester met bringing the ledger back from Excel as a clerk: a phone column headed 手机号 dropped
while the page said the file agreed with the register, a stale ledger putting back a colleague's later edit without
a word, the upload's audit entries hidden from the district office, "已写入 2560" for three households changed, and
phone numbers refused as typed (138 0000 1111, full-width digits) without quoting them."""

import pytest
from django.urls import reverse

from coalgov.models import AuditEvent
from households.imports import households_import
from households.models import Household, HouseholdImport, phone_normalized
from households.services import household_update
from tests.households.test_import_preview_pages import media, preview, upload  # noqa: F401 (fixture)
from tests.households.test_import_round_trip import edit, households, ledger, save  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
# The fixtures imported above are parameters of the tests below.
# ruff: noqa: F811


def test_a_phone_column_headed_手机号_is_read_and_columns_not_read_are_named(client_as, wulibao_household, media):
    client = client_as("wulibao_admin")
    job, location = preview(client, wulibao_household, 手机号="13955559999", 散煤状态="已清零", 核对人="张三")

    page = client.get(location).content.decode()

    assert job.errors["updated"] == 1 and "13955559999" in page
    assert 'data-testid="ignored-columns"' in page and "散煤状态、核对人" in page


def test_a_file_whose_read_columns_agree_does_not_claim_the_whole_file_agrees(client_as, wulibao_household, media):
    client = client_as("wulibao_admin")
    _job, location = preview(client, wulibao_household, 户主=wulibao_household.head_name, 散煤状态="已清零")

    page = client.get(location).content.decode()

    assert "文件中读取的各列与登记一致" in page and "散煤状态" in page
    assert "文件与系统中的登记一致" not in page


def test_a_change_to_a_household_edited_after_the_ledger_was_exported_is_marked(people, households, ledger, tmp_path):
    first, second = households[0], households[1]
    workbook, sheet, header, rows = ledger()
    # After the export, a colleague corrects the first household's phone; the clerk's copy still has the old one.
    household_update(actor=people["wulibao_inspector"], household=first, data={"phone": "13811116060"})
    edit(sheet, header, rows[first.pk], 户主="王建华")
    edit(sheet, header, rows[second.pk], 户主="李秀兰")

    result = households_import(actor=people["wulibao_admin"], path=save(workbook, tmp_path), dry_run=True)

    assert result.error_count == 0, result.errors
    summary = result.preview
    assert summary["edited_since_export"] == 1
    marked = {entry["id"]: entry["edited_since_export"] for entry in summary["changes"]}
    assert marked[second.pk] is None
    assert marked[first.pk][1] == people["wulibao_inspector"].first_name
    # The file puts the old phone back: the preview says so in the change itself.
    assert summary["changes"][0]["changes"]["phone"] == ["13811116060", "13812341234"]


def test_the_preview_page_warns_about_edits_after_the_export(client_as, people, households, ledger, tmp_path, media):
    first = households[0]
    workbook, sheet, header, rows = ledger()
    household_update(actor=people["wulibao_inspector"], household=first, data={"phone": "13811116060"})
    edit(sheet, header, rows[first.pk], 户主="王建华")
    path = save(workbook, tmp_path)
    client = client_as("wulibao_admin")

    with path.open("rb") as handle:
        response = client.post(reverse("households:import"), {"file": handle})
    page = client.get(response["Location"]).content.decode()

    assert 'data-testid="edited-since-export"' in page and "导出台账之后被修改" in page
    assert page.count('data-testid="edited-mark"') == 1


def test_a_ledger_without_edits_since_its_export_has_no_warning(people, households, ledger, tmp_path):
    workbook, sheet, header, rows = ledger()
    edit(sheet, header, rows[households[0].pk], 户主="王建华")

    result = households_import(actor=people["wulibao_admin"], path=save(workbook, tmp_path), dry_run=True)

    assert result.preview["edited_since_export"] == 0


def test_the_uploads_and_confirmations_audit_entries_are_seen_by_the_district_office(
    client_as, wulibao_household, media
):
    client = client_as("wulibao_admin")
    job, _location = preview(client, wulibao_household, 户主="王建华")
    client.post(reverse("households:import-job-confirm", args=[job.pk]))

    for action in ("household_import.requested", "household_import.confirmed"):
        event = AuditEvent.objects.get(action=action)
        assert event.division_code == "410103006"
        page = client_as("qu_admin").get("/audit/", {"action": action}).content.decode()
        assert job.name in page, action
    requested = AuditEvent.objects.get(action="household_import.requested")
    assert requested.reason == "带编号的文件：先预览"  # not 仅检查: the clerk did not tick 只检查


def test_rows_written_counts_the_households_changed_not_the_rows_of_the_file(
    client_as, people, households, ledger, tmp_path, media
):
    workbook, sheet, header, rows = ledger()
    edit(sheet, header, rows[households[0].pk], 户主="王建华")
    path = save(workbook, tmp_path)
    client = client_as("wulibao_admin")
    with path.open("rb") as handle:
        client.post(reverse("households:import"), {"file": handle})
    job = HouseholdImport.objects.latest("pk")

    client.post(reverse("households:import-job-confirm", args=[job.pk]))

    job.refresh_from_db()
    assert (job.status, job.rows_total, job.rows_written) == ("done", 4, 1)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("138 0000 1111", "13800001111"),
        ("138-0000-1111", "13800001111"),
        ("１３８００００１１１１", "13800001111"),
        ("+86 138 0000 1111", "13800001111"),
        ("0086 138 0000 8888", "13800008888"),
        ("0371-66668888", "0371-66668888"),
        ("0371 6666 8888", "037166668888"),
        ("（0371）6666 8888", "0371-66668888"),
        ("(010)66668888", "010-66668888"),
        ("+86-371-66669999", "0371-66669999"),
        ("138****1111", "138****1111"),
        # Not a number the register can keep: left as typed, so the error quotes what is in the cell.
        ("（0371）6666-88", "（0371）6666-88"),
        ("1.39123E+10", "1.39123E+10"),
    ],
)
def test_phone_numbers_as_people_write_them(typed, kept):
    assert phone_normalized(typed) == kept


def test_an_import_keeps_a_spaced_number_and_quotes_one_it_cannot_read(people, wulibao_community, tmp_path):
    path = tmp_path / "电话.csv"
    path.write_text(
        "社区代码,小区,楼栋,单元,房号,户主,手机号码\n"
        f"{wulibao_community.code},龙亭小区,1,1,101,王一,138 0000 1111\n"
        f"{wulibao_community.code},龙亭小区,1,1,102,王二,1.39123E+10\n",
        encoding="utf-8",
    )

    result = households_import(actor=people["wulibao_admin"], path=path, dry_run=True)

    assert result.error_count == 1
    assert "1.39123E+10" in result.errors[0]
    path.write_text(path.read_text(encoding="utf-8").rsplit("\n", 2)[0] + "\n", encoding="utf-8")
    result = households_import(actor=people["wulibao_admin"], path=path)
    assert result.error_count == 0, result.errors
    assert Household.objects.get(head_name="王一").phone == "13800001111"


def test_a_round_trip_preview_lists_its_new_and_skipped_rows_by_line(people, households, ledger, tmp_path):
    """The tester's 冒名 row (another head of household at a registered address, without 编号) was only counted as
    skipped; a new row was only counted as registered."""
    first = households[0]
    workbook, sheet, header, rows = ledger()
    last = sheet.max_row
    for offset, (room, head) in enumerate((("777", "新住户"), (first.room, "冒名户"), ("777", "又一行"))):
        row = last + 1 + offset
        values = dict(zip(header, [c.value for c in sheet[rows[first.pk]]], strict=True))
        values.update(编号=None, 房号=room, 户主=head)
        for column, name in enumerate(header, start=1):
            sheet.cell(row=row, column=column, value=values[name])

    result = households_import(actor=people["wulibao_admin"], path=save(workbook, tmp_path), dry_run=True)

    assert result.error_count == 0, result.errors
    assert (result.created, result.skipped) == (1, 2)
    ((line, label),) = result.preview["registered_rows"]
    assert line == last + 1 and "777" in label
    assert result.preview["skipped_rows"] == [
        {"line": last + 2, "household": first.pk},
        {"line": last + 3, "first_line": last + 1},
    ]


def test_the_preview_page_says_why_each_row_was_skipped(client_as, people, households, ledger, tmp_path, media):
    first = households[0]
    workbook, sheet, header, rows = ledger()
    row = sheet.max_row + 1
    values = dict(zip(header, [c.value for c in sheet[rows[first.pk]]], strict=True))
    values.update(编号=None, 户主="冒名户")
    for column, name in enumerate(header, start=1):
        sheet.cell(row=row, column=column, value=values[name])
    edit(sheet, header, rows[households[1].pk], 户主="李秀兰")
    path = save(workbook, tmp_path)
    client = client_as("wulibao_admin")

    with path.open("rb") as handle:
        response = client.post(reverse("households:import"), {"file": handle})
    page = client.get(response["Location"]).content.decode()

    assert 'data-testid="preview-skipped"' in page
    assert f"第{row}行：与编号{first.pk}的住户地址相同" in page


def test_the_住户_sheet_is_read_wherever_the_clerk_moved_it(people, households, ledger, tmp_path):
    workbook, sheet, header, rows = ledger()
    edit(sheet, header, rows[households[0].pk], 户主="王建华")
    workbook.move_sheet("说明", offset=-workbook.sheetnames.index("说明"))  # 说明 first, as the tester did
    assert workbook.sheetnames[0] == "说明"

    result = households_import(actor=people["wulibao_admin"], path=save(workbook, tmp_path), dry_run=True)

    assert result.error_count == 0, result.errors
    assert (result.updated, result.unchanged) == (1, 3)


def test_a_confirmation_refused_because_the_register_changed_is_audited_as_failed(
    client_as, people, wulibao_household, media
):
    """An auditor read "确认住户导入" for a confirmation that wrote nothing."""
    client = client_as("wulibao_admin")
    job, _location = preview(client, wulibao_household, 户主="王建华")
    household_update(actor=people["wulibao_inspector"], household=wulibao_household, data={"phone": "13700000000"})

    client.post(reverse("households:import-job-confirm", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == "failed"
    failed = AuditEvent.objects.get(action="household_import.failed")
    assert failed.division_code == "410103006" and "预览" in failed.reason
    page = client_as("qu_admin").get("/audit/", {"action": "household_import.failed"}).content.decode()
    assert "住户导入失败" in page and job.name in page


def test_a_file_with_编号_sent_only_to_be_checked_is_never_offered_for_applying(client_as, wulibao_household, media):
    client = client_as("wulibao_admin")
    response = client.post(
        reverse("households:import"), {"file": upload(wulibao_household, 户主="王建华"), "dry_run": "on"}
    )
    job = HouseholdImport.objects.latest("pk")
    page = client.get(response["Location"]).content.decode()

    assert 'data-testid="only-checked"' in page and 'data-testid="confirm-import"' not in page
    assert "待确认" not in page and "王建华" in page  # the changes are shown, as a check
    assert "待确认" not in client.get(reverse("households:import")).content.decode()
    client.post(reverse("households:import-job-confirm", args=[job.pk]))
    wulibao_household.refresh_from_db()
    assert wulibao_household.head_name == "王建国"  # a confirmation forged by hand applies nothing either


def test_the_import_list_counts_households_changed_as_well_as_registered(client_as, wulibao_household, media):
    client = client_as("wulibao_admin")
    job, _location = preview(client, wulibao_household, 户主="王建华")
    client.post(reverse("households:import-job-confirm", args=[job.pk]))

    page = client.get(reverse("households:import")).content.decode()

    assert "已登记或修改住户" in page
    row = page[page.index(job.get_absolute_url()) :]
    assert "<td>1</td>" in row[: row.index("</tr>")]
