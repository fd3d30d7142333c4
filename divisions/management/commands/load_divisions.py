from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from divisions.services import LoadError, divisions_load, read_csv

DATA = Path(__file__).resolve().parents[2] / "data"


class Command(BaseCommand):
    help = (
        "Load administrative divisions from a CSV file (code,name,level,parent_code). "
        "Idempotent: units are matched by code, renamed units are updated. Default: 二七区."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            default=str(DATA / "erqi_divisions.csv"),
            help="CSV file to load; 'henan' loads the whole of Henan province shipped with the project.",
        )

    def handle(self, *args, path, **options):
        if path == "henan":
            path = str(DATA / "henan_divisions.csv")
        try:
            result = divisions_load(rows=read_csv(path))
        except (OSError, LoadError) as exc:
            raise CommandError(str(exc)) from exc
        for warning in result.warnings[:20]:
            self.stderr.write(warning)
        self.stdout.write(
            f"divisions: {result.created} created, {result.updated} updated, {result.unchanged} unchanged"
        )
