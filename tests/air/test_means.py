"""Daily means and the day-on-day change, computed by hand from the sample files, and the digest's line.

The sums below were added up by hand from air/sample/china_sites_2016122x.csv (the PM2.5 rows of 1323A 河医大
and 1319A 供水公司); the files' own PM2.5_24h column at hour 23 agrees with each mean, rounded.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from air.selectors import change_percent, daily_means, digest_air_lines, grade
from air.services import readings_import
from digests.selectors import digest_text
from divisions.models import MonitoringStation

from .conftest import altered, sample_files

DEC = datetime.date(2016, 12, 19)


@pytest.fixture
def in_zone(register, wulibao_community):
    """A household of 五里堡 inside 河医大's 1000 m zone: the digest of 五里堡 has 河医大's line."""
    return register("wulibao_admin", wulibao_community, latitude=Decimal("34.753000"), longitude=Decimal("113.642000"))


def test_daily_means_are_the_means_of_the_hours_reported(imported):
    heyida, gongshui = MonitoringStation.objects.get(code="1323A"), MonitoringStation.objects.get(code="1319A")
    means = daily_means(station_ids=[heyida.pk, gongshui.pk], start=DEC, end=DEC + datetime.timedelta(days=2))
    q = Decimal("0.0001")
    assert [(m.pm25.quantize(q), m.hours) for m in means[heyida.pk].values()] == [
        (Decimal("149.3333"), 24),  # 3584 / 24
        (Decimal("175.5000"), 24),  # 4212 / 24
        (Decimal("199.8750"), 24),  # 4797 / 24
    ]
    # 供水公司 reported nothing at hours 3 and 4: the mean is over 22 hours, not 24 with two zeros.
    assert means[gongshui.pk][DEC].hours == 22
    assert means[gongshui.pk][DEC].pm25.quantize(q) == Decimal("113.9091")  # 2506 / 22


def test_the_change_on_the_day_before_is_of_the_unrounded_means():
    assert change_percent(Decimal("199.875"), Decimal("175.5")) == 14  # 13.89 %
    assert change_percent(Decimal("175.5"), Decimal(3584) / 24) == 18  # 17.52 %
    assert change_percent(Decimal("100"), Decimal("125")) == -20
    assert change_percent(Decimal("100"), Decimal("0")) is None


@pytest.mark.parametrize(
    ("pm25", "expected"),
    [
        (0, "优"),
        (35, "优"),
        (36, "良"),
        (75, "良"),
        (115, "轻度污染"),
        (116, "中度污染"),
        (150, "中度污染"),
        (151, "重度污染"),
        (250, "重度污染"),
        (251, "严重污染"),
    ],
)
def test_the_grade_follows_the_national_breakpoints(pm25, expected):
    with translation.override("zh-hans"):
        assert grade(Decimal(pm25)) == expected


def test_the_digest_has_a_line_per_priority_station_with_the_mean_and_its_change(imported, in_zone, wulibao):
    with translation.override("zh-hans"):
        assert digest_air_lines(wulibao, DEC + datetime.timedelta(days=2)) == [
            "河医大PM2.5日均值200μg/m³，较前日上升14%"
        ]
        assert digest_air_lines(wulibao, DEC + datetime.timedelta(days=1)) == [
            "河医大PM2.5日均值176μg/m³，较前日上升18%"
        ]
        assert digest_air_lines(wulibao, DEC) == ["河医大PM2.5日均值149μg/m³，前日无数据"]
        assert digest_air_lines(wulibao, DEC + datetime.timedelta(days=3)) == ["河医大：当日无PM2.5数据"]
        text = digest_text(wulibao, DEC + datetime.timedelta(days=2))
    assert "河医大PM2.5日均值200μg/m³，较前日上升14%" in text
    assert "因" not in text.split("河医大PM2.5")[1].split("\n")[0]  # the line states readings, never a cause


def test_a_fall_and_an_incomplete_day_are_said_so(imported, in_zone, wulibao):
    # A corrected 21st: every PM2.5 hour of 河医大 at 140 → mean 140, 20 % below the 20th's 175.5 (−20.2 %).
    content = sample_files("20161221")[0][1]
    for hour in range(24):
        content = altered_in(content, hour, "140")
    readings_import(actor=None, files=[("china_sites_20161221.csv", content)])
    # The 22nd: three hours only, from a feed.
    feed = "station,time,pm25,pm10,aqi\n" + "".join(f"1323A,2016-12-22 0{h}:00,130,,\n" for h in (1, 2, 3))
    readings_import(actor=None, files=[("feed.csv", feed.encode())])
    with translation.override("zh-hans"):
        assert digest_air_lines(wulibao, DEC + datetime.timedelta(days=2)) == [
            "河医大PM2.5日均值140μg/m³，较前日下降20%"
        ]
        assert digest_air_lines(wulibao, DEC + datetime.timedelta(days=3)) == [
            "河医大PM2.5日均值130μg/m³，较前日下降7%（仅3小时有数据）"
        ]


def altered_in(content: bytes, hour: int, value: str) -> bytes:
    lines = content.decode().splitlines()
    codes = lines[0].split(",")
    for n, line in enumerate(lines):
        cells = line.split(",")
        if n and cells[1] == str(hour) and cells[2] == "PM2.5":
            cells[codes.index("1323A")] = value
            lines[n] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode()


def test_a_unit_with_no_household_in_a_zone_gets_no_station_line(imported, huaihelu):
    assert digest_air_lines(huaihelu, DEC) == []
    assert "PM2.5" not in digest_text(huaihelu, DEC)


def test_a_unit_whose_stations_have_no_readings_gets_no_station_line(in_zone, wulibao):
    assert digest_air_lines(wulibao, DEC) == []


def test_altered_helper_changes_one_cell():
    content = altered("20161219", 0, "PM2.5", "1323A", "1")
    assert b"20161219,0,PM2.5,157,168,206,169,184,170,172,1,171" in content


def test_an_incomplete_day_is_neither_graded_nor_marked_and_the_grade_is_of_the_mean_shown(zone, people):
    """An outside tester: 3 hours of 300 μg/m³ showed 严重污染 ▲ 高值少查; a mean of 35.05 showed 35 graded 良."""
    from air.models import Reading
    from air.selectors import station_chart

    station = MonitoringStation.objects.get(code="1323A")
    last = Reading.objects.filter(station=station).latest("hour_ending").hour_ending
    day = timezone.localdate(last)
    Reading.objects.filter(station=station, hour_ending__date__gte=day - datetime.timedelta(days=1)).delete()
    for hour in (1, 2, 3):  # three hours of the last day
        Reading.objects.create(station=station, hour_ending=last.replace(hour=hour), pm25=Decimal(300))

    chart = station_chart(station=station, user=people["wulibao_admin"], start=day, end=day)

    (shown,) = chart["days"]
    assert (shown["mean"], shown["hours"], shown["complete"]) == (300, 3, False)
    assert shown["grade"] == "" and not shown["flagged"]

    Reading.objects.filter(station=station, hour_ending__date__gte=day - datetime.timedelta(days=1)).delete()
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(1)))
    Reading.objects.bulk_create(
        Reading(station=station, hour_ending=start + datetime.timedelta(hours=n), pm25=Decimal("35.05"))
        for n in range(23)
    )
    (shown,) = station_chart(station=station, user=people["wulibao_admin"], start=day, end=day)["days"]
    assert (shown["mean"], shown["grade"]) == (35, "优")
