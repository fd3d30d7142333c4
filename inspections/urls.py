from django.urls import path

from . import views

app_name = "inspections"
urlpatterns = [
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("photos/<int:pk>/thumbnail/", views.photo_thumbnail, name="photo-thumbnail"),
]
