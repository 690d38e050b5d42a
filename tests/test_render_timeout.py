"""A render that runs past RENDER_JOB_TIMEOUT in a real worker is stopped and reported."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from rq import Queue, SimpleWorker

from cutouts.models import Render
from cutouts.processing.queueing import render_job_id
from cutouts.studio import services as studio
from tests.studio_images import SLOW_SPEC, processed
from tests.worker_fixtures import wait_until


def stored_renders(media_root: Path) -> list[Path]:
    return [path for path in (media_root / "renders").rglob("*") if path.is_file()]


def status_of(render: Render) -> str:
    return Render.objects.get(pk=render.pk).status


def test_a_render_past_its_time_out_fails_as_too_slow_and_leaves_no_file(workers, alice, settings):
    settings.RENDER_JOB_TIMEOUT = 1
    workers.env["RENDER_JOB_TIMEOUT"] = "1"
    workers.start(1, cron=False, queues=["renders"])
    image = processed(alice, "big.jpg", size=(6000, 4500))

    slow = studio.render_create(image=image, spec_or_preset=SLOW_SPEC, user=alice)

    wait_until(
        lambda: status_of(slow) != Render.Status.QUEUED,
        timeout=60,
        message=f"the slow render to stop\n{workers.logs()[-3000:]}",
    )
    slow.refresh_from_db()
    assert slow.status == Render.Status.FAILED
    assert slow.error == (
        "The render took longer than 1 s and was stopped. Try a smaller size or lighter effects."
    )
    assert not slow.file
    assert stored_renders(settings.MEDIA_ROOT) == []


def test_the_worker_goes_on_with_the_next_render_after_a_time_out(workers, alice, settings):
    settings.RENDER_JOB_TIMEOUT = 1
    workers.start(1, cron=False, queues=["renders"])
    slow = studio.render_create(
        image=processed(alice, "big.jpg", size=(6000, 4500)), spec_or_preset=SLOW_SPEC, user=alice
    )
    settings.RENDER_JOB_TIMEOUT = 60

    quick = studio.render_create(
        image=processed(alice, "small.jpg"), spec_or_preset="webp-web", user=alice
    )

    wait_until(
        lambda: status_of(quick) == Render.Status.DONE,
        timeout=60,
        message=f"the next render to finish\n{workers.logs()[-3000:]}",
    )
    assert status_of(slow) == Render.Status.FAILED
    assert stored_renders(settings.MEDIA_ROOT) == [
        settings.MEDIA_ROOT / Render.objects.get(pk=quick.pk).file.name
    ]


@pytest.mark.django_db
def test_a_render_whose_job_rq_stopped_at_its_time_out_is_reported_by_the_sweep(
    alice, queue_redis, settings
):
    # As when RQ kills a work horse stuck in C past its time-out: the job
    # failed after its whole time-out, and the render was never settled.
    render = Render.objects.create(
        image=processed(alice), created_by=alice, spec={}, status=Render.Status.QUEUED
    )
    Render.objects.filter(pk=render.pk).update(created_at=timezone.now() - timedelta(hours=1))
    queue = Queue("renders", connection=queue_redis)
    queue.enqueue("time.sleep", 5, job_id=render_job_id(render.pk), job_timeout=1)
    SimpleWorker([queue], connection=queue_redis).work(burst=True)

    studio.sweep()

    render.refresh_from_db()
    assert render.status == Render.Status.FAILED
    assert render.error == studio.RENDER_TOO_SLOW.format(seconds=1)


@pytest.mark.django_db
def test_a_render_whose_job_failed_quickly_is_reported_as_stopped(alice, queue_redis):
    render = Render.objects.create(
        image=processed(alice), created_by=alice, spec={}, status=Render.Status.QUEUED
    )
    Render.objects.filter(pk=render.pk).update(created_at=timezone.now() - timedelta(hours=1))
    queue = Queue("renders", connection=queue_redis)
    queue.enqueue("math.sqrt", -1, job_id=render_job_id(render.pk), job_timeout=60)
    SimpleWorker([queue], connection=queue_redis).work(burst=True)

    studio.sweep()

    render.refresh_from_db()
    assert (render.status, render.error) == (Render.Status.FAILED, studio.RENDER_STOPPED)
