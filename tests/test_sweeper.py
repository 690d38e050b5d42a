"""The sweeper: images whose worker died or whose job Redis lost are queued again."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rq import Queue
from rq.job import Job, JobStatus

from cutouts.models import Image, ProcessingState
from cutouts.processing.queueing import enqueue_processing
from cutouts.processing.sweeper import sweep
from tests.uploading import upload


@pytest.fixture
def image(alice, queue_redis):
    return upload(alice, "a.jpg")


def queued_job_ids(connection) -> list[str]:
    return Queue("default", connection=connection).job_ids


def age(image: Image, **fields) -> None:
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Image.objects.filter(pk=image.pk).update(updated_at=an_hour_ago, **fields)


def test_it_puts_back_an_image_whose_worker_died(image, queue_redis):
    age(image, status=Image.Status.PROCESSING, claimed_at=timezone.now() - timedelta(hours=1))

    assert sweep() == 1

    image.refresh_from_db()
    assert image.status == Image.Status.QUEUED
    assert "worker processing it stopped" in image.status_reason
    assert image.job_id in queued_job_ids(queue_redis)


def test_it_leaves_an_image_a_worker_is_still_processing(image, queue_redis):
    Image.objects.filter(pk=image.pk).update(
        status=Image.Status.PROCESSING, claimed_at=timezone.now()
    )

    assert sweep() == 0
    assert Image.objects.get(pk=image.pk).status == Image.Status.PROCESSING


def test_it_queues_an_image_whose_job_redis_does_not_know(image, queue_redis):
    age(image, job_id="lost-when-redis-restarted")

    assert sweep() == 1

    image.refresh_from_db()
    assert image.job_id != "lost-when-redis-restarted"
    assert image.job_id in queued_job_ids(queue_redis)


def test_it_leaves_an_image_waiting_for_its_members_budget(image, queue_redis):
    age(image, status=Image.Status.OVER_BUDGET, job_id="ended-when-it-went-over-budget")

    assert sweep() == 0
    assert Image.objects.get(pk=image.pk).status == Image.Status.OVER_BUDGET


def test_it_leaves_an_image_whose_job_is_waiting(image, queue_redis):
    enqueue_processing(image.pk, delay=600)
    image.refresh_from_db()
    age(image)

    assert sweep() == 0
    assert Image.objects.get(pk=image.pk).job_id == image.job_id


def test_it_gives_a_fresh_upload_time_to_be_queued(image, queue_redis):
    Image.objects.filter(pk=image.pk).update(job_id="")

    assert sweep() == 0


def test_it_wakes_images_left_waiting_after_a_pause_ended(image, queue_redis):
    ProcessingState.load()
    age(image, status=Image.Status.WAITING_CREDITS)

    assert sweep() == 1
    assert Image.objects.get(pk=image.pk).status == Image.Status.QUEUED


def test_it_leaves_waiting_images_alone_while_paused(image, queue_redis):
    ProcessingState.objects.create(pk=1, pause=ProcessingState.Pause.NO_CREDIT)
    age(image, status=Image.Status.WAITING_CREDITS)

    assert sweep() == 0
    assert Image.objects.get(pk=image.pk).status == Image.Status.WAITING_CREDITS


def taken_by_a_worker(image: Image, connection, *, seconds_ago: float) -> None:
    """The image's job as a worker leaves it when it takes it: started, at that time."""
    enqueue_processing(image.pk)
    image.refresh_from_db()
    job = Job.fetch(image.job_id, connection=connection)
    job.started_at = timezone.now() - timedelta(seconds=seconds_ago)
    job.set_status(JobStatus.STARTED)
    job.save()


def test_it_queues_an_image_whose_worker_was_killed_before_it_could_claim_it(image, queue_redis):
    # kill -9 between taking the job and claiming the image: RQ would call the
    # job failed only minutes later, when the dead worker's registry expires.
    taken_by_a_worker(image, queue_redis, seconds_ago=60)
    lost_job = image.job_id
    age(image)

    assert sweep() == 1

    image.refresh_from_db()
    assert image.job_id != lost_job
    assert image.job_id in queued_job_ids(queue_redis)


def test_it_leaves_an_image_whose_job_a_worker_has_just_taken(image, queue_redis):
    taken_by_a_worker(image, queue_redis, seconds_ago=0)
    job_id = image.job_id
    age(image)

    assert sweep() == 0
    assert Image.objects.get(pk=image.pk).job_id == job_id
