"""User and membership administration for district administrators."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, ListView

from coalgov.views import object_or_404

from . import services
from .forms import MembershipForm, ReasonForm, UserCreateForm
from .models import Membership
from .scoping import may_enter_somewhere
from .selectors import live_tokens_of, users_managed_by

User = get_user_model()


class UserAdminMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_enter_somewhere(request.user, "membership"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class UserListView(UserAdminMixin, ListView):
    template_name = "divisions/user_list.html"
    paginate_by = 50

    def get_queryset(self):
        users = users_managed_by(self.request.user)
        q = self.request.GET.get("q", "").strip()
        if q:
            users = users.filter(username__icontains=q) | users.filter(first_name__icontains=q)
        return users


class UserCreateView(UserAdminMixin, FormView):
    template_name = "divisions/user_form.html"
    form_class = UserCreateForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=self.request.user,
                username=data["username"],
                full_name=data["full_name"],
                password=data["password"],
                division=data["division"],
                role=data["role"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("User %(name)s created.") % {"name": user.username})
        return redirect("divisions:user-detail", pk=user.pk)


# A form sent without a known operation: the page was changed by hand, or is older than the code.
UNKNOWN_OPERATION = gettext_lazy("The page sent something it does not know how to do. Reload the page and try again.")


class UserDetailView(UserAdminMixin, View):
    """One user: memberships, add a membership, end one, deactivate or reactivate the user."""

    template_name = "divisions/user_detail.html"

    def get_user(self):
        return get_object_or_404(users_managed_by(self.request.user), pk=self.kwargs["pk"])

    def render(self, target, form=None, status=200):
        context = {
            "target": target,
            "membership_form": form or MembershipForm(actor=self.request.user),
            "reason_form": ReasonForm(),
            "tokens": live_tokens_of(target),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self.render(self.get_user())

    def post(self, request, pk):
        target = self.get_user()
        operation = request.POST.get("operation")
        try:
            if operation == "add_membership":
                form = MembershipForm(request.POST, actor=request.user)
                if not form.is_valid():
                    return self.render(target, form, status=400)
                services.membership_create(
                    actor=request.user,
                    user=target,
                    division=form.cleaned_data["division"],
                    role=form.cleaned_data["role"],
                )
            elif operation == "end_membership":
                membership = object_or_404(Membership.objects.filter(user=target), request.POST.get("membership"))
                services.membership_deactivate(
                    actor=request.user, membership=membership, reason=request.POST.get("reason", "")
                )
            elif operation in ("deactivate", "activate"):
                services.user_set_active(
                    actor=request.user,
                    user=target,
                    active=operation == "activate",
                    reason=request.POST.get("reason", ""),
                )
            elif operation == "set_password":
                services.user_set_password(
                    actor=request.user,
                    user=target,
                    password=request.POST.get("new_password", ""),
                    reason=request.POST.get("reason", ""),
                )
            elif operation in ("revoke_token", "revoke_all_tokens"):
                services.token_revoke(
                    actor=request.user,
                    user=target,
                    token_key=request.POST.get("token", "") if operation == "revoke_token" else "",
                )
            else:
                messages.error(request, UNKNOWN_OPERATION)
                return self.render(target, status=400)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("divisions:user-detail", pk=target.pk)
        messages.success(request, _("Saved."))
        return redirect("divisions:user-detail", pk=target.pk)


class TokenListView(LoginRequiredMixin, View):
    """我的令牌: the signed-in user's API tokens — when made, when they expire — to make a new one or revoke."""

    template_name = "divisions/token_list.html"

    def render(self, new_token: str = "", status: int = 200):
        context = {"tokens": live_tokens_of(self.request.user), "new_token": new_token}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.render()

    def post(self, request):
        operation = request.POST.get("operation")
        if operation == "create":
            try:
                _instance, text = services.token_create(actor=request.user, via=request.path)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
                return self.render(status=400)
            # Shown once, on this response only: it is stored hashed and cannot be shown again.
            return self.render(new_token=text)
        token_key = request.POST.get("token", "") if operation == "revoke" else ""
        if operation not in ("revoke", "revoke_all") or (operation == "revoke" and not token_key):
            messages.error(request, UNKNOWN_OPERATION)
            return self.render(status=400)
        try:
            count = services.token_revoke(actor=request.user, user=request.user, token_key=token_key)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("tokens")
        messages.success(request, _("Tokens revoked: %(count)d.") % {"count": count})
        return redirect("tokens")
