"""The phone page for inspectors at night (/field/) and its service worker."""

from django.urls import path

from . import phone_views

app_name = "field"
urlpatterns = [
    path("", phone_views.page, name="page"),
    path("sw.js", phone_views.service_worker, name="sw"),
    path("manifest.webmanifest", phone_views.manifest, name="manifest"),
]
