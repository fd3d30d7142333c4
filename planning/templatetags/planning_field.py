"""The phone page's list of tonight's doors for the user's team (templates/field/page.html).

A template tag, so the phone page (inspections' view) needs nothing from the planner but one line of its template;
the list is part of the page, which the phone's service worker keeps, so it is there without a signal.
"""

from django import template

from planning.selectors import phone_teams

register = template.Library()


@register.inclusion_tag("planning/_field_team.html", takes_context=True)
def tonight_team(context):
    request = context.get("request")
    return {"teams": phone_teams(request.user) if request is not None else []}


@register.inclusion_tag("planning/_operation_plan.html", takes_context=True)
def operation_plan(context, operation):
    """On an operation's page, the plan it was made from: its doors reached, whoever's visit reached them.

    The operation's own figures count the visits sent as part of it; the plan's count a door reached by any
    visit since the plan was made (a door found by walking, a visit sent without the operation). Shown together
    with the difference said, a leader reading both pages does not meet two "checked" figures unexplained.
    """
    from planning.models import NightPlan
    from planning.selectors import plan_coverage

    request = context.get("request")
    plan = NightPlan.objects.visible_to(request.user).filter(operation=operation).first() if request else None
    if plan is None:
        return {"plan": None}
    teams = plan_coverage(plan)
    return {
        "plan": plan,
        "planned": sum(t.count for t in teams),
        "covered": sum(t.covered for t in teams),
        "found": sum(t.found for t in teams),
    }
