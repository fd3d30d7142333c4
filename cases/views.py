"""Case pages: lists, the case page with its timeline and the steps the user may take, notices,
accountability, and the printable documents. Thin: scope, validate, call the service."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView

from coalgov.downloads import audit_download
from coalgov.views import ScopedFilterView, ScopedMixin, permission_denied
from divisions.scoping import covers, may_enter_somewhere, view_codes
from households.models import Household
from inspections.models import Photo

from . import documents, numbering, services
from .filtersets import AccountabilityFilterSet, CaseFilterSet, SupervisionNoticeFilterSet
from .forms import AccountabilityForm, CaseOpenForm, DeadlineForm, NoteForm, NoticeForm, RectifyForm, VoidForm
from .models import Accountability, Case, CaseEvent, SupervisionNotice


def _add_errors(form, exc: ValidationError) -> None:
    """A service's errors on the form: on their field when the form has it, otherwise above the form (a
    notice's problem's deadline, say), never a crash on a field the form does not show."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _forbidden(request):
    """The site's 403 page, returned rather than raised: a step refused to a user is an everyday answer, logged
    as a plain "Forbidden" warning, not as an exception with its traceback."""
    return permission_denied(request, PermissionDenied())


def _cases():
    return Case.objects.select_related("responsible_unit__parent", "household", "notice", "escalated_to")


class CaseListView(ScopedFilterView):
    queryset = _cases()
    filterset_class = CaseFilterSet
    template_name = "cases/case_list.html"
    # Filters the pages link to (a notice's problems, a place's cases) rather than ones a clerk types: shown as
    # what they narrow the list to, by name, each with a link that drops it, not as a box for a record number.
    LINKED = {"notice": (SupervisionNotice, str), "household": (Household, lambda place: place.label)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_open"] = may_enter_somewhere(self.request.user, "case_open")
        context["linked_filters"] = list(self.LINKED)
        context["narrowed_by"] = self.narrowed_by()
        return context

    def narrowed_by(self) -> list[dict]:
        form = self.filterset.form
        cleaned = getattr(form, "cleaned_data", {})
        narrowed = []
        for name, (model, name_of) in self.LINKED.items():
            pk = cleaned.get(name)
            if not pk or form.errors.get(name):
                continue
            # Named only within jurisdiction; otherwise by the number asked for (the list is empty anyway).
            record = model.objects.visible_to(self.request.user).filter(pk=pk).first()
            query = self.request.GET.copy()
            query.pop(name, None)
            query.pop("page", None)
            narrowed.append(
                {
                    "label": form.fields[name].label,
                    "value": name_of(record) if record else f"#{pk}",
                    "url": record.get_absolute_url() if record else "",
                    "without": f"?{query.urlencode()}",
                }
            )
        return narrowed


class CaseDetailView(ScopedMixin, DetailView):
    """The case, its timeline, and a form for each step the user may take now."""

    queryset = _cases().prefetch_related(
        Prefetch(
            "events",
            queryset=CaseEvent.objects.select_related("actor").prefetch_related(
                Prefetch("photos", queryset=Photo.objects.order_by("id"))
            ),
        ),
        "rechecks__inspection",
        "duplicates",
    )
    template_name = "cases/case_detail.html"

    STEPS = {
        "start": (NoteForm, lambda user, case: services.can_rectify(user, case), Case.Status.OPEN),
        "rectify": (RectifyForm, lambda user, case: services.can_rectify(user, case), None),
        "return": (NoteForm, lambda user, case: services.can_verify(user, case), Case.Status.RECTIFIED),
        "close": (NoteForm, lambda user, case: services.can_verify(user, case), Case.Status.RECTIFIED),
        "deadline": (DeadlineForm, lambda user, case: services.can_verify(user, case), None),
        "void": (VoidForm, lambda user, case: services.can_verify(user, case), None),
    }

    def steps(self, case: Case) -> list[str]:
        if case.voided_at is not None:
            return []
        user, open_statuses = self.request.user, (Case.Status.OPEN, Case.Status.RECTIFYING)
        allowed = []
        for name, (_form, may, status) in self.STEPS.items():
            if not may(user, case):
                continue
            if name == "rectify" and case.status not in open_statuses:
                continue
            if name == "deadline" and case.status == Case.Status.CLOSED:
                continue
            if status is not None and case.status != status:
                continue
            allowed.append(name)
        return allowed

    def get_context_data(self, forms=None, **kwargs):
        context = super().get_context_data(**kwargs)
        case, forms = self.object, forms or {}
        # Each step's form has its own prefix, so two forms on the page never share an id (id_note, id_reason)
        # and every label points at its own field.
        context["steps"] = {name: forms.get(name) or self.STEPS[name][0](prefix=name) for name in self.steps(case)}
        # The reporter of a tip-off is kept private: only those who verify the case see the contact.
        context["show_reporter"] = services.can_verify(self.request.user, case)
        return context

    def post(self, request, pk):
        case = self.object = self.get_object()  # 404 outside the jurisdiction
        step = request.POST.get("step")
        if step not in self.STEPS:
            return HttpResponse(status=400)
        if step not in self.steps(case):
            if not self.STEPS[step][1](request.user, case):
                return _forbidden(request)
            return self._stale(request, case, step)
        form = self.STEPS[step][0](request.POST, request.FILES, prefix=step)
        if form.is_valid():
            try:
                self.run(step, case, form.cleaned_data)
            except ValidationError as exc:
                if getattr(exc, "code", None) == services.STATE_CHANGED:
                    # Another request took a step at the same moment (a double click, two clerks): the case as
                    # the lock found it, as for a step the page already knew to be impossible.
                    self.object = self.get_object()
                    return self._stale(request, self.object, step)
                _add_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(case)
        return self.render_to_response(self.get_context_data(forms={step: form}), status=400)

    def _stale(self, request, case: Case, step: str):
        """A step the user may take but the case no longer allows: another tab or person acted on it since this
        page was opened (closed, voided, already started). Said so, with the case as it is now and what the user
        typed, instead of a 403 that told them their role could not do what they do every day."""
        state = services.state_label(case)
        messages.warning(
            request,
            _(
                "This case is now %(status)s: someone acted on it after this page was opened, and that step is no "
                "longer possible. Here is the case as it is now."
            )
            % {"status": state},
        )
        typed = "；".join(
            text
            for name in ("note", "reason", "deadline")
            if (text := (request.POST.get(f"{step}-{name}") or "").strip())
        )
        if typed:
            messages.info(request, _("What you wrote, not saved: %(text)s") % {"text": typed})
        return self.render_to_response(self.get_context_data(), status=409)

    def run(self, step: str, case: Case, data: dict) -> None:
        actor = self.request.user
        if step == "start":
            services.case_start(actor=actor, case=case, note=data["note"])
        elif step == "rectify":
            services.case_rectify(actor=actor, case=case, note=data["note"], photos=data["photos"])
        elif step == "return":
            services.case_return(actor=actor, case=case, note=data["note"])
        elif step == "close":
            services.case_close(actor=actor, case=case, note=data["note"])
        elif step == "deadline":
            services.case_set_deadline(actor=actor, case=case, deadline=data["deadline"], reason=data["reason"])
        elif step == "void":
            services.case_void(actor=actor, case=case, reason=data["reason"])


class EntryRequiredMixin(LoginRequiredMixin):
    """A form page for those who may enter `action` records somewhere; others get 403."""

    action = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_enter_somewhere(request.user, self.action):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        try:
            target = self.save(form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect(target)


class CaseOpenView(EntryRequiredMixin, FormView):
    action = "case_open"
    form_class = CaseOpenForm
    template_name = "cases/case_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def post(self, request, *args, **kwargs):
        if "find" in request.POST:
            # The "Find" button (no JavaScript): show the places found, save nothing.
            return self.render_to_response(self.get_context_data(form=self.get_form(), searched=True))
        return super().post(request, *args, **kwargs)

    def save(self, data):
        return services.case_open(actor=self.request.user, **data)


class NoticeCreateView(EntryRequiredMixin, FormView):
    action = "case_open"
    form_class = NoticeForm
    template_name = "cases/notice_form.html"

    def save(self, data):
        notice = services.notice_record(
            actor=self.request.user,
            **{k: data[k] for k in ("division", "number", "issued_on", "level", "title", "text", "problems")},
        )
        return notice


class NoticeListView(ScopedFilterView):
    queryset = SupervisionNotice.objects.current()
    filterset_class = SupervisionNoticeFilterSet
    template_name = "cases/notice_list.html"


class NoticeDetailView(ScopedMixin, DetailView):
    queryset = SupervisionNotice.objects.current()
    template_name = "cases/notice_detail.html"

    def get_context_data(self, **kwargs):
        # A unit that sees the notice through its own cases sees only those problems, and not the notice's text
        # (which may list other units' problems); the receiving unit and those above it see it whole.
        user = self.request.user
        cases = _cases().visible_to(user).filter(notice=self.object)
        whole = covers(view_codes(user), self.object.division_code)
        return {**super().get_context_data(**kwargs), "cases": cases, "whole": whole}


class AccountabilityListView(ScopedFilterView):
    queryset = Accountability.objects.select_related("unit", "recorded_by").prefetch_related("cases")
    filterset_class = AccountabilityFilterSet
    template_name = "cases/accountability_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_record"] = may_enter_somewhere(user, "accountability")
        # The proposals on this page the user may confirm or dismiss (the district office).
        context["decidable"] = {
            record.pk
            for record in context["object_list"]
            if record.status == Accountability.Status.PROPOSED and services.can_decide(user, record)
        }
        return context


class AccountabilityDecideView(LoginRequiredMixin, View):
    """Confirm or dismiss (with a reason) a measure the morning task proposed."""

    def post(self, request, pk):
        record = get_object_or_404(Accountability.objects.visible_to(request.user), pk=pk)
        decision = request.POST.get("decision")
        if decision not in ("confirm", "dismiss"):
            return HttpResponse(status=400)
        if not services.can_decide(request.user, record):
            return _forbidden(request)
        try:
            services.accountability_decide(
                actor=request.user, record=record, confirm=decision == "confirm", note=request.POST.get("note", "")
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved."))
        return redirect("cases:accountability")


class AccountabilityCreateView(EntryRequiredMixin, FormView):
    action = "accountability"
    form_class = AccountabilityForm
    template_name = "cases/accountability_form.html"

    def save(self, data):
        services.accountability_record(actor=self.request.user, **data)
        return "cases:accountability"


class CaseDocumentView(LoginRequiredMixin, View):
    """A case's rectification notice or follow-up sheet: printable HTML, or .docx with ?format=docx."""

    kind = "notice"

    def get(self, request, pk):
        events = Prefetch("events", queryset=CaseEvent.objects.select_related("actor"))
        cases = _cases().select_related("notice_issuer", "duplicate_of__notice_issuer").prefetch_related(events)
        case = get_object_or_404(cases.visible_to(request.user), pk=pk)
        # Numbered when opened; a case written some other way gets its number now, dated the day it opened
        # (audited). A duplicate has no notice of its own: its original's is the one it is fixed under.
        numbering.notice_number_ensure(case, actor=request.user)
        if case.duplicate_of is not None:
            numbering.notice_number_ensure(case.duplicate_of, actor=request.user)
        name = "整改通知书" if self.kind == "notice" else "督办单"
        if self.kind == "notice" and not documents.has_notice(case):
            # No notice was issued: the page says why, and there is nothing to download.
            if request.GET.get("format") == "docx":
                messages.error(request, documents.no_notice_reason(case))
                return redirect("cases:notice-print", pk=case.pk)
            return render(request, "cases/print_notice.html", {"case": case, "notice": documents.notice_context(case)})
        if request.GET.get("format") == "docx":
            build = documents.rectification_notice_docx if self.kind == "notice" else documents.follow_up_sheet_docx
            response = HttpResponse(
                build(case), content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            )
            file = f"{name}-{case.pk}.docx"
            audit_download(actor=request.user, obj=case, file=file, division_code=case.division_code)
            response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file)}"
            return response
        # The printable page is the other way the document leaves the system: recorded like the .docx.
        audit_download(actor=request.user, obj=case, file=f"{name}-{case.pk}（打印）", division_code=case.division_code)
        context = {
            "case": case,
            "notice": documents.notice_context(case),
            "sheet": documents.follow_up_context(case),
            "rows": documents.follow_up_rows(case),
            "events": documents.follow_up_events(case),
        }
        return render(request, f"cases/print_{self.kind}.html", context)
