"""The phone page for inspectors at night (/field/) and its service worker."""

from django.urls import path

app_name = "field"
urlpatterns: list = []
