from celery import shared_task

from .photos import photos_sweep_orphans


@shared_task
def sweep_orphan_photos() -> int:
    """Delete photo files left behind by submissions whose transaction failed (daily; idempotent)."""
    return photos_sweep_orphans()
