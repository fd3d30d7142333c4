"""Station pages: readings are public to every signed-in user; the night checks beside them count only what the
viewer may see; uploading is the district office's. Query counts do not grow with the period."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from air.models import Reading, ReadingImport
from divisions.models import MonitoringStation
from inspections.models import Inspection
from inspections.services import inspection_record

from .conftest import night, sample, zipped


def row(response, day: datetime.date) -> dict:
    return next(d for d in response.context["chart"]["days"] if d["day"] == day.isoformat())


@pytest.mark.parametrize(
    ("username", "checks", "found", "in_jurisdiction"),
    [
        ("qu_admin", 3, 2, True),
        ("qu_leader", 3, 2, True),
        ("wulibao_inspector", 2, 1, True),
        ("wulibao_worker", 2, 1, True),
        ("huaihelu_inspector", 1, 1, True),
        ("nobody", None, None, False),  # no household in the zone: no counts, not 0
    ],
)
def test_readings_are_public_and_the_zone_checks_count_only_the_viewers_records(
    client_as, zone, username, checks, found, in_jurisdiction
):
    response = client_as(username).get("/air/1323A/")
    assert response.status_code == 200
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert row(response, yesterday)["mean"] == 200  # the sample's 21st: 4797 / 24 = 199.875
    assert row(response, yesterday)["grade"] == "重度污染"
    # Night checks are named by the night's first evening: last night began yesterday evening.
    assert (row(response, yesterday)["checks"], row(response, yesterday)["found"]) == (checks, found)
    assert response.context["in_jurisdiction"] is in_jurisdiction
    assert (b'data-testid="outside-jurisdiction"' in response.content) is not in_jurisdiction


def test_a_high_night_with_few_checks_stands_out_and_links_to_its_readings(client_as, zone):
    response = client_as("qu_admin").get("/air/1323A/")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    day = row(response, yesterday)
    assert day["flagged"]  # 200 μg/m³ and 3 night checks (< 5)
    assert f'data-day="{yesterday}" class="flagged-night" data-flagged="true"'.encode() in response.content
    readings = client_as("qu_admin").get(day["readings_url"])
    assert len(readings.context["hours"]) == 24
    assert response.content.count(b'data-figure="mean"') == 3  # three days with readings in the fortnight


def test_the_readings_page_shows_a_missing_hour_as_a_dash(client_as, zone):
    two_days_ago = timezone.localdate() - datetime.timedelta(days=3)  # the sample's 19th
    response = client_as("wulibao_worker").get(f"/air/1319A/readings/?start={two_days_ago}&end={two_days_ago}")
    hours = response.context["hours"]
    assert [h.pm25 for h in hours].count(None) == 2
    assert response.content.count(b"\xe2\x80\x94") >= 2 * 3  # an em dash per missing cell


def test_an_anonymous_visitor_is_sent_to_sign_in_and_an_unknown_station_is_404(client, client_as, zone):
    for url in ("/air/", "/air/1323A/", "/air/1323A/readings/", "/air/upload/"):
        assert client.get(url).status_code == 302
    assert client_as("qu_admin").get("/air/9999A/").status_code == 404


def test_a_wrong_period_is_refused_in_chinese_and_the_default_is_shown(client_as, zone):
    response = client_as("qu_admin").get("/air/1323A/?start=2026-03-01&end=2026-01-01")
    assert response.status_code == 200
    assert "起始日期晚于截止日期。" in response.content.decode()
    response = client_as("qu_admin").get("/air/1323A/?start=2020-01-01&end=2026-01-01")
    assert "请选择不超过 92 天的时段。" in response.content.decode()


@pytest.mark.parametrize("path", ["/air/1323A/", "/air/1323A/readings/"])
def test_the_period_asked_for_shows_in_its_date_boxes(client_as, zone, path):
    """The boxes were written 2016/12/19, which a date box cannot show: both looked empty, and changing one date
    sent the other blank."""
    page = client_as("qu_admin").get(path, {"start": "2016-12-19", "end": "2016-12-21"}).content.decode()
    assert 'name="start" value="2016-12-19"' in page and 'name="end" value="2016-12-21"' in page


def test_the_station_page_takes_the_same_number_of_queries_for_a_long_period(client_as, zone):
    client = client_as("qu_admin")
    today = timezone.localdate()
    counts = []
    for days in (3, 90):
        start = today - datetime.timedelta(days=days)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/air/1323A/?start={start}&end={today}").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    "username", ["qu_leader", "wulibao_admin", "wulibao_inspector", "huaihelu_inspector", "nobody"]
)
def test_only_the_district_office_may_upload_readings(client_as, erqi, username):
    client = client_as(username)
    assert client.get("/air/upload/").status_code == 403
    upload = SimpleUploadedFile("china_sites_20161219.csv", sample("20161219"))
    assert client.post("/air/upload/", {"file": upload}).status_code == 403
    assert not Reading.objects.exists()


def test_the_district_office_uploads_a_zip_and_then_a_corrected_day(client_as, erqi):
    client = client_as("qu_admin")
    assert client.get("/air/upload/").status_code == 200
    batch = zipped([("china_sites_20161219.csv", sample("20161219")), ("china_sites_20161220.csv", sample("20161220"))])
    response = client.post("/air/upload/", {"file": SimpleUploadedFile("week.zip", batch)}, follow=True)
    assert "新增 432 小时，更正 0 小时，0 小时未变" in response.content.decode()
    corrected = sample("20161220").replace(b"20161220,5,PM2.5,", b"20161220,5,PM2.5,1", 1)
    response = client.post("/air/upload/", {"file": SimpleUploadedFile("fix.csv", corrected)}, follow=True)
    assert "新增 0 小时，更正 1 小时，215 小时未变" in response.content.decode()
    assert ReadingImport.objects.count() == 2


def test_a_malformed_upload_is_refused_in_chinese_and_writes_nothing(client_as, erqi):
    client = client_as("qu_admin")
    bad = sample("20161219").replace(b"20161219,5,PM10,", b"20161219,5,PM10,x", 1)
    response = client.post("/air/upload/", {"file": SimpleUploadedFile("china_sites_20161219.csv", bad)})
    assert response.status_code == 200
    assert "china_sites_20161219.csv 第" in response.content.decode()
    assert "不是数字" in response.content.decode()
    response = client.post("/air/upload/", {"file": SimpleUploadedFile("x.xlsx", b"PK")})
    assert "请上传 .csv 文件" in response.content.decode()
    assert not Reading.objects.exists() and not ReadingImport.objects.exists()


def test_the_dashboard_shows_the_zone_station_chart_scoped_like_the_page(client_as, zone):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    for username, checks in (("wulibao_inspector", 2), ("huaihelu_inspector", 1), ("qu_admin", 3)):
        chart = client_as(username).get("/dashboard/").context["station_chart"]
        assert chart["station"]["code"] == "1323A"
        day = next(d for d in chart["days"] if d["day"] == yesterday.isoformat())
        assert (day["mean"], day["checks"]) == (200, checks)


def test_the_dashboard_has_no_station_chart_without_readings_or_zone(client_as, zone, erqi):
    assert client_as("nobody").get("/dashboard/").context["station_chart"] is None
    Reading.objects.all().delete()
    assert client_as("qu_admin").get("/dashboard/").context["station_chart"] is None


def test_the_station_list_shows_yesterdays_mean_to_everyone(client_as, zone):
    response = client_as("nobody").get("/air/")
    assert response.status_code == 200
    heyida = next(r for r in response.context["rows"] if r["station"].code == "1323A")
    assert (heyida["mean"], heyida["grade"]) == (200, "重度污染")
    assert b"/air/upload/" not in response.content
    assert b"/air/upload/" in client_as("qu_admin").get("/air/").content


def test_the_admin_shows_readings_and_imports_read_only(client, zone):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert client.get("/admin/air/reading/").status_code == 200
    assert client.get("/admin/air/readingimport/").status_code == 200
    assert client.get("/admin/air/reading/add/").status_code == 403


def test_the_chart_leaves_a_gap_for_a_missing_hour(client_as, zone):
    day = timezone.localdate() - datetime.timedelta(days=3)  # the sample's 19th: 供水公司 silent at hours 3 and 4
    chart = client_as("wulibao_worker").get(f"/air/1319A/?start={day}&end={day}").context["chart"]
    assert len(chart["hours"]) == 24
    assert [value for _at, value in chart["hours"]].count(None) == 2


@pytest.mark.parametrize("username", ["qu_admin", "wulibao_inspector", "huaihelu_inspector"])
def test_each_nights_counts_link_to_exactly_the_visits_they_count(
    client_as, people, register, wulibao_community, zone, username
):
    """The night's visits in the zone, and no others: not the night before, not a visit outside any zone, not a
    visit in the zone by day; each viewer sees the rows of their own count."""
    mine, _theirs = zone
    outside = register("wulibao_admin", wulibao_community, estate="远处小区")
    assert outside.priority_station is None
    other = MonitoringStation.objects.filter(has_priority_zone=True).exclude(code="1323A").order_by("code").first()
    near_other = register(
        "wulibao_admin", wulibao_community, estate="另一站点小区", latitude=other.latitude, longitude=other.longitude
    )
    assert near_other.priority_station == other
    early = night(0, hour=2)  # 02:30 this morning: still last night
    # Run at noon: shortly after midnight, 02:30 this morning would still be a time in the future (refused).
    noon = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(12)))
    with time_machine.travel(max(noon, timezone.now()), tick=True):
        _each_nights_counts(client_as, people, username, mine, early, outside, near_other)


def _each_nights_counts(client_as, people, username, mine, early, outside, near_other):
    for household, started_at in (
        (mine, early),
        (mine, night(2)),  # the night before
        (outside, night(1)),  # last night, outside any zone
        (near_other, night(1)),  # last night, in another station's zone
        (mine, night(1, hour=15)),  # yesterday afternoon: not a night check
    ):
        inspection_record(
            actor=people["wulibao_inspector"],
            household=household,
            kind="night_check",
            outcome="loose_coal",
            started_at=started_at,
        )
    client = client_as(username)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    day = row(client.get("/air/1323A/"), yesterday)

    counted = Inspection.objects.visible_to(people[username]).filter(
        household__priority_station__code="1323A",
        is_night=True,
        started_at__gte=night(1, hour=12) - datetime.timedelta(minutes=30),
        started_at__lt=night(0, hour=12),
    )
    for url, figure, rows in (
        (day["checks_url"], day["checks"], counted),
        (day["found_url"], day["found"], counted.filter(outcome__in=Inspection.FOUND)),
    ):
        listed = client.get(url)
        assert listed.status_code == 200
        shown = {i.pk for i in listed.context["object_list"]}
        assert len(shown) == figure == rows.count()
        assert shown == set(rows.values_list("pk", flat=True))
    assert day["checks"] == {"qu_admin": 4, "wulibao_inspector": 3, "huaihelu_inspector": 1}[username]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=9999-12-25&end=9999-12-31", "日期过晚（不得晚于"),
        ("start=9999-12-31", "日期过晚（不得晚于"),
        ("end=9999-12-31", "日期过晚（不得晚于"),
        ("start=1900-01-01", "日期过早（不得早于1990-01-01），请检查。"),
        ("start=abc", "输入一个有效的日期。"),
        ("start=2026-03-01&end=2026-01-01", "起始日期晚于截止日期。"),
    ],
)
@pytest.mark.parametrize("page", ["/air/1323A/", "/air/1323A/readings/"])
def test_a_far_off_or_unreadable_date_is_refused_in_chinese_and_the_default_period_shown(
    client_as, zone, page, query, message
):
    # Year 9999 used to overflow adding the default fortnight or the day after the end (a 500).
    response = client_as("qu_admin").get(f"{page}?{query}")
    assert response.status_code == 200
    assert message in response.content.decode()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert response.context["end"] == yesterday  # the station's last reading: the default fortnight
    assert response.context["start"] == yesterday - datetime.timedelta(days=13)


def test_a_user_without_households_in_the_zone_sees_no_check_counts_and_no_marks(client_as, zone):
    """huaihelu_inspector read "no night checks are shown" above a row of 0 / 0 counts marked 高值少查."""
    page = client_as("nobody").get("/air/1323A/")  # the fortnight up to yesterday, 200 μg/m³ then

    assert page.context["chart"]["counted"] is False
    assert 'data-testid="outside-jurisdiction"' in page.content.decode()
    days = page.context["chart"]["days"]
    assert all(d["checks"] is None and d["found"] is None and not d["flagged"] for d in days)
    assert 'data-figure="checks"' not in page.content.decode()
