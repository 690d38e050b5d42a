"""The studio's sweep: no render waits for ever on a job Redis lost, no export stays unzipped."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cutouts.lib.render_spec import RenderSpec
from cutouts.models import Export, Image, Render
from cutouts.processing.queueing import enqueue_render
from cutouts.studio import services as studio
from tests.studio_images import processed, work_off

pytestmark = pytest.mark.django_db


def _queued_render(owner) -> Render:
    image = processed(owner)
    return Render.objects.create(
        image=image, created_by=owner, spec=RenderSpec().to_json(), status=Render.Status.QUEUED
    )


def _age(model, pk: int) -> None:
    model.objects.filter(pk=pk).update(created_at=timezone.now() - timedelta(hours=1))


@pytest.fixture
def old_export(alice, queue_redis, django_capture_on_commit_callbacks):
    """An export of two images, started an hour ago."""
    images = Image.objects.filter(pk__in=[processed(alice, f"{n}.jpg").pk for n in range(2)])
    with django_capture_on_commit_callbacks(execute=True):
        created = studio.export_create(user=alice, images=images, preset="webp-web")
    _age(Export, created.export.pk)
    return created.export


def test_a_render_whose_job_redis_lost_fails_instead_of_waiting_for_ever(alice, queue_redis):
    render = _queued_render(alice)
    _age(Render, render.pk)

    assert studio.sweep() == 1

    render.refresh_from_db()
    assert (render.status, render.error) == (Render.Status.FAILED, studio.RENDER_STOPPED)


def test_a_render_whose_job_is_still_queued_is_left_alone(alice, queue_redis):
    render = _queued_render(alice)
    enqueue_render(render.pk)
    _age(Render, render.pk)

    assert studio.sweep() == 0
    assert Render.objects.get(pk=render.pk).status == Render.Status.QUEUED


def test_a_render_just_saved_is_given_time_to_reach_the_queue(alice, queue_redis):
    _queued_render(alice)

    assert studio.sweep() == 0


def test_an_export_with_a_lost_render_is_zipped_with_the_rest(alice, old_export, queue_redis):
    first, second = old_export.renders.order_by("pk")
    queue_redis.flushdb()  # Redis restarted: both jobs are gone
    studio.render_run(render_id=first.pk)
    _age(Render, second.pk)

    assert studio.sweep() == 2  # the lost render failed, the export queued for zipping
    work_off(queue_redis)

    old_export.refresh_from_db()
    assert old_export.status == Export.Status.DONE
    assert studio.export_progress(old_export).failed == 1


def test_an_export_whose_zip_job_was_lost_is_zipped(alice, old_export, queue_redis):
    work_off(queue_redis)
    Export.objects.filter(pk=old_export.pk).update(status=Export.Status.RUNNING, archive="")
    queue_redis.flushdb()

    assert studio.sweep() == 1
    work_off(queue_redis)

    old_export.refresh_from_db()
    assert old_export.status == Export.Status.DONE
    assert old_export.archive
