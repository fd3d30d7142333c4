import datetime

from django.core.management.base import BaseCommand, CommandError

from digests import robots, services
from digests.models import Channel
from digests.selectors import digest_text, split_parts, yesterday
from divisions.models import Division


class Command(BaseCommand):
    help = (
        "Build the daily supervision digest for a date and send it to every active channel (or one division's). "
        "Sending twice posts nothing new: each (date, channel) is delivered once. --dry-run prints the digest "
        "and how it would be split, and sends nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD; default yesterday (Asia/Shanghai)")
        parser.add_argument("--division", help="the national code of one division")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, date=None, division=None, dry_run=False, **options):
        try:
            day = datetime.date.fromisoformat(date) if date else yesterday()
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from exc
        unit = None
        if division:
            unit = Division.objects.filter(code=division).first()
            if unit is None:
                raise CommandError(f"no division with code {division}")
        if dry_run:
            units = [unit] if unit else Division.objects.filter(digest_channels__is_active=True).distinct()
            for each in units:
                text = digest_text(each, day)
                self.stdout.write(text)
                for kind in sorted({c.kind for c in Channel.objects.filter(division=each, is_active=True)}):
                    parts = split_parts(text, robots.MESSAGE_LIMITS[kind])
                    self.stdout.write(f"-- {kind}: {len(parts)} part(s), {[len(p.encode()) for p in parts]} bytes")
            return
        for delivery in services.deliveries_prepare(date=day, division=unit):
            try:
                status = services.delivery_send(delivery_id=delivery.pk)
            except robots.Retryable as exc:
                status = f"retrying later ({exc}); the worker will resume it"
                from digests.tasks import deliver

                deliver.apply_async((delivery.pk,), countdown=60)
            self.stdout.write(f"{delivery.channel}: {status}")
