"""Register pages: thin — scope, filter, validate, call the service."""

import datetime
import tempfile
from html import escape
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView

from cases.models import Case
from coalgov.audit import readable_changes
from coalgov.filters import filter_field_html
from coalgov.models import AuditEvent
from coalgov.views import ScopedFilterView, ScopedMixin
from divisions.scoping import can_enter, can_view, mask_phone, may_enter_somewhere, sees_phone
from inspections.models import Ban, Conversion, Inspection, Purchase, Seizure
from inspections.services import BAN_PLACES

from . import services
from .filtersets import HouseholdFilterSet
from .forms import HouseholdForm, ImportForm, VoidForm
from .imports import edits_households, households_import, import_size_check
from .jobs import (
    goes_to_background,
    import_awaits_confirmation,
    import_confirm,
    import_request,
    import_run,
    rows_written,
)
from .models import Household, HouseholdImport

RECENT_IMPORTS = 10  # the user's own background imports listed on the import page


def _shown_phone(user, household: Household) -> str:
    if not household.phone or sees_phone(user, household.division_code):
        return household.phone
    return mask_phone(household.phone)


# The audit log keeps a moment as ISO text in UTC (household_void's 作废时间): shown in local time, as the page
# shows every other time.
MOMENTS = {"voided_at"}


def _local_moment(value: str) -> str:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_naive(moment):
        return value
    return dateformat.format(timezone.localtime(moment), "Y-m-d H:i:s")


def _history(household: Household, user) -> list[dict]:
    """The household's audit events, readable; phone numbers masked for those who see them masked.

    A household registered by an import has no entry of its own for it: the import's one entry (who, when, which
    file) is its registration, shown with its file only (how many others the import registered, and where, is not
    this household's history). Households registered otherwise, or by an import of before, have their own."""
    hide_phone = not sees_phone(user, household.division_code)

    def hide(field, value):
        if field in MOMENTS and isinstance(value, str) and value:
            return _local_moment(value)
        return mask_phone(value) if hide_phone and field == "phone" and value else value

    own = AuditEvent.objects.for_object(household)
    if household.import_event_id is not None:
        own = own | AuditEvent.objects.filter(pk=household.import_event_id)
    history = []
    for event in own.select_related("actor"):
        changes = event.changes
        if event.pk == household.import_event_id:
            changes = {"download_file": changes.get("download_file", [None, ""])}
        history.append({"event": event, "changes": readable_changes(Household, changes, hide=hide)})
    return history


def _households():
    return Household.objects.select_related("division", "division__parent", "priority_station")


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP rows: a district's list (a million households) must not COUNT(*) them all on
    every page, nor walk an OFFSET of hundreds of thousands. Past the cap the page says "more than N" and offers
    the first N; the filters narrow the list to the rest."""

    COUNT_CAP = 10_000
    capped = False

    def __init__(self, object_list, per_page, *args, rows=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.rows = rows  # the list's rows before any condition, related rows selected: a page's are read by id

    @cached_property
    def count(self) -> int:
        counted = self.object_list[: self.COUNT_CAP + 1].count()  # COUNT(*) over a LIMITed subquery
        self.capped = counted > self.COUNT_CAP
        return min(counted, self.COUNT_CAP)

    def page(self, number):
        """A page's ids are found first, then those rows alone are read by id (a deferred join, one query).

        The ids come from an index holding every column the list's conditions read (household_unit_newest: the
        unit's code, id, voided_at), so the rows before the page (4,950 on a community's page 100) and, for a
        unit listed by its code's prefix, the unit's rows sorted to find the newest are index entries only; an
        OFFSET or a sort over the full rows would fetch each of them from the table to throw it away. The rows
        are then read by id alone: repeating the conditions would let PostgreSQL, which cannot estimate how many
        rows a code's prefix matches, scan the unit again instead. The same rows in the same order: the ids are
        chosen by the list's own conditions and ordering, and their rows are read back in that ordering."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = self.object_list.values("pk")[bottom:top]
        query = self.object_list.query
        if self.rows is None or query.annotation_select:
            # Ordered by a computed value (the nearest first): the rows must carry it, so keep the conditions.
            rows = self.object_list.filter(pk__in=ids)
        else:
            rows = self.rows.filter(pk__in=ids)
            if query.order_by:  # else the model's own ordering, as the list's
                rows = rows.order_by(*query.order_by)
        return self._get_page(rows, number, self)


class HouseholdListView(ScopedFilterView):
    queryset = _households()
    filterset_class = HouseholdFilterSet
    template_name = "households/household_list.html"
    paginator_class = CappedPaginator

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        return super().get_paginator(
            queryset, per_page, orphans=orphans, allow_empty_first_page=allow_empty_first_page, rows=_households()
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        for household in context["object_list"]:
            household.shown_phone = _shown_phone(user, household)
        context["household_rows"] = household_rows_html(context["object_list"])
        context["filter_fields"] = [filter_field_html(field) for field in context["filter"].form]
        context["can_create"] = may_enter_somewhere(user, "household")
        return context


# The register's flags, each a badge: (the household's attribute, the badge's colour, its text).
FLAG_BADGES = (
    ("in_priority_zone", "text-bg-danger", gettext_lazy("Priority zone")),
    ("unmanaged", "text-bg-secondary", gettext_lazy("Unmanaged")),
    ("no_gas_or_heating", "text-bg-secondary", gettext_lazy("No gas/heating")),
    ("is_vulnerable", "text-bg-warning", gettext_lazy("Vulnerable")),
    ("is_voided", "text-bg-dark", gettext_lazy("Voided")),
)
COAL_STATUS_BADGES = {"found": "text-bg-danger", "cleared": "text-bg-success"}


def household_rows_html(households) -> str:
    """The register's table body, a row per household (its `shown_phone` set). Built here, not by the template:
    the template language's lookups and translations, fifty rows of seven cells, were a third of the page's time
    (docs/households.md). Every text from the records is escaped here, once."""
    detail = reverse("households:detail", args=[0]).removesuffix("0/")
    kinds = {value: escape(str(label)) for value, label in Household._meta.get_field("kind").flatchoices}
    statuses = {value: escape(str(label)) for value, label in Household._meta.get_field("coal_status").flatchoices}
    flags = [(name, f'<span class="badge {colour}">{escape(str(text))}</span>') for name, colour, text in FLAG_BADGES]
    rows = []
    for h in households:
        division = h.division
        parent = escape(division.parent.name) if division.parent_id is not None else ""
        status = h.coal_status
        status_class = COAL_STATUS_BADGES.get(status, "text-bg-light border")
        badges = "".join(badge for name, badge in flags if getattr(h, name))
        rows.append(
            f'<tr><td><a href="{detail}{h.pk:d}/">{escape(h.label)}</a></td>'
            f"<td>{parent} · {escape(division.name)}</td>"
            f"<td>{kinds.get(h.kind) or escape(h.kind)}</td>"
            f"<td>{escape(h.head_name)}</td><td>{escape(h.shown_phone)}</td>"
            f'<td data-coal-status="{escape(status)}"><span class="badge {status_class}">'
            f"{statuses.get(status) or escape(status)}</span></td>"
            f"<td>{badges}</td></tr>"
        )
    return mark_safe("\n".join(rows))


class HouseholdDetailView(ScopedMixin, DetailView):
    queryset = _households()
    template_name = "households/household_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        household, user = self.object, self.request.user
        context["shown_phone"] = _shown_phone(user, household)
        context["can_edit"] = not household.is_voided and can_enter(user, household.division, "household")
        context["can_void"] = not household.is_voided and can_enter(user, household.division, "household_void")
        context["history"] = _history(household, user)
        context["parent_visible"] = household.division.parent is not None and can_view(user, household.division.parent)
        context.update(_fieldwork(household, user))
        # The place's cases, open and closed, so whoever visits knows what is still to be fixed there.
        context["cases"] = (
            Case.objects.visible_to(user)
            .current()
            .filter(household=household)
            .select_related("responsible_unit", "escalated_to")
            .order_by("-opened_at", "-id")
        )
        return context


def _fieldwork(household: Household, user) -> dict:
    """The household's field work (visits, bans, purchases, conversion) and what the user may record."""
    visits = (
        Inspection.objects.visible_to(user)
        .filter(household=household)
        .select_related("operation")
        .prefetch_related(Prefetch("seizures", queryset=Seizure.objects.order_by("id")))
        .annotate(photo_count=Count("photos"))
        .order_by("-started_at", "-id")
    )
    enters = not household.is_voided and can_enter(user, household.division, "fieldwork")
    return {
        "visits": visits,
        "bans": Ban.objects.visible_to(user).filter(household=household).prefetch_related("departments"),
        "purchases": Purchase.objects.visible_to(user).filter(household=household),
        "conversion": Conversion.objects.visible_to(user).current().filter(household=household).first(),
        "can_record_visit": not household.is_voided and can_enter(user, household.division, "inspection"),
        "can_record_purchase": enters and household.is_vulnerable,
        "can_record_ban": enters and household.kind in BAN_PLACES.values(),
        "can_set_conversion": enters,
    }


class ScopedHouseholdAction(LoginRequiredMixin):
    """A page acting on one household: 404 outside the user's view, 403 where they may not `action`."""

    action = "household"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.household = get_object_or_404(_households().visible_to(request.user), pk=kwargs["pk"])
        if not can_enter(request.user, self.household.division, self.action):
            raise PermissionDenied
        if self.household.is_voided:
            # A voided household is changed no more; a repeated void (a double tap) lands on its page.
            messages.info(request, _("This household has been voided."))
            return redirect(self.household)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "object": self.household}


def _save_or_show_errors(view, form, save):
    """Run a service; its validation errors go back on the form, nothing saved."""
    try:
        household = save()
    except ValidationError as exc:
        form.add_error(None, exc)
        return view.form_invalid(form)
    messages.success(view.request, _("Saved."))
    return redirect(household)


class HouseholdCreateView(LoginRequiredMixin, FormView):
    form_class = HouseholdForm
    template_name = "households/household_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_enter_somewhere(request.user, "household"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        return {"division": self.request.GET.get("division")}

    def form_valid(self, form):
        return _save_or_show_errors(
            self, form, lambda: services.household_create(actor=self.request.user, data=form.cleaned_data)[0]
        )


class HouseholdUpdateView(ScopedHouseholdAction, FormView):
    form_class = HouseholdForm
    template_name = "households/household_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.household}

    def form_valid(self, form):
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        return _save_or_show_errors(
            self, form, lambda: services.household_update(actor=self.request.user, household=self.household, data=data)
        )


class HouseholdVoidView(ScopedHouseholdAction, FormView):
    action = "household_void"
    form_class = VoidForm
    template_name = "households/household_void.html"

    def form_valid(self, form):
        return _save_or_show_errors(
            self,
            form,
            lambda: services.household_void(
                actor=self.request.user, household=self.household, reason=form.cleaned_data["reason"]
            ),
        )


class HouseholdImportView(LoginRequiredMixin, FormView):
    """Register households from a spreadsheet: every row checked, nothing written if any is wrong (the errors
    are listed by line), nothing registered twice. A file over a page's worth is refused or, within the page's
    limits, stored and imported in the background (households/jobs.py) with a progress page."""

    form_class = ImportForm
    template_name = "households/household_import.html"

    def get_context_data(self, **kwargs):
        jobs = list(HouseholdImport.objects.visible_to(self.request.user)[:RECENT_IMPORTS])
        for job in jobs:
            # A preview waiting for the user is not "done": nothing of it has been applied.
            job.awaits_confirmation = import_awaits_confirmation(job)
        return {
            **super().get_context_data(**kwargs),
            "max_rows": settings.HOUSEHOLD_IMPORT_MAX_ROWS,
            "background_rows": settings.HOUSEHOLD_IMPORT_BACKGROUND_ROWS,
            "jobs": jobs,
            "ledgers_url": reverse("reports:ledgers"),
        }

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_enter_somewhere(request.user, "household"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        upload, dry_run = form.cleaned_data["file"], form.cleaned_data["dry_run"]
        suffix = Path(upload.name).suffix.lower()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload{suffix}"
            with path.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            try:
                # Too large, too many rows, a zip bomb: refused here, before anything is stored.
                import_size_check(
                    path, max_rows=settings.HOUSEHOLD_IMPORT_MAX_ROWS, max_bytes=settings.HOUSEHOLD_IMPORT_MAX_BYTES
                )
                background = goes_to_background(path, upload.size)
                # A file that edits registered households (a 编号 column) is previewed first, on its own page,
                # and applied only when the user confirms what it will change.
                previewed = not background and edits_households(path)  # a large one: the worker finds out
                if background or previewed:
                    job = import_request(
                        actor=self.request.user,
                        upload=upload,
                        dry_run=dry_run,
                        previewed=previewed,
                        language=self.request.LANGUAGE_CODE,
                        queue=background,
                    )
                    if not background:
                        import_run(job_id=job.pk)
                    return redirect(job)
                result = households_import(
                    actor=self.request.user,
                    path=path,
                    dry_run=dry_run,
                    max_rows=settings.HOUSEHOLD_IMPORT_MAX_ROWS,
                    max_bytes=settings.HOUSEHOLD_IMPORT_MAX_BYTES,
                    source=upload.name,
                )
            except ValidationError as exc:
                form.add_error("file", exc)
                return self.form_invalid(form)
        if result.error_count or dry_run:
            return self.render_to_response(self.get_context_data(form=form, result=result))
        messages.success(
            self.request,
            _("%(created)s households registered; %(skipped)s already registered were skipped.")
            % {"created": result.created, "skipped": result.skipped},
        )
        return redirect("households:list")


def _my_import(request, pk: int) -> HouseholdImport:
    """The user's own import; 404 for anyone else's, and for anyone who may no longer register households."""
    if not may_enter_somewhere(request.user, "household"):
        raise Http404
    return get_object_or_404(HouseholdImport.objects.visible_to(request.user), pk=pk)


def import_status(job: HouseholdImport) -> dict:
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "rows_total": job.rows_total,
        "rows_checked": job.rows_checked,
        "rows_written": rows_written(job),
        "percent": job.percent,
        "pending": job.is_pending,
        "created": job.created,
        "skipped": job.skipped,
        "error_count": job.error_count,
        "error": job.error,
    }


def _preview(job: HouseholdImport, user) -> dict | None:
    """The changes a file that edits households makes (previewed, or applied), readable: choice labels, yes / no,
    phone numbers masked where the user sees them masked."""
    if not isinstance(job.errors, dict) or job.error_count:
        return None
    summary = dict(job.errors)
    entries = []
    for entry in summary.get("changes", []):
        hide_phone = not sees_phone(user, entry["division_code"])

        def hide(field, value, hide_phone=hide_phone):
            return mask_phone(value) if hide_phone and field == "phone" and value else value

        fields = readable_changes(Household, entry["changes"], hide=hide)
        edited = entry.get("edited_since_export")
        if edited:
            edited = {"at": datetime.datetime.fromisoformat(edited[0]), "by": edited[1]}
        entries.append({**entry, "fields": fields, "edited_since_export": edited})
    summary["entries"] = entries
    return summary


def _import_badge(job: HouseholdImport, preview: dict | None, awaits_confirmation: bool) -> tuple[str, str] | None:
    """The import's badge beside its file: (style, text), or None. A file that edits households is previewed
    whether or not 只检查 was ticked (its `dry_run` is set for it), so 仅检查 is said only of a registration file
    checked on request and passed; a check that found wrong rows says so, whatever was ticked."""
    if awaits_confirmation:
        return "warning", _("Awaiting confirmation")
    if job.error_count:
        return "danger", _("Failed the check")
    if job.status != HouseholdImport.Status.DONE:
        return None
    if job.check_only:
        return "secondary", _("Only checked")
    if preview is not None:
        if not (preview.get("created") or preview.get("updated") or preview.get("voided")):
            return "success", _("No changes needed")
        return None
    if job.dry_run:
        return "secondary", _("Only checked")
    return None


@login_required
def import_job(request, pk: int):
    job = _my_import(request, pk)
    job.rows_written_now = rows_written(job)
    preview = _preview(job, request.user)
    awaits_confirmation = import_awaits_confirmation(job)
    context = {
        "job": job,
        "result": job,
        "preview": preview,
        "awaits_confirmation": awaits_confirmation,
        "badge": _import_badge(job, preview, awaits_confirmation),
        # A finished import's bar is full (green or red): "49 %" for a failed one read as half done.
        "percent": job.percent if job.is_pending else 100,
        "nothing_to_change": bool(
            preview
            and job.status == HouseholdImport.Status.DONE
            and not (preview.get("created") or preview.get("updated") or preview.get("voided"))
        ),
    }
    return render(request, "households/household_import_job.html", context)


@login_required
def import_job_confirm(request, pk: int):
    """Apply a previewed file: POST only; a page's worth at once, more by the worker (the page follows it)."""
    job = _my_import(request, pk)
    if request.method != "POST":
        return redirect(job)
    try:
        job, run_now = import_confirm(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(job)
    if run_now:
        import_run(job_id=job.pk)
    return redirect(job)


@login_required
def import_job_status(request, pk: int):
    response = JsonResponse(import_status(_my_import(request, pk)))
    response["Cache-Control"] = "no-cache"
    return response
