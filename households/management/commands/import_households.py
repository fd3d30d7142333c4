"""Register households from a spreadsheet (.xlsx or .csv), as the district office's first load of its register."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from households.imports import HEADERS, households_import


class Command(BaseCommand):
    help = (
        "Register the households of a .xlsx (first sheet) or UTF-8 .csv file. The first row names the columns: "
        + "、".join(sorted({name for name in HEADERS if not name.isascii()}))
        + " (or the field names). Every row is checked first; nothing is written if any row is wrong. "
        "Addresses already registered in their community are skipped, so a second run registers nobody twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The .xlsx or .csv file.")
        parser.add_argument("--user", required=True, help="Username of the person importing (needs entry rights).")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and write nothing.")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']}.")
        try:
            result = households_import(actor=user, path=path, dry_run=options["dry_run"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for error in result.errors:
            self.stderr.write(error)
        if result.error_count:
            raise CommandError(
                f"{result.error_count} of {result.rows} rows are wrong (the first {len(result.errors)} listed above); "
                "nothing was registered."
            )
        verb = "would register" if options["dry_run"] else "registered"
        self.stdout.write(
            f"{result.rows} rows: {verb} {result.created}, {result.skipped} already registered (skipped)."
        )
        if result.preview:  # a file with 编号: rows that change registered households (no preview here: --dry-run)
            change, void = ("would change", "would void") if options["dry_run"] else ("changed", "voided")
            self.stdout.write(f"{change} {result.updated}, {void} {result.voided}, {result.unchanged} unchanged.")
