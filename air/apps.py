from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AirConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "air"
    verbose_name = _("Station readings")
