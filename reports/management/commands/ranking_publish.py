"""Publish (freeze) a week of a district's ranking, as a district administrator would from the page."""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from divisions.models import Division, Level
from reports.ranking import default_week, ranking_publish, week_in_range, week_monday


class Command(BaseCommand):
    help = "Publish the weekly ranking of a district (the last complete week unless --week is given)."

    def add_arguments(self, parser):
        parser.add_argument("--district", required=True, help="The district's code, e.g. 410103.")
        parser.add_argument("--week", help="Any day of the week (YYYY-MM-DD); default: the last complete week.")
        parser.add_argument("--user", required=True, help="Username of the district administrator publishing it.")

    def handle(self, *args, **options):
        district = Division.objects.filter(code=options["district"], level=Level.DISTRICT).first()
        if district is None:
            raise CommandError(f"No district with code {options['district']}.")
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']}.")
        try:
            week = week_monday(datetime.date.fromisoformat(options["week"])) if options["week"] else default_week()
        except ValueError as exc:
            raise CommandError("--week is a date, YYYY-MM-DD.") from exc
        if not week_in_range(week):
            raise CommandError(f"No ranking for the week of {options['week']}.")
        try:
            published = ranking_publish(actor=user, district=district, week_start=week)
        except PermissionDenied as exc:
            raise CommandError(f"{user} is not an administrator of {district}.") from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Published {district.name} week of {week:%Y-%m-%d}: {published.rows.count()} communities.")
