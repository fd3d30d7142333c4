"""The API's session authentication.

Its own module: DRF reads DEFAULT_AUTHENTICATION_CLASSES when rest_framework.views is first imported, so the
class must not live in a module that imports the views (coalgov.api does).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions


class CsrfFailed(exceptions.PermissionDenied):
    default_detail = _("The page's security token is missing or has expired. Reload the page and send it again.")
    default_code = "csrf_failed"


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's, with a failed CSRF check answered in the client's language with code "csrf_failed".

    DRF's own refusal is "CSRF Failed: CSRF token missing." in English whatever the language. The status stays
    403: the phone page takes a 403 as a token that may have gone stale and fetches a fresh one.
    """

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            raise CsrfFailed from exc
