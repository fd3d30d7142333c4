"""The planner's pages: tonight's plan, a plan turned into an operation with its coverage, and the weights."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coalgov.downloads import audit_download
from coalgov.views import object_or_404
from divisions.models import Division, Level, MonitoringStation
from divisions.scoping import can_enter

from . import documents
from .forms import OperationForm, PlanForm, WeightsForm
from .models import NightPlan, PlanWeights
from .selectors import (
    MAX_CANDIDATES,
    PARTS,
    covered_since,
    current_weights,
    district_of,
    night_in_progress,
    plan_candidates,
    plan_coverage,
    plan_units,
    station_factors,
)
from .services import plan_operation_create, plan_weights_set
from .walking import teams_for


def _units(request) -> list[Division]:
    units = plan_units(request.user)
    if not units:
        raise Http404  # no membership: nothing to plan, nothing shown
    return units


def _plan_form(request, units: list[Division], data) -> PlanForm:
    code = data.get("unit")
    if code and code not in {u.code for u in units}:
        raise Http404  # another unit's plan: as if it did not exist
    # Opened without parameters: the user's first unit, tonight (after midnight, the night still going on, as the
    # phones count it), two teams of twenty doors.
    defaults = {"unit": units[0].code, "night": night_in_progress().isoformat(), "teams": "2", "doors": "20"}
    given = {k: data.get(k) for k in defaults if data.get(k, "") != ""}
    return PlanForm({**defaults, **given}, units=units)


def _tonight(form: PlanForm) -> dict:
    """The plan the form asks for: weights, teams and their stops, and what did not fit."""
    unit, night = form.cleaned_data["unit"], form.cleaned_data["night"]
    teams, doors = form.cleaned_data["teams"], form.cleaned_data["doors"]
    weights, version = current_weights(district_of(unit))
    candidates = plan_candidates(unit=unit, night=night, weights=weights, limit=min(MAX_CANDIDATES, teams * doors * 4))
    plan_teams, left = teams_for(candidates, teams=teams, doors=doors)
    return {
        "unit": unit,
        "night": night,
        "tonight": night == night_in_progress(),  # another night's plan is not titled "tonight"
        "weights": weights,
        "weight_rows": [(p, weights[p.key]) for p in PARTS],
        "version": version,
        "teams": plan_teams,
        "left_over": sum(w.count for w in left),
        "cut": sum(w.cut for team in plan_teams for w in team.stairwells),
        "suggested": sum(t.count for t in plan_teams),
        "factors": _factors(unit, night),
    }


def _factors(unit, night) -> list[tuple[str, float]]:
    """The stations whose readings raise the weight of some of the unit's places tonight, by name, with their
    factor (a zone holding none of the unit's households is not named)."""
    factors = station_factors(night, unit)
    if not factors:
        return []
    names = dict(MonitoringStation.objects.filter(pk__in=factors).values_list("pk", "name"))
    return sorted((names[pk], round(f, 2)) for pk, f in factors.items())


@login_required
def plan(request):
    """今晚查哪里: the unit's suggested places tonight, grouped for N teams × M doors, each with its score."""
    units = _units(request)
    form = _plan_form(request, units, request.GET)
    context = {"form": form, "parts": PARTS}
    if form.is_valid():
        context.update(_tonight(form))
        unit = context["unit"]
        if request.GET.get("format") == "docx":
            filename = documents.tonight_filename(unit, context["night"])
            # The plan names households and their addresses: it leaves the system as the ledgers do, recorded.
            audit_download(actor=request.user, obj=unit, file=filename, division_code=unit.code)
            return _docx(documents.tonight_docx(context), filename)
        if can_enter(request.user, unit, "operation"):
            context["operation_form"] = OperationForm(
                unit=unit,
                teams=form.cleaned_data["teams"],
                initial={
                    "title": _("Night check %(date)s") % {"date": f"{context['night']:%m-%d}"},
                    # A double submission of this page makes one operation (planning.services).
                    "client_uuid": uuid.uuid4(),
                },
            )
        context["plans"] = (
            NightPlan.objects.visible_to(request.user).filter(division=unit).select_related("operation")[:10]
        )
    return render(request, "planning/plan.html", context, status=200 if form.is_valid() else 400)


@login_required
@require_POST
def plan_operation(request):
    """Turn the plan into a night-check operation; the form's errors come back on the plan page."""
    units = _units(request)
    form = _plan_form(request, units, request.POST)
    if not form.is_valid():
        return render(request, "planning/plan.html", {"form": form, "parts": PARTS}, status=400)
    unit = form.cleaned_data["unit"]
    if not can_enter(request.user, unit, "operation"):
        raise PermissionDenied
    operation_form = OperationForm(request.POST, unit=unit, teams=form.cleaned_data["teams"])
    if operation_form.is_valid():
        try:
            created_plan, _created = plan_operation_create(
                actor=request.user,
                unit=unit,
                night=form.cleaned_data["night"],
                teams=form.cleaned_data["teams"],
                doors=form.cleaned_data["doors"],
                title=operation_form.cleaned_data["title"],
                leader=operation_form.cleaned_data["leader"],
                members=operation_form.members,
                client_uuid=operation_form.cleaned_data["client_uuid"],
            )
        except ValidationError as exc:
            # A refusal about a team goes under its picker; one about the whole operation above the form.
            known = hasattr(exc, "error_dict") and set(exc.error_dict) <= set(operation_form.fields)
            operation_form.add_error(None, exc if known else exc.messages)
        else:
            messages.success(request, _("The operation is planned; each team's list is below."))
            return redirect(created_plan)
    # As a form view does: the page again, with the errors on the form.
    context = {"form": form, "parts": PARTS, "operation_form": operation_form, **_tonight(form)}
    return render(request, "planning/plan.html", context)


@login_required
def plan_detail(request, pk):
    """A plan turned into an operation: each team's doors, and which were covered since."""
    night_plan = object_or_404(
        NightPlan.objects.visible_to(request.user).select_related("division", "operation", "created_by"), pk
    )
    teams = plan_coverage(night_plan)
    # The operation is the record of the night as it went: the office may have moved it or changed its team since
    # the plan was made, and the phones follow the operation (planning.selectors.phone_teams). The page says so.
    walking = set(night_plan.operation.team.values_list("pk", flat=True))
    for team in teams:
        team.off_operation = [person for person in team.members if person.pk not in walking]
    context = {
        "plan": night_plan,
        "teams": teams,
        "total": sum(t.count for t in teams),
        "covered": sum(t.covered for t in teams),
        "found": sum(t.found for t in teams),
        "since": covered_since(night_plan),
    }
    if request.GET.get("format") == "docx":
        filename = documents.plan_filename(night_plan)
        audit_download(actor=request.user, obj=night_plan, file=filename, division_code=night_plan.division_code)
        return _docx(documents.plan_docx(context), filename)
    return render(request, "planning/detail.html", context)


@login_required
def weights(request):
    """The district's planner weights: the ones that apply, their history, and (for the district office) a change."""
    units = _units(request)
    districts = {u.code[:6] for u in units}
    code = request.GET.get("district") or request.POST.get("district") or min(districts)
    if code not in districts:
        raise Http404
    district = Division.objects.get(code=code, level=Level.DISTRICT)
    current, version = current_weights(district)
    may_change = can_enter(request.user, district, "ranking")
    form = WeightsForm(initial=current)
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        form = WeightsForm(request.POST)
        if form.is_valid():
            try:
                plan_weights_set(
                    actor=request.user, district=district, weights=form.weights, note=form.cleaned_data["note"]
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("The new weights apply to every plan made from now on."))
                return redirect(f"{reverse('planning:weights')}?district={district.code}")
    return render(
        request,
        "planning/weights.html",
        {
            "district": district,
            "current": [(p, current[p.key]) for p in PARTS],
            "settings": current,
            "version": version,
            "versions": PlanWeights.objects.filter(district=district).select_related("created_by")[:20],
            "form": form if may_change else None,
        },
    )


def _docx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    # A Chinese name, as the ledgers' and the notices' downloads have: RFC 5987 (filename*=utf-8''…).
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
