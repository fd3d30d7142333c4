"""The home page now; the dashboard, digests and rankings with their issues."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render

from coalgov.models import AuditEvent
from households.models import Household


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
    return render(request, "home.html", {"totals": totals, "recent": recent})
