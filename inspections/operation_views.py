"""Night-check operations (夜查行动): the list, planning one, and what it found."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView

from coalgov.views import ScopedMixin
from divisions.models import Division
from divisions.scoping import can_enter, codes_q, may_enter_somewhere, view_codes

from . import services
from .filtersets import NightOperationFilterSet
from .forms import OperationForm
from .models import Inspection, NightOperation, Seizure
from .views import FieldListView, VoidView, add_service_errors, inspections_shown


class OperationListView(FieldListView):
    queryset = (
        NightOperation.objects.select_related("division__parent").prefetch_related("covered").order_by("-date", "-id")
    )
    filterset_class = NightOperationFilterSet
    template_name = "inspections/operation_list.html"
    void_url_name = "operation-void"

    def get_queryset(self):
        # An operation may cover units the user cannot see: count only the visits they can.
        counted = Q(inspections__voided_at__isnull=True) & codes_q(
            view_codes(self.request.user), "inspections__division_code"
        )
        return (
            super()
            .get_queryset()
            .annotate(
                visits=Count("inspections", filter=counted),
                households=Count("inspections__household", filter=counted, distinct=True),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = may_enter_somewhere(self.request.user, "operation")
        return context


class OperationDetailView(ScopedMixin, DetailView):
    """An operation: who, where, and what its visits found — counted from the visits the user may see."""

    queryset = NightOperation.objects.select_related("division__parent", "recorded_by").prefetch_related(
        "team", "covered__parent"
    )
    template_name = "inspections/operation_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        operation, user = self.object, self.request.user
        visits = Inspection.objects.visible_to(user).current().filter(operation=operation)
        outcomes = dict(visits.order_by().values_list("outcome").annotate(n=Count("pk")))
        totals = dict(
            Seizure.objects.visible_to(user)
            .filter(inspection__operation=operation, inspection__voided_at__isnull=True)
            .order_by()
            .values_list("item")
            .annotate(total=Sum("quantity"))
        )
        context.update(
            visits=inspections_shown().visible_to(user).current().filter(operation=operation),
            households_visited=visits.values("household").distinct().count(),
            outcomes=[(label, outcomes.get(value, 0)) for value, label in Inspection.Outcome.choices],
            seizure_totals=[(label, totals[value]) for value, label in Seizure.Item.choices if value in totals],
            can_edit=not operation.is_voided and can_enter(user, operation.division, "operation"),
            can_void=not operation.is_voided and can_enter(user, operation.division, "fieldwork_void"),
        )
        return context


class OperationFormView(LoginRequiredMixin, FormView):
    """Plan an operation, or change one (404 outside the user's view, 403 where they may not)."""

    form_class = OperationForm
    template_name = "inspections/operation_form.html"
    operation = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if "pk" in kwargs:
            self.operation = get_object_or_404(NightOperation.objects.visible_to(request.user), pk=kwargs["pk"])
            if not can_enter(request.user, self.operation.division, "operation"):
                raise PermissionDenied
            if self.operation.is_voided:
                messages.info(request, _("This record has been voided."))
                return redirect(self.operation)
        elif not may_enter_somewhere(request.user, "operation"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user}
        if self.operation is not None:
            kwargs["instance"] = self.operation
        elif self.request.GET.get("division"):
            # From a unit's page: that unit organises, if the user may organise there.
            units = Division.objects.enterable_by(self.request.user, "operation")
            kwargs["initial"] = {
                **kwargs.get("initial", {}),
                "division": units.filter(code=self.request.GET["division"]).first(),
            }
        return kwargs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "object": self.operation}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            operation = services.operation_save(
                actor=self.request.user,
                operation=self.operation,
                data={name: data[name] for name in ("division", "date", "title", "leader", "notes")},
                team=data.get("team") or (),
                covered=data.get("covered") or (),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect(operation)


class OperationVoidView(VoidView):
    model = NightOperation
    title = gettext_lazy("Void an operation")
