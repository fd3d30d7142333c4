"""The register page's filter form is written in Python (coalgov.filters.filter_field_html and the selects'
own option writing), not by django-bootstrap5 and Django's widget templates: the same markup, field by field,
as those write it (less the whitespace between tags), valid, invalid and in either language."""

import re

import pytest
from django import forms
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation
from django_filters.widgets import BooleanWidget

from coalgov.filters import OptionsSelect, UnitSelect, YesNoAny, filter_field_html
from households.filtersets import HouseholdFilterSet
from households.models import Household

BOOTSTRAP = Template('{% load django_bootstrap5 %}{% bootstrap_field field size="sm" server_side_validation=False %}')


def filter_form(user, data):
    request = RequestFactory().get("/households/", data)
    request.user = user
    filterset = HouseholdFilterSet(data=request.GET, queryset=Household.objects.all(), request=request)
    filterset.is_valid()
    return filterset.form


def as_django_writes_it(form):
    """Each field through django-bootstrap5, its select a plain forms.Select with the same choices."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, YesNoAny):
            plain = BooleanWidget(attrs=widget.attrs)  # django-filter's, through Django's templates
            plain.choices = widget.choices
        elif isinstance(widget, (UnitSelect, OptionsSelect)):
            plain = forms.Select(attrs=widget.attrs, choices=field.choices)
        else:
            continue
        field.widget = plain
    return [BOOTSTRAP.render(Context({"field": field})) for field in form]


def tidy(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"division": "WULIBAO", "kind": "restaurant", "unmanaged": "true", "vulnerable": "0", "q": '"><b>'},
        {"coal_status": "found", "estate": "铁路<新村>", "voided": "false", "near": "34.7,113.6"},
        {"division": "999", "coal_status": "bogus", "near": "north", "in_priority_zone": "maybe"},  # invalid
    ],
)
def test_the_filters_are_written_as_django_bootstrap5_writes_them(people, wulibao, language, data):
    data = {key: wulibao.code if value == "WULIBAO" else value for key, value in data.items()}
    with translation.override(language):
        ours = [filter_field_html(field) for field in filter_form(people["qu_admin"], data)]
        theirs = as_django_writes_it(filter_form(people["qu_admin"], data))

    assert len(ours) == len(theirs) == 13
    for mine, reference in zip(ours, theirs, strict=True):
        assert tidy(mine) == tidy(reference)
    if "division" in data and data["division"] != "999":
        assert f'<option value="{wulibao.code}" selected>' in "".join(ours)


def test_the_unit_filter_offers_the_users_units_and_no_others(people, wulibao, huaihelu):
    html = "".join(filter_field_html(field) for field in filter_form(people["wulibao_inspector"], {}))

    assert f'<option value="{wulibao.code}">' in html
    assert f'value="{huaihelu.code}"' not in html
    assert '<option value="" selected>' in html
