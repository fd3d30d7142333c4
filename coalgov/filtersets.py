import django_filters
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from .filters import ANY, UnitFilterSet
from .models import ACTION_LABELS, AuditEvent


class AuditEventFilterSet(UnitFilterSet):
    """Search the audit log: by who, which unit's records, what kind of change, which record, when."""

    actor = django_filters.CharFilter(label=_("User"), field_name="actor__username", lookup_expr="iexact")
    action = django_filters.ChoiceFilter(label=_("Action"), choices=list(ACTION_LABELS.items()), empty_label=ANY)
    content_type = django_filters.ModelChoiceFilter(
        label=_("Kind of record"),
        queryset=ContentType.objects.filter(app_label__in=["households", "inspections", "divisions", "auth"]),
        empty_label=ANY,
    )
    object_id = django_filters.CharFilter(label=_("Record number"))
    at = django_filters.DateFromToRangeFilter(label=_("Date"), field_name="at__date")

    class Meta:
        model = AuditEvent
        fields = ["actor", "division", "action", "content_type", "object_id", "at"]
