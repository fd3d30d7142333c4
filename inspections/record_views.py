"""Purchases, bans, conversions (with their targets) and publicity: lists, forms, voiding."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from divisions.models import Division
from divisions.scoping import may_enter_somewhere

from . import services
from .filtersets import BanFilterSet, ConversionFilterSet, PublicityFilterSet, PurchaseFilterSet
from .forms import BanForm, ConversionForm, ConversionTargetForm, PublicityForm, PurchaseForm
from .models import Ban, Conversion, ConversionTarget, Publicity, Purchase
from .views import FieldListView, HouseholdRecordMixin, RecordFormView, VoidView, add_service_errors


def _list_url(name: str, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse(f"inspections:{name}") + (f"?{query}" if query else "")


# ---------------------------------------------------------------------------------------------------
# Purchases from vulnerable households


class PurchaseListView(FieldListView):
    queryset = Purchase.objects.select_related("household__division__parent", "recorded_by")
    filterset_class = PurchaseFilterSet
    template_name = "inspections/purchase_list.html"
    void_url_name = "purchase-void"


class PurchaseCreateView(HouseholdRecordMixin, RecordFormView):
    form_class = PurchaseForm
    template_name = "inspections/purchase_form.html"

    def save(self, form):
        data = form.cleaned_data
        return services.purchase_record(
            actor=self.request.user,
            household=self.household,
            client_uuid=data.get("client_uuid"),
            purchased_on=data["purchased_on"],
            item=data["item"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            market_price=data["market_price"],
            notes=data.get("notes", ""),
        )

    def success_url_for(self, record) -> str:
        return self.household.get_absolute_url()


class PurchaseVoidView(VoidView):
    model = Purchase
    title = gettext_lazy("Void a purchase")

    def success_url_for(self, record) -> str:
        return _list_url("purchase-list")


# ---------------------------------------------------------------------------------------------------
# Bans (取缔)


class BanListView(FieldListView):
    queryset = (
        Ban.objects.select_related("household__division__parent")
        .prefetch_related("departments")
        .annotate(photo_count=Count("photos"))
        .order_by("-banned_at", "-id")
    )
    filterset_class = BanFilterSet
    template_name = "inspections/ban_list.html"
    void_url_name = "ban-void"


class BanCreateView(HouseholdRecordMixin, RecordFormView):
    form_class = BanForm
    template_name = "inspections/ban_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "household": self.household}

    def save(self, form):
        data = form.cleaned_data
        return services.ban_record(
            actor=self.request.user,
            household=self.household,
            client_uuid=data.get("client_uuid"),
            kind=data["kind"],
            banned_at=data["banned_at"],
            officers=data.get("officers", ""),
            departments=data.get("departments") or (),
            notes=data.get("notes", ""),
            photos=data.get("photos") or [],
        )

    def success_url_for(self, record) -> str:
        return self.household.get_absolute_url()


class BanVoidView(VoidView):
    model = Ban
    title = gettext_lazy("Void a ban")

    def success_url_for(self, record) -> str:
        return _list_url("ban-list")


# ---------------------------------------------------------------------------------------------------
# Clean-heating conversions and their targets


class ConversionListView(FieldListView):
    queryset = Conversion.objects.select_related("household__division__parent")
    filterset_class = ConversionFilterSet
    template_name = "inspections/conversion_list.html"
    void_url_name = "conversion-void"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_set_targets"] = may_enter_somewhere(self.request.user, "fieldwork_void")
        return context


class ConversionSetView(HouseholdRecordMixin, RecordFormView):
    """Plan or complete one household's conversion; the form starts from its current one."""

    form_class = ConversionForm
    template_name = "inspections/conversion_form.html"

    def get_form_kwargs(self):
        current = Conversion.objects.current().filter(household=self.household).first()
        return {**super().get_form_kwargs(), "instance": current or Conversion(household=self.household)}

    def save(self, form):
        data = form.cleaned_data
        conversion = services.conversion_set(
            actor=self.request.user,
            household=self.household,
            kind=data["kind"],
            status=data["status"],
            completed_on=data.get("completed_on"),
            notes=data.get("notes", ""),
        )
        return conversion, True

    def success_url_for(self, record) -> str:
        return self.household.get_absolute_url()


class ConversionVoidView(VoidView):
    model = Conversion
    title = gettext_lazy("Void a conversion")

    def success_url_for(self, record) -> str:
        return _list_url("conversion-list")


class ConversionTargetView(LoginRequiredMixin, FormView):
    """District and subdistrict administrators set how many households a community is to convert."""

    form_class = ConversionTargetForm
    template_name = "inspections/conversion_targets.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_enter_somewhere(request.user, "fieldwork_void"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user}
        code = self.request.GET.get("division")
        if code:
            units = Division.objects.enterable_by(self.request.user, "fieldwork_void")
            kwargs["initial"] = {**kwargs.get("initial", {}), "division": units.filter(code=code).first()}
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["targets"] = ConversionTarget.objects.visible_to(self.request.user).select_related("division__parent")[
            :200
        ]
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            target = services.conversion_target_set(
                actor=self.request.user, division=data["division"], season=data["season"], households=data["households"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect(reverse("reports:unit", args=[target.division.code]))


# ---------------------------------------------------------------------------------------------------
# Publicity (宣传)


class PublicityListView(FieldListView):
    queryset = (
        Publicity.objects.select_related("division__parent")
        .annotate(photo_count=Count("photos"))
        .order_by("-date", "-id")
    )
    filterset_class = PublicityFilterSet
    template_name = "inspections/publicity_list.html"
    void_url_name = "publicity-void"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = may_enter_somewhere(self.request.user, "fieldwork")
        return context


class PublicityCreateView(LoginRequiredMixin, RecordFormView):
    form_class = PublicityForm
    template_name = "inspections/publicity_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_enter_somewhere(request.user, "fieldwork"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        code = self.request.GET.get("division")
        if not code:
            return super().get_initial()
        units = Division.objects.enterable_by(self.request.user, "fieldwork")
        return {**super().get_initial(), "division": units.filter(code=code).first()}

    def save(self, form):
        data = form.cleaned_data
        return services.publicity_record(
            actor=self.request.user,
            client_uuid=data.get("client_uuid"),
            division=data["division"],
            date=data["date"],
            kind=data["kind"],
            count=data["count"],
            place=data.get("place", ""),
            notes=data.get("notes", ""),
            photos=data.get("photos") or [],
        )

    def success_url_for(self, record) -> str:
        return _list_url("publicity-list", division=record.division_code)


class PublicityVoidView(VoidView):
    model = Publicity
    title = gettext_lazy("Void a publicity record")

    def success_url_for(self, record) -> str:
        return _list_url("publicity-list")
