from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from coalgov.wording import with_note

from .models import Division, Level
from .scoping import Role

User = get_user_model()


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Division) -> str:
        indent = {Level.SUBDISTRICT: "　", Level.COMMUNITY: "　　", Level.GRID: "　　　"}.get(obj.level, "")
        return indent + with_note(obj.name, obj.get_level_display())


def unit_field(actor) -> UnitChoiceField:
    return UnitChoiceField(
        label=_("Unit"),
        queryset=Division.objects.enterable_by(actor, "membership").exclude(level=Level.GRID),
    )


class MembershipForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"division": unit_field(actor), **self.fields}


class UserCreateForm(MembershipForm):
    username = forms.RegexField(
        label=_("Username"),
        regex=r"^[\w.@+-]{3,150}$",
        error_messages={"invalid": _("3 to 150 letters, digits and @ . + - _ only.")},
    )
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput(render_value=False))

    field_order = ["username", "full_name", "password", "division", "role"]

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password"):
            candidate = User(username=cleaned.get("username", ""), first_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(cleaned["password"], candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
