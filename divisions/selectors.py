"""Reads about people and units that more than one page needs."""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from .models import Membership
from .scoping import codes_q, entry_codes

User = get_user_model()


def users_managed_by(actor) -> QuerySet:
    """Users with at least one membership (active or not) where `actor` administers users."""
    scope = codes_q(entry_codes(actor, "membership"), "memberships__division__code")
    ids = User.objects.filter(scope).values("pk")
    return (
        User.objects.filter(pk__in=ids)
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("division").order_by("-is_active"))
        )
        .order_by("username")
    )


def live_tokens_of(user) -> QuerySet:
    """The user's API tokens that still work (expired ones stay until one of the user's working tokens is used)."""
    from knox.models import AuthToken

    return (
        AuthToken.objects.filter(user=user)
        .filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()))
        .order_by("-created")
    )
