"""Reading station files: the national-station hourly files (one a day, wide) and a plain long form.

The wide shape, as the widely shared national-station files have it (`china_sites_YYYYMMDD.csv`):

    date,hour,type,1316A,1317A,…
    20161219,0,AQI,207,218,…
    20161219,0,PM2.5,157,168,…

one row per hour (0–23) and measure; a blank cell where a station reported nothing. The long form, for an
intranet feed: `station,time,pm25,pm10,aqi`, one row per station and hour, `time` the end of the hour
(`2016-12-19 16:00`, local time unless it carries an offset). Either may come as .csv or inside a .zip.

This module only parses: it turns files into {(station code, hour ending): {measure: value}} and refuses a file
with anything it cannot read, listing each error with its file and line. `air.services.readings_import` matches
the stations and writes.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from coalgov.dates import date_check

MAX_ERRORS = 50  # listed; the import is refused whatever the count
MAX_VALUE = Decimal("5000")  # no station reads more (the worst recorded PM2.5 hours are around 1,000 µg/m³)
# The wide files' measures we keep, and the others of the same family, read past without complaint.
WIDE_MEASURES = {"AQI": "aqi", "PM2.5": "pm25", "PM10": "pm10"}
WIDE_OTHERS = {
    f"{name}{suffix}"
    for name in ("PM2.5", "PM10", "SO2", "NO2", "O3", "CO", "AQI")
    for suffix in ("", "_24h", "_8h", "_8h_24h")
} - set(WIDE_MEASURES)
LONG_COLUMNS = ("station", "time", "pm25", "pm10", "aqi")
MEASURES = ("pm25", "pm10", "aqi")
# A zip's members unpack at most this many times their packed size (real CSV packs 3–10 times).
MAX_RATIO = 100
RATIO_FROM = 2**20  # members under 1 MB unpacked are too small to matter
MAX_MEMBERS = 2000  # five years of daily files


@dataclass
class Parsed:
    """What the files hold: values by (station code, hour ending), the measures they carry, and errors.

    A value is the number's text as the file gives it (checked to be a number from 0 to MAX_VALUE), or None for a
    blank: the importer hands it to the database as it is, so no Decimal is made per cell."""

    values: dict[tuple[str, datetime.datetime], dict[str, str | None]] = field(default_factory=dict)
    measures: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0

    def error(self, name: str, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            where = {"file": name, "line": line, "message": message}
            self.errors.append(_("%(file)s, line %(line)s: %(message)s") % where)


def max_bytes() -> int:
    return settings.AIR_IMPORT_MAX_BYTES


def unpack(name: str, content: bytes) -> list[tuple[str, bytes]]:
    """A .csv as it is, or the .csv files inside a .zip (in name order). Refuses, before unpacking anything, a zip
    that unpacks to more than AIR_IMPORT_MAX_BYTES, too tightly (a zip bomb) or into too many members, and any
    member that is not a .csv (a zip inside a zip included)."""
    limit = max_bytes()
    if len(content) > limit:
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": limit // 2**20})
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".csv":
        return [(name, content)]
    if suffix != ".zip":
        raise ValidationError(_("Give a .csv file, or a .zip of .csv files."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise ValidationError(_("%(file)s could not be read as a .zip file.") % {"file": name}) from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
        if len(members) > MAX_MEMBERS:
            raise ValidationError(_("The .zip holds more than %(n)s files: split it.") % {"n": MAX_MEMBERS})
        if sum(m.file_size for m in members) > limit or any(
            m.file_size > RATIO_FROM and m.file_size > MAX_RATIO * max(m.compress_size, 1) for m in members
        ):
            raise ValidationError(
                _("The .zip unpacks to far more than it holds (over %(mb)s MB): it is refused.")
                % {"mb": limit // 2**20}
            )
        others = [m.filename for m in members if PurePosixPath(m.filename).suffix.lower() != ".csv"]
        if others:
            raise ValidationError(
                _("The .zip may hold only .csv files; it also holds %(names)s.") % {"names": "、".join(others[:5])}
            )
        files = []
        for member in sorted(members, key=lambda m: m.filename):
            try:
                # Read no more than the directory declared: a member that lies about its size is cut off there.
                with archive.open(member) as stream:
                    data = stream.read(member.file_size + 1)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise ValidationError(_("%(file)s could not be read as a .zip file.") % {"file": name}) from exc
            if len(data) > member.file_size:
                raise ValidationError(_("%(file)s could not be read as a .zip file.") % {"file": name})
            files.append((f"{name}/{member.filename}", data))
        return files


def _text(content: bytes) -> str:
    """UTF-8 (with or without a BOM), else GB18030: Excel on a Chinese Windows saves CSV as GBK."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gb18030", errors="strict")


def _value(cell: str) -> Decimal | None:
    """A blank is missing (None), never zero; anything else must be a number from 0 to MAX_VALUE."""
    cell = cell.strip()
    if not cell:
        return None
    try:
        number = Decimal(cell)
    except InvalidOperation:
        raise ValueError(_("%(value)r is not a number") % {"value": cell}) from None
    if not number.is_finite() or number < 0 or number > MAX_VALUE:
        raise ValueError(_("%(value)s is outside 0–%(max)s") % {"value": cell, "max": MAX_VALUE})
    return number


# The cells a station file holds are mostly whole numbers under a thousand: a row made only of these (or blanks) is
# valid as it stands, checked by one set comparison instead of a number parsed per cell.
PLAIN = frozenset({"", *(str(n) for n in range(1001))})


def _cell(cell: str) -> str | None:
    """A cell as the text the database is given: None when blank; a number (checked by `_value`) in plain form."""
    cell = cell.strip()
    if cell in PLAIN:
        return cell or None
    return str(_value(cell))


def _hour_ending(day: datetime.date, hour: int) -> datetime.datetime:
    # The files' local time (Asia/Shanghai, no daylight saving), whatever timezone a request may have activated.
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour), timezone.get_default_timezone())


def parse(files: list[tuple[str, bytes]], parsed: Parsed | None = None) -> Parsed:
    """Parse every file into one `Parsed`; a later file's hours replace an earlier one's (a corrected file)."""
    parsed = parsed or Parsed()
    for name, content in files:
        try:
            text = _text(content)
        except UnicodeDecodeError:
            parsed.error(name, 1, _("the file is neither UTF-8 nor GB18030 text"))
            continue
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            parsed.error(name, 1, _("the file is not CSV (%(why)s)") % {"why": exc})
            continue
        rows = [row for row in rows if "".join(row).strip()]  # blank lines and lines of empty cells
        if not rows:
            parsed.error(name, 1, _("the file is empty"))
            continue
        header = [cell.strip() for cell in rows[0]]
        wide, long = (
            [h.lower() for h in header[:3]] == ["date", "hour", "type"],
            [h.lower() for h in header] == list(LONG_COLUMNS),
        )
        if (wide or long) and len(rows) == 1:
            parsed.error(name, 1, _("the file has its first row and no readings"))
        elif wide:
            _parse_wide(name, header, rows[1:], parsed)
        elif long:
            _parse_long(name, rows[1:], parsed)
        else:
            parsed.error(
                name,
                1,
                _("the first row must be date,hour,type,<station codes> or station,time,pm25,pm10,aqi; it is %(row)s")
                % {"row": ",".join(header)[:120]},
            )
    return parsed


def _parse_wide(name: str, header: list[str], rows: list[list[str]], parsed: Parsed) -> None:
    codes = header[3:]
    if not codes or any(not code for code in codes) or len(set(codes)) != len(codes):
        parsed.error(name, 1, _("the station codes in the first row must be present and distinct"))
        return
    width = len(header)
    # The file's rows by hour and measure: {hour ending: {measure: [cell per station]}}. The cells of a row are
    # checked at once, and each station-hour's values assembled once at the end, not cell by cell.
    by_hour: dict[datetime.datetime, dict[str, list[str | None]]] = {}
    # A file repeats its date 120 times and its hours five times each: parse each once (a year is 44,000 rows).
    hours: dict[tuple[str, str], datetime.datetime] = {}
    days: dict[str, datetime.date] = {}
    refused: set[str] = set()  # dates out of range, said once each
    refused_hours: set[tuple[str, str]] = set()  # hours not ended yet, said once each
    for line, row in enumerate(rows, start=2):
        if len(row) != width:
            parsed.error(name, line, _("%(n)s cells where the first row has %(m)s") % {"n": len(row), "m": width})
            continue
        date_cell, hour_cell, kind = row[0].strip(), row[1].strip(), row[2].strip()
        at = hours.get((date_cell, hour_cell))
        if at is None:
            if date_cell in refused:
                continue
            day = days.get(date_cell)
            if day is None:
                try:
                    day = datetime.datetime.strptime(date_cell, "%Y%m%d").date()
                except ValueError:
                    parsed.error(name, line, _("%(value)r is not a date like 20161219") % {"value": date_cell})
                    continue
                if (wrong := _day_wrong(day)) is not None:
                    parsed.error(name, line, _("%(field)s: %(message)s") % {"field": date_cell, "message": wrong})
                    refused.add(date_cell)
                    continue
                days[date_cell] = day
            if not (hour_cell.isdigit() and 0 <= int(hour_cell) <= 23):
                parsed.error(name, line, _("the hour must be 0–23, not %(value)r") % {"value": hour_cell})
                continue
            at = _hour_ending(day, int(hour_cell))
            if at > timezone.now():
                if (date_cell, hour_cell) not in refused_hours:  # said once for the hour, not for each measure
                    parsed.error(name, line, _not_ended(at))
                    refused_hours.add((date_cell, hour_cell))
                continue
            hours[(date_cell, hour_cell)] = at
        measure = WIDE_MEASURES.get(kind)
        if measure is None:
            if kind not in WIDE_OTHERS:
                parsed.error(name, line, _("unknown measure %(value)r") % {"value": kind})
            continue
        measures = by_hour.setdefault(at, {})
        if measure in measures:
            parsed.error(
                name,
                line,
                _("%(kind)s of %(day)s hour %(hour)s appears twice")
                % {"kind": kind, "day": date_cell, "hour": hour_cell},
            )
            continue
        cells = row[3:]
        if PLAIN.issuperset(cells):
            values = [cell or None for cell in cells]
        else:
            values = []
            for code, cell in zip(codes, cells, strict=True):
                try:
                    values.append(_cell(cell))
                except ValueError as exc:
                    parsed.error(name, line, _("station %(code)s: %(why)s") % {"code": code, "why": exc})
                    values.append(None)
        measures[measure] = values
    for at, measures in by_hour.items():
        parsed.measures.update(measures)
        carried = list(measures)
        for code, cells in zip(codes, zip(*measures.values(), strict=True), strict=True):
            key = (code, at)
            values = dict(zip(carried, cells, strict=True))
            if key in parsed.values:
                parsed.values[key].update(values)  # a later file's hours replace an earlier one's
            else:
                parsed.values[key] = values


def _day_wrong(day: datetime.date) -> str | None:
    """Why readings of `day` cannot be imported (a day not yet over may be: its hours so far), or None. A file
    dated 2027 for 2017 was imported once, and the station page and the dashboard opened on a year not yet come."""
    try:
        date_check(day)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return None


def _not_ended(at: datetime.datetime) -> str:
    """An hour that has not ended yet has no reading: a file carrying one (a full day's file for today) would give
    today a full-day mean, and tonight a 高值少查 mark before the night began."""
    return _("the hour ending %(time)s has not ended yet") % {"time": f"{timezone.localtime(at):%Y-%m-%d %H:%M}"}


def _time(cell: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(cell.strip())
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    if moment.minute or moment.second or moment.microsecond:
        raise ValueError
    return moment


def _parse_long(name: str, rows: list[list[str]], parsed: Parsed) -> None:
    parsed.measures.update(MEASURES)
    seen: set[tuple[str, datetime.datetime]] = set()
    mine = {}
    for line, row in enumerate(rows, start=2):
        if len(row) != len(LONG_COLUMNS):
            parsed.error(name, line, _("%(n)s cells where the first row has %(m)s") % {"n": len(row), "m": 5})
            continue
        code = row[0].strip()
        if not code:
            parsed.error(name, line, _("the station code is missing"))
            continue
        try:
            at = _time(row[1])
        except ValueError:
            parsed.error(
                name, line, _("%(value)r is not the end of an hour like 2016-12-19 16:00") % {"value": row[1].strip()}
            )
            continue
        if (wrong := _day_wrong(timezone.localdate(at))) is not None:
            parsed.error(name, line, _("%(field)s: %(message)s") % {"field": row[1].strip(), "message": wrong})
            continue
        if at > timezone.now():
            parsed.error(name, line, _not_ended(at))
            continue
        if (code, at) in seen:
            parsed.error(name, line, _("station %(code)s, %(time)s appears twice") % {"code": code, "time": row[1]})
            continue
        seen.add((code, at))
        values = {}
        for measure, cell in zip(MEASURES, row[2:], strict=True):
            try:
                values[measure] = _cell(cell)
            except ValueError as exc:
                parsed.error(name, line, f"{measure}: {exc}")
        mine[(code, at)] = values
    for key, values in mine.items():
        parsed.values.setdefault(key, {}).update(values)
