"""The API's filter backend: django-filter's, strict about the names it is asked for."""

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing a query parameter the list does not know (400, one message per name).

    Ignored, a misspelt filter (`?start=` for `?date_after=`, `?community=` for `?division=`) answered with every
    record the caller may see, as if filtered: a script's figures were wrong with no word about it.
    """

    # Read by the pagination (cursor, page_size) and by DRF (format), not by the filterset.
    OTHER_PARAMETERS = frozenset({"cursor", "page_size", "format"})

    def filter_queryset(self, request, queryset, view):
        # A list without filters (the departments) takes none: a name asked for would be ignored as well, and so
        # would a page size where the list comes whole.
        if self.get_filterset_class(view, queryset) is None:
            unknown = sorted(set(request.query_params) - self._other_parameters(view))
            if unknown:
                raise ValidationError({name: [_("This list has no filters.")] for name in unknown})
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            known = set(self._other_parameters(view))
            for name, field in filterset.form.fields.items():
                # A range filter is asked for by its suffixed names (date_after, date_before), not its own.
                suffixes = getattr(field.widget, "suffixes", None) or [""]
                known.update(f"{name}_{suffix}" if suffix else name for suffix in suffixes)
            unknown = sorted(set(request.query_params) - known)
            if unknown:
                message = _("This list has no such filter. Its filters: %(names)s.") % {
                    "names": ", ".join(sorted(known - self.OTHER_PARAMETERS))
                }
                if "cursor" in known:  # ?page=2 is a page number where the pages go by cursor
                    message += _(" Its pages are asked for with cursor and page_size (the link in `next`).")
                raise ValidationError({name: [message] for name in unknown})
        return filterset

    def _other_parameters(self, view) -> frozenset:
        """The names read by DRF (format) and, where the list is paged, by its pagination (cursor, page_size)."""
        return self.OTHER_PARAMETERS if getattr(view, "paginator", None) is not None else frozenset({"format"})
