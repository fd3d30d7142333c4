"""How fast a ledger's rows go into the .xlsx, without the database, and the resident memory the writing adds at
its peak: the worker's sheet writer (XlsxWriter, constant-memory mode) beside the openpyxl write-only writer it
replaced, with the same print setup (title, header, borders, number formats, wrapped text with its row heights),
on the same synthetic 检查记录 rows (a quarter of them with a note long enough to wrap).

    .venv/bin/python bench/bench_ledger_writer.py --rows 200000

Each writer runs in a process of its own, so that one's memory does not hide the other's. On a shared machine
the rows per CPU second say more than the rows per second of wall time. `bench_reports.py`
times a whole ledger export over city-scale data, queries included, beside the bare queries.
"""

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalgov.settings_test")

import django

django.setup()

import xlsxwriter  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: E402

from coalgov import exports  # noqa: E402
from reports.ledger_sheets import NO, NUMBER_FORMATS, SHEETS, WRAPPED_COLUMNS, YES  # noqa: E402
from reports.ledgers import _SheetWriter  # noqa: E402

TITLE = "二七区五里堡街道散煤治理工作台账·检查记录（2026年11月1日—11月28日）"
LONG_NOTE = "入户检查发现院内煤棚存放散煤约两吨，已现场劝导户主签订承诺书，并登记在册，约定三日内回头看复查"


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
            LONG_NOTE if i % 4 == 0 else f"第{i}次检查，备注文字",
            "张三",
        ]


def new_writer(path: Path, n: int) -> None:
    """The worker's writer, as `ledger_build` uses it."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "tmpdir": str(path.parent)})
    writer = _SheetWriter(workbook, SHEETS["inspections"], TITLE)
    for row in rows(n):
        writer.append(row)
    writer.finish()
    workbook.close()


def old_writer(path: Path, n: int) -> None:
    """The openpyxl write-only writer the worker used before (its print setup, styles copied onto each cell,
    a wrapped row's height set for that row and forgotten after it), for comparison."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("检查记录")
    headers = [text for text, _width in SHEETS["inspections"].columns]
    widths = exports.header_widths(headers, [width for _text, width in SHEETS["inspections"].columns])
    exports.print_setup(ws, headers=headers, widths=widths)
    ws.append(exports.title_cells(ws, TITLE))
    ws.append(exports.header_cells(ws, headers))
    by_type = {
        int: exports.number_style(ws, exports.INTEGER, exports.CENTRED),
        datetime.datetime: exports.number_style(ws, exports.DATETIME, exports.CENTRED),
    }
    text = exports.number_style(ws)
    wrapped = exports.number_style(ws, alignment=exports.WRAPPED)
    by_column = [exports.number_style(ws, NUMBER_FORMATS[h]) if h in NUMBER_FORMATS else None for h in headers]
    text_by_column = [wrapped if h in WRAPPED_COLUMNS else text for h in headers]
    from openpyxl.worksheet.dimensions import RowDimension

    number = 2
    for values in rows(n):
        number += 1
        cells, lines = [], 1
        for value, column_style, text_style, width in zip(values, by_column, text_by_column, widths, strict=True):
            if isinstance(value, bool):
                value = YES if value else NO
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
                if text_style is wrapped:
                    lines = max(lines, exports.lines_in(value, width))
                cells.append(exports.styled(ws, exports.xlsx_value(ws, value) if value else None, text_style))
                continue
            style = column_style or by_type.get(type(value), text)
            cells.append(exports.styled(ws, value, style))
        if lines > 1:
            ws.row_dimensions[number] = RowDimension(ws, index=number, ht=min(lines, 20) * exports.HEADER_LINE_HEIGHT)
            ws.append(cells)
            del ws.row_dimensions[number]
        else:
            ws.append(cells)
    exports.table_filter(ws, columns=len(headers), last_row=number)
    workbook.save(path)


WRITERS = {
    "openpyxl write-only (before)": old_writer,
    "XlsxWriter constant_memory (now)": new_writer,
}


def measure(label: str, n: int) -> None:
    """One writer, in this process: time, rows/s, resident memory added at the peak, file size."""
    before, peak, done = rss_mb(), [0.0], threading.Event()

    def sample():
        while not done.wait(0.02):
            peak[0] = max(peak[0], rss_mb())

    sampler = threading.Thread(target=sample)
    sampler.start()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "ledger.xlsx"
        started, cpu = time.perf_counter(), time.process_time()
        WRITERS[label](path, n)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = path.stat().st_size / 2**20
    done.set()
    sampler.join()
    growth = max(peak[0], rss_mb()) - before
    line = f"{label:34} {n:9,d} {seconds:8.1f} {n / seconds:8,.0f} {cpu:8.1f} {n / cpu:9,.0f} {growth:8.1f}"
    print(f"{line} {size:8.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--only", choices=list(WRITERS), help=argparse.SUPPRESS)  # one writer, in this process
    args = parser.parse_args()
    if args.only:
        measure(args.only, args.rows)
        return
    heading = f"{'ledger rows into .xlsx':34} {'rows':>9} {'s':>8} {'rows/s':>8} {'CPU s':>8} {'rows/CPUs':>9}"
    print(f"{heading} {'+RSS MB':>8} {'file MB':>8}", flush=True)
    for label in WRITERS:
        subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--only", label], check=True)


if __name__ == "__main__":
    main()
