from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("Reports and ranking")

    def ready(self):
        from coalgov.audit import VALUE_READERS, weights_reader

        from .models import LedgerExport
        from .ranking import INDICATORS

        VALUE_READERS["reports.weightversion.weights"] = weights_reader({i.key: i.label for i in INDICATORS})
        sheets = dict(LedgerExport.Sheet.choices)
        VALUE_READERS["reports.ledgerexport.sheets"] = lambda value: (
            [sheets.get(sheet, sheet) for sheet in value] if isinstance(value, list) else value
        )
