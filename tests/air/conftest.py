"""Station files for the tests: the project's copy of the synthetic three-day sample (air/sample/, from the shared
reference data's air/ folder; the values are invented, see docs/air.md), and ways to alter it."""

import datetime
import functools
import http.server
import io
import threading
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from air.demo import demo_readings
from inspections.services import inspection_record

SAMPLE = Path(__file__).resolve().parents[2] / "air" / "sample"
DAYS = ("20161219", "20161220", "20161221")


def sample(day: str) -> bytes:
    return (SAMPLE / f"china_sites_{day}.csv").read_bytes()


def sample_files(*days: str) -> list[tuple[str, bytes]]:
    return [(f"china_sites_{day}.csv", sample(day)) for day in days or DAYS]


def altered(day: str, hour: int, kind: str, code: str, value: str) -> bytes:
    """The day's file with one cell changed (station `code`, hour, measure `kind`)."""
    lines = sample(day).decode().splitlines()
    codes = lines[0].split(",")
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if cells[1] == str(hour) and cells[2] == kind:
            cells[codes.index(code)] = value
        out.append(",".join(cells))
    return ("\n".join(out) + "\n").encode()


def zipped(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture
def imported(erqi):
    """The three sample days imported, as the district office's command would."""
    from air.services import readings_import

    return readings_import(actor=None, files=sample_files())


def night(days_ago: int, hour: int = 23) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 30)))


@pytest.fixture
def zone(people, register, wulibao_community, huaihelu_community):
    """The sample re-dated to end yesterday (河医大's mean that day: 200 μg/m³), and last night's checks inside
    河医大's zone: two by 五里堡 (one found coal), one by 淮河路 (found coal)."""
    demo_readings()
    mine = register("wulibao_admin", wulibao_community, latitude=Decimal("34.753000"), longitude=Decimal("113.642000"))
    theirs = register(
        "qu_admin", huaihelu_community, estate="淮河苑", latitude=Decimal("34.752000"), longitude=Decimal("113.640000")
    )
    assert mine.priority_station.code == theirs.priority_station.code == "1323A"
    for username, household, outcome in (
        ("wulibao_inspector", mine, "loose_coal"),
        ("wulibao_inspector", mine, "no_coal"),
        ("huaihelu_inspector", theirs, "stove_in_use"),
    ):
        inspection_record(
            actor=people[username], household=household, kind="night_check", outcome=outcome, started_at=night(1)
        )
    return mine, theirs


# --- A mirror of the station files over HTTP, for the scheduled pull ---------------------------------


class Mirror(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output quiet
        pass

    seen: list | None = None  # a test may set a list to note the paths asked for

    def do_GET(self):
        if self.seen is not None:
            self.seen.append(self.path)
        if self.path.endswith("/broken.csv"):
            self.send_error(500)
            return
        super().do_GET()


@pytest.fixture
def mirror(tmp_path):
    """A folder served over HTTP on 127.0.0.1: -> (folder, base URL)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Mirror, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def yesterdays_file(folder, content: bytes | None = None) -> None:
    day = timezone.localdate() - datetime.timedelta(days=1)
    text = content or sample("20161221").replace(b"\n20161221,", f"\n{day:%Y%m%d},".encode())
    (folder / f"china_sites_{day:%Y%m%d}.csv").write_bytes(text)
