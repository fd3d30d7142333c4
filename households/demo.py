"""A demo household import for `manage.py load_demo`: a subdistrict's spreadsheet of a community's register,
read and written by the same importer as the register page, so the audit log shows an import. Once."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from divisions.models import Division, Level

from .imports import households_import
from .models import Household

NOTE = "演示数据（导入）"
HEADER = ["社区代码", "小区", "楼栋", "单元", "房号", "户主", "电话", "无主管", "无双气", "取暖方式", "备注"]
ROWS = [
    ("5", "1", "101", "孙桂兰", "13700001001", "是", "否", "燃煤"),
    ("5", "1", "102", "周德明", "13700001002", "否", "是", "电取暖"),
    ("5", "2", "201", "吴海燕", "", "否", "否", "燃气"),
    ("6", "1", "301", "郑春生", "13700001004", "是", "是", "燃煤"),
    ("6", "2", "402", "冯丽娟", "13700001005", "否", "否", "集中供暖"),
]


def demo_import(*, users: dict) -> int:
    """Import five households into the 五里堡 worker's community; returns how many were registered."""
    if Household.objects.filter(notes=NOTE).exists():
        return 0
    community = Division.objects.filter(parent__code="410103006", level=Level.COMMUNITY).order_by("code")[1]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "五里堡街道住户登记表.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(
                ["社区代码", "小区", "楼栋", "单元", "房号", "户主", "电话", "无主管", "无双气", "取暖方式", "备注"]
            )
            for building, unit, room, name, phone, unmanaged, no_gas, heating in ROWS:
                writer.writerow(
                    [
                        community.code,
                        "建新南街小区",
                        building,
                        unit,
                        room,
                        name,
                        phone,
                        unmanaged,
                        no_gas,
                        heating,
                        NOTE,
                    ]
                )
        result = households_import(actor=users["wulibao_admin"], path=path)
    if result.error_count:
        raise ValueError(f"demo import refused: {result.errors}")
    return result.created
