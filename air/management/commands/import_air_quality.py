"""Import national-station hourly files (or the long form) into the station readings."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from air.imports import max_bytes
from air.services import readings_import


class Command(BaseCommand):
    help = (
        "Import station readings from files of the national stations' hourly shape (date,hour,type,<station codes>, "
        "one a day) or the long form station,time,pm25,pm10,aqi; .csv, or .zip of .csv. Every file is checked first "
        "and nothing is written if any line is wrong. Idempotent: an hour already stored is replaced by the file's "
        "values and counted as changed only if they differ. Unknown station codes are reported, not imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Files (.csv or .zip) or folders of them.")

    def handle(self, *args, paths, **options):
        files = []
        for name in paths:
            path = Path(name)
            found = [path]
            if path.is_dir():
                found = sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".zip"))
            for item in found:
                if not item.is_file():
                    raise CommandError(f"No file {item}.")
                if item.stat().st_size > max_bytes():
                    raise CommandError(f"{item} is larger than {max_bytes() // 2**20} MB.")
                files.append((item.name, item.read_bytes()))
        try:
            outcome = readings_import(actor=None, files=files)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        self.stdout.write(
            f"{len(files)} files: {outcome.created} hours added, {outcome.changed} changed, "
            f"{outcome.unchanged} unchanged."
        )
        if outcome.unknown_stations:
            self.stdout.write("unknown station codes (not imported): " + ", ".join(outcome.unknown_stations))
