"""Field-work pages: thin — scope, filter, validate, call the service. Photos are served here too,
through jurisdiction, never as public media.

The pages of operations and of the other records live in `operation_views` and `record_views`; what
they share (lists, pages acting on one household, voiding) is here.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView
from django_filters.widgets import DateRangeWidget

from coalgov.authentication import token_or_login_required
from coalgov.views import ScopedFilterView, ScopedMixin
from divisions.scoping import can_enter, covers, entry_codes
from households.models import Household

from . import services
from .filtersets import InspectionFilterSet
from .forms import InspectionForm, SeizureFormSet, VoidForm, seizures_from
from .models import Inspection, Photo, Seizure


def _photo_file(request, pk: int, field: str) -> FileResponse:
    photo = get_object_or_404(Photo.objects.visible_to(request.user), pk=pk)
    response = FileResponse(getattr(photo, field).open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@token_or_login_required
def photo(request, pk: int):
    return _photo_file(request, pk, "image")


@token_or_login_required
def photo_thumbnail(request, pk: int):
    return _photo_file(request, pk, "thumbnail")


# ---------------------------------------------------------------------------------------------------
# Shared pieces


def add_service_errors(form, exc: ValidationError) -> None:
    """Put a service's validation errors on the form: on the field they name, or above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class FieldListView(ScopedFilterView):
    """A field-work list: the user's jurisdiction, the model's FilterSet, and who may void which row."""

    void_url_name = ""

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        for field in filterset.form.fields.values():
            if isinstance(field.widget, DateRangeWidget):
                for widget in field.widget.widgets:
                    widget.input_type = "date"
        return filterset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.void_url_name:
            codes = entry_codes(self.request.user, "fieldwork_void")
            for record in context["object_list"]:
                if not record.is_voided and covers(codes, record.division_code):
                    record.void_url = reverse(f"inspections:{self.void_url_name}", args=[record.pk])
        return context


class HouseholdRecordMixin(LoginRequiredMixin):
    """A page recording something at one household (?household=ID).

    404 when the household is outside the user's view, 403 where they may not enter `action` records.
    """

    action = "fieldwork"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        pk = request.GET.get("household") or request.POST.get("household")
        if not (pk and str(pk).isascii() and str(pk).isdigit() and len(str(pk)) < 19):
            messages.info(request, _("Choose the household first: open it in the register and use its buttons."))
            return redirect("households:list")
        households = Household.objects.visible_to(request.user).select_related("division__parent")
        self.household = get_object_or_404(households, pk=pk)
        if not can_enter(request.user, self.household.division, self.action):
            raise PermissionDenied
        if self.household.is_voided:
            messages.info(request, _("This household has been voided."))
            return redirect(self.household)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "household": self.household}


class RecordFormView(FormView):
    """Validate the form, call the service, show its errors on the form (nothing saved) or go on."""

    def save(self, form):
        """Call the service; return (record, created)."""
        raise NotImplementedError

    def success_url_for(self, record) -> str:
        return record.get_absolute_url()

    def form_valid(self, form):
        try:
            record, created = self.save(form)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        if created:
            messages.success(self.request, _("Saved."))
        else:
            messages.info(self.request, _("This was recorded already."))
        return redirect(self.success_url_for(record))


class VoidView(LoginRequiredMixin, FormView):
    """Void one record with a reason: 404 outside the user's view, 403 where they may not void."""

    model = None
    form_class = VoidForm
    template_name = "inspections/void.html"
    title = gettext_lazy("Void")

    def get_record(self):
        return get_object_or_404(self.model.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.record = self.get_record()
        if not covers(entry_codes(request.user, "fieldwork_void"), self.record.division_code):
            raise PermissionDenied
        if self.record.is_voided:
            messages.info(request, _("This record has been voided."))
            return redirect(self.success_url_for(self.record))
        return super().dispatch(request, *args, **kwargs)

    def void(self, reason: str):
        return services.fieldwork_void(actor=self.request.user, record=self.record, reason=reason)

    def success_url_for(self, record) -> str:
        return record.get_absolute_url()

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "record": self.record,
            "title": self.title,
            "cancel_url": self.success_url_for(self.record),
        }

    def form_valid(self, form):
        try:
            self.void(form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Voided."))
        return redirect(self.success_url_for(self.record))


def inspections_shown():
    """Visits as lists show them: household and unit joined, seizures in one query, photos counted."""
    return (
        Inspection.objects.select_related("household__division__parent")
        .prefetch_related(Prefetch("seizures", queryset=Seizure.objects.order_by("id")))
        .annotate(photo_count=Count("photos"))
        .order_by("-started_at", "-id")  # a GROUP BY query drops Meta.ordering
    )


# ---------------------------------------------------------------------------------------------------
# Inspections


class InspectionListView(FieldListView):
    queryset = inspections_shown()
    filterset_class = InspectionFilterSet
    template_name = "inspections/inspection_list.html"
    void_url_name = "void"


class InspectionDetailView(ScopedMixin, DetailView):
    queryset = Inspection.objects.select_related(
        "household__division__parent", "operation", "recorded_by"
    ).prefetch_related(
        Prefetch("seizures", queryset=Seizure.objects.order_by("id")),
        Prefetch("photos", queryset=Photo.objects.order_by("id")),
        "inspectors",
        "departments",
    )
    template_name = "inspections/inspection_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        inspection = self.object
        context["can_void"] = not inspection.is_voided and can_enter(
            self.request.user, inspection.household.division, "fieldwork_void"
        )
        context["void_form"] = VoidForm()
        return context


class InspectionCreateView(HouseholdRecordMixin, RecordFormView):
    """Record a visit from a desk: the household's page leads here with ?household=ID."""

    action = "inspection"
    form_class = InspectionForm
    template_name = "inspections/inspection_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "household": self.household}

    def get_formset(self):
        data = self.request.POST if self.request.method == "POST" else None
        return SeizureFormSet(data, prefix="seizures")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("seizure_formset", self.get_formset())
        return context

    def post(self, request, *args, **kwargs):
        form, formset = self.get_form(), self.get_formset()
        # Both are validated, so every mistake shows at once.
        form_ok, formset_ok = form.is_valid(), formset.is_valid()
        if form_ok and formset_ok:
            self.formset = formset
            return self.form_valid(form)
        return self.render_to_response(self.get_context_data(form=form, seizure_formset=formset))

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form, seizure_formset=self.formset))

    def save(self, form):
        data = form.cleaned_data
        return services.inspection_record(
            actor=self.request.user,
            household=self.household,
            client_uuid=data.get("client_uuid"),
            kind=data["kind"],
            outcome=data["outcome"],
            started_at=data["started_at"],
            operation=data.get("operation"),
            leaders=data.get("leaders", ""),
            departments=data.get("departments") or (),
            notes=data.get("notes", ""),
            seizures=seizures_from(self.formset),
            photos=data.get("photos") or [],
        )


class InspectionVoidView(VoidView):
    model = Inspection
    title = gettext_lazy("Void a visit")

    def void(self, reason: str):
        return services.inspection_void(actor=self.request.user, inspection=self.record, reason=reason)
