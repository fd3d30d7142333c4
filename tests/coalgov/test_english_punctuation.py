"""The marks that differ between the languages of the pages: an outside tester read "Household register、Visits",
"二七区（District）", "Named:" for 通报批评 and "1 more communities" on the English pages, and "通报批评: " on the
Chinese ones."""

import pytest
from django.utils import translation

from coalgov.wording import enumeration, with_note
from digests.selectors import _named

pytestmark = pytest.mark.django_db


def test_a_list_and_a_note_are_marked_in_the_readers_language():
    with translation.override("zh-hans"):
        assert enumeration(["住户", "检查记录"]) == "住户、检查记录"
        assert with_note("五里堡街道", "街道") == "五里堡街道（街道）"
        assert _named([("建新南街", 5), ("五里堡", 5)], 1) == "建新南街（5）、五里堡（5）；另有1个社区同为5户"
    with translation.override("en"):
        assert enumeration(["Household register", "Visits"]) == "Household register, Visits"
        assert with_note("五里堡街道", "Subdistrict") == "五里堡街道 (Subdistrict)"
        assert _named([("建新南街", 5), ("五里堡", 5)], 1) == "建新南街 (5), 五里堡 (5); 1 more community also 5"
        assert _named([("建新南街", 5)], 2).endswith("; 2 more communities also 5")


def english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def test_the_unit_picker_notes_each_units_level_in_english_brackets(client_as, people):
    page = english(client_as("qu_admin")).get(f"/users/{people['wulibao_worker'].pk}/").content.decode()

    assert "五里堡街道 (Subdistrict)" in page and "（Subdistrict）" not in page


def test_the_station_chart_names_the_grades_in_english(client_as, erqi):
    from air.models import MonitoringStation

    MonitoringStation.objects.get_or_create(code="1323A", defaults={"name": "河医大", "city": "郑州"})
    page = english(client_as("qu_admin")).get("/air/1323A/").content.decode()

    assert "heavily polluted 150–250" in page and "重度污染" not in page
    assert '<h1 class="h4">河医大 (1323A)</h1>' in page  # not 河医大（1323A） on an English page


def test_the_admin_names_the_projects_sections_in_chinese(client, people):
    """An outside tester's /admin/ had CASES, DIGESTS, HOUSEHOLDS … beside 夜查计划, and "选择ranking row查看"."""
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", password="x-very-long-passphrase-1")
    client.force_login(admin)

    index = client.get("/admin/").content.decode()
    rows = client.get("/admin/reports/rankingrow/").content.decode()

    for section in ("问题台账", "每日督查通报", "单位与人员", "住户台账", "现场工作", "统计与排名", "操作日志"):
        assert section in index, section
    assert "选择 排名明细 查看" in rows or "选择排名明细查看" in rows


def test_a_visit_read_back_from_the_database_is_named_by_its_local_time(people, wulibao_household):
    """The audit log named a voided visit by its UTC time: 05:49 beside the same visit's 13:49."""
    import datetime

    from django.utils import timezone

    from inspections.models import Inspection
    from inspections.services import inspection_record

    at = timezone.make_aware(datetime.datetime(2026, 12, 1, 23, 30))
    inspection_record(
        actor=people["wulibao_inspector"],
        household=wulibao_household,
        kind="night_check",
        outcome="no_coal",
        started_at=at,
    )

    assert str(Inspection.objects.get()).endswith("2026-12-01 23:30")
