"""Admins send failed images back to the queue, one at a time or all at once.

A retry starts the count of attempts again and queues a job once the change
is committed. If Redis is away just then, the image stays queued and the
sweeper queues its job when Redis is back, as it does for uploads.
"""

import logging

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from redis.exceptions import RedisError

from cutouts.models import Image
from cutouts.processing import scheduling
from cutouts.processing.queueing import enqueue_processing

logger = logging.getLogger(__name__)

RETRY_REASON = "Queued again by an admin."


def image_retry(*, image: Image) -> bool:
    """Queue a failed image again; False when it is not failed (nothing to retry)."""
    # An admin asked for this one: it goes ahead of large batches.
    fair_seq, _ = scheduling.place_in_line(owner_id=image.owner_id, urgent=True)
    # Only while still failed: another admin may have retried it a moment ago.
    retried = Image.objects.filter(pk=image.pk, status=Image.Status.FAILED).update(
        fair_seq=fair_seq,
        urgent=True,
        not_before=None,
        status=Image.Status.QUEUED,
        status_reason=RETRY_REASON,
        attempts=0,
        claimed_at=None,
        updated_at=timezone.now(),
    )
    if not retried:
        return False
    transaction.on_commit(lambda: _enqueue(image.pk))
    return True


def images_retry_failed(*, images_qs: QuerySet[Image]) -> int:
    """Queue again every failed image among `images_qs`; how many were queued."""
    failed = images_qs.filter(status=Image.Status.FAILED).select_related(None).only("pk")
    return sum(image_retry(image=image) for image in failed)


def _enqueue(image_id: int) -> None:
    try:
        enqueue_processing(image_id)
    except RedisError:
        logger.warning(
            "Redis is unavailable; retried image %s will be queued when it is back", image_id
        )
