"""Nothing stuck: put back images whose worker died or whose job Redis lost."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from cutouts.models import Image
from cutouts.processing import pausing
from cutouts.processing.queueing import enqueue_processing, jobs_lost

logger = logging.getLogger(__name__)

# A fresh upload's job is queued right after its transaction commits; give it
# a moment before judging that its job went missing.
_GRACE = timedelta(seconds=30)
_CHUNK = 500


def sweep() -> int:
    """Queue again every image that no job will finish; how many were queued."""
    count = _requeue_stale_claims() + _requeue_lost_jobs()
    if not pausing.is_paused():
        # An image can go waiting just as a pause is lifted; nothing else
        # would wake it.
        count += pausing.requeue_waiting()
    if count:
        logger.info("Sweeper queued %d images again", count)
    return count


def _requeue_stale_claims() -> int:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.PROCESSING_STALE_SECONDS)
    count = 0
    for image in Image.objects.filter(status=Image.Status.PROCESSING, claimed_at__lt=stale):
        # Only if still the same claim: the worker may have finished meanwhile.
        if Image.objects.filter(
            pk=image.pk, status=Image.Status.PROCESSING, claimed_at=image.claimed_at
        ).update(
            status=Image.Status.QUEUED,
            status_reason="Queued again: the worker processing it stopped.",
            claimed_at=None,
            updated_at=now,
        ):
            enqueue_processing(image.pk)
            count += 1
    return count


def _requeue_lost_jobs() -> int:
    settled = timezone.now() - _GRACE
    queued = list(
        Image.objects.filter(status=Image.Status.QUEUED, updated_at__lt=settled).values_list(
            "pk", "job_id"
        )
    )
    lost = [image_id for image_id, job_id in queued if not job_id]
    known = [(image_id, job_id) for image_id, job_id in queued if job_id]
    for start in range(0, len(known), _CHUNK):
        chunk = known[start : start + _CHUNK]
        # A processing job claims its image the moment it starts: one started
        # _GRACE ago whose image is still queued died with its worker.
        gone = jobs_lost([job_id for _, job_id in chunk], started_before=settled)
        lost += [image_id for (image_id, _), is_gone in zip(chunk, gone, strict=True) if is_gone]
    for image_id in lost:
        enqueue_processing(image_id)
    return len(lost)
