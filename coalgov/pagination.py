"""API pagination. Kept apart from coalgov.api: DRF imports it while its own viewsets load."""

import binascii
from base64 import b64decode
from urllib import parse

from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

from coalgov.filters import MAX_ID


class CursorPagination(pagination.CursorPagination):
    """Stable pages over registers that change while a phone pages through them."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        # DRF reads "abc", "0" or "-5" as the default size and 100000 as the largest, silently: a script would
        # page on with a size it did not ask for. Say so instead.
        asked = request.query_params.get(self.page_size_query_param)
        if asked is None or not asked.strip():  # absent or left empty (page_size=): the default
            return self.page_size
        try:
            size = int(asked)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            message = _("Ask for a page size from 1 to %(max)s.") % {"max": self.max_page_size}
            raise ValidationError({self.page_size_query_param: [message]})
        return size

    def decode_cursor(self, request):
        # A cursor the client mangled is a bad parameter (400 on `cursor`), not a page that does not exist (404),
        # and not a 500: a well-formed cursor whose position is not an id (p=abc) failed in the query.
        # A cursor is base64 of an offset, a direction and a position (o, r, p). DRF skips characters outside
        # base64 and ignores other keys: "%%%", "===", "junk" or "x=1" read as no cursor, the first page.
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is not None:
            try:
                fields = parse.parse_qs(b64decode(encoded.encode("ascii"), validate=True).decode("ascii"), True)
                if not fields or not set(fields) <= {"o", "r", "p"}:
                    raise ValueError(encoded)
            except (UnicodeError, binascii.Error, ValueError) as exc:
                raise self._bad_cursor() from exc
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise self._bad_cursor() from exc
        # paginate_queryset has set self.ordering (a tuple) before it decodes the cursor.
        ordering = (self.ordering,) if isinstance(self.ordering, str) else self.ordering
        ordered_by_id = ordering[0].lstrip("-") in ("id", "pk")
        if cursor is not None and cursor.position is not None and ordered_by_id:
            try:
                position = int(cursor.position)
            except ValueError as exc:
                raise self._bad_cursor() from exc
            if abs(position) > MAX_ID:  # past the database's range: an error in the query
                raise self._bad_cursor()
        return cursor

    def _bad_cursor(self) -> ValidationError:
        return ValidationError(
            {self.cursor_query_param: [_("This cursor is not one this list gave: follow the next or previous link.")]}
        )


class IdsFirstCursorPagination(CursorPagination):
    """A cursor page whose ids are chosen first, then whose rows are read by id (a deferred join).

    Choosing the ids reads only the columns of the list's conditions and its ordering, which an index may hold
    whole (households: household_unit_newest on the unit's code and id, with voided_at): the page of a unit
    listed by its code's prefix then sorts the unit's index entries, not its rows fetched from the table one by
    one. One query more, whatever the page size; the same rows in the same order. Ordered by the id alone.
    """

    def paginate_queryset(self, queryset, request, view=None):
        field = self.ordering.lstrip("-")  # the position is this one field, unique: the id
        chosen = super().paginate_queryset(queryset.values(field), request, view)
        if chosen is None:
            return None
        ids = [row[field] for row in chosen]
        # By id alone, from the view's queryset before any condition (its related rows selected): the ids are the
        # list's own. Its conditions again would let PostgreSQL, which cannot estimate how many rows a unit code's
        # prefix matches, scan the whole unit instead of reading the page's rows by their ids.
        source = getattr(view, "queryset", None)
        rows = (queryset if source is None else source.all()).in_bulk(ids, field_name=field)
        # A row changed in between (voided) so that it no longer matches is left out, as a moment later it would be.
        return [rows[pk] for pk in ids if pk in rows]
