"""The station readings API: public to every signed-in user and token, filtered by station and time, paginated with
a constant number of queries, daily means computed by hand from the sample, bad filters answered 400 by field."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import sample

STATIONS_IN_SAMPLE = 9


def pm25_of(day: str, hour: int, code: str) -> str:
    """The sample file's PM2.5 cell of a station and hour, as it is written."""
    lines = sample(day).decode().splitlines()
    codes = lines[0].split(",")
    row = next(line.split(",") for line in lines if line.startswith(f"{day},{hour},PM2.5,"))
    return row[codes.index(code)]


@pytest.mark.parametrize("username", ["nobody", "huaihelu_inspector", "qu_admin"])
def test_every_signed_in_user_reads_every_stations_readings(api_as, imported, username):
    api = api_as(username)

    stations = api.get("/api/v1/stations/?page_size=200").json()["results"]
    readings = api.get("/api/v1/readings/?station=1323A&page_size=100").json()

    assert "1323A" in {s["code"] for s in stations}
    assert len(readings["results"]) == 72
    assert {r["station"] for r in readings["results"]} == {"1323A"}


def test_an_anonymous_caller_reads_nothing(api_as, imported):
    assert api_as(None).get("/api/v1/readings/").status_code == 401
    assert api_as(None).get("/api/v1/stations/1323A/daily-means/").status_code == 401


def test_readings_are_filtered_by_station_and_hour_oldest_first_and_blank_is_null(api_as, imported):
    api = api_as("wulibao_inspector")

    # Hours ending 16:00 to 18:00 Beijing time on the 19th, both included.
    response = api.get(
        "/api/v1/readings/?station=1323A&time_after=2016-12-19T16:00:00%2B08:00&time_before=2016-12-19T18:00:00%2B08:00"
    )
    rows = response.json()["results"]
    assert [r["hour_ending"] for r in rows] == [
        "2016-12-19T16:00:00+08:00",
        "2016-12-19T17:00:00+08:00",
        "2016-12-19T18:00:00+08:00",
    ]
    assert [float(r["pm25"]) for r in rows] == [float(pm25_of("20161219", h, "1323A")) for h in (16, 17, 18)]
    # 供水公司 reported nothing at hour 3: null, never zero.
    blank = api.get("/api/v1/readings/?station=1319A&date_after=2016-12-19&date_before=2016-12-19&page_size=24")
    hour_3 = next(r for r in blank.json()["results"] if r["hour_ending"] == "2016-12-19T03:00:00+08:00")
    assert (hour_3["pm25"], hour_3["pm10"], hour_3["aqi"]) == (None, None, None)
    # A local day is the files' hours 0–23 of that date.
    assert len(blank.json()["results"]) == 24


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("station=9999X", "station"),
        # Keyed by the parameter sent, as docs/air.md says (a range filter's form field is `time` / `date`).
        ("time_after=yesterday", "time_after"),
        ("time_after=0001-01-01T00:00:00", "time_after"),  # before year 1 once in UTC
        ("time_before=abc", "time_before"),
        ("date_after=2016-13-40", "date_after"),
        ("date_before=0000-00-00", "date_before"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field_in_chinese(api_as, imported, query, field):
    response = api_as("wulibao_inspector").get(f"/api/v1/readings/?{query}", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(errors[field]))


def test_pages_of_readings_follow_each_other_and_cost_the_same_queries_however_long(api_as, imported):
    api = api_as("wulibao_inspector")

    def page(url):
        with CaptureQueriesContext(connection) as captured:
            response = api.get(url)
        assert response.status_code == 200
        return response.json(), len(captured)

    small, few = page("/api/v1/readings/?page_size=5")
    large, many = page("/api/v1/readings/?page_size=500")
    assert few == many
    seen = [(r["station"], r["hour_ending"]) for r in small["results"]]
    following, _count = page(small["next"])
    seen += [(r["station"], r["hour_ending"]) for r in following["results"]]
    assert seen == [(r["station"], r["hour_ending"]) for r in large["results"][:10]]
    assert len(large["results"]) == 500


def test_daily_means_are_the_means_of_the_hours_reported(api_as, imported):
    response = api_as("nobody").get("/api/v1/stations/1323A/daily-means/?start=2016-12-19&end=2016-12-21")

    assert response.status_code == 200
    assert response.json() == [
        {"day": "2016-12-19", "pm25": "149.3", "hours": 24, "complete": True, "grade": "中度污染"},  # 3584 / 24
        {"day": "2016-12-20", "pm25": "175.5", "hours": 24, "complete": True, "grade": "重度污染"},  # 4212 / 24
        {"day": "2016-12-21", "pm25": "199.9", "hours": 24, "complete": True, "grade": "重度污染"},  # 4797 / 24
    ]
    # 供水公司 reported nothing at hours 3 and 4 of the 19th: over 22 hours, not a valid daily mean.
    gongshui = api_as("nobody").get("/api/v1/stations/1319A/daily-means/?start=2016-12-19&end=2016-12-19").json()
    assert gongshui == [{"day": "2016-12-19", "pm25": "113.9", "hours": 22, "complete": True, "grade": "轻度污染"}]


def test_daily_means_default_to_the_fortnight_up_to_the_last_reading(api_as, imported):
    means = api_as("nobody").get("/api/v1/stations/1323A/daily-means/").json()

    assert [m["day"] for m in means] == ["2016-12-19", "2016-12-20", "2016-12-21"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2016-12-21&end=2016-12-19", "start"),
        ("start=2016-01-01&end=2016-12-31", "end"),
        ("start=x", "start"),
        ("start=9999-12-31", "start"),  # beyond the bound on entered dates
        ("end=9999-12-31", "end"),
        ("start=1900-01-01", "start"),
    ],
)
def test_a_bad_period_of_daily_means_is_a_400_naming_the_field(api_as, imported, query, field):
    response = api_as("nobody").get(f"/api/v1/stations/1323A/daily-means/?{query}", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_an_unknown_station_is_not_found(api_as, imported):
    assert api_as("nobody").get("/api/v1/stations/9999X/daily-means/").status_code == 404
    assert api_as("nobody").get("/api/v1/stations/9999X/").status_code == 404


def test_a_station_is_read_by_its_code(api_as, imported):
    station = api_as("nobody").get("/api/v1/stations/1323A/").json()

    assert station["name"] == "河医大" and station["has_priority_zone"] is True


def test_the_schema_documents_the_readings_endpoints(api_as, erqi):
    schema = api_as("qu_admin").get("/api/v1/schema/?format=json").json()

    assert {"/api/v1/readings/", "/api/v1/stations/{code}/daily-means/"} <= set(schema["paths"])
    names = {p["name"] for p in schema["paths"]["/api/v1/readings/"]["get"]["parameters"]}
    assert {"station", "time_after", "time_before", "date_after", "date_before", "cursor", "page_size"} <= names


def test_a_moment_with_an_offset_the_database_does_not_take_is_read_in_utc(api_as, imported):
    # -22:18 is valid ISO 8601 but beyond PostgreSQL's offsets: the filter converts it, nothing fails.
    # 2016-12-18 01:42 at -22:18 is 2016-12-19 00:00 UTC, 08:00 in Beijing: hours ending 00:00 to 08:00.
    response = api_as("nobody").get("/api/v1/readings/?station=1323A&time_before=2016-12-18T01:42:00-22:18")

    assert response.status_code == 200
    hours = [r["hour_ending"] for r in response.json()["results"]]
    assert (hours[0], hours[-1], len(hours)) == ("2016-12-19T00:00:00+08:00", "2016-12-19T08:00:00+08:00", 9)


def test_a_day_of_fewer_than_20_hours_is_given_no_grade_as_on_the_page(api_as, erqi):
    """An outside tester's 7 hours of 12-06 were graded 严重污染 by the API; the page grades no such day."""
    from air.services import readings_import

    rows = "".join(f"1323A,2016-12-22 {hour:02d}:00,304,320,354\n" for hour in range(1, 8))
    readings_import(actor=None, files=[("long.csv", ("station,time,pm25,pm10,aqi\n" + rows).encode())])

    means = api_as("nobody").get("/api/v1/stations/1323A/daily-means/?start=2016-12-22&end=2016-12-22").json()

    assert means == [{"day": "2016-12-22", "pm25": "304.0", "hours": 7, "complete": False, "grade": ""}]
