"""Carry DRF's plain-text API tokens over to knox: stored hashed, expiring API_TOKEN_DAYS from now.

A script holding a token keeps working with the same text until then; the plain-text copies are deleted.
"""

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def carry_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS, knox_settings

    Token = apps.get_model("authtoken", "Token")
    AuthToken = apps.get_model("knox", "AuthToken")
    expiry = timezone.now() + knox_settings.TOKEN_TTL
    for token in Token.objects.all():
        AuthToken(
            user_id=token.user_id,
            digest=hash_token(token.key),
            token_key=token.key[: CONSTANTS.TOKEN_KEY_LENGTH],
            expiry=expiry,
        ).save()
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("divisions", "0001_initial"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("knox", "0009_extend_authtoken_field"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(carry_tokens, migrations.RunPython.noop)]
