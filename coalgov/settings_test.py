"""Settings for the test suite: the real settings, with what a test run needs and nothing more."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")

from .settings import *  # noqa: F403
from .settings import STORAGES

# Tests do not run collectstatic; serve static files through the finders instead of a manifest.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True  # look files up per request: no warning about the STATIC_ROOT tests never fill
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["*"]
MEDIA_ROOT = Path(tempfile.gettempdir()) / "coalgov-test-media"  # noqa: F405
# The test client and the live server speak plain HTTP.
SECURE_SSL_REDIRECT = False
