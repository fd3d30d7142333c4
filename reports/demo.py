"""Demo rankings and ledgers for `manage.py load_demo`: a published ranking week and a withdrawn one, a ledger
ready to download and one whose file has expired. Written through the services, once."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from divisions.models import Division

from .ledgers import ledger_request, ledger_run, ledgers_expire
from .models import LedgerExport, RankingWeek
from .ranking import default_week, ranking_publish, ranking_withdraw


def demo_rankings(*, users: dict) -> int:
    """The last complete week published; the week before it published, then withdrawn for a mistake."""
    if RankingWeek.objects.exists():
        return 0
    admin, district = users["qu_admin"], Division.objects.get(code="410103")
    last_week = default_week()
    mistaken = ranking_publish(actor=admin, district=district, week_start=last_week - datetime.timedelta(days=7))
    ranking_withdraw(actor=admin, week=mistaken, reason="演示：部分社区夜查记录漏录，补录后重新排名")
    ranking_publish(actor=admin, district=district, week_start=last_week)
    return 2


def demo_ledgers(*, users: dict) -> int:
    """五里堡's ledger of the last fortnight, built twice: the first one's file since expired."""
    requester = users["wulibao_admin"]
    if LedgerExport.objects.filter(requested_by=requester).exists():
        return 0
    wulibao, today = Division.objects.get(code="410103006"), timezone.localdate()
    for n in range(2):
        export = ledger_request(
            actor=requester,
            division=wulibao,
            start=today - datetime.timedelta(days=14),
            end=today - datetime.timedelta(days=1),
            sheets=list(LedgerExport.Sheet.values),
        )
        ledger_run(export_id=export.pk)  # built here; the task queued on commit finds it done
        if n == 0:
            # Built long enough ago to have passed its keeping time (set directly: no service back-dates a build),
            # then housekeeping as beat runs it, on the real clock, so no other ledger is touched.
            LedgerExport.objects.filter(pk=export.pk).update(
                finished_at=timezone.now() - datetime.timedelta(days=settings.LEDGER_KEEP_DAYS, hours=1)
            )
            ledgers_expire()
    return 2
