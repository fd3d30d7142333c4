from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from divisions.services import LoadError, read_csv, stations_load
from households.services import households_recompute_priority_zones

DATA = Path(__file__).resolve().parents[2] / "data"


class Command(BaseCommand):
    help = (
        "Load national monitoring stations from a CSV file (code,name,city,lon,lat,reference) and "
        "recompute which households lie in a priority zone. Idempotent. Default: Zhengzhou's stations."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DATA / "zhengzhou_stations.csv"))

    def handle(self, *args, path, **options):
        try:
            result = stations_load(rows=read_csv(path))
        except (OSError, LoadError) as exc:
            raise CommandError(str(exc)) from exc
        changed = households_recompute_priority_zones()
        self.stdout.write(
            f"stations: {result.created} created, {result.updated} updated, {result.unchanged} unchanged; "
            f"{changed} households changed priority zone"
        )
