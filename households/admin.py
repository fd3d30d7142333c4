from django.contrib import admin

from . import services
from .models import Household


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    """Saves go through the services, so admin edits are audited like any other."""

    list_display = ["__str__", "division", "kind", "head_name", "in_priority_zone", "voided_at"]
    list_filter = ["kind", "in_priority_zone", "unmanaged", "no_gas_or_heating"]
    search_fields = ["estate", "address", "head_name", "division_code"]
    raw_id_fields = ["division"]
    fields = services.EDITABLE_FIELDS

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in (form.changed_data if change else services.EDITABLE_FIELDS)}
        if change:
            services.household_update(actor=request.user, household=obj, data=data)
        else:
            saved, _created = services.household_create(actor=request.user, data=data)
            obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False
