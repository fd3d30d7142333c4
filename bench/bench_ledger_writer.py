"""How fast a ledger's rows go into the .xlsx, without the database: the worker's sheet writer (print setup,
number formats, wrapped text with its row heights) beside bare openpyxl write-only cells (the floor), on the
same synthetic 检查记录 rows, with the resident memory each adds at its peak.

    .venv/bin/python bench/bench_ledger_writer.py --rows 100000

`bench_reports.py` times a whole ledger export over city-scale data (queries included); this one isolates the
part that formatting changed. Rows are tuples as the query gives them, turned into cells by the sheet's
`row` function's output shape (a list per row).
"""

import argparse
import datetime
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalgov.settings_test")

import django

django.setup()

from openpyxl import Workbook  # noqa: E402

from reports.ledger_sheets import SHEETS  # noqa: E402
from reports.ledgers import _cell, _SheetWriter  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def rows(n: int):
    start = datetime.datetime(2026, 11, 2, 19, 0)
    for i in range(n):
        yield [
            100_000 + i,
            start + datetime.timedelta(minutes=i % 10_000),
            "五里堡街道",
            "建新南街社区居民委员会",
            "龙亭小区",
            str(i % 30),
            str(i % 4 + 1),
            f"{i % 6 + 1}0{i % 4 + 1}",
            "",
            "王建国",
            "夜查",
            "发现散煤" if i % 10 == 0 else "未发现散煤",
            i % 3 == 0,
            False,
            "零点夜查" if i % 3 == 0 else "",
            "",
            f"第{i}次检查，备注文字",
            "张三",
        ]


def measure(label: str, n: int, write) -> None:
    before, peak, done = rss_mb(), [0.0], threading.Event()

    def sample():
        while not done.wait(0.05):
            peak[0] = max(peak[0], rss_mb())

    sampler = threading.Thread(target=sample)
    sampler.start()
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        write(Path(directory) / "ledger.xlsx", n)
        seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    print(f"{label:40} {n:9,d} {seconds:8.1f} {n / seconds:8,.0f} {max(peak[0] - before, 0):8.1f}", flush=True)


def sheet_writer(path: Path, n: int) -> None:
    workbook = Workbook(write_only=True)
    writer = _SheetWriter(workbook, SHEETS["inspections"], "二七区五里堡街道散煤治理工作台账·检查记录")
    for row in rows(n):
        writer.append(row)
    writer.finish()
    workbook.save(path)


def bare(path: Path, n: int) -> None:
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("检查记录")
    for row in rows(n):
        ws.append([_cell(ws, value) for value in row])
    workbook.save(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    n = parser.parse_args().rows
    print(f"{'ledger rows into .xlsx':40} {'rows':>9} {'s':>8} {'rows/s':>8} {'+RSS MB':>8}")
    measure("openpyxl write-only, bare cells", n, bare)
    measure("the worker's sheet writer (print-ready)", n, sheet_writer)


if __name__ == "__main__":
    main()
