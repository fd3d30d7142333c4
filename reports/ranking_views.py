"""The weekly ranking pages: the district's table, a community's explanation, publishing, downloads.

The table is district-wide for every signed-in user with a membership in (or above) the district, as
DESIGN.md's jurisdiction rule allows; the records behind a community's figures stay scoped: the links
to them are shown only for communities the user may view, and the lists they open are scoped anyway.
"""

from __future__ import annotations

import datetime
import functools
from html import escape
from urllib.parse import quote, urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from coalgov.downloads import audit_download
from divisions.models import Division, Level
from divisions.scoping import can_view
from inspections.rollups import week_monday

from . import bulletin, ranking_exports
from .frozen import frozen
from .models import RankingWeek, WeightVersion
from .ranking import (
    INDICATORS,
    Ranking,
    current_weights,
    default_week,
    is_district_admin,
    ranking_districts,
    ranking_for,
    ranking_publish,
    ranking_weeks,
    ranking_withdraw,
    two_places,
    week_in_range,
    weights_set,
)


def _district(request, districts: list[Division]) -> Division:
    if not districts:
        raise Http404
    code = request.GET.get("district") or request.POST.get("district")
    if not code:
        return districts[0]
    for district in districts:
        if district.code == code:
            return district
    raise Http404


class BadWeek(Exception):
    """?week= is not a date (or, where it is required, missing): the views answer 400 with a page saying so."""


def _week(request, *, required: bool = False) -> datetime.date:
    """The Monday of the asked week (any day of it will do); the last complete week by default, unless the
    week is `required` (publishing and withdrawing change a week: they never guess which).
    Not a date: BadWeek (400); a week before the campaign or after this one: 404, as for a week never held."""
    text = request.POST.get("week") if request.method == "POST" else request.GET.get("week")
    if not (text or "").strip():
        if required:
            raise BadWeek("")
        return default_week()
    try:
        day = datetime.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise BadWeek(text[:20]) from exc
    week_start = week_monday(day)  # never before year 1: 0001-01-01 is a Monday
    if not week_in_range(week_start):
        raise Http404
    return week_start


def _week_checked(view):
    """Answer a ?week= that is not a date with a 400 page that says so (never a 500)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadWeek as exc:
            text = str(exc)
            return render(request, "reports/ranking_bad_week.html", {"text": text, "missing": not text}, status=400)

    return wrapped


def _context(request, *, week_required: bool = False):
    districts = ranking_districts(request.user)
    district = _district(request, districts)
    return districts, district, _week(request, required=week_required)


def _query(district: Division, week_start: datetime.date) -> str:
    return urlencode({"district": district.code, "week": week_start.isoformat()})


def _may_publish(user, district: Division, result) -> bool:
    """Not yet published, ended, with work recorded (a week nobody worked ranks nobody), and the user may."""
    return (
        result.published is None
        and result.has_work
        and is_district_admin(user, district)
        and result.week_end < timezone.localdate()
    )


def _movement_html(movement: int | None, new_label: str) -> str:
    if movement is None:
        return f'<span class="text-muted">{new_label}</span>'
    if movement > 0:
        return f'<span class="text-success">↑{movement}</span>'
    if movement < 0:
        return f'<span class="text-danger">↓{-movement}</span>'
    return '<span class="text-muted">–</span>'


def community_rows_html(result, query: str) -> str:
    """The communities' table body. Built here, not by the template: the district's table has 176 rows of a
    dozen cells, and the template language's lookups took four fifths of the page's time at city scale. Every
    text from the records is escaped here."""
    explain = escape(reverse("reports:ranking-explain", args=["0"]).removesuffix("0/"))
    no_data, new_label, query = escape(_("No data")), escape(_("not ranked last week")), escape(query)
    rows = []
    for r in result.rows:
        code = escape(r.code)
        link = f'<td><a href="{explain}{code}/?{query}">{escape(r.name)}</a></td><td>{escape(r.subdistrict_name)}</td>'
        cells = "".join(f'<td class="text-end">{escape(cell)}</td>' for cell in r.indicator_cells)
        if r.ranked:
            rows.append(
                f'<tr data-code="{code}"><td>{r.rank_in_district:d}</td><td>{r.rank_in_subdistrict:d}</td>{link}'
                f'<td class="text-end">{two_places(r.score)}</td>'
                f"<td>{_movement_html(r.movement, new_label)}</td>{cells}</tr>"
            )
        else:
            rows.append(
                f'<tr data-code="{code}" class="text-muted" data-no-data><td colspan="2">{no_data}</td>{link}'
                f'<td class="text-end">—</td><td></td>{cells}</tr>'
            )
    return mark_safe("\n".join(rows))


def subdistrict_rows_html(result) -> str:
    """The subdistricts' table body, written here for the same reason as the communities' (below)."""
    no_data, new_label = escape(_("No data")), escape(_("not ranked last week"))
    rows = []
    for s in result.subdistricts:
        name = escape(s.name)
        if s.ranked:
            rows.append(
                f'<tr><td>{s.rank:d}</td><td>{name}</td><td class="text-end">{two_places(s.mean_score)}</td>'
                f'<td class="text-end">{s.communities:d}</td><td>{_movement_html(s.movement, new_label)}</td></tr>'
            )
        else:
            rows.append(
                f'<tr><td class="text-muted">{no_data}</td><td>{name}</td><td class="text-end">—</td>'
                '<td class="text-end">0</td><td></td></tr>'
            )
    return mark_safe("".join(rows))


def _names_html(rows) -> str:
    """The communities praised (or named) as the page lists them: 五里堡街道某社区、… or — for none."""
    if not rows:
        return "—"
    sep = escape(pgettext("list separator", ", "))
    return mark_safe(sep.join(f"{escape(r.subdistrict_name)}{escape(r.name)}" for r in rows))


def _tables_html(result, query: str) -> str:
    """The page's tables (praised and named, subdistricts, communities) or why there are none: everything on the
    page that comes from the week's rows, the same for every user who may see the week."""
    return render_to_string(
        "reports/_ranking_tables.html",
        {
            "ranking": result,
            "indicators": INDICATORS,
            "praised": _names_html(result.praised),
            "named": _names_html(result.named),
            "subdistrict_rows": subdistrict_rows_html(result),
            "community_rows": community_rows_html(result, query),
        },
    )


@login_required
@_week_checked
def ranking(request):
    districts, district, week_start = _context(request)
    query = _query(district, week_start)
    published, withdrawn = ranking_weeks(district=district, week_start=week_start)
    if published is None:
        result = ranking_for(district=district, week_start=week_start, weeks=(published, withdrawn))
        tables = _tables_html(result, query)
    else:
        # A published week's tables are made from its frozen rows once, then read from the cache (reports/frozen.py);
        # the rest of the page needs only the publication, not its rows.
        tables = frozen(
            published,
            "page-tables",
            lambda: _tables_html(ranking_for(district=district, week_start=week_start, weeks=(published, [])), query),
        )
        result = Ranking(
            district=district,
            week_start=week_start,
            weights=published.weights,
            weight_version=None,
            rows=[],
            subdistricts=[],
            published=published,
            withdrawn=withdrawn,
        )
    previous_week = week_start - datetime.timedelta(days=7)
    next_week = week_start + datetime.timedelta(days=7)
    is_admin = is_district_admin(request.user, district)
    return render(
        request,
        "reports/ranking.html",
        {
            "districts": districts,
            "district": district,
            "ranking": result,
            "query": query,
            "previous_week": previous_week.isoformat() if week_in_range(previous_week) else None,
            "next_week": next_week.isoformat() if week_in_range(next_week) else None,
            "can_publish": _may_publish(request.user, district, result),
            "can_withdraw": result.published is not None and is_admin,
            "tables": mark_safe(tables),
        },
    )


@login_required
@_week_checked
def ranking_explain(request, code: str):
    """How a community's score is made: each indicator's value, weight and contribution."""
    _districts, district, week_start = _context(request)
    result = ranking_for(district=district, week_start=week_start)
    row = result.row(code)
    if row is None:
        raise Http404
    community = get_object_or_404(Division, code=code, level=Level.COMMUNITY)
    lines = row.contributions(result.weights)
    links = []
    if can_view(request.user, community):
        start, end = result.week_start.isoformat(), result.week_end.isoformat()
        visits = {"division": code, "date_after": start, "date_before": end}
        inspections, cases = reverse("inspections:list"), reverse("cases:list")
        due = {"division": code, "deadline_after": start, "deadline_before": end}
        links = [
            (_("Visits in the week"), f"{inspections}?{urlencode(visits)}"),
            (
                _("Night checks in the week"),
                f"{inspections}?{urlencode({**visits, 'is_night': 'true'})}",
            ),
            (_("Overdue cases"), f"{cases}?{urlencode({'division': code, 'overdue': 'true'})}"),
            (
                _("Cases due in the week"),
                f"{cases}?{urlencode(due)}",
            ),
        ]
    return render(
        request,
        "reports/ranking_explain.html",
        {
            "district": district,
            "ranking": result,
            "row": row,
            "lines": lines,
            "total": sum(line["contribution"] for line in lines),
            "links": links,
            "query": _query(district, week_start),
        },
    )


def _back(district: Division, week_start: datetime.date):
    return redirect(f"{reverse('reports:ranking')}?{_query(district, week_start)}")


@login_required
@_week_checked
def ranking_publish_view(request):
    """GET: what publishing the week will freeze, and a button to confirm; POST with confirm=yes: publish.
    The confirmation is a page of its own, so it works without JavaScript."""
    _districts, district, week_start = _context(request, week_required=True)
    if not is_district_admin(request.user, district):
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            ranking_publish(actor=request.user, district=district, week_start=week_start)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The ranking of the week has been published."))
        return _back(district, week_start)
    result = ranking_for(district=district, week_start=week_start)
    if result.published is None and not result.has_work:
        messages.error(request, _("No work was recorded in the district this week: there is no ranking to publish."))
        return _back(district, week_start)
    if not _may_publish(request.user, district, result):
        # The district office (checked above), a week with work: published already, or not over yet.
        if result.published is not None:
            messages.error(request, _("This week's ranking is published already."))
        else:
            messages.error(request, _("This week has not ended yet: it can be published from the Monday after it."))
        return _back(district, week_start)
    return render(
        request,
        "reports/ranking_publish.html",
        {"district": district, "ranking": result, "query": _query(district, week_start)},
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why it is withdrawn"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Shown with the week to everyone who sees the ranking."),
    )


@login_required
@_week_checked
def ranking_withdraw_view(request):
    """A district administrator takes back the week's publication, with a reason (a page, then POST). The week
    is required: without it this answers 400 and withdraws nothing (it never falls back to the last week)."""
    _districts, district, week_start = _context(request, week_required=True)
    if not is_district_admin(request.user, district):
        raise PermissionDenied
    week = RankingWeek.objects.filter(district=district, week_start=week_start, withdrawn_at__isnull=True).first()
    if week is None:
        messages.error(request, _("This week is not published: there is nothing to withdraw."))
        return _back(district, week_start)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            ranking_withdraw(actor=request.user, week=week, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("The publication has been withdrawn; the week may be published again."))
            return _back(district, week_start)
    return render(
        request,
        "reports/ranking_withdraw.html",
        {"district": district, "week": week, "form": form, "query": _query(district, week_start)},
    )


FORMATS = {
    "xlsx": (ranking_exports.ranking_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "docx": (bulletin.ranking_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "csv": (ranking_exports.ranking_csv, "text/csv; charset=utf-8"),
}


@login_required
@_week_checked
def ranking_download(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    _districts, district, week_start = _context(request)
    build, content_type = FORMATS[fmt]
    weeks = ranking_weeks(district=district, week_start=week_start)

    def make():
        return build(ranking_for(district=district, week_start=week_start, weeks=weeks))

    # A published week's file is made once from its frozen rows and then read from the cache (reports/frozen.py).
    published = weeks[0]
    response = HttpResponse(make() if published is None else frozen(published, fmt, make), content_type=content_type)
    kind = "周通报" if fmt == "docx" else "周排名"
    name = f"{district.name}{kind}-{week_start:%Y%m%d}.{fmt}"
    audit_download(actor=request.user, obj=district, file=name, division_code=district.code)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


class WeightsForm(forms.Form):
    """One weight per indicator; they must add up to 1 (the service checks)."""

    note = forms.CharField(label=gettext_lazy("Why the change"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for indicator in INDICATORS:
            self.fields[indicator.key] = forms.FloatField(label=indicator.label, min_value=0, max_value=1)
        self.order_fields([i.key for i in INDICATORS] + ["note"])


@login_required
def ranking_weights(request):
    """The district's weights: the ones that apply, their history, and (for district administrators) a change."""
    districts = ranking_districts(request.user)
    district = _district(request, districts)
    weights, version = current_weights(district)
    may_change = is_district_admin(request.user, district)
    form = WeightsForm(initial=weights)
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        form = WeightsForm(request.POST)
        if form.is_valid():
            data = {i.key: form.cleaned_data[i.key] for i in INDICATORS}
            try:
                weights_set(actor=request.user, district=district, weights=data, note=form.cleaned_data["note"])
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("The new weights apply to every week not yet published."))
                return redirect(f"{reverse('reports:ranking-weights')}?district={district.code}")
    return render(
        request,
        "reports/ranking_weights.html",
        {
            "district": district,
            "current": [(i, weights[i.key]) for i in INDICATORS],
            "version": version,
            "versions": WeightVersion.objects.filter(district=district).select_related("created_by")[:20],
            "form": form if may_change else None,
            "indicators": INDICATORS,
        },
    )
