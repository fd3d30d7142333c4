"""Writing station readings: every import (upload, command, scheduled pull) goes through `readings_import`.

One transaction: the files are parsed whole first and nothing is written if any line is wrong. Stations are
matched by code; codes not in the station list are reported, never guessed. An hour already stored is replaced
by the file's values for the measures the file carries (a corrected file), and counted as changed only if a
value differs, so a day imported twice is stored once and says "0 changed". The write is one bulk upsert
(PostgreSQL INSERT … ON CONFLICT DO UPDATE … WHERE a value differs, fed by COPY; `bulk_create(update_conflicts=True)`
on other databases) of only the new and changed hours: a year of every Zhengzhou station is 105,120 rows
(bench/bench_air_import.py).
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


def _upsert_copy(wanted: dict, measures: list[str]) -> tuple[int, int]:
    """PostgreSQL: COPY the hours into a temporary table, then one INSERT … ON CONFLICT DO UPDATE that rewrites an
    existing hour only where a carried measure IS DISTINCT FROM the file's (so an unchanged hour is not written),
    counting inserted rows (xmax = 0) and updated ones. Django's bulk_create(update_conflicts=True) does the same
    upsert but prepares each of a year's 500,000 values in Python: a minute on a busy machine instead of seconds
    (bench/bench_air_import.py)."""
    buffer = io.StringIO()
    for (station, at), values in wanted.items():
        cells = ["\\N" if values.get(m) is None else str(values[m]) for m in MEASURES]
        buffer.write(f"{station}\t{at.isoformat()}\t" + "\t".join(cells) + "\n")
    buffer.seek(0)
    updated = ", ".join(f"{m} = EXCLUDED.{m}" for m in measures)
    differs = " OR ".join(f"r.{m} IS DISTINCT FROM EXCLUDED.{m}" for m in measures)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS air_incoming")
        cursor.execute(
            "CREATE TEMPORARY TABLE air_incoming (station_id bigint, hour_ending timestamptz, pm25 numeric, "
            "pm10 numeric, aqi numeric) ON COMMIT DROP"
        )
        cursor.copy_expert(f"COPY air_incoming (station_id, hour_ending, {', '.join(MEASURES)}) FROM STDIN", buffer)
        cursor.execute(
            f"""WITH written AS (
                INSERT INTO air_reading AS r (station_id, hour_ending, pm25, pm10, aqi, imported_at)
                SELECT station_id, hour_ending, pm25, pm10, aqi, %s FROM air_incoming
                ON CONFLICT (station_id, hour_ending) DO UPDATE SET {updated}, imported_at = EXCLUDED.imported_at
                WHERE {differs}
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written""",
            [timezone.now()],
        )
        created, changed = cursor.fetchone()
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
