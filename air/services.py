"""Writing station readings: every import (upload, command, scheduled pull) goes through `readings_import`.

One transaction: the files are parsed whole first and nothing is written if any line is wrong. Stations are
matched by code; codes not in the station list are reported, never guessed. An hour already stored is replaced
by the file's values for the measures the file carries (a corrected file), and counted as changed only if a
value differs, so a day imported twice is stored once and says "0 changed". On PostgreSQL the hours go in by COPY
(straight into the table when nothing of theirs is stored yet, else through a temporary table, one UPDATE of the
changed hours and one INSERT of the new); other databases take `bulk_create(update_conflicts=True)` of the new and
changed hours. A year of every Zhengzhou station is 105,120 rows (bench/bench_air_import.py).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from coalgov.audit import audit_record
from divisions.models import MonitoringStation
from divisions.scoping import entry_codes

from .imports import MEASURES, parse, unpack
from .models import Reading, ReadingImport

BATCH = 5000
NULL = "\\N"  # COPY's text format for a missing value


@dataclass
class ImportOutcome:
    record: ReadingImport | None
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    unknown_stations: list[str] = field(default_factory=list)


def readings_import(
    *, actor, files: list[tuple[str, bytes]], source: str = ReadingImport.Source.COMMAND
) -> ImportOutcome:
    """Import station files (name, content): .csv or .zip of .csv. Raises ValidationError (every error, with file
    and line) and writes nothing if any file is wrong, unreadable, too large or a zip bomb."""
    unpacked = [item for name, content in files for item in unpack(name, content)]
    parsed = parse(unpacked)
    if parsed.error_count:
        errors = list(parsed.errors)
        if parsed.error_count > len(errors):
            errors.append(f"… ({parsed.error_count})")
        raise ValidationError(errors)
    stations = dict(MonitoringStation.objects.values_list("code", "pk"))
    unknown = sorted({code for code, _at in parsed.values if code not in stations})
    wanted = {(stations[code], at): values for (code, at), values in parsed.values.items() if code in stations}
    measures = sorted(parsed.measures)
    outcome = ImportOutcome(record=None, unknown_stations=unknown)
    hours = [at for _station, at in wanted]
    with transaction.atomic():
        upsert = _upsert_copy if connection.vendor == "postgresql" else _upsert_bulk_create
        outcome.created, outcome.changed = upsert(wanted, measures) if wanted else (0, 0)
        outcome.unchanged = len(wanted) - outcome.created - outcome.changed
        names = "、".join(name for name, _content in files)
        record = ReadingImport.objects.create(
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            source=source,
            names=names[:500],
            first_hour=min(hours) if wanted else None,
            last_hour=max(hours) if wanted else None,
            created=outcome.created,
            changed=outcome.changed,
            unchanged=outcome.unchanged,
            unknown_stations=unknown,
        )
        codes = entry_codes(actor, "station") if getattr(actor, "is_authenticated", False) else None
        audit_record(
            actor=actor,
            action="air.readings_imported",
            obj=record,
            division_code=codes[0] if codes else "",
            changes={"created": [None, outcome.created], "changed": [None, outcome.changed]},
        )
    outcome.record = record
    return outcome


def _copy_text(wanted: dict, *, imported_at: str | None = None) -> io.StringIO:
    """The hours as COPY's text format, one line per station-hour: the parsed cells are already the numbers' text,
    and each hour's timestamp is written once however many stations share it."""
    stamps: dict = {}
    tail = f"\t{imported_at}\n" if imported_at else "\n"
    lines = []
    for (station, at), values in wanted.items():
        stamp = stamps.get(at)
        if stamp is None:
            stamp = stamps[at] = at.isoformat()
        pm25, pm10, aqi = values.get("pm25"), values.get("pm10"), values.get("aqi")
        lines.append(
            f"{station}\t{stamp}\t{NULL if pm25 is None else pm25}\t{NULL if pm10 is None else pm10}"
            f"\t{NULL if aqi is None else aqi}{tail}"
        )
    return io.StringIO("".join(lines))


def _upsert_copy(wanted: dict, measures: list[str]) -> tuple[int, int]:
    """PostgreSQL: COPY, with no row written twice and no unchanged hour written at all.

    Imports take the table's write lock (SHARE ROW EXCLUSIVE: readers go on, a second import waits), so what this
    one finds stored stays so until it commits. Hours of a period and stations with nothing stored yet (a new year,
    a new day from the scheduled pull) are COPY'd straight into the table. Otherwise the hours go into a temporary
    table; one UPDATE … FROM rewrites the stored hours where a carried measure IS DISTINCT FROM the file's, and one
    INSERT … WHERE NOT EXISTS adds the new ones. An earlier version sent every hour through
    INSERT … ON CONFLICT DO UPDATE: PostgreSQL's speculative insertion of each row, plus a second index on the
    station kept beside the unique one, made a year's import into an empty table take 5 s on an idle machine
    (bench/bench_air_import.py)."""
    hours = [at for _station, at in wanted]
    stations = sorted({station for station, _at in wanted})
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE air_reading IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM air_reading WHERE station_id = ANY(%s) AND hour_ending BETWEEN %s AND %s)",
            [stations, min(hours), max(hours)],
        )
        if not cursor.fetchone()[0]:
            cursor.copy_expert(
                f"COPY air_reading (station_id, hour_ending, {', '.join(MEASURES)}, imported_at) FROM STDIN",
                _copy_text(wanted, imported_at=now.isoformat()),
            )
            return len(wanted), 0
        cursor.execute("DROP TABLE IF EXISTS air_incoming")
        cursor.execute(
            "CREATE TEMPORARY TABLE air_incoming (station_id bigint, hour_ending timestamptz, pm25 numeric(7, 1), "
            "pm10 numeric(7, 1), aqi numeric(7, 1)) ON COMMIT DROP"
        )
        cursor.copy_expert(
            f"COPY air_incoming (station_id, hour_ending, {', '.join(MEASURES)}) FROM STDIN", _copy_text(wanted)
        )
        cursor.execute("ANALYZE air_incoming")  # a temporary table has no statistics: the joins below need them
        updated = ", ".join(f"{m} = i.{m}" for m in measures)
        differs = " OR ".join(f"r.{m} IS DISTINCT FROM i.{m}" for m in measures)
        cursor.execute(
            f"""UPDATE air_reading AS r SET {updated}, imported_at = %s FROM air_incoming AS i
            WHERE r.station_id = i.station_id AND r.hour_ending = i.hour_ending AND ({differs})""",
            [now],
        )
        changed = cursor.rowcount
        cursor.execute(
            f"""INSERT INTO air_reading (station_id, hour_ending, {", ".join(MEASURES)}, imported_at)
            SELECT i.station_id, i.hour_ending, i.pm25, i.pm10, i.aqi, %s FROM air_incoming AS i
            WHERE NOT EXISTS (
                SELECT 1 FROM air_reading AS r WHERE r.station_id = i.station_id AND r.hour_ending = i.hour_ending
            )""",
            [now],
        )
        created = cursor.rowcount
        cursor.execute("DROP TABLE air_incoming")
    return created, changed


def _upsert_bulk_create(wanted: dict, measures: list[str]) -> tuple[int, int]:
    """Any other database (SQLite for `make run`): compare with the stored hours, then bulk_create the new and
    changed ones with update_conflicts=True (INSERT … ON CONFLICT DO UPDATE), in batches."""
    hours = [at for _station, at in wanted]
    rows = Reading.objects.filter(
        station_id__in={station for station, _at in wanted}, hour_ending__gte=min(hours), hour_ending__lte=max(hours)
    ).values_list("station_id", "hour_ending", *measures)
    existing = {(row[0], row[1]): dict(zip(measures, row[2:], strict=True)) for row in rows}
    created = changed = 0
    writes = []
    for key, values in wanted.items():
        before = existing.get(key)
        if before is None:
            created += 1
        elif all(_same(before.get(m), values.get(m)) for m in measures):
            continue
        else:
            changed += 1
        writes.append(Reading(station_id=key[0], hour_ending=key[1], **{m: values.get(m) for m in measures}))
    Reading.objects.bulk_create(
        writes,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["station", "hour_ending"],
        update_fields=[*measures, "imported_at"],
    )
    return created, changed


def _same(old: Decimal | None, new: Decimal | None) -> bool:
    return (old is None and new is None) or (old is not None and new is not None and Decimal(old) == Decimal(new))
