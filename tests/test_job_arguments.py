"""Jobs in Redis hold plain values only, so moving a class never breaks a job already queued.

Each test reads a job back from Redis the way a worker would, but with an
unpickler that refuses every class: a job holding any object of ours (or
anyone's) fails here instead of after the next refactoring.
"""

import io
import pickle
import zlib
from typing import Any

import pytest
from rq import Queue, SimpleWorker
from rq.cron import CronScheduler
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from cutouts.models import Export, Image
from cutouts.processing.pipeline import image_process
from cutouts.processing.queueing import (
    PROCESS_JOB,
    QUEUE,
    export_job_id,
    get_limiter,
    render_job_id,
)
from cutouts.studio import services as studio
from tests.studio_images import processed, work_off
from tests.uploading import upload

pytestmark = pytest.mark.django_db

PLAIN = (int, float, str, type(None))


class _ClassesRefused(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"The job holds an object of {module}.{name}")


def stored_call(connection, job_id: str) -> tuple[str, tuple, dict]:
    """The job's function, arguments and keyword arguments, as pickled in Redis."""
    data = zlib.decompress(connection.hget(Job.key_for(job_id), "data"))
    function, instance, args, kwargs = _ClassesRefused(io.BytesIO(data)).load()
    assert instance is None
    assert all(isinstance(value, PLAIN) for value in [*args, *kwargs.values()]), (args, kwargs)
    return function, args, kwargs


def test_an_uploads_processing_job_holds_the_image_id(
    alice, queue_redis, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        image = upload(alice)
    image.refresh_from_db()

    function, args, kwargs = stored_call(queue_redis, image.job_id)

    assert function == "cutouts.jobs.process_image"
    assert args[0] == image.pk
    assert kwargs == {}


def test_a_job_waiting_for_a_rate_limit_slot_holds_only_the_image_id(
    api, alice, settings, queue_redis
):
    settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE = 1
    limiter = get_limiter()
    limiter.reserve()  # another job took this minute's only call
    image = upload(alice)

    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.QUEUED
    registry = ScheduledJobRegistry(QUEUE, connection=queue_redis)
    assert image.job_id in registry.get_job_ids()
    function, args, _ = stored_call(queue_redis, image.job_id)
    assert (function, args) == ("cutouts.jobs.process_image", (image.pk,))
    # It wakes when the slot frees, and books none meanwhile.
    wakes = registry.get_scheduled_time(image.job_id).timestamp()
    assert wakes - limiter.now() > 50
    assert queue_redis.zcard(limiter.key) == 1


def test_a_job_queued_before_slots_were_plain_numbers_still_runs(api, alice, queue_redis):
    # Jobs used to be queued as process_image(image_id, None) when they held no slot.
    image = upload(alice)
    Queue(QUEUE, connection=queue_redis).enqueue(PROCESS_JOB, image.pk, None)

    SimpleWorker([Queue(QUEUE, connection=queue_redis)], connection=queue_redis).work(burst=True)

    image.refresh_from_db()
    assert image.status == Image.Status.DONE


def test_a_studio_render_job_holds_the_render_id(
    alice, queue_redis, django_capture_on_commit_callbacks
):
    image = processed(alice)
    with django_capture_on_commit_callbacks(execute=True):
        render = studio.render_create(image=image, spec_or_preset="amazon-main", user=alice)

    function, args, kwargs = stored_call(queue_redis, render_job_id(render.pk))

    assert (function, args, kwargs) == ("cutouts.jobs.run_render", (render.pk,), {})


def test_an_exports_render_and_zip_jobs_hold_ids(
    alice, queue_redis, django_capture_on_commit_callbacks
):
    processed(alice, "one.jpg")
    processed(alice, "two.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        created = studio.export_create(
            user=alice, images=Image.objects.filter(owner=alice), preset="webp-web"
        )
    work_off(queue_redis)

    export = Export.objects.get(pk=created.export.pk)
    assert export.status == Export.Status.DONE
    for render in export.renders.all():
        assert stored_call(queue_redis, render_job_id(render.pk))[1] == (render.pk,)
    function, args, _ = stored_call(queue_redis, export_job_id(export.pk))
    assert (function, args) == ("cutouts.jobs.build_export", (export.pk,))


def test_every_periodic_job_holds_no_arguments(queue_redis):
    scheduler = CronScheduler(connection=queue_redis, name="job-arguments-test")
    scheduler.load_config_from_file("cutouts.cron")
    assert scheduler.get_jobs()

    for periodic in scheduler.get_jobs():
        job = periodic.enqueue(queue_redis)
        function, args, kwargs = stored_call(queue_redis, job.id)
        assert function.startswith("cutouts.jobs.")
        assert (args, kwargs) == ((), {})
