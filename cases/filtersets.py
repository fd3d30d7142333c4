import django_filters
from django.utils.translation import gettext_lazy as _

from coalgov.filters import ANY, DateRangeFilter, NoYes, UnitFilterSet, YesNoAny, id_filter
from inspections.selectors import local_bounds

from .models import Accountability, Case, CaseEvent, SupervisionNotice, undone_reopenings

# The steps a unit's figures count in a period (cases.selectors.case_figures): a figure's link lists its cases.
STEPS = [
    (CaseEvent.Action.OPENED, _("opened")),
    (CaseEvent.Action.RECTIFIED, _("reported rectified")),
    (CaseEvent.Action.CLOSED, _("verified and closed")),
    (CaseEvent.Action.REOPENED, _("reopened: coal found again")),
]


class CaseFilterSet(UnitFilterSet):
    """The one case filter: the case list page and /api/v1/cases/."""

    q = django_filters.CharFilter(label=_("Search"), field_name="title", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Case.Status.choices, empty_label=ANY)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Case.Source.choices, empty_label=ANY)
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=Case.Severity.choices, empty_label=ANY)
    overdue = django_filters.BooleanFilter(label=_("Overdue"), widget=YesNoAny, method="filter_overdue")
    rebounded = django_filters.BooleanFilter(label=_("Rebounded"), widget=YesNoAny, method="filter_rebounded")
    deadline = DateRangeFilter(label=_("Deadline"))
    step = django_filters.ChoiceFilter(label=_("Step taken"), choices=STEPS, empty_label=ANY, method="filter_step")
    step_on = DateRangeFilter(label=_("Step taken on"), method="filter_step")
    notice = id_filter(label=_("Supervision notice"), field_name="notice_id")
    household = id_filter(label=_("Place"), field_name="household_id")
    duplicates = django_filters.BooleanFilter(label=_("Show duplicates"), widget=NoYes, method="filter_duplicates")
    voided = django_filters.BooleanFilter(label=_("Voided"), widget=NoYes, method="filter_voided")

    class Meta:
        model = Case
        fields = ["q", "division", "status", "source", "severity", "overdue", "rebounded", "deadline"]

    def filter_queryset(self, queryset):
        # Current cases unless voided ones are asked for (then only those: they are not counted anywhere, and a
        # clerk looks for one to see why it was voided); duplicates only when asked (they are not counted either).
        queryset = queryset.filter(voided_at__isnull=not self.form.cleaned_data.get("voided"))
        if not self.form.cleaned_data.get("duplicates"):
            queryset = queryset.filter(duplicate_of__isnull=True)
        queryset = self._with_step(queryset, self.form.cleaned_data.get("step"), self.form.cleaned_data.get("step_on"))
        return super().filter_queryset(queryset)

    def _with_step(self, queryset, step, period):
        """Cases that took `step` (any of STEPS without one) in `period`: the cases a unit page's figure counts,
        the days bounded as case_figures bounds them (local midnight to midnight)."""
        if not step and not (period and (period.start or period.stop)):
            return queryset
        events = CaseEvent.objects.filter(action__in=[step] if step else [value for value, _label in STEPS])
        events = events.exclude(pk__in=undone_reopenings())  # a reopening undone is no step taken
        lower, upper = local_bounds(period.start, period.stop) if period else (None, None)
        if lower:
            events = events.filter(at__gte=lower)
        if upper:
            events = events.filter(at__lt=upper)
        return queryset.filter(pk__in=events.values("case_id"))

    def filter_step(self, queryset, name, value: str):
        return queryset  # step and step_on together, in filter_queryset

    def filter_voided(self, queryset, name, value):
        return queryset  # applied in filter_queryset, before the other filters

    def filter_overdue(self, queryset, name, value):
        late = queryset.overdue()
        return late if value else queryset.exclude(pk__in=late.values("pk"))

    def filter_rebounded(self, queryset, name, value):
        return queryset.filter(rebounds__gt=0) if value else queryset.filter(rebounds=0)

    def filter_duplicates(self, queryset, name, value):
        return queryset


class SupervisionNoticeFilterSet(UnitFilterSet):
    level = django_filters.ChoiceFilter(label=_("Issued by"), choices=SupervisionNotice.Level.choices, empty_label=ANY)
    issued_on = DateRangeFilter(label=_("Issued on"))

    class Meta:
        model = SupervisionNotice
        fields = ["level", "issued_on"]


class AccountabilityFilterSet(UnitFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Measure"), choices=Accountability.Kind.choices, empty_label=ANY)
    level = django_filters.ChoiceFilter(label=_("Level"), choices=Accountability.Level.choices, empty_label=ANY)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Accountability.Status.choices, empty_label=ANY)
    decided_on = DateRangeFilter(label=_("Date"))

    class Meta:
        model = Accountability
        fields = ["kind", "level", "status", "division", "decided_on"]
