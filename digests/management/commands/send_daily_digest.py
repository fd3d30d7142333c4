import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coalgov.dates import date_check
from digests import robots, services
from digests.models import Channel, Delivery, Digest
from digests.selectors import digest_text, yesterday
from divisions.models import Division


class Command(BaseCommand):
    def create_parser(self, prog_name, subcommand, **kwargs):
        # argparse takes plain strings: the help is translated here, when the command runs.
        self.help = _(
            "Build the daily supervision digest for a date and send it to every active channel (or one division's). "
            "Sending twice posts nothing new: each (date, channel) is delivered once. --dry-run prints every "
            "message each channel would get, exactly as it would be posted (the signature left out), and sends "
            "nothing."
        )
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--date", help=_("YYYY-MM-DD, yesterday or before; default yesterday (Asia/Shanghai)"))
        parser.add_argument("--division", help=_("the national code of one division"))
        parser.add_argument("--dry-run", action="store_true", help=_("print the messages, send nothing"))

    def handle(self, *args, date=None, division=None, dry_run=False, **options):
        day = self.day(date)
        unit = None
        if division:
            unit = Division.objects.filter(code=division).first()
            if unit is None:
                raise CommandError(_("No division with the code %(code)s.") % {"code": division})
        if dry_run:
            self.dry_run(day, unit)
            return
        for delivery in services.deliveries_prepare(date=day, division=unit):
            try:
                status = services.delivery_send(delivery_id=delivery.pk)
            except robots.Retryable as exc:
                from digests.tasks import deliver

                # The same wait as the worker's: after a rate limit, the robot's window (DingTalk: 10 minutes).
                countdown = services.retry_countdown(exc, delivery.channel.kind, 0)
                services.delivery_retry_scheduled(delivery_id=delivery.pk, countdown=countdown)
                deliver.apply_async((delivery.pk,), countdown=countdown)
                status = _("will retry in %(seconds)s s (%(reason)s); the worker will resume it") % {
                    "seconds": countdown,
                    "reason": robots.describe(exc.reason, exc.detail, delivery.channel.kind),
                }
            else:
                delivery.refresh_from_db()
                if status == Delivery.Status.STOPPED:
                    status = f"{delivery.get_status_display()}: {delivery.error_text}"
                else:
                    status = Delivery.Status(status).label if status in Delivery.Status.values else status
            self.stdout.write(f"{delivery.channel}: {status}")

    def day(self, date: str | None) -> datetime.date:
        """The digest's date: a day that is over (yesterday or before), no earlier than the project's dates go.
        Today's or a future digest would be sent once per (date, channel) and block the real one."""
        if not date:
            return yesterday()
        try:
            day = datetime.date.fromisoformat(date)
        except ValueError as exc:
            raise CommandError(
                _("--date must be a date that exists, as YYYY-MM-DD, not %(value)r.") % {"value": date}
            ) from exc
        try:
            date_check(day)
        except ValidationError as exc:
            raise CommandError(f"--date {date}: {' '.join(exc.messages)}") from exc
        if day >= timezone.localdate():
            raise CommandError(
                _("--date %(date)s: a day's digest is sent once the day is over; the latest is %(yesterday)s.")
                % {"date": date, "yesterday": yesterday()}
            )
        return day

    def dry_run(self, day: datetime.date, unit: Division | None) -> None:
        channels = Channel.objects.filter(is_active=True).select_related("division").order_by("division_code", "pk")
        if unit is not None:
            channels = channels.filter(division=unit)
        if not channels:
            if unit is None:
                self.stdout.write(_("No active channel: nothing would be sent."))
                self.stdout.write(
                    _("To print a unit's digest, give its code: %(command)s")
                    % {"command": f"send_daily_digest --dry-run --division CODE --date {day}"}
                )
                return
            self.stdout.write(
                _("No active channel for %(unit)s: nothing would be sent.") % {"unit": f"{unit.code} {unit.name}"}
            )
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
            count = ngettext("%(n)s message", "%(n)s messages", len(parts)) % {"n": len(parts)}
            self.stdout.write(f"== {channel} → {channel.division.name} {day}: {count}")
            for number, text in enumerate(parts, start=1):
                size, limit, body = robots.preview(robot, text, title=title, part=number, parts=len(parts))
                self.stdout.write(
                    f"-- {channel.kind} {number}/{len(parts)}: "
                    + _("%(size)s of %(limit)s bytes") % {"size": size, "limit": limit}
                )
                self.stdout.write(body)
