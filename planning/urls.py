from django.urls import path

from . import views

app_name = "planning"

urlpatterns = [
    path("", views.plan, name="plan"),
    path("operation/", views.plan_operation, name="operation"),
    path("weights/", views.weights, name="weights"),
    path("<int:pk>/", views.plan_detail, name="detail"),
]
