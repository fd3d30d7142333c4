"""The WSGI application gunicorn serves (docker-compose.yml)."""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalgov.settings")

application = get_wsgi_application()

if not settings.DEBUG and not settings.SECRET_KEY_FROM_ENVIRONMENT:
    # Sessions, CSRF tokens and password-reset links are signed with it: never serve with a made-up one.
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
