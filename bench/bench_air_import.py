"""A year of hourly readings for every Zhengzhou station, imported through `readings_import` (the command's and
the upload page's importer): first into an empty table, then again unchanged (a repeated year), then with every
value changed (a corrected year). Prints the wall time of each and the rows written.

The year is generated in the national files' shape (365 daily files, date,hour,type,<12 station codes>, five
measures an hour, about 3 % blank cells), from invented values: it measures the importer, nothing else.

    createdb -h 127.0.0.1 -U postgres coalgov_bench_air
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coalgov_bench_air .venv/bin/python bench/bench_air_import.py
"""

import datetime
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalgov.settings_test")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from air.models import Reading, ReadingImport  # noqa: E402
from air.services import readings_import  # noqa: E402
from divisions.models import MonitoringStation  # noqa: E402

KINDS = ("AQI", "PM2.5", "PM2.5_24h", "PM10", "PM10_24h")


def year_of_files(codes: list[str], first: datetime.date, shift: int = 0) -> list[tuple[str, bytes]]:
    rng = random.Random(2016 + shift)
    files = []
    for n in range(365):
        day = first + datetime.timedelta(days=n)
        lines = ["date,hour,type," + ",".join(codes)]
        for hour in range(24):
            for kind in KINDS:
                cells = ["" if rng.random() < 0.03 else str(rng.randint(5, 400) + shift) for _code in codes]
                lines.append(f"{day:%Y%m%d},{hour},{kind}," + ",".join(cells))
        files.append((f"china_sites_{day:%Y%m%d}.csv", ("\n".join(lines) + "\n").encode()))
    return files


def timed(label: str, files) -> None:
    start = time.perf_counter()
    outcome = readings_import(actor=None, files=files)
    seconds = time.perf_counter() - start
    print(
        f"{label:<28} {seconds:6.2f} s   added {outcome.created:>7,}  changed {outcome.changed:>7,}  "
        f"unchanged {outcome.unchanged:>7,}"
    )


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("load_stations", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    # Emptied, not deleted row by row: deleted rows stay in the indexes until a vacuum, and every insert of a later
    # run would step over them, so "an empty table" would be a different one each run.
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Reading._meta.db_table}, {ReadingImport._meta.db_table}")
    codes = list(MonitoringStation.objects.order_by("code").values_list("code", flat=True))
    first = datetime.date(2016, 1, 1)
    year = year_of_files(codes, first)
    size = sum(len(content) for _name, content in year)
    print(
        f"{len(codes)} stations × 365 days × 24 hours = {len(codes) * 365 * 24:,} station-hours, {size / 2**20:.1f} MB"
    )
    timed("a year, into an empty table", year)
    timed("the same year again", year)
    timed("the year corrected", year_of_files(codes, first, shift=1))
    print(f"rows stored: {Reading.objects.count():,}")


if __name__ == "__main__":
    main()
