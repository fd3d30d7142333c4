import django_filters
from django import forms
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .filters import ANY, DateRangeFilter, UnitFilterSet
from .models import ACTION_LABELS, AuditEvent

# The kinds of record the services audit (audit_record's `obj`), offered in the log's "kind of record" filter.
AUDITED = {
    "auth": ["user"],
    "divisions": ["membership", "monitoringstation"],
    "households": ["household"],
    "inspections": ["inspection", "nightoperation", "purchase", "ban", "conversion", "conversiontarget", "publicity"],
    "cases": ["case", "supervisionnotice", "accountability"],
    "digests": ["channel", "delivery"],
    "reports": ["weightversion", "rankingweek", "ledgerexport"],
}


def audited_kinds(request=None):
    audited = Q()
    for app_label, models in AUDITED.items():
        audited |= Q(app_label=app_label, model__in=models)
    return ContentType.objects.filter(audited).order_by("app_label", "model")


class KindOfRecordField(forms.ModelChoiceField):
    """A kind of record by its name in the reader's language (住户), not Django's "Households | 住户"."""

    def label_from_instance(self, obj: ContentType) -> str:
        return str(obj.name)


class KindOfRecordFilter(django_filters.ModelChoiceFilter):
    field_class = KindOfRecordField


class AuditEventFilterSet(UnitFilterSet):
    """Search the audit log: by who, which unit's records, what kind of change, which record, when."""

    actor = django_filters.CharFilter(label=_("User"), field_name="actor__username", lookup_expr="iexact")
    action = django_filters.ChoiceFilter(label=_("Action"), choices=list(ACTION_LABELS.items()), empty_label=ANY)
    content_type = KindOfRecordFilter(label=_("Kind of record"), queryset=audited_kinds, empty_label=ANY)
    object_id = django_filters.CharFilter(label=_("Record number"), method="filter_object_id")
    at = DateRangeFilter(label=_("Date"), field_name="at__date")

    class Meta:
        model = AuditEvent
        fields = ["actor", "division", "action", "content_type", "object_id", "at"]

    def filter_object_id(self, queryset, name, value):
        """The record's own entries; for a household registered by an import, that import's one entry too (its
        registration: households.imports writes no entry per household)."""
        value = value.strip()
        if not value:
            return queryset
        entries = Q(object_id=value)
        if value.isascii() and value.isdigit() and len(value) < 19:  # a number a bigint holds
            household = apps.get_model("households", "Household")  # by name: coalgov is below the apps
            imported = household.objects.filter(pk=int(value), import_event__isnull=False).values("import_event")
            entries |= Q(pk__in=imported, action="household.imported")
        return queryset.filter(entries)
