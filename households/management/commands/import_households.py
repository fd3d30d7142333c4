"""Register households from a spreadsheet (.xlsx or .csv), as the district office's first load of its register."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from divisions.scoping import may_enter_somewhere
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
        # Said in the site's language (Chinese), like the rows' own errors the import gives.
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(_("No file %(path)s.") % {"path": path})
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(_("No user %(user)s.") % {"user": options["user"]})
        if not may_enter_somewhere(user, "household"):
            # As the import page refuses them, not row by row as if each row lay outside their jurisdiction.
            raise CommandError(_("%(user)s may not register households.") % {"user": user.get_username()})
        dry_run = options["dry_run"]
        try:
            result = households_import(actor=user, path=path, dry_run=dry_run)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for error in result.errors:
            self.stderr.write(error)
        if result.error_count:
            raise CommandError(
                _("%(wrong)s of %(rows)s rows are wrong (the first %(listed)s listed above); nothing was registered.")
                % {"wrong": result.error_count, "rows": result.rows, "listed": len(result.errors)}
            )
        counts = {"rows": result.rows, "created": result.created, "skipped": result.skipped}
        if dry_run:
            self.stdout.write(_("%(rows)s rows: would register %(created)s, %(skipped)s already registered.") % counts)
        else:
            self.stdout.write(_("%(rows)s rows: registered %(created)s, %(skipped)s already registered.") % counts)
        if result.preview:  # a file with 编号: rows that change registered households (no preview here: --dry-run)
            counts = {"updated": result.updated, "voided": result.voided, "unchanged": result.unchanged}
            if dry_run:
                self.stdout.write(
                    _("Would change %(updated)s, would void %(voided)s, %(unchanged)s unchanged.") % counts
                )
            else:
                self.stdout.write(_("Changed %(updated)s, voided %(voided)s, %(unchanged)s unchanged.") % counts)
