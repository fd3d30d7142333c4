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
