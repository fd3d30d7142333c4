"""Reactions to sign-ins and to changes of a user made anywhere (a page, the admin, a management command)."""

from axes.helpers import get_client_ip_address
from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import pre_save
from django.dispatch import receiver

from . import services

User = get_user_model()


@receiver(pre_save, sender=User)
def revoke_tokens_on_password_change_or_deactivation(sender, instance, update_fields=None, raw=False, **kwargs):
    """A new password or a deactivation ends every API token of the user, however it was made: the /password/
    page, the admin, `manage.py changepassword`, the district office's /users/ page. A token obtained with the
    old password must not outlive it."""
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login on every sign-in: nothing to compare
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["password"] != instance.password or (before["is_active"] and not instance.is_active):
        services.tokens_revoke_for(instance)


@receiver(user_login_failed)
def record_failed_sign_in(sender, credentials, request=None, **kwargs):
    if request is None:
        return  # no client: a shell or a test calling authenticate() directly
    if getattr(request, "axes_locked_out", False):
        return  # recorded once, as the lockout, by record_lockout
    services.sign_in_failure_record(
        username=str(credentials.get("username") or ""),
        ip_address=get_client_ip_address(request) or "",
        locked_out=False,
    )


@receiver(user_locked_out)
def record_lockout(sender, request, username, ip_address, **kwargs):
    services.sign_in_failure_record(username=str(username or ""), ip_address=ip_address or "", locked_out=True)
