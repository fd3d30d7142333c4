"""Digest pages: today's digest to read or copy, the delivery history, and the channels."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView

from coalgov.views import ScopedMixin, object_or_404
from divisions.scoping import can_enter, may_enter_somewhere

from . import services
from .forms import ChannelForm, DigestPreviewForm
from .markup import plain_text
from .models import Channel, Delivery, Digest
from .selectors import digest_text, yesterday
from .tasks import deliver


class DigestView(LoginRequiredMixin, View):
    """A unit's digest for a date, as the work group gets it, with a button to copy the text."""

    def get(self, request):
        mine = request.user.memberships.filter(is_active=True).select_related("division").first()
        initial = {"date": yesterday(), "division": mine.division.code if mine else None}
        # Opened without a choice: the user's own unit, yesterday; nothing (and no error) without a membership.
        data = request.GET or (initial if mine else None)
        form = DigestPreviewForm(data, initial=initial, user=request.user)
        if request.GET.get("division") and form.has_error("division"):
            raise Http404  # a unit the user may not see: as if it did not exist
        context = {"form": form, "text": None}
        if form.is_valid():
            division, date = form.cleaned_data["division"], form.cleaned_data["date"]
            built = Digest.objects.filter(division=division, date=date).first()
            # A digest built for the groups is shown as built (what they were sent), unless the current records
            # are asked for: visits recorded or voided since are only in those.
            current = built is None or bool(request.GET.get("current"))
            if current:
                text = plain_text(digest_text(division, date))  # in the reader's language
            else:
                # Built in the groups' language (the morning task's, LANGUAGE_CODE): its tables' rows become lines
                # in that language too, or an English reader was shown Chinese rows with English punctuation.
                with translation.override(settings.LANGUAGE_CODE):
                    text = plain_text(built.text)
            # For groups without a robot: what is pasted must read as plain text, not markdown.
            context.update(text=text, built=built, current=current, today_so_far=date >= timezone.localdate())
            context["switch_url"] = "?" + urlencode(
                {"division": division.code, "date": date.isoformat(), **({} if current else {"current": "1"})}
            )
        return render(request, "digests/digest.html", context)


def _enqueue(delivery_id: int, countdown: float) -> None:
    deliver.apply_async((delivery_id,), countdown=countdown)


class DeliveryListView(ScopedMixin, ListView):
    """Each digest sent, each channel's status, attempts and last error; resend by hand."""

    queryset = Delivery.objects.select_related("digest__division", "channel")
    template_name = "digests/delivery_list.html"
    paginate_by = 50

    def post(self, request):
        delivery = object_or_404(self.get_queryset(), request.POST.get("delivery"))
        if not can_enter(request.user, delivery.channel.division, "channel"):
            raise PermissionDenied
        try:
            delivery = services.delivery_resend(
                actor=request.user, delivery=delivery, enqueue=_enqueue, again=bool(request.POST.get("again"))
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if delivery.retry_at:
                messages.warning(
                    request,
                    _(
                        "The group's robot is throttled after sending too fast: the digest is scheduled for "
                        "%(time)s, when the robot takes messages again."
                    )
                    % {"time": f"{timezone.localtime(delivery.retry_at):%Y-%m-%d %H:%M}"},
                )
            else:
                messages.success(request, _("Queued to be sent again."))
        return redirect("digests:deliveries")


class ChannelListView(ScopedMixin, ListView):
    queryset = Channel.objects.select_related("division")
    template_name = "digests/channel_list.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_enter_somewhere(request.user, "channel"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def post(self, request):
        channel = object_or_404(self.get_queryset(), request.POST.get("channel"))
        if not can_enter(request.user, channel.division, "channel"):
            raise PermissionDenied
        messages.info(request, f"{channel.name}: {services.channel_test(actor=request.user, channel=channel)}")
        return redirect("digests:channels")


class ChannelFormView(LoginRequiredMixin, FormView):
    form_class = ChannelForm
    template_name = "digests/channel_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.channel = None
        if "pk" in kwargs:
            self.channel = get_object_or_404(Channel.objects.visible_to(request.user), pk=kwargs["pk"])
            if not can_enter(request.user, self.channel.division, "channel"):
                raise PermissionDenied
        elif not may_enter_somewhere(request.user, "channel"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.channel}

    def form_valid(self, form):
        try:
            services.channel_save(actor=self.request.user, data=form.cleaned_data, channel=self.channel)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("digests:channels")
