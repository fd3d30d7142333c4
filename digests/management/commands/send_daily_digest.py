import datetime

from django.core.management.base import BaseCommand, CommandError

from digests import robots, services
from digests.models import Channel, Digest
from digests.selectors import digest_text, yesterday
from divisions.models import Division


class Command(BaseCommand):
    help = (
        "Build the daily supervision digest for a date and send it to every active channel (or one division's). "
        "Sending twice posts nothing new: each (date, channel) is delivered once. --dry-run prints every message "
        "each channel would get, exactly as it would be posted (the signature left out), and sends nothing."
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
            self.dry_run(day, unit)
            return
        for delivery in services.deliveries_prepare(date=day, division=unit):
            try:
                status = services.delivery_send(delivery_id=delivery.pk)
            except robots.Retryable as exc:
                from digests.tasks import deliver

                # The same wait as the worker's: after a rate limit, the robot's window (DingTalk: 10 minutes).
                countdown = robots.retry_countdown(
                    delivery.channel.kind, 0, rate_limited=isinstance(exc, robots.RateLimited)
                )
                services.delivery_retry_scheduled(delivery_id=delivery.pk, countdown=countdown)
                deliver.apply_async((delivery.pk,), countdown=countdown)
                status = f"retrying in {countdown} s ({exc}); the worker will resume it"
            self.stdout.write(f"{delivery.channel}: {status}")

    def dry_run(self, day: datetime.date, unit: Division | None) -> None:
        channels = Channel.objects.filter(is_active=True).select_related("division").order_by("division_code", "pk")
        if unit is not None:
            channels = channels.filter(division=unit)
        if not channels:
            where = f" for {unit.code} {unit.name}" if unit else ""
            self.stdout.write(f"No active channel{where}: nothing would be sent.")
            if unit is None:
                self.stdout.write(
                    f"To print a unit's digest, give its code: send_daily_digest --dry-run --division CODE --date {day}"
                )
                return
            self.stdout.write(digest_text(unit, day))
            return
        digests: dict[int, Digest] = {}
        for channel in channels:
            digest = digests.get(channel.division_id)
            if digest is None:
                # The stored digest if it was built (it is sent as built), else what would be built now.
                digest = Digest.objects.filter(division=channel.division, date=day).first() or Digest(
                    division=channel.division, date=day, text=digest_text(channel.division, day)
                )
                digests[channel.division_id] = digest
            robot, title = services.robot_for(channel), services.digest_title(digest)
            parts = services.digest_parts(digest, channel)
            self.stdout.write(f"== {channel} → {channel.division.name} {day}: {len(parts)} message(s)")
            for number, text in enumerate(parts, start=1):
                size, limit, body = robots.preview(robot, text, title=title, part=number, parts=len(parts))
                self.stdout.write(f"-- {channel.kind} {number}/{len(parts)}: {size} of {limit} bytes")
                self.stdout.write(body)
