"""Writing station readings: every import (upload, command, scheduled pull) goes through `readings_import`.

One transaction: the files are parsed whole first and nothing is written if any line is wrong. Stations are
matched by code; codes not in the station list are reported, never guessed. An hour already stored is replaced
by the file's values for the measures the file carries (a corrected file), and counted as changed only if a
value differs, so a day imported twice is stored once and says "0 changed". The write is one bulk upsert
(PostgreSQL INSERT … ON CONFLICT DO UPDATE, `bulk_create(update_conflicts=True)`) of only the new and changed
hours: a year of every Zhengzhou station is about 105,000 rows (bench/bench_air_import.py).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from coalgov.audit import audit_record
from divisions.models import MonitoringStation
from divisions.scoping import entry_codes

from .imports import parse, unpack
from .models import Reading, ReadingImport

BATCH = 5000


@dataclass
class ImportOutcome:
    record: ReadingImport | None
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    unknown_stations: list[str] = field(default_factory=list)
    days: list[datetime.date] = field(default_factory=list)


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
    if wanted:
        hours = [at for _station, at in wanted]
        outcome.days = sorted({at.astimezone(datetime.UTC).date() for at in hours})
    with transaction.atomic():
        existing = {}
        if wanted:
            first, last = min(hours), max(hours)
            rows = Reading.objects.filter(
                station_id__in={station for station, _at in wanted}, hour_ending__gte=first, hour_ending__lte=last
            ).values_list("station_id", "hour_ending", *measures)
            existing = {(row[0], row[1]): dict(zip(measures, row[2:], strict=True)) for row in rows}
        writes = []
        for key, values in wanted.items():
            before = existing.get(key)
            if before is None:
                outcome.created += 1
            elif all(_same(before.get(m), values.get(m)) for m in measures):
                outcome.unchanged += 1
                continue
            else:
                outcome.changed += 1
            writes.append(Reading(station_id=key[0], hour_ending=key[1], **{m: values.get(m) for m in measures}))
        Reading.objects.bulk_create(
            writes,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["station", "hour_ending"],
            update_fields=[*measures, "imported_at"],
        )
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


def _same(old: Decimal | None, new: Decimal | None) -> bool:
    return (old is None and new is None) or (old is not None and new is not None and Decimal(old) == Decimal(new))
