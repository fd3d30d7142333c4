"""Importing station files: the sample's shape, blanks, unknown stations, repeated and corrected days, zips, and
malformed files (a clear Chinese error, nothing written)."""

import datetime
import io
import zipfile
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from air.models import Reading, ReadingImport
from air.services import readings_import
from coalgov.models import AuditEvent
from divisions.models import MonitoringStation

from .conftest import altered, sample, sample_files, zipped

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATIONS_IN_SAMPLE = 9


def reading(code: str, day: str, hour: int) -> Reading:
    at = datetime.datetime.strptime(day, "%Y%m%d").replace(tzinfo=SHANGHAI) + datetime.timedelta(hours=hour)
    return Reading.objects.get(station__code=code, hour_ending=at)


def test_three_days_of_the_sample_import_every_station_hour(imported):
    assert (imported.created, imported.changed, imported.unchanged) == (3 * 24 * STATIONS_IN_SAMPLE, 0, 0)
    assert Reading.objects.count() == 3 * 24 * STATIONS_IN_SAMPLE
    # 20161219, hour 16, 河医大: the hour ending 16:00 Beijing time, stored aware (08:00 UTC).
    hour = reading("1323A", "20161219", 16)
    assert hour.hour_ending == datetime.datetime(2016, 12, 19, 8, tzinfo=datetime.UTC)
    first = sample("20161219").decode().splitlines()
    row = next(line.split(",") for line in first if line.startswith("20161219,16,PM2.5,"))
    assert hour.pm25 == Decimal(row[first[0].split(",").index("1323A")])


def test_a_blank_cell_is_kept_as_missing_never_zero(imported):
    blank = reading("1319A", "20161219", 3)  # 供水公司 reported nothing at hours 3 and 4
    assert (blank.pm25, blank.pm10, blank.aqi) == (None, None, None)
    assert not Reading.objects.filter(pm25=0).exists()


def test_a_day_imported_twice_is_stored_once(imported):
    again = readings_import(actor=None, files=sample_files("20161220"))
    assert (again.created, again.changed, again.unchanged) == (0, 0, 24 * STATIONS_IN_SAMPLE)
    assert Reading.objects.count() == 3 * 24 * STATIONS_IN_SAMPLE


def test_a_corrected_file_replaces_its_hours_and_says_how_many_changed(imported):
    corrected = altered("20161220", 5, "PM2.5", "1323A", "99")
    corrected = altered_bytes(corrected, 6, "PM10", "1316A", "")  # a value withdrawn: now missing
    outcome = readings_import(actor=None, files=[("china_sites_20161220.csv", corrected)])
    assert (outcome.created, outcome.changed, outcome.unchanged) == (0, 2, 24 * STATIONS_IN_SAMPLE - 2)
    assert reading("1323A", "20161220", 5).pm25 == Decimal(99)
    assert reading("1316A", "20161220", 6).pm10 is None
    assert Reading.objects.count() == 3 * 24 * STATIONS_IN_SAMPLE
    record = ReadingImport.objects.get(pk=outcome.record.pk)
    assert (record.created, record.changed) == (0, 2)
    assert AuditEvent.objects.filter(action="air.readings_imported").count() == 2


def altered_bytes(content: bytes, hour: int, kind: str, code: str, value: str) -> bytes:
    lines = content.decode().splitlines()
    codes = lines[0].split(",")
    for n, line in enumerate(lines[1:], start=1):
        cells = line.split(",")
        if cells[1] == str(hour) and cells[2] == kind:
            cells[codes.index(code)] = value
            lines[n] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode()


def test_an_unknown_station_is_reported_and_not_guessed(erqi):
    lines = sample("20161219").decode().splitlines()
    content = "\n".join(line + (",9999A" if n == 0 else ",88") for n, line in enumerate(lines)).encode()
    outcome = readings_import(actor=None, files=[("china_sites_20161219.csv", content)])
    assert outcome.unknown_stations == ["9999A"]
    assert outcome.created == 24 * STATIONS_IN_SAMPLE
    assert ReadingImport.objects.get().unknown_stations == ["9999A"]


def test_a_zipped_batch_imports_like_its_files(erqi):
    outcome = readings_import(actor=None, files=[("week.zip", zipped(sample_files()))])
    assert outcome.created == 3 * 24 * STATIONS_IN_SAMPLE


def test_a_zip_bomb_is_refused_before_it_is_unpacked(erqi):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("china_sites_20161219.csv", sample("20161219"))
        archive.writestr("china_sites_20161220.csv", b"0" * (64 * 2**20))  # 64 MB packing to ~64 KB
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        readings_import(actor=None, files=[("bomb.zip", buffer.getvalue())])
    assert "解压" in refused.value.messages[0]
    assert not Reading.objects.exists() and not ReadingImport.objects.exists()


def test_an_oversized_file_and_a_zip_holding_other_files_are_refused(erqi, settings):
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError, match="只能"):
            readings_import(actor=None, files=[("x.zip", zipped([*sample_files("20161219"), ("a.xlsx", b"PK")]))])
        settings.AIR_IMPORT_MAX_BYTES = 1000
        with pytest.raises(ValidationError, match="大于"):
            readings_import(actor=None, files=sample_files("20161219"))
    assert not Reading.objects.exists()


def test_a_malformed_file_gets_a_clear_chinese_error_and_nothing_is_written(erqi):
    broken = altered("20161221", 7, "PM2.5", "1323A", "abc")
    files = [*sample_files("20161219", "20161220"), ("china_sites_20161221.csv", broken)]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        readings_import(actor=None, files=files)
    # Line 38 of the file: the header, 5 measures for each of hours 0–6, hour 7's AQI, then its PM2.5.
    assert refused.value.messages == ["china_sites_20161221.csv 第38行：站点1323A：'abc'不是数字"]
    assert not Reading.objects.exists() and not ReadingImport.objects.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"date,hour,type,1323A\n20161319,0,PM2.5,10\n", "不是日期"),
        (b"date,hour,type,1323A\n20161219,24,PM2.5,10\n", "0–23"),
        (b"date,hour,type,1323A\n20161219,1,PM2.5,-3\n", "超出"),
        (b"date,hour,type,1323A\n20161219,1,PM2.5\n", "单元格"),
        (b"date,hour,type,1323A\n20161219,1,XYZ,3\n", "未知"),
        (b"date,hour,type,1323A\n20161219,1,PM2.5,3\n20161219,1,PM2.5,4\n", "重复"),
        (b"\xff\xfe\x00garbage", "编码"),
        (b"", "空"),
        (b"nonsense,1\n", "第一行"),
    ],
)
def test_each_kind_of_malformed_file_is_named(erqi, content, expected):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        readings_import(actor=None, files=[("bad.csv", content)])
    assert expected in " ".join(refused.value.messages)
    assert not Reading.objects.exists()


def test_the_long_form_imports_with_blanks_and_offsets(erqi):
    content = (
        b"station,time,pm25,pm10,aqi\n"
        b"1323A,2016-12-19 16:00,158,201,208\n"
        b"1323A,2016-12-19T09:00+00:00,,,\n"  # 17:00 Beijing time, nothing reported
    )
    outcome = readings_import(actor=None, files=[("feed.csv", content)])
    assert outcome.created == 2
    assert reading("1323A", "20161219", 16).pm25 == Decimal(158)
    assert reading("1323A", "20161219", 17).pm25 is None
    with translation.override("zh-hans"), pytest.raises(ValidationError, match="整点"):
        readings_import(actor=None, files=[("feed.csv", b"station,time,pm25,pm10,aqi\n1323A,2016-12-19 16:30,1,2,3\n")])


def test_the_command_imports_files_and_folders_and_refuses_a_malformed_one(erqi, tmp_path):
    for name, content in sample_files():
        (tmp_path / name).write_bytes(content)
    out = io.StringIO()
    call_command("import_air_quality", str(tmp_path), stdout=out)
    assert "648 hours added, 0 changed, 0 unchanged" in out.getvalue()
    out = io.StringIO()
    call_command("import_air_quality", str(tmp_path / "china_sites_20161219.csv"), stdout=out)
    assert "0 hours added, 0 changed, 216 unchanged" in out.getvalue()
    (tmp_path / "bad.csv").write_bytes(b"nonsense\n")
    with pytest.raises(CommandError):
        call_command("import_air_quality", str(tmp_path / "bad.csv"), stdout=io.StringIO())


def test_the_bulk_create_upsert_other_databases_use_counts_like_the_copy_upsert(erqi):
    """`make run` on SQLite takes bulk_create(update_conflicts=True); PostgreSQL takes COPY and one upsert."""
    from air import services

    codes = dict(MonitoringStation.objects.values_list("code", "pk"))
    at = datetime.datetime(2016, 12, 19, 16, tzinfo=SHANGHAI)
    first = {(codes["1323A"], at): {"pm25": Decimal(158), "pm10": None, "aqi": Decimal(208)}}
    assert services._upsert_bulk_create(first, ["aqi", "pm10", "pm25"]) == (1, 0)
    assert services._upsert_bulk_create(first, ["aqi", "pm10", "pm25"]) == (0, 0)
    second = {(codes["1323A"], at): {"pm25": Decimal(159), "pm10": None, "aqi": Decimal(208)}}
    if connection.vendor != "postgresql":
        return  # COPY is PostgreSQL's: on SQLite only the bulk_create half can run
    assert services._upsert_copy(second, ["aqi", "pm10", "pm25"]) == (0, 1)
    assert services._upsert_copy(second, ["aqi", "pm10", "pm25"]) == (0, 0)
    assert Reading.objects.get().pm25 == Decimal(159)


def test_a_file_carrying_only_pm25_leaves_the_other_measures_of_its_hours_alone(imported):
    lines = [line for line in sample("20161219").decode().splitlines() if ",PM2.5," in line or line.startswith("date")]
    outcome = readings_import(actor=None, files=[("pm25.csv", ("\n".join(lines) + "\n").encode())])
    assert (outcome.changed, outcome.unchanged) == (0, 24 * STATIONS_IN_SAMPLE)
    assert reading("1323A", "20161219", 16).pm10 is not None


def test_an_import_of_stored_and_new_hours_adds_the_new_and_rewrites_only_the_changed(erqi):
    """The first day goes straight into the empty period; the second import holds a stored day (one hour corrected)
    and a new one, and adds the new day's hours beside the stored ones."""
    first = readings_import(actor=None, files=sample_files("20161219"))
    assert (first.created, first.changed, first.unchanged) == (24 * STATIONS_IN_SAMPLE, 0, 0)
    corrected = altered("20161219", 16, "PM2.5", "1323A", "301")
    second = readings_import(actor=None, files=[("china_sites_20161219.csv", corrected), *sample_files("20161220")])
    day = 24 * STATIONS_IN_SAMPLE
    assert (second.created, second.changed, second.unchanged) == (day, 1, day - 1)
    assert Reading.objects.count() == 2 * day
    assert reading("1323A", "20161219", 16).pm25 == Decimal(301)


def test_a_number_written_unusually_is_stored_as_its_value(erqi):
    """Cells outside the plain whole numbers (a decimal, spaces, an exponent) are checked and stored by value."""
    content = altered("20161219", 16, "PM2.5", "1323A", " 12.5 ")
    content = altered_bytes(content, 17, "PM2.5", "1323A", "1.2e2")
    readings_import(actor=None, files=[("china_sites_20161219.csv", content)])
    assert reading("1323A", "20161219", 16).pm25 == Decimal("12.5")
    assert reading("1323A", "20161219", 17).pm25 == Decimal(120)


def test_a_day_not_yet_come_or_before_1990_is_refused_once_and_nothing_written(erqi):
    """An outside tester uploaded the sample dated 20271219: imported, the station page and the dashboard opened
    on a December not yet come, with a 高值少查 mark on a night that had not happened."""
    from django.utils import timezone

    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).strftime("%Y%m%d")
    future = sample("20161219").replace(b"20161219", tomorrow.encode())
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        readings_import(actor=None, files=[(f"china_sites_{tomorrow}.csv", future)])
    (message,) = refused.value.messages  # said once for the file's date, not on each of its 120 rows
    assert message == f"china_sites_{tomorrow}.csv 第2行：{tomorrow}：不能填写未来的日期。"
    with translation.override("zh-hans"), pytest.raises(ValidationError, match="1990-01-01"):
        readings_import(actor=None, files=[("old.csv", b"date,hour,type,1323A\n19891219,1,PM2.5,10\n")])
    with translation.override("zh-hans"), pytest.raises(ValidationError, match="1990-01-01"):
        readings_import(actor=None, files=[("feed.csv", b"station,time,pm25,pm10,aqi\n1323A,1989-12-19 16:00,1,2,3\n")])
    assert not Reading.objects.exists() and not ReadingImport.objects.exists()
    # Today's hours so far are readings like any.
    today = timezone.localdate().strftime("%Y%m%d")
    assert readings_import(actor=None, files=[("today.csv", f"date,hour,type,1323A\n{today},0,PM2.5,10\n".encode())])


def test_a_file_of_its_first_row_alone_is_refused_not_imported_as_nothing(erqi):
    with translation.override("zh-hans"), pytest.raises(ValidationError, match="没有监测数据"):
        readings_import(actor=None, files=[("empty.csv", b"date,hour,type,1323A\n")])
    assert not ReadingImport.objects.exists()


def test_an_hour_not_yet_ended_is_refused(erqi):
    """A tester imported today's whole file (hours 0–23) in the morning: today showed a full-day mean and tonight a
    高值少查 mark before the night began."""
    from django.utils import timezone

    now = timezone.localtime()
    later = now + datetime.timedelta(hours=2)
    if later.date() != now.date():
        pytest.skip("two hours from now is tomorrow, refused as such")
    today = now.strftime("%Y%m%d")
    wide = f"date,hour,type,1323A\n{today},{later.hour},PM2.5,10\n{today},{later.hour},PM10,20\n".encode()
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        readings_import(actor=None, files=[("today.csv", wide)])
    (message,) = refused.value.messages  # once for the hour, not once per measure
    assert f"{later:%Y-%m-%d %H}:00时段尚未结束" in message
    long = f"station,time,pm25,pm10,aqi\n1323A,{later:%Y-%m-%d %H}:00,1,2,3\n".encode()
    with translation.override("zh-hans"), pytest.raises(ValidationError, match="尚未结束"):
        readings_import(actor=None, files=[("feed.csv", long)])
    assert not Reading.objects.exists()
