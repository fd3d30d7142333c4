import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coalgov.filters import ANY, YesNoAny
from households.filtersets import visible_units

from .models import Accountability, Case, SupervisionNotice


class CaseFilterSet(django_filters.FilterSet):
    """The one case filter: the case list page and /api/v1/cases/."""

    q = django_filters.CharFilter(label=_("Search"), field_name="title", lookup_expr="icontains")
    division = django_filters.ModelChoiceFilter(
        label=_("Unit"),
        queryset=visible_units,
        empty_label=ANY,
        to_field_name="code",
        field_name="division_code",
        method="filter_division",
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Case.Status.choices, empty_label=ANY)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Case.Source.choices, empty_label=ANY)
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=Case.Severity.choices, empty_label=ANY)
    overdue = django_filters.BooleanFilter(label=_("Overdue"), widget=YesNoAny, method="filter_overdue")
    rebounded = django_filters.BooleanFilter(label=_("Rebounded"), widget=YesNoAny, method="filter_rebounded")
    deadline = django_filters.DateFromToRangeFilter(label=_("Deadline"))
    notice = django_filters.NumberFilter(label=_("Supervision notice"), field_name="notice_id")
    household = django_filters.NumberFilter(label=_("Place"), field_name="household_id")
    duplicates = django_filters.BooleanFilter(label=_("Show duplicates"), widget=YesNoAny, method="filter_duplicates")

    class Meta:
        model = Case
        fields = ["q", "division", "status", "source", "severity", "overdue", "rebounded", "deadline"]

    def filter_queryset(self, queryset):
        # Voided cases never show; duplicates only when asked (they are not counted).
        queryset = queryset.filter(voided_at__isnull=True)
        if not self.form.cleaned_data.get("duplicates"):
            queryset = queryset.filter(duplicate_of__isnull=True)
        return super().filter_queryset(queryset)

    def filter_division(self, queryset, name, value):
        return queryset.filter(division_code__startswith=value.code)

    def filter_overdue(self, queryset, name, value):
        late = queryset.exclude(status=Case.Status.CLOSED).filter(deadline__lt=timezone.localdate())
        return late if value else queryset.exclude(pk__in=late.values("pk"))

    def filter_rebounded(self, queryset, name, value):
        return queryset.filter(rebounds__gt=0) if value else queryset.filter(rebounds=0)

    def filter_duplicates(self, queryset, name, value):
        return queryset


class SupervisionNoticeFilterSet(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(label=_("Issued by"), choices=SupervisionNotice.Level.choices, empty_label=ANY)
    issued_on = django_filters.DateFromToRangeFilter(label=_("Issued on"))

    class Meta:
        model = SupervisionNotice
        fields = ["level", "issued_on"]


class AccountabilityFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Measure"), choices=Accountability.Kind.choices, empty_label=ANY)
    level = django_filters.ChoiceFilter(label=_("Level"), choices=Accountability.Level.choices, empty_label=ANY)
    division = django_filters.ModelChoiceFilter(
        label=_("Unit"),
        queryset=visible_units,
        empty_label=ANY,
        to_field_name="code",
        field_name="division_code",
        method="filter_division",
    )
    decided_on = django_filters.DateFromToRangeFilter(label=_("Date"))

    class Meta:
        model = Accountability
        fields = ["kind", "level", "division", "decided_on"]

    def filter_division(self, queryset, name, value):
        return queryset.filter(division_code__startswith=value.code)
