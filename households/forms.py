from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from divisions.models import Division, Level
from divisions.scoping import mask_phone, sees_phone

from .models import Household
from .services import EDITABLE_FIELDS


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Division) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent else obj.name


class HouseholdForm(forms.ModelForm):
    """Validation only; the view hands cleaned data to the service, which writes and audits."""

    class Meta:
        model = Household
        fields = EDITABLE_FIELDS
        field_classes = {"division": UnitChoiceField}
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = (
            Division.objects.enterable_by(user, "household")
            .filter(level__in=[Level.COMMUNITY, Level.GRID])
            .select_related("parent")
        )
        self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="off")
        # Someone who sees the number masked must not read it off the edit form; they may still replace
        # it, and a blank field keeps the number on record.
        self.hides_phone = bool(self.instance.pk and self.instance.phone) and not sees_phone(
            user, self.instance.division_code
        )
        if self.hides_phone:
            self.initial["phone"] = ""
            self.fields["phone"].widget.attrs["placeholder"] = mask_phone(self.instance.phone)
            self.fields["phone"].help_text = _("Leave blank to keep the number on record.")
        for name in ("latitude", "longitude"):
            self.fields[name].widget.attrs.update(step="0.000001", inputmode="decimal")

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        return self.instance.phone if self.hides_phone and not phone else phone


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx or .csv)"),
        help_text=_(
            "The first row names the columns: 社区代码 or 街道 and 社区 by name, 类型, 小区, 楼栋, 单元, 房号, 地址, "
            "户主, 联系电话 … (the ledger's 住户 sheet has them all, with 编号)"
        ),
    )
    dry_run = forms.BooleanField(label=_("Only check the file; register nothing"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Give a .xlsx or .csv file."))
        if upload.size > settings.HOUSEHOLD_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": settings.HOUSEHOLD_IMPORT_MAX_BYTES // 2**20}
            )
        return upload
