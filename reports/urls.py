from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("<str:code>/", views.unit, name="unit"),
]
