"""Ledger exports (台账) pages: the user's own exports with a form to ask for one, an export's page, its status
as JSON (the list page polls it while anything is being built) and the download.

An export is seen only by the user who asked for it, while its unit is in their jurisdiction
(`LedgerExport.objects.visible_to`); anyone else gets 404 for every page of it.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from coalgov.downloads import audit_download
from divisions.scoping import grants

from .forms import LedgerForm
from .ledgers import ledger_filename, ledger_path, ledger_request
from .models import LedgerExport

SHOWN = 30  # the newest exports listed
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _mine(request):
    return LedgerExport.objects.visible_to(request.user).select_related("division")


def _initial(request) -> dict:
    today = timezone.localdate()
    initial = {"start": today.replace(day=1), "end": today, "sheets": list(LedgerExport.Sheet.values)}
    # The unit asked for (from a unit page), else the user's own; the form offers only units they may view.
    mine = grants(request.user)
    unit = request.GET.get("unit") or (mine[0].code if mine else None)
    if unit:
        initial["unit"] = unit[:20]
    return initial


@login_required
def ledger_list(request):
    user = request.user
    if request.method == "POST":
        form = LedgerForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ledger_request(
                    actor=user, division=data["unit"], start=data["start"], end=data["end"], sheets=data["sheets"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, _("The ledger is being prepared. It can be downloaded from this page when it is ready.")
                )
                return redirect("reports:ledgers")
    else:
        form = LedgerForm(initial=_initial(request), user=user)
    exports = list(_mine(request)[:SHOWN])
    return render(
        request,
        "reports/ledgers.html",
        {
            "form": form,
            "exports": exports,
            "pending": any(e.is_pending for e in exports),
            "keep_days": settings.LEDGER_KEEP_DAYS,
        },
    )


@login_required
def ledger_detail(request, pk: int):
    export = get_object_or_404(_mine(request), pk=pk)
    expires = None
    if export.status == LedgerExport.Status.DONE and export.finished_at:
        expires = export.finished_at + datetime.timedelta(days=settings.LEDGER_KEEP_DAYS)
    return render(request, "reports/ledger_detail.html", {"export": export, "expires": expires})


def status_of(export: LedgerExport) -> dict:
    return {
        "id": export.pk,
        "status": export.status,
        "status_label": str(export.get_status_display()),
        "rows_done": export.rows_done,
        "rows_total": export.rows_total,
        "percent": export.percent,
        "pending": export.is_pending,
        "error": export.error,
        "download_url": reverse("reports:ledger-download", args=[export.pk])
        if export.status == LedgerExport.Status.DONE
        else None,
    }


@login_required
def ledger_status(request, pk: int):
    export = get_object_or_404(_mine(request), pk=pk)
    response = JsonResponse(status_of(export))
    response["Cache-Control"] = "no-cache"
    return response


@login_required
def ledger_download(request, pk: int):
    export = get_object_or_404(_mine(request), pk=pk)
    path = ledger_path(export)
    if path is None:
        raise Http404
    name = ledger_filename(export)
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=XLSX)
    audit_download(actor=request.user, obj=export, file=name, division_code=export.division_code)
    response["Cache-Control"] = "private"
    return response
