"""Demo digests for `manage.py load_demo`: two work groups whose robots cannot be reached, so the delivery
history shows a digest that will be retried and ones that failed after their retries, as an outage leaves them.

The robots' address is a closed port on this machine: every send is refused at once and nothing leaves it.
Such an address is one no channel may have (an administrator could scan the server's ports with it): the demo
allows it while it sets up its channels and sends, as an operator would for a proxy (ROBOT_ALLOWED_HOSTS), and
only there. A beat left running against the demo finds the address refused and stops those deliveries
(请检查渠道配置) without connecting anywhere.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.test.utils import override_settings
from django.utils import timezone

from divisions.models import Division

from . import robots, services
from .models import Channel, Delivery

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens on it
UNREACHABLE_HOST = "127.0.0.1:9"
DEMO_NOTE = "（演示：机器人地址不可达）"


def _send_failing(delivery: Delivery, *, give_up: bool) -> None:
    """Send as the task would; the robot cannot be reached, so the delivery is left to retry, or, after the
    last retry, failed."""
    try:
        services.delivery_send(delivery_id=delivery.pk)
    except robots.Retryable as exc:
        if give_up:
            services.delivery_give_up(delivery_id=delivery.pk, error=exc)
        else:
            services.delivery_retry_scheduled(delivery_id=delivery.pk, countdown=60)


def demo_digests(*, users: dict) -> int:
    """Create the channels and their deliveries once; returns how many deliveries were created."""
    if Channel.objects.filter(name__endswith=DEMO_NOTE).exists():
        return 0
    with override_settings(ROBOT_ALLOWED_HOSTS=[*settings.ROBOT_ALLOWED_HOSTS, UNREACHABLE_HOST]):
        return _demo_digests(users=users)


def _demo_digests(*, users: dict) -> int:
    admin = users["qu_admin"]
    wulibao, huaihelu = Division.objects.get(code="410103006"), Division.objects.get(code="410103001")
    services.channel_save(
        actor=admin,
        data={
            "division": wulibao,
            "name": "五里堡街道散煤治理工作群" + DEMO_NOTE,
            "kind": Channel.Kind.WECOM,
            "key": "demo-key",
            "base_url": UNREACHABLE,
            "mention": "13800000000",
        },
    )
    services.channel_save(
        actor=admin,
        data={
            "division": huaihelu,
            "name": "淮河路街道散煤治理工作群" + DEMO_NOTE,
            "kind": Channel.Kind.WEBHOOK,
            "key": UNREACHABLE + "/digest",
        },
    )
    today = timezone.localdate()
    created = 0
    # Two days ago both groups failed after their retries; yesterday's digest for 五里堡 waits for its retry.
    for division, days_ago, give_up in [(wulibao, 2, True), (huaihelu, 2, True), (wulibao, 1, False)]:
        for delivery in services.deliveries_prepare(date=today - datetime.timedelta(days=days_ago), division=division):
            _send_failing(delivery, give_up=give_up)
            created += 1
    return created
