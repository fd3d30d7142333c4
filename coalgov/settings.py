"""Settings for the 散煤治理 case-management system.

Everything an operator may need to change comes from the environment (see README, "Configuration").
With nothing set the project runs for a developer: SQLite, no broker (tasks run in-process), DEBUG on.
With DEBUG off the defaults are the safe ones: a SECRET_KEY must be given, cookies are secure.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext_lazy as _

from coalgov.security import tile_source

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# Serving (coalgov/wsgi.py) refuses to start with DEBUG off and no SECRET_KEY; management commands
# (migrate, makemigrations --check, the loaders) need no secret and run with a throwaway one.
SECRET_KEY_FROM_ENVIRONMENT = bool(os.environ.get("SECRET_KEY"))
SECRET_KEY = os.environ.get("SECRET_KEY") or (
    "dev-only-insecure-key-do-not-use-in-production" if DEBUG else get_random_secret_key()
)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",  # only for migrating its old tokens to knox (divisions migration 0002)
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_bootstrap5",
    "csp",
    "coalgov",
    "divisions",
    "households",
    "inspections",
    "cases",
    "digests",
    "reports",
    "air",
    "planning",
]

# The register's list index carries voided_at as a non-key column (households 0009) so PostgreSQL counts a unit's
# current households from the index alone; SQLite (`make run`) has no such columns and builds it without: that is
# fine there, and its warning on every command would only alarm a newcomer.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The Content-Security-Policy and Permissions-Policy headers (static files, answered above, need neither).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "coalgov.middleware.ChosenLanguageMiddleware",
    # Before anything reads a request body (the CSRF check, the forms, the API's parsers): a body cut off
    # mid-upload is refused whole instead of parsed as if it were complete.
    "coalgov.uploads.CompleteUploadMiddleware",
    "coalgov.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a sign-in refused for too many failures into the sign-in page (or API error) saying so.
    "axes.middleware.AxesMiddleware",
]

# Fields of a refused form: only those with an error are marked (coalgov/rendering.py says why).
BOOTSTRAP5 = {"field_renderers": {"default": "coalgov.rendering.FieldRenderer"}}

ROOT_URLCONF = "coalgov.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "divisions.context_processors.jurisdiction",
            ],
        },
    },
]

WSGI_APPLICATION = "coalgov.wsgi.application"

# --- Data stores -------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "coalgov.cache.RedisCache",
            "LOCATION": REDIS_URL,
            # Every signed-in request reads its session here: a Redis that hangs costs a request two seconds at
            # most, and the session is then read from the database (coalgov/sessions.py).
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    # Sessions read from Redis, kept in the database: no session query per signed-in request. Only with Redis,
    # the cache every worker shares (coalgov/sessions.py says why).
    SESSION_ENGINE = "coalgov.sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ------------------------------------------------------------------------------------
# Without a broker, tasks run in the calling process so a developer's `make run` needs no Redis.

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "Asia/Shanghai"
# A task is acknowledged after it ran, so a worker killed mid-task leaves it to be redelivered.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands a task nobody acknowledged to another worker after the visibility timeout. A retry waiting for
# its countdown is held unacknowledged by a live worker the whole time (the digest's backoff reaches 30
# minutes, digests.robots.RETRY_MAX_SECONDS), so the timeout must outlast the longest countdown plus a run, or
# the live worker's retry would be run twice. Work of a killed worker is not left to this timeout: deliveries
# and ledger exports hold leases of minutes (DELIVERY_LEASE_SECONDS, LEDGER_LEASE_SECONDS) and beat's
# resume_stuck_* tasks re-queue them when a lease runs out; the broker's own redelivery, two hours on, then
# finds them done and does nothing (they are claimed before they run).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 3600}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic work, written into django-celery-beat's tables when beat starts (times are Asia/Shanghai).
CELERY_BEAT_SCHEDULE = {
    "send-daily-digests": {
        "task": "digests.tasks.send_daily_digests",
        "schedule": crontab(
            hour=os.environ.get("DIGEST_SEND_AT", "07:30").split(":")[0],
            minute=os.environ.get("DIGEST_SEND_AT", "07:30").split(":")[1],
        ),
    },
    "resume-stuck-deliveries": {"task": "digests.tasks.resume_stuck_deliveries", "schedule": 300.0},
    "check-case-deadlines": {
        "task": "cases.tasks.check_case_deadlines",
        "schedule": crontab(
            hour=os.environ.get("CASE_DEADLINE_CHECK_AT", "06:00").split(":")[0],
            minute=os.environ.get("CASE_DEADLINE_CHECK_AT", "06:00").split(":")[1],
        ),
    },
    "expire-ledger-exports": {"task": "reports.tasks.expire_ledger_exports", "schedule": 3600.0},
    "resume-stuck-ledger-exports": {"task": "reports.tasks.resume_stuck_ledger_exports", "schedule": 300.0},
    "expire-household-imports": {"task": "households.tasks.expire_household_imports", "schedule": 3600.0},
    "resume-stuck-household-imports": {"task": "households.tasks.resume_stuck_household_imports", "schedule": 300.0},
    "sweep-orphan-photos": {"task": "inspections.tasks.sweep_orphan_photos", "schedule": crontab(hour=4, minute=0)},
}

# --- Station readings (docs/air.md) ------------------------------------------------------------------------------

AIR_IMPORT_MAX_BYTES = int(os.environ.get("AIR_IMPORT_MAX_BYTES", str(50 * 2**20)))  # an upload, or a zip unpacked
AIR_DEFAULT_DAYS = 14  # a station page's period unless one is chosen
AIR_MAX_DAYS = 92
AIR_HIGH_PM25 = int(os.environ.get("AIR_HIGH_PM25", "115"))  # µg/m³ daily mean: 中度污染 and worse (HJ 633-2012)
AIR_FEW_NIGHT_CHECKS = int(os.environ.get("AIR_FEW_NIGHT_CHECKS", "5"))  # fewer night checks than this stand out
# The scheduled pull (off unless set): a URL naming a day's file with Python's date format, fetched every hour for
# yesterday and today, e.g. http://mirror.example/air/china_sites_{date:%Y%m%d}.csv
AIR_PULL_URL = os.environ.get("AIR_PULL_URL", "")
AIR_PULL_TIMEOUT = 30
if AIR_PULL_URL:
    CELERY_BEAT_SCHEDULE["pull-station-readings"] = {
        "task": "air.tasks.pull_readings",
        "schedule": crontab(minute=os.environ.get("AIR_PULL_MINUTE", "25")),
    }

# --- Authentication ----------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "coalgov.passwords.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling (django-axes), for the sign-in page, the admin's and the API's token endpoint alike.
# Failures count per username *and* address together: a stranger guessing elsewhere never locks the real user
# out, and inspectors sharing one carrier NAT address are not locked out by each other's or a stranger's typos.
AUTHENTICATION_BACKENDS = [
    "coalgov.authentication.SignInThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = int(os.environ.get("SIGN_IN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("SIGN_IN_COOLOFF_MINUTES", "15")))
AXES_RESET_ON_SUCCESS = True
# The cool-off runs from the lockout: more guesses during it do not prolong it, so a stranger cannot keep the
# real user out by retrying.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "coalgov.authentication.locked_out"
# Audit rows one client address may write with failed sign-ins per cool-off (divisions.services).
SIGN_IN_AUDIT_PER_ADDRESS = int(os.environ.get("SIGN_IN_AUDIT_PER_ADDRESS", "100"))
AXES_CLIENT_IP_CALLABLE = "coalgov.authentication.client_ip"
# Reverse proxies in front of the app that append the client's address to X-Forwarded-For (0: none, the
# connection's own address is the client's). Only those entries are trusted; a client can forge the others.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# API tokens (django-rest-knox): stored hashed, each with a lifetime, listed and revoked by their owner at
# /tokens/ and by the district office on the user's page, revoked when the password changes or the user is
# deactivated (divisions.signals).
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=int(os.environ.get("API_TOKEN_DAYS", "30"))),
    "AUTH_HEADER_PREFIX": "Token",
}
# How many working tokens one user may hold at once; asking for one more is refused until one is revoked.
API_TOKENS_PER_USER = int(os.environ.get("API_TOKENS_PER_USER", "10"))
# The API's schema and documentation for anyone (on), or only for signed-in users (off).
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", False)

# --- Language and time -------------------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -----------------------------------------------------------------
# Front-end libraries come from npm (package-lock.json) and are served by the app itself:
# district intranets have no internet, so nothing is loaded from a CDN.

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# --- Security (safe unless told otherwise) -----------------------------------------------------

# A sign-in lasts SESSION_HOURS (12: a night's checks or an office day), not Django's two weeks: a phone left
# signed in on a table, or a shared office PC, does not stay open for days.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_HOURS", "12")) * 3600
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Secure cookies mean the site is served over HTTPS (no sign-in works otherwise): then plain HTTP is redirected
# to HTTPS and browsers are told to use nothing else (HSTS) for a year. The health check stays reachable over
# plain HTTP for the container's own probe.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SESSION_COOKIE_SECURE and not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600 if SECURE_SSL_REDIRECT else 0)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# The header through which the proxy in front says a request came over HTTPS; empty when nothing is in front
# (then a client could forge it).
_proxy_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto").strip()
SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https") if _proxy_header else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts, styles, pictures and calls only from the app itself. No inline
# script and no eval: the pages' scripts are static files, their data json_script blocks; the one inline script
# left, the phone page's import map, carries the request's nonce. Style attributes are allowed (style-src-attr):
# ECharts writes its tooltips as HTML with style attributes, and an attribute cannot run script; <style> elements
# are not. The map's tile host (MAP_TILE_URL) is allowed for pictures. An operator rolling the policy out sets
# CSP_REPORT_ONLY: browsers then report what the policy would block (to CSP_REPORT_URI, if set) and block nothing.
CSP_DIRECTIVES = {
    "default-src": [SELF],
    "script-src": [SELF, NONCE],
    "style-src": [SELF],
    "style-src-attr": [UNSAFE_INLINE],
    "img-src": [SELF, "data:", "blob:", *tile_source(os.environ.get("MAP_TILE_URL", ""))],
    "font-src": [SELF],
    "connect-src": [SELF],
    "worker-src": [SELF],
    "manifest-src": [SELF],
    "frame-src": [NONE],
    "frame-ancestors": [NONE],
    "form-action": [SELF],
    "base-uri": [SELF],
    "object-src": [NONE],
}
if os.environ.get("CSP_REPORT_URI"):
    CSP_DIRECTIVES["report-uri"] = [os.environ["CSP_REPORT_URI"]]
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": CSP_DIRECTIVES}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": CSP_DIRECTIVES}

# Permissions-Policy (django-permissions-policy): the phone page locates a place and takes photos; nothing of the
# app uses a microphone, payment or the other devices, and no other site framed in it may use any of them.
PERMISSIONS_POLICY = {
    "geolocation": "self",
    "camera": "self",
    **{
        feature: []
        for feature in [
            "microphone",
            "payment",
            "usb",
            "serial",
            "hid",
            "midi",
            "display-capture",
            "accelerometer",
            "gyroscope",
            "magnetometer",
            "browsing-topics",
        ]
    },
}

# --- API ---------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    # DRF's three, with JSON nested too deeply to read refused as invalid instead of failing (coalgov/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "coalgov.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # JSON only: DRF's browsable API answered a signed-in browser with its own English pages, under /api/ where
    # everything answers JSON (docs/architecture.md). The API's documentation is /api/v1/docs/.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated call is answered 401 with a WWW-Authenticate header.
        # knox's, saying when a token has expired (coalgov/authentication.py).
        "coalgov.authentication.TokenAuthentication",
        # DRF's, with a failed CSRF check answered in the client's language (code "csrf_failed").
        "coalgov.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["coalgov.api_filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "coalgov.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "coalgov.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "散煤治理 API",
    "DESCRIPTION": "Household register, field work, cases and reports of the district coal office.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Signed-in users only unless API_DOCS_PUBLIC (read per request, so tests can switch it).
    "SERVE_PERMISSIONS": ["coalgov.authentication.ApiDocsPermission"],
    # Requests and responses as separate components: a client need not fill read-only fields to send one.
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "coalgov.api.schema_postprocessing"],
    # A case carries every source; a client opens one only from a tip-off or a spot check.
    "ENUM_NAME_OVERRIDES": {
        "CaseSourceEnum": "cases.models.Case.Source",
        "CaseOpenedSourceEnum": "cases.api.serializers.CLIENT_SOURCES",
        # Several records have a `kind`: each its own enum, named after its record.
        "HouseholdKindEnum": "households.models.Kind",
        "InspectionKindEnum": "inspections.models.Inspection.Kind",
        "BanKindEnum": "inspections.models.Ban.Kind",
        "ConversionKindEnum": "inspections.models.Conversion.Kind",
        "PublicityKindEnum": "inspections.models.Publicity.Kind",
        "AccountabilityKindEnum": "cases.models.Accountability.Kind",
    },
}

# --- Domain settings ---------------------------------------------------------------------------

# The dashboard map's tile layer, e.g. 天地图 with a key; empty: no tiles (markers on a plain background), and
# the page then asks nothing of any other host.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
# Radius of the priority zone around a national monitoring station, when the station sets none.
PRIORITY_ZONE_DEFAULT_RADIUS_M = int(os.environ.get("PRIORITY_ZONE_DEFAULT_RADIUS_M", "1000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_without_traceback": {"()": "coalgov.log_filters.ClientErrorsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Django's own loggers print through their own handler; stop them printing twice through the root.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Each 403 and 404 one line, not a traceback (a 5xx keeps its own).
        "django.request": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["client_errors_without_traceback"],
        },
    },
}

# Night checks are visits between these local times (the article's 零点夜查 falls inside).
NIGHT_START = os.environ.get("NIGHT_START", "22:00")
NIGHT_END = os.environ.get("NIGHT_END", "06:00")

# Photos: the largest file accepted, and the longest side of a stored photo and of its thumbnail.
PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_BYTES", str(10 * 1024 * 1024)))
PHOTO_MAX_SIDE = 2048
# The largest request body the proxy in front passes (deploy/nginx.conf, client_max_body_size 60m): the phone keeps
# a visit's photos, with room for its other fields, under it, or the visit could be saved but never sent.
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(60 * 1024 * 1024)))
PHOTO_THUMBNAIL_SIDE = 320

# Importing households from a spreadsheet on the register page: the largest file and the most rows the page
# takes (refused before anything is stored; a city's register goes through `manage.py import_households`).
# A file over the BACKGROUND size or rows is stored and imported by a Celery task with a progress page
# (households/jobs.py); the stored file is removed when done, or after KEEP_HOURS whatever became of it.
HOUSEHOLD_IMPORT_MAX_BYTES = int(os.environ.get("HOUSEHOLD_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
HOUSEHOLD_IMPORT_MAX_ROWS = int(os.environ.get("HOUSEHOLD_IMPORT_MAX_ROWS", "300000"))
HOUSEHOLD_IMPORT_BACKGROUND_BYTES = int(os.environ.get("HOUSEHOLD_IMPORT_BACKGROUND_BYTES", str(1024 * 1024)))
HOUSEHOLD_IMPORT_BACKGROUND_ROWS = int(os.environ.get("HOUSEHOLD_IMPORT_BACKGROUND_ROWS", "2000"))
HOUSEHOLD_IMPORT_KEEP_HOURS = int(os.environ.get("HOUSEHOLD_IMPORT_KEEP_HOURS", "24"))
HOUSEHOLD_IMPORT_LEASE_SECONDS = int(os.environ.get("HOUSEHOLD_IMPORT_LEASE_SECONDS", "600"))
HOUSEHOLD_IMPORT_MAX_PENDING = int(os.environ.get("HOUSEHOLD_IMPORT_MAX_PENDING", "2"))

# Cases: days to the default deadline by severity, the 回头看 re-checks after closing, and whether coal
# found by a night check opens a case for the place's community.
CASE_DEADLINE_DAYS = {"serious": 2, "normal": 5, "minor": 10}
RECHECK_DAYS = [int(d) for d in os.environ.get("RECHECK_DAYS", "7,30").split(",")]
CASES_FROM_FINDINGS = env_bool("CASES_FROM_FINDINGS", True)
# Three-level escalation: an escalated case still overdue this many days later goes one level further up.
CASE_ESCALATION_DAYS = int(os.environ.get("CASE_ESCALATION_DAYS", "3"))
# Accountability the morning task proposes to the district office: criticism of a unit with this many cases
# overdue within the window, an interview of a unit whose cases rebounded this many times.
ACCOUNTABILITY_OVERDUE_CASES = int(os.environ.get("ACCOUNTABILITY_OVERDUE_CASES", "3"))
ACCOUNTABILITY_WINDOW_DAYS = int(os.environ.get("ACCOUNTABILITY_WINDOW_DAYS", "90"))
ACCOUNTABILITY_REBOUNDS = int(os.environ.get("ACCOUNTABILITY_REBOUNDS", "2"))

# The weekly ranking: how many communities at the top are praised and at the bottom named.
RANKING_PRAISE_COUNT = int(os.environ.get("RANKING_PRAISE_COUNT", "3"))

# The daily digest: when beat builds and sends it (local time), the robots' addresses (an intranet may
# reach them through a proxy: override here or per channel), and how long to wait for an answer.
ROBOT_BASE_URLS = {
    "wecom": os.environ.get("ROBOT_BASE_URL_WECOM", "https://qyapi.weixin.qq.com"),
    "dingtalk": os.environ.get("ROBOT_BASE_URL_DINGTALK", "https://oapi.dingtalk.com"),
    "feishu": os.environ.get("ROBOT_BASE_URL_FEISHU", "https://open.feishu.cn"),
}
# Hosts besides the robots' own services (and the hosts of ROBOT_BASE_URLS) that a channel may post to, e.g. an
# intranet proxy or a generic webhook's server: "host" or "host:port", comma-separated. Only these (and the
# ROBOT_BASE_URLS hosts) may be on a private, loopback or link-local address (digests/robots.py, coalgov/outbound.py).
ROBOT_ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ROBOT_ALLOWED_HOSTS", "").split(",") if h.strip()]
ROBOT_TIMEOUT_SECONDS = float(os.environ.get("ROBOT_TIMEOUT_SECONDS", "15"))
# Pause between the parts of one digest: 20 messages a minute is the robots' limit.
ROBOT_PART_INTERVAL_SECONDS = float(os.environ.get("ROBOT_PART_INTERVAL_SECONDS", "3.1"))
# A worker holds a delivery this long per part; one that dies mid-send leaves it to be resumed after.
DELIVERY_LEASE_SECONDS = int(os.environ.get("DELIVERY_LEASE_SECONDS", "120"))
# A failed part is retried after this many seconds, doubling each time (at most 30 minutes); after a rate
# limit, never sooner than the robot's window (DingTalk: 10 minutes).
DELIVERY_RETRY_SECONDS = int(os.environ.get("DELIVERY_RETRY_SECONDS", "30"))
# A re-check visit may come this many days before the re-check is due and still count as it.
RECHECK_EARLY_DAYS = int(os.environ.get("RECHECK_EARLY_DAYS", "3"))

# Ledger exports (台账, reports/ledgers.py): how long a built file is kept before beat removes it, how long a
# worker holds an export it is building (renewed as rows are written; a dead worker's export is resumed
# after it), and how many exports one user may have waiting or being built at once.
LEDGER_KEEP_DAYS = int(os.environ.get("LEDGER_KEEP_DAYS", "7"))
LEDGER_LEASE_SECONDS = int(os.environ.get("LEDGER_LEASE_SECONDS", "300"))
LEDGER_MAX_PENDING = int(os.environ.get("LEDGER_MAX_PENDING", "3"))
