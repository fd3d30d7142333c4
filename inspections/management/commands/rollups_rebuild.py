"""Recompute the rollups (visits per community and day/week, households per community) and when each household
was last seen inside from the records.

The services keep them current as records are written; run this after writing visits or households any
other way (an import, a restore of part of a database, the benchmark's generator).
"""

import time

from django.core.management.base import BaseCommand

from households.services import register_counts_rebuild
from inspections.rollups import rollups_rebuild
from inspections.services import households_last_seen_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the daily/weekly visit rollups, the household counts per community and when each household "
        "was last seen inside from the records."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--division", action="append", help="Only the communities under this code (repeatable); default: all."
        )

    def handle(self, *args, **options):
        codes = options["division"] or None
        started = time.perf_counter()
        daily, weekly = rollups_rebuild(codes)
        communities = register_counts_rebuild(codes)
        seen = households_last_seen_rebuild(codes)
        self.stdout.write(
            f"{daily} daily and {weekly} weekly rows, {communities} communities' household counts, "
            f"{seen} households' last seen inside "
            f"in {time.perf_counter() - started:.1f} s"
        )
