"""The API's token and session authentication, the sign-in throttle's pieces and who may read the API's documentation.

Its own module: DRF reads DEFAULT_AUTHENTICATION_CLASSES when rest_framework.views is first imported, so the
class must not live in a module that imports the views (coalgov.api does).
"""

import contextlib
import functools
import math
from hmac import compare_digest

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox import auth as knox_auth
from knox.crypto import hash_token
from rest_framework import authentication, exceptions, permissions

from .middleware import is_api


class CsrfFailed(exceptions.PermissionDenied):
    default_detail = _("The page's security token is missing or has expired. Reload the page and send it again.")
    default_code = "csrf_failed"


class TokenRefused(exceptions.AuthenticationFailed):
    default_detail = _("This API token is not valid: it was revoked or never existed. Obtain a new one.")


class TokenExpired(exceptions.AuthenticationFailed):
    default_detail = _("This API token has expired. Obtain a new one with your password.")
    default_code = "token_expired"


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's, telling a script whose token has run out that it expired, in the client's language.

    knox answers an expired token as it answers a made-up one ("Invalid token.", in English): the script's owner
    could not tell a lifetime that ended (get a new token) from a revoked or mistyped one. Both are 401: a revoked
    or made-up token with code "authentication_failed", an expired one with "token_expired".
    """

    def authenticate_credentials(self, token):
        self._presented, self._expired, self._matched = token, False, False
        try:
            return super().authenticate_credentials(token)
        except exceptions.AuthenticationFailed as exc:
            if self._expired:
                raise TokenExpired from exc
            if not self._matched:  # an inactive user's token matched and keeps knox's own refusal
                raise TokenRefused from exc
            raise

    def validate_user(self, auth_token):
        self._matched = True
        return super().validate_user(auth_token)

    def _cleanup_token(self, auth_token) -> bool:
        # knox deletes an expired token here, so that only the first call after it ran out would hear why. It is
        # kept and skipped instead, answered "expired" every time, until knox removes it with the other expired
        # tokens of its user the next time one of theirs that works is used.
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            with contextlib.suppress(TypeError, ValueError):  # not a token knox could hash: refused as invalid
                presented = hash_token(self._presented.decode())
                self._expired = self._expired or compare_digest(presented, auth_token.digest)
            return True
        return super()._cleanup_token(auth_token)


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


class SignInThrottleBackend(AxesStandaloneBackend):
    """django-axes' check, first among the backends: a username locked out at this address is refused.

    Without a request there is no client to throttle (a shell, a management command, a test's client.login()),
    so the check steps aside instead of raising as axes' own backend does.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request) -> str:
    """The client's address: the connection's, or the one the last TRUSTED_PROXY_COUNT proxies recorded.

    Only the entries our own proxies appended are trusted; anything further left a client may have written.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")


def lockout_seconds(request=None, username: str | None = None) -> int:
    """Seconds until `username` may sign in again from the request's address (the whole cool-off without them).

    The cool-off runs from the failure that locked the name out (guesses during it are not recorded, see
    AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT): someone trying again ten minutes in is told what is left.
    """
    from axes.models import AccessAttempt

    cool_off = settings.AXES_COOLOFF_TIME
    last = None
    if request is not None and username:
        attempts = AccessAttempt.objects.filter(username=username, ip_address=client_ip(request))
        last = attempts.order_by("-attempt_time").values_list("attempt_time", flat=True).first()
    if last is None:
        return int(cool_off.total_seconds())
    return max(1, math.ceil((last + cool_off - timezone.now()).total_seconds()))


def lockout_message(seconds: int | None = None) -> str:
    if seconds is None:
        seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    minutes = max(1, math.ceil(seconds / 60))
    return _(
        "Too many wrong passwords for this user from this address. Try again in %(minutes)d minutes, "
        "or ask the district coal office to check your account."
    ) % {"minutes": minutes}


class SignInThrottled(exceptions.Throttled):
    default_code = "sign_in_throttled"

    def __init__(self, seconds: int | None = None):
        # The message already says how long; DRF would append the wait in seconds. Retry-After still says it.
        seconds = int(settings.AXES_COOLOFF_TIME.total_seconds()) if seconds is None else seconds
        super().__init__(detail=lockout_message(seconds))
        self.wait = seconds


def locked_out(request, response=None, credentials=None):
    """What a locked-out sign-in gets (axes' AXES_LOCKOUT_CALLABLE): 429, and why, in the user's language.

    The sign-in page is shown again with the reason above the form; the API answers in its usual error shape.
    """
    from django.contrib.auth.forms import AuthenticationForm

    username = (credentials or {}).get("username", "")
    seconds = lockout_seconds(request, username)
    if is_api(request):
        return JsonResponse(
            {"detail": lockout_message(seconds), "code": SignInThrottled.default_code},
            status=429,
            headers={"Retry-After": str(seconds)},
        )
    form = AuthenticationForm(request, data=None, initial={"username": username})
    context = {"form": form, "next": request.POST.get("next", ""), "locked_out_message": lockout_message(seconds)}
    return render(request, "registration/login.html", context, status=429)


class ApiDocsPermission(permissions.BasePermission):
    """The API schema and documentation: signed-in users only, unless API_DOCS_PUBLIC is on."""

    def has_permission(self, request, view):
        return settings.API_DOCS_PUBLIC or bool(request.user and request.user.is_authenticated)


def token_or_login_required(view):
    """A page's file that scripts fetch too (a photo whose address the API gives): a request carrying an API
    token is answered for the token's user, or 401 in the API's shape for a token that does not work; without
    one, the page's session as with login_required (a person is sent to sign in)."""
    page_view = login_required(view)

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.META.get("HTTP_AUTHORIZATION", "").startswith(settings.REST_KNOX["AUTH_HEADER_PREFIX"] + " "):
            return page_view(request, *args, **kwargs)
        try:
            found = TokenAuthentication().authenticate(request)
        except exceptions.AuthenticationFailed as exc:
            found, refusal = None, exc
        else:
            refusal = exceptions.AuthenticationFailed()
        if found is None:
            return JsonResponse({"detail": str(refusal.detail), "code": refusal.detail.code}, status=401)
        request.user = found[0]
        return view(request, *args, **kwargs)

    return wrapped
