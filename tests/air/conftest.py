"""Station files for the tests: the project's copy of the synthetic three-day sample (air/sample/, from the shared
reference data's air/ folder; the values are invented, see docs/air.md), and ways to alter it."""

import io
import zipfile
from pathlib import Path

import pytest

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
