"""Shared views: the scoped base classes every page builds on, and the health check."""

import logging
import sys

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError, connection
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults
from django_filters.views import FilterView
from rest_framework import exceptions

from divisions.scoping import Role, has_role

from .audit import readable_changes
from .filtersets import AuditEventFilterSet
from .middleware import is_api
from .models import AuditEvent


class ScopedMixin(LoginRequiredMixin):
    """Cut the view's queryset to the user's jurisdiction; an object outside it is a 404."""

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)


class ScopedFilterView(ScopedMixin, FilterView):
    """A list page: the user's jurisdiction, then the model's FilterSet (the same one the API uses)."""

    paginate_by = 50

    def get_filterset_kwargs(self, filterset_class):
        # Always bind, as the API does: a page opened without parameters is an empty filter, and the
        # FilterSet's defaults (voided records hidden) apply to it too. django-filter leaves it unbound.
        return {**super().get_filterset_kwargs(filterset_class), "data": self.request.GET}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The current filters without the page number, for pagination links.
        query = self.request.GET.copy()
        query.pop("page", None)
        context["filter_query"] = query.urlencode()
        return context


def object_or_404(queryset, pk):
    """get_object_or_404 for an id that came from a form or query string: anything but digits is a 404."""
    text = str(pk or "")
    if not (text.isascii() and text.isdigit() and len(text) < 19):
        raise Http404
    return get_object_or_404(queryset, pk=int(text))


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_broker() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
    return "ok"


def healthz(request):
    """Liveness and readiness: 200 when the database and the broker answer, 503 otherwise.

    `?live` answers from the process alone, for a liveness probe that must not fail with the database.
    """
    if "live" in request.GET:
        return JsonResponse({"status": "ok"})
    checks, healthy = {}, True
    for name, check in (("database", _check_database), ("broker", _check_broker)):
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which
            checks[name] = f"error: {exc.__class__.__name__}"
            healthy = False
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


# How long a client should wait before trying again when the database or the file storage is down; the phone
# page retries on its own after a 5xx.
RETRY_AFTER_SECONDS = 30
logger = logging.getLogger(__name__)


def is_outage(exc: BaseException | None) -> bool:
    """A database that does not answer (refused, dropped, gone) or storage that cannot be written (full,
    read-only, unmounted): the request was fine and may well work in a moment, so the answer is 503."""
    return isinstance(exc, OperationalError | InterfaceError | OSError)


def api_error(status: int, detail, code: str) -> JsonResponse:
    """An error in the API's shape (coalgov.api.exception_handler), for what fails before any API view runs."""
    return JsonResponse({"detail": str(detail), "code": code}, status=status, json_dumps_params={"ensure_ascii": False})


# handler404, handler403, handler400: the site's Chinese pages, or under /api/ the API's JSON with DRF's own
# (translated) messages, the same words a viewset answers with. They come into play when no API view does: an
# unknown path, or a request that a middleware refuses (too many fields, a bad Host).


def page_not_found(request, exception):
    if is_api(request):
        return api_error(404, exceptions.NotFound.default_detail, "not_found")
    return defaults.page_not_found(request, exception)


def permission_denied(request, exception):
    if is_api(request):
        return api_error(403, exceptions.PermissionDenied.default_detail, "permission_denied")
    return defaults.permission_denied(request, exception)


def bad_request(request, exception):
    if is_api(request):
        return api_error(400, exceptions.ParseError.default_detail, "bad_request")
    if not hasattr(request, "user"):
        # Refused before the session was read (a Host that is not ours, by SecurityMiddleware): the page's
        # layout asks for the user, and without one the 400 became a server error.
        request.user = AnonymousUser()
    return defaults.bad_request(request, exception)


def server_error(request):
    """handler500: a Chinese page in the site's layout, JSON under /api/; 503 with Retry-After for an outage.

    Django calls it inside the `except` that caught the error, so sys.exc_info() says what failed. It renders
    without the request's context: the context processors and the layout's menu would read the session and
    the user from the database, which may be the very thing that is down.
    """
    unavailable = is_outage(sys.exc_info()[1])
    status = 503 if unavailable else 500
    message = (
        _("The system is briefly unavailable (the database or file storage does not answer). Try again in a moment.")
        if unavailable
        else _("Something went wrong on the server. The error has been recorded; try again later.")
    )
    if is_api(request):
        body = {"code": "unavailable" if unavailable else "server_error", "detail": message}
        response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    else:
        try:
            response = HttpResponse(loader.render_to_string("500.html", {"unavailable": unavailable}))
        except Exception:  # the error page itself failed: say it plainly rather than not at all
            logger.exception("The error page could not be rendered")
            response = HttpResponse(message, content_type="text/plain; charset=utf-8")
    response.status_code = status
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def favicon(request):
    """/favicon.ico, which browsers and bookmark tools ask for whatever the page links: the static one."""
    return HttpResponsePermanentRedirect(staticfiles_storage.url("favicon.ico"))


class AuditLogView(ScopedFilterView):
    """The audit log, for the district coal office: who changed what, when, from what to what."""

    queryset = AuditEvent.objects.select_related("actor", "content_type")
    filterset_class = AuditEventFilterSet
    template_name = "audit_log.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not has_role(request.user, Role.DISTRICT_ADMIN):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = [
            (event, readable_changes(event.content_type.model_class(), event.changes) if event.changes else [])
            for event in context["object_list"]
        ]
        return context
