"""The home page and the unit pages; the dashboard, digests and rankings with their issues."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cases.models import Accountability
from cases.selectors import case_figures, worklist_for
from coalgov.models import AuditEvent
from divisions.models import Division, Level
from divisions.scoping import can_enter, can_view
from households.models import Household
from inspections.models import Inspection, Seizure
from inspections.seasons import heating_season
from inspections.selectors import fieldwork_figures

from .forms import PeriodForm
from .selectors import conversion_progress


@login_required
def home(request):
    """Where the user stands: their units and roles, and the register within their reach."""
    households = Household.objects.visible_to(request.user).current()
    totals = households.aggregate(
        total=Count("pk"),
        priority=Count("pk", filter=Q(in_priority_zone=True)),
        unmanaged_no_gas=Count("pk", filter=Q(unmanaged=True, no_gas_or_heating=True)),
        unlocated=Count("pk", filter=Q(latitude__isnull=True)),
    )
    recent = (
        AuditEvent.objects.visible_to(request.user)
        .filter(action__startswith="household.")
        .select_related("actor", "content_type")[:10]
    )
    context = {"totals": totals, "recent": recent, "work": worklist_for(request.user)}
    return render(request, "home.html", context)


# The field-work figures a unit page shows, in the order the article tells them.
FIGURES = [
    ("inspections", _("Visits")),
    ("night_checks", _("Night checks")),
    ("priority_zone_checks", _("Checks in priority zones")),
    ("communities_checked", _("Communities checked")),
    ("households_checked", _("Households checked")),
    ("households_with_coal_found", _("Households where coal was found")),
    ("households_recovered", _("Households coal was recovered from")),
    ("briquettes_pieces", _("Briquettes / honeycomb coal (pieces)")),
    ("loose_coal_kg", _("Loose coal (kg)")),
    ("stoves", _("Stoves")),
    ("charcoal_boxes", _("Charcoal (boxes)")),
    ("bans_sale_point", _("Coal sale points shut")),
    ("bans_storage_point", _("Storage points cleared")),
    ("bans_food_stall", _("Food stalls moved on")),
    ("rebounds", _("Bans rebounded")),
    ("purchases", _("Purchases from vulnerable households")),
    ("purchase_amount", _("Amount paid (yuan)")),
    ("conversions_electricity", _("Coal-to-electricity completed")),
    ("conversions_gas", _("Coal-to-gas completed")),
    ("publicity", _("Publicity items")),
]

# The lists a unit page links to, filtered to the unit.
LISTS = [
    ("inspections:list", _("Visits")),
    ("inspections:operation-list", _("Night-check operations")),
    ("inspections:ban-list", _("Bans")),
    ("inspections:purchase-list", _("Purchases")),
    ("inspections:conversion-list", _("Conversions")),
    ("inspections:publicity-list", _("Publicity")),
    ("households:list", _("Household register")),
]


def _case_links(code: str, start, end) -> dict[str, str]:
    """The case list behind each of a unit page's case figures: the cases that took the step in the period (a
    figure counts a flow: a case closed in the week and reopened since is among its closed)."""
    period = {"step_on_after": start or "", "step_on_before": end or ""}
    links = {
        figure: f"{reverse('cases:list')}?{urlencode({'division': code, 'step': step, **period})}"
        for figure, step in (("opened", "opened"), ("closed", "closed"), ("rebounds", "reopened"))
    }
    links["overdue_now"] = f"{reverse('cases:list')}?{urlencode({'division': code, 'overdue': 'true'})}"
    return links


@login_required
def unit(request, code: str):
    """A unit (district, subdistrict, community) visible to the user: its field-work figures over a period."""
    user = request.user
    division = get_object_or_404(Division.objects.visible_to(user).select_related("parent"), code=code)
    form = PeriodForm(request.GET or None)
    start = end = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    figures = fieldwork_figures(codes=[division.code], start=start, end=end)
    # Lists filter by district, subdistrict or community; a grid's lists are its community's.
    filter_code = division.parent.code if division.level == Level.GRID and division.parent else division.code
    recent = (
        Inspection.objects.visible_to(user)
        .current()
        .filter(division_code__startswith=division.code)
        .select_related("household__division")
        .prefetch_related(Prefetch("seizures", queryset=Seizure.objects.order_by("id")))[:10]
    )
    is_community = division.level in (Level.COMMUNITY, Level.GRID)
    context = {
        "unit": division,
        "breadcrumbs": [(a, can_view(user, a)) for a in division.ancestors()],
        "children": division.children.filter(is_active=True).order_by("code"),
        "form": form,
        "figures": figures,
        "figure_rows": [(name, label, getattr(figures, name)) for name, label in FIGURES],
        "recent": recent,
        "lists": [(label, f"{reverse(name)}?division={filter_code}") for name, label in LISTS],
        "progress": conversion_progress(unit=division, season=heating_season()) if is_community else None,
        "can_plan": can_enter(user, division, "operation") and division.level != Level.GRID,
        "can_publicise": can_enter(user, division, "fieldwork") and division.level != Level.GRID,
        "can_set_target": division.level == Level.COMMUNITY and can_enter(user, division, "fieldwork_void"),
        "cases": case_figures(codes=[division.code], start=start, end=end),
        "case_links": _case_links(filter_code, start, end),
        "accountability": Accountability.objects.visible_to(user)
        .confirmed()
        .filter(division_code__startswith=division.code)
        .select_related("unit")[:10],
    }
    return render(request, "reports/unit.html", context)
