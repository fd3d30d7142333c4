from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoalgovConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "coalgov"
    verbose_name = _("Audit log")
