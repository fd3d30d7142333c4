"""The import's fast path for the usual row (households.imports._Checker._fast_line): what it writes is what the
model's checks and the register's rules say, for the rows where the shortcut could go wrong."""

import csv
import math

from divisions.geo import EARTH_RADIUS_M, priority_station_for, zone_stations
from households.imports import households_import
from households.models import Household

HEADER = ["社区代码", "小区", "楼栋", "单元", "房号", "户主", "纬度", "经度"]


def write_csv(tmp_path, rows, name="台账.csv"):
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def test_an_address_twice_in_one_file_is_registered_once_from_its_first_line(tmp_path, people, wulibao_community):
    code = wulibao_community.code
    path = write_csv(
        tmp_path,
        [
            [code, "龙亭小区", "3", "2", "501", "王大爷", "", ""],
            [code, "龙亭小区", "3", "2", "502", "李阿姨", "", ""],
            [code, " 龙亭小区 ", "3", "2", "501", "王大妈", "", ""],  # the same flat, spaces around the estate
            [code, "龙亭小区", "3", "2", "503", "赵师傅", "", ""],
        ],
    )

    result = households_import(actor=people["wulibao_admin"], path=path)

    assert (result.rows, result.created, result.skipped, result.errors) == (4, 3, 1, [])
    assert list(Household.objects.order_by("id").values_list("room", "head_name")) == [
        ("501", "王大爷"),
        ("502", "李阿姨"),
        ("503", "赵师傅"),
    ]


def test_points_at_a_priority_zones_edge_are_placed_as_the_zone_rule_places_them(tmp_path, people, wulibao_community):
    # Around every station with a zone, points 3 % inside and 3 % outside its radius in eight directions: the
    # checker looks at the distance only for points inside a box around a zone, which must never leave one out.
    points = []
    for station in zone_stations():
        for factor in (0.97, 1.03):
            angle_span = station.priority_radius_m * factor / EARTH_RADIUS_M
            for bearing in range(0, 360, 45):
                theta = math.radians(bearing)
                latitude = float(station.latitude) + math.degrees(angle_span * math.cos(theta))
                longitude = float(station.longitude) + math.degrees(
                    angle_span * math.sin(theta) / math.cos(math.radians(float(station.latitude)))
                )
                points.append((f"{latitude:.6f}", f"{longitude:.6f}"))
    code = wulibao_community.code
    path = write_csv(
        tmp_path, [[code, "边界小区", "1", "1", str(n), "", lat, lon] for n, (lat, lon) in enumerate(points, 101)]
    )

    result = households_import(actor=people["wulibao_admin"], path=path)

    assert (result.created, result.errors) == (len(points), [])
    stations = zone_stations()
    placed = {
        room: (zone, station)
        for room, zone, station in Household.objects.values_list("room", "in_priority_zone", "priority_station_id")
    }
    expected = {}
    for n, (lat, lon) in enumerate(points, 101):
        station = priority_station_for(float(lat), float(lon), stations)
        expected[str(n)] = (station is not None, station.pk if station else None)
    assert placed == expected
    assert {zone for zone, _station in placed.values()} == {True, False}
