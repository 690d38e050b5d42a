"""The job queues: putting images and studio renders on them, and the Redis pieces workers share.

Processing runs on "default", studio renders and export ZIPs on "renders",
webhook deliveries on "webhooks", each with its own workers, so a slow render
never holds an upload back and a slow webhook receiver holds back nothing but
other webhooks.
"""

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

import django_rq
import rq
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.utils import current_timestamp

from cutouts.lib.ratelimit import RateLimiter
from cutouts.models import Image

logger = logging.getLogger(__name__)

QUEUE = "default"  # processing, and the periodic jobs
RENDER_QUEUE = "renders"  # studio renders and export ZIPs
WEBHOOK_QUEUE = "webhooks"  # webhook deliveries of the asynchronous API
QUEUES = (QUEUE, RENDER_QUEUE, WEBHOOK_QUEUE)
PROCESS_JOB = "cutouts.jobs.process_image"
RENDER_JOB = "cutouts.jobs.run_render"
EXPORT_JOB = "cutouts.jobs.build_export"
WEBHOOK_JOB = "cutouts.jobs.deliver_webhook"
WEBHOOK_RESEND_JOB = "cutouts.jobs.resend_webhook"
# Zipping copies finished files; a ZIP job still running after this long is
# stuck, and RQ stops it (the export then fails).
EXPORT_JOB_TIMEOUT = 300
# How often each worker cleans RQ's registries and tries to take over a dead
# worker's scheduler (RQ's default is every ten minutes).
WORKER_MAINTENANCE_SECONDS = 60
# Statuses after which a job will never run again.
_ENDED = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


class Worker(rq.Worker):
    """RQ's worker, checking every minute, not every ten, for a scheduler to take over.

    A worker killed with kill -9 keeps its queues' scheduler lock for about a
    minute; only a worker's periodic maintenance takes it over then, and until
    it does, delayed jobs wait for enqueue_overdue. `rqworker` uses this class
    (settings.RQ["WORKER_CLASS"]).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("maintenance_interval", WORKER_MAINTENANCE_SECONDS)
        super().__init__(*args, **kwargs)


class DeliveryWorker(rq.SimpleWorker):
    """The webhooks queue's worker: each delivery runs in the worker itself, not a fork.

    A delivery is a short POST; forking a Django process for it costs more CPU
    than the delivery itself (about 150 ms against 20), CPU that processing
    could use. Between jobs it drops database connections that are broken or
    past their age, as Django does between requests. `rqworker webhooks
    --worker-class cutouts.processing.queueing.DeliveryWorker` uses it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("maintenance_interval", WORKER_MAINTENANCE_SECONDS)
        super().__init__(*args, **kwargs)

    def execute_job(self, job: Job, queue: rq.Queue) -> None:
        close_old_connections()
        try:
            super().execute_job(job, queue)
        finally:
            close_old_connections()


def redis_connection() -> Redis:
    return django_rq.get_connection(QUEUE)


def answer_key(sha256: str) -> str:
    """Where a paid API answer for these bytes is kept until its matte is stored."""
    return f"cutouts:answer:{sha256}"


def get_limiter() -> RateLimiter:
    return RateLimiter(
        redis_connection(),
        limit=settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE,
        tolerance=settings.RATE_LIMIT_TOLERANCE_SECONDS,
        paced=True,
    )


def enqueue_processing(image_id: int, *, delay: float = 0.0) -> None:
    """Queue the image's processing job, now or after `delay` seconds.

    The job id is saved on the image first: if Redis then fails, the sweeper
    sees an image whose job Redis does not know and queues it again.
    """
    job_id = f"process-{image_id}-{uuid.uuid4().hex[:12]}"
    Image.objects.filter(pk=image_id).update(job_id=job_id, updated_at=timezone.now())
    queue = django_rq.get_queue(QUEUE)
    options = {
        "job_id": job_id,
        "job_timeout": settings.PROCESS_JOB_TIMEOUT,
        "result_ttl": 3600,
        "failure_ttl": 7 * 24 * 3600,
    }
    if delay > 0:
        queue.enqueue_in(timedelta(seconds=delay), PROCESS_JOB, image_id, **options)
    else:
        queue.enqueue(PROCESS_JOB, image_id, **options)


def enqueue_uploaded(image_id: int) -> bool:
    """Queue a new upload; False when Redis is away (the sweeper will queue it later)."""
    try:
        enqueue_processing(image_id)
    except RedisError:
        logger.warning("Redis is unavailable; image %s will be queued when it is back", image_id)
        return False
    return True


def render_job_id(render_id: int) -> str:
    # Known from the render alone, so the sweep can ask Redis about it.
    return f"render-{render_id}"


def export_job_id(export_id: int) -> str:
    return f"export-{export_id}"


def enqueue_render(render_id: int) -> None:
    # Past RENDER_JOB_TIMEOUT RQ raises JobTimeoutException in the job, which
    # fails the render as too slow (cutouts.studio.services.render_run).
    _enqueue_studio_job(
        RENDER_JOB,
        render_id,
        job_id=render_job_id(render_id),
        timeout=settings.RENDER_JOB_TIMEOUT,
    )


def enqueue_export(export_id: int) -> None:
    _enqueue_studio_job(
        EXPORT_JOB, export_id, job_id=export_job_id(export_id), timeout=EXPORT_JOB_TIMEOUT
    )


def _enqueue_studio_job(function: str, object_id: int, *, job_id: str, timeout: int) -> None:
    django_rq.get_queue(RENDER_QUEUE).enqueue(
        function,
        object_id,
        job_id=job_id,
        job_timeout=timeout,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
    )


def enqueue_webhook(
    event_id: int, *, job_id: str, at: datetime, timeout: int, manual: bool = False
) -> None:
    """Queue a delivery of the webhook event to run at `at` (at once when it is past).

    `manual`: the member's "Send again", an attempt beside the event's schedule.
    """
    queue = django_rq.get_queue(WEBHOOK_QUEUE)
    function = WEBHOOK_RESEND_JOB if manual else WEBHOOK_JOB
    options = {"job_id": job_id, "job_timeout": timeout, "result_ttl": 600, "failure_ttl": 86400}
    if at > timezone.now():
        queue.enqueue_at(at, function, event_id, **options)
    else:
        queue.enqueue(function, event_id, **options)


def jobs_lost(job_ids: list[str], *, started_before: datetime | None = None) -> list[bool]:
    """For each job id: True when Redis no longer has the job waiting or running.

    With `started_before`, a job that started before then counts as lost too:
    the caller knows it would have shown its work by now, so its worker was
    killed after taking it (RQ marks such a job failed only minutes later).
    """
    jobs = Job.fetch_many(job_ids, connection=redis_connection())
    return [job is None or _ended_or_dead(job, started_before) for job in jobs]


def _ended_or_dead(job: Job, started_before: datetime | None) -> bool:
    status = job.get_status(refresh=False)
    if status in _ENDED:
        return True
    return (
        started_before is not None
        and status == JobStatus.STARTED
        and job.started_at is not None
        and job.started_at < started_before
    )


def timed_out_after(job_id: str) -> int | None:
    """The time-out a failed job ran out of, or None if it failed (or not) otherwise.

    RQ stops a job at its time-out from inside; one stuck where that cannot
    reach (a long call in C) is killed a minute later from outside. Either
    way it failed after running at least its time-out.
    """
    job = Job.fetch_many([job_id], connection=redis_connection())[0]
    if job is None or job.get_status(refresh=False) != JobStatus.FAILED:
        return None
    result = job.latest_result()
    if job.started_at is None or job.timeout is None or result is None:
        return None
    ran = (result.created_at - job.started_at).total_seconds()
    return int(job.timeout) if ran >= job.timeout else None


def enqueue_overdue(*, grace: int) -> int:
    """Queue delayed jobs more than `grace` seconds past their time; how many.

    A worker's scheduler moves due jobs (back-off retries, rate-limit slot
    waits) onto their queue every second. A worker killed with kill -9 keeps
    RQ's scheduler lock for a minute, and another worker takes it over at its
    next maintenance (see Worker), so meanwhile nothing would run them; nor
    would anything if no worker ran a scheduler at all. Each job is taken out
    of the registry before it is queued, so two rescues never both queue it;
    a scheduler queueing it at that very moment could, which is harmless:
    every job claims its image or render first, so the two never work at once.
    """
    cutoff = current_timestamp() - grace
    moved = 0
    for name in QUEUES:
        registry = django_rq.get_queue(name).scheduled_job_registry
        for job_id in registry.get_jobs_to_schedule(cutoff):
            try:
                registry.requeue(job_id)
            except InvalidJobOperation:
                continue  # a scheduler took it meanwhile
            except NoSuchJobError:
                registry.remove(job_id)  # expired: nothing left to run
                continue
            moved += 1
    if moved:
        logger.warning("Queued %d delayed jobs no scheduler ran in time", moved)
    return moved
