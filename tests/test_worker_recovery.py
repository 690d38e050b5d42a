"""Workers recover by themselves: a killed worker's pending retries still run, within a minute.

RQ's scheduler (the one `rqworker --with-scheduler` that holds the queue's
scheduler lock) moves delayed jobs onto the queue. Killed with kill -9, it
keeps the lock for a minute, and other workers try to take it over only now
and then: the retries it should have queued must not wait for that.
"""

import time
from datetime import timedelta

import django_rq

from cutouts.models import Image
from cutouts.processing import queueing
from tests.images import product_photo
from tests.uploading import upload
from tests.worker_fixtures import wait_until

SCHEDULER_LOCK = "rq:scheduler-lock:default"


def done(images: list[Image]) -> int:
    return Image.objects.filter(pk__in=[i.pk for i in images], status=Image.Status.DONE).count()


def test_a_killed_workers_pending_retries_run_within_a_minute(workers, sandbox, alice, queue_redis):
    sandbox.inject(error_rate=1.0, error_status=503)
    # Retries due a few seconds after each failure: pending when the worker dies.
    workers.env.update(PROCESS_BACKOFF_SECONDS="2", PROCESS_BACKOFF_MAX_SECONDS="4")
    first_worker, _cron = workers.start(1)
    images = [
        upload(alice, f"photo-{seed}.jpg", product_photo(seed, (240, 180))) for seed in range(4)
    ]
    retries = django_rq.get_queue("default").scheduled_job_registry
    wait_until(
        lambda: retries.count >= 2 and queue_redis.exists(SCHEDULER_LOCK),
        timeout=90,
        message=f"retries scheduled by the worker's scheduler\n{workers.logs()[-3000:]}",
    )

    workers.kill(first_worker)
    killed_at = time.monotonic()
    assert queue_redis.exists(SCHEDULER_LOCK), "the dead worker still holds the scheduler lock"
    sandbox.inject(error_rate=0.0)
    workers.start(1, cron=False)

    wait_until(
        lambda: done(images) == len(images),
        timeout=60,
        message=f"every image done after the kill\n{workers.logs()[-3000:]}",
    )
    print(f"all {len(images)} images done {time.monotonic() - killed_at:.1f} s after the kill")
    assert Image.objects.filter(status=Image.Status.FAILED).count() == 0


def test_a_delayed_job_long_past_its_time_is_queued_and_one_not_due_is_left(queue_redis):
    queue = django_rq.get_queue("renders")
    overdue = queue.enqueue_in(timedelta(seconds=-60), "cutouts.jobs.run_render", 1)
    due_soon = queue.enqueue_in(timedelta(seconds=-2), "cutouts.jobs.run_render", 2)
    later = queue.enqueue_in(timedelta(seconds=300), "cutouts.jobs.run_render", 3)

    assert queueing.enqueue_overdue(grace=10) == 1

    assert queue.job_ids == [overdue.id]
    assert set(queue.scheduled_job_registry.get_job_ids()) == {due_soon.id, later.id}


def test_a_job_already_taken_by_a_scheduler_is_not_queued_twice(queue_redis):
    queue = django_rq.get_queue("default")
    job = queue.enqueue_in(timedelta(seconds=-60), "cutouts.jobs.sweep")
    queue.scheduled_job_registry.requeue(job.id)  # a scheduler came back first

    assert queueing.enqueue_overdue(grace=10) == 0
    assert queue.job_ids == [job.id]


def test_workers_try_every_minute_to_take_over_a_dead_workers_scheduler(queue_redis):
    worker = django_rq.get_worker("default", "renders")

    assert isinstance(worker, queueing.Worker)
    assert worker.maintenance_interval == 60
