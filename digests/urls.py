from django.urls import path

from . import views

app_name = "digests"
urlpatterns = [
    path("", views.DigestView.as_view(), name="digest"),
    path("deliveries/", views.DeliveryListView.as_view(), name="deliveries"),
    path("channels/", views.ChannelListView.as_view(), name="channels"),
    path("channels/new/", views.ChannelFormView.as_view(), name="channel-create"),
    path("channels/<int:pk>/", views.ChannelFormView.as_view(), name="channel-update"),
]
