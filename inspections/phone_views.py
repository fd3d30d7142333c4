"""The phone page (/field/): find a household, record a visit, keep it on the phone until the server has it.

The page is one HTML shell plus `static/js/field.js`. Every visit goes into an IndexedDB queue on the phone
first and is then POSTed to /api/v1/inspections/ with its client-generated `client_uuid`, so a resend
never makes a second record. The service worker (`sw.js`, scope /field/) keeps the shell and the household
lists fetched earlier available without a signal. See docs/phone.md.
"""

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from divisions.models import Division, Level
from divisions.scoping import may_enter_somewhere

from .models import Inspection, Seizure
from .services import COAL_ITEMS, NO_COAL_WITH_COAL, NOT_NIGHT, SEIZURE_QUANTITY_MAX

# The static files the page needs; the service worker caches them when it installs.
SHELL_STATIC = [
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "css/site.css",
    "css/field.css",
    "js/field.js",
    # field.js's ES modules (the page's import map names them); all cached, or the page would not start offline.
    "js/field/common.js",
    "js/field/queue.js",
    "js/field/offline.js",
    "js/field/pickers.js",
    "js/field/forms.js",
]

# What a visit may take away, as the phone asks for it: item, short label, unit, default method, step.
SEIZURE_ROWS = [
    (Seizure.Item.BRIQUETTE, gettext_lazy("Briquettes"), gettext_lazy("pieces"), Seizure.Method.VOLUNTARY, "1"),
    (Seizure.Item.LOOSE_COAL, gettext_lazy("Loose coal"), gettext_lazy("kg"), Seizure.Method.VOLUNTARY, "0.01"),
    (Seizure.Item.STOVE, gettext_lazy("Stove"), gettext_lazy("stoves"), Seizure.Method.DESTROYED, "1"),
    (Seizure.Item.CHARCOAL, gettext_lazy("Charcoal"), gettext_lazy("boxes"), Seizure.Method.VOLUNTARY, "1"),
]

# Outcomes after which nothing can have been taken away (the service refuses seizures with them).
NO_SEIZURE_OUTCOMES = [Inspection.Outcome.REFUSED, Inspection.Outcome.NOBODY_HOME]


def _communities(user) -> list[dict]:
    """The communities (or, for a grid member, grids) where the user may record visits, by subdistrict."""
    units = list(
        Division.objects.enterable_by(user, "inspection")
        .filter(is_active=True, level__in=[Level.COMMUNITY, Level.GRID])
        .select_related("parent")
        .order_by("code")
    )
    communities = [u for u in units if u.level == Level.COMMUNITY]
    covered = tuple(c.code for c in communities)
    grids = [u for u in units if u.level == Level.GRID and not u.code.startswith(covered)]
    return [
        {"code": u.code, "name": u.name, "group": u.parent.name if u.parent else ""}
        for u in sorted([*communities, *grids], key=lambda u: u.code)
    ]


def _strings() -> dict:
    """Everything field.js says to the user, translated for the page's language."""
    return {
        "waiting": _("Waiting"),
        "sending": _("Sending…"),
        "failed": _("Not accepted"),
        "sent": _("Sent"),
        "voided": _("Voided by the office"),
        "saved": _("Saved on this phone."),
        "sent_ok": _("Sent to the server."),
        "kept_offline": _("No signal: kept on this phone, it will be sent when the signal returns."),
        "not_accepted": _("The server did not accept this entry; see the list below."),
        "no_connection": _("No connection; will try again."),
        "server_error": _("The server did not answer; will try again."),
        "signed_out": _("You are signed out. Sign in again, then tap Retry."),
        "sign_in": _("Sign in"),
        "other_user": _("Recorded by %(user)s: it is sent when they sign in on this phone."),
        "not_saved": _("Could not save on this phone (storage full or blocked)."),
        "retry": _("Retry"),
        "delete": _("Delete"),
        "confirm_delete": _("Delete this entry? It has not been sent and will be lost."),
        "confirm_delete_waiting": _(
            "Delete this entry? It will not be sent. If an earlier try reached the server after all, the visit is "
            "recorded there and only the subdistrict or district office can void it."
        ),
        "choose_household": _("Choose a household first."),
        "choose_outcome": _("Choose what was found."),
        "quantity_positive": _("Quantities must be greater than zero."),
        "whole_numbers": _("%(item)s are counted in whole numbers."),
        "loading": _("Loading households…"),
        "loaded": _("Households: %(n)s"),
        "load_failed": _("Could not load the households."),
        "not_cached": _("No signal, and this community was not opened before on this phone."),
        "no_results": _("No household found."),
        "locating": _("Finding your position…"),
        "no_location": _("Your position is not available."),
        "nearby_none": _("No household with a known location within 300 m."),
        "distance": _("%(m)s m"),
        "all_estates": _("All"),
        "visit_at": _("Visit at %(time)s"),
        "photo_count": _("Photos: %(n)s"),
        "remove_photo": _("Remove photo"),
        "photo_unreadable": _("%(name)s could not be read as a photo."),
        "clock_off": _(
            "This phone's clock is %(minutes)s minutes off the server's: set its date and time, or visits are "
            "recorded at the wrong time."
        ),
        "clock_off_days": _(
            "This phone's clock is %(days)s days off the server's: set its date and time, or visits are recorded on "
            "the wrong day."
        ),
        "quantity_too_large": _("%(quantity)s is more than one place holds (at most %(max)s a row): check the figure."),
        "discard_visit": _("Leave this visit? What was entered for it, photos too, will not be kept."),
        "photos_too_large": _(
            "The photos come to %(total)s MB; one visit sends at most %(max)s MB. Remove some photos, then save."
        ),
        "online": _("Online"),
        "offline": _("Offline"),
        "attempts": _("tried %(n)s times"),
        "busy": _("The server is busy; will try again later."),
        "incomplete": _("The upload was cut off; will send it again."),
        "field_error": _("%(field)s: %(message)s"),
        "separator": pgettext("between the server's messages about an entry", "; "),
        "building": _("Building %(n)s"),
        "stairwell": _("Stairwell %(n)s"),
        "not_night": str(NOT_NIGHT),
        "no_coal_with_coal": str(NO_COAL_WITH_COAL),
        "other_sign_in": _(
            "This page was saved on this phone for an earlier sign-in. Open it once with a signal to use it offline."
        ),
    }


def _sign_in_mark(request) -> str:
    """A mark of this sign-in, which the page checks against the phone's cookies when it opens offline.

    Django gives the browser a new CSRF cookie at every sign-in (and the page sets it: `get_token`), so a
    copy of the page saved by the service worker for an earlier sign-in — perhaps another inspector's, on
    a phone passed on — no longer matches, and is not shown. A hash: the cookie's value is not repeated.
    """
    get_token(request)
    return hashlib.sha256(request.META["CSRF_COOKIE"].encode()).hexdigest()


def _config(request) -> dict:
    return {
        "user": request.user.get_username(),
        "userName": request.user.first_name or request.user.get_username(),
        "signIn": _sign_in_mark(request),
        "urls": {
            "households": reverse("api:household-list"),
            "inspections": reverse("api:inspection-list"),
            "page": reverse("field:page"),
            "sw": reverse("field:sw"),
            "clock": f"{reverse('healthz')}?live",  # its Date header: the server's time (common.js checkClock)
            "login": f"{reverse('login')}?{urlencode({'next': reverse('field:page')})}",
        },
        "csrfCookie": settings.CSRF_COOKIE_NAME,
        # The server's rule for "at night" (services.is_night): this window, in the server's time zone.
        "night": {"start": settings.NIGHT_START, "end": settings.NIGHT_END, "timeZone": settings.TIME_ZONE},
        "photoMaxBytes": settings.PHOTO_MAX_BYTES,
        "photoMaxSide": settings.PHOTO_MAX_SIDE,
        "uploadMaxBytes": settings.UPLOAD_MAX_BYTES,
        "noSeizureOutcomes": [str(o) for o in NO_SEIZURE_OUTCOMES],
        "seizureMax": int(SEIZURE_QUANTITY_MAX),
        # services._check_seizures's rule, checked before the visit queues: the server would refuse it for good.
        "noCoal": {"outcome": str(Inspection.Outcome.NO_COAL), "items": [str(i) for i in COAL_ITEMS]},
        "items": {str(item): {"label": str(label), "whole": step == "1"} for item, label, _u, _m, step in SEIZURE_ROWS},
        "outcomes": dict(Inspection.Outcome.choices),
        "kinds": dict(Inspection.Kind.choices),
        "fields": {
            "household": str(Inspection._meta.get_field("household").verbose_name),
            "kind": str(Inspection._meta.get_field("kind").verbose_name),
            "outcome": str(Inspection._meta.get_field("outcome").verbose_name),
            "started_at": str(Inspection._meta.get_field("started_at").verbose_name),
            "notes": str(Inspection._meta.get_field("notes").verbose_name),
            "seizures": _("Taken away"),
            "photos": _("Photos"),
        },
        "strings": _strings(),
    }


@never_cache
@ensure_csrf_cookie
@login_required
def page(request):
    """The phone page. Only for people who may record visits somewhere; others get 403."""
    if not may_enter_somewhere(request.user, "inspection"):
        raise PermissionDenied
    context = {
        "communities": _communities(request.user),
        "kinds": Inspection.Kind.choices,
        "outcomes": Inspection.Outcome.choices,
        "seizure_rows": [
            {"item": item, "label": label, "unit": unit, "default": method, "step": step}
            for item, label, unit, method, step in SEIZURE_ROWS
        ],
        "methods": Seizure.Method.choices,
        "notes_max_length": Inspection._meta.get_field("notes").max_length,
        "config": _config(request),
    }
    return render(request, "field/page.html", context)


def _fingerprint(urls: list[str], paths: list[str]) -> str:
    """A version for the service worker: changes whenever a cached file's URL or content changes."""
    digest = hashlib.sha256()
    for url in urls:
        digest.update(url.encode())
    for path in paths:
        found = finders.find(path)
        if found:
            digest.update(Path(found).read_bytes())
    return digest.hexdigest()[:16]


@require_GET
def service_worker(request):
    """The service worker script, at /field/sw.js so that its scope is /field/.

    Public: the browser checks it for updates with or without a session, and it holds no data.
    """
    static_urls = [static(path) for path in SHELL_STATIC]
    shell = {
        "page": reverse("field:page"),
        "static": [*static_urls, reverse("field:manifest")],
        "data": [reverse("api:household-list")],
        "login": reverse("login"),
    }
    body = render(
        request,
        "field/sw.js",
        {"shell": json.dumps(shell), "version": _fingerprint([*static_urls, shell["page"]], SHELL_STATIC)},
    ).content
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request):
    """A web app manifest, so the page can be added to the home screen and opens full-screen."""
    data = {
        "name": _("Loose-coal control · field check"),
        "short_name": _("Field check"),
        "start_url": reverse("field:page"),
        "scope": reverse("field:page"),
        "display": "standalone",
        "background_color": "#212529",
        "theme_color": "#198754",
        "lang": request.LANGUAGE_CODE,
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response
