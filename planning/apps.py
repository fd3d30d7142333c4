from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "planning"
    verbose_name = _("Night-check planner")

    def ready(self):
        from coalgov.audit import VALUE_READERS, weights_reader

        from .selectors import PART_LABELS, SETTING_LABELS

        VALUE_READERS["planning.planweights.weights"] = weights_reader({**PART_LABELS, **SETTING_LABELS})
