from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from inspections.signals import visit_recorded, visit_voided

        from . import services

        def on_visit(sender, *, actor, inspection, **kwargs):
            services.visit_recorded(actor=actor, inspection=inspection)

        def on_void(sender, *, actor, inspection, **kwargs):
            services.visit_voided(actor=actor, inspection=inspection)

        visit_recorded.connect(on_visit, dispatch_uid="cases.visit_recorded", weak=False)
        visit_voided.connect(on_void, dispatch_uid="cases.visit_voided", weak=False)
