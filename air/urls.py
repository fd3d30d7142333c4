from django.urls import path

from . import views

app_name = "air"

urlpatterns = [
    path("", views.station_list, name="stations"),
    path("upload/", views.upload, name="upload"),
    path("<str:code>/", views.station_detail, name="station"),
    path("<str:code>/readings/", views.readings, name="readings"),
]
