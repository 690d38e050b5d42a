"""Queue health on the dashboard: images by status, workers, jobs, failures to retry."""

import re
from datetime import timedelta

import django_rq
import pytest
from django.utils import timezone
from rq import Worker
from rq.cron import CronScheduler

from cutouts.models import Image
from cutouts.processing.queueing import QUEUES
from tests.ledger import image_row, snapshot

pytestmark = pytest.mark.django_db


def _registered(connection, name: str, *queues: str) -> Worker:
    """A worker registered in Redis, as `rqworker` does when it starts."""
    alive = Worker([django_rq.get_queue(q) for q in queues], connection=connection, name=name)
    alive.register_birth()
    return alive


@pytest.fixture
def worker(queue_redis):
    """One worker for processing and one for renders, as `make run` starts them."""
    processing = _registered(queue_redis, "dash-test", "default")
    renders = _registered(queue_redis, "dash-test-renders", "renders")
    yield processing
    processing.register_death()
    renders.register_death()


@pytest.fixture
def scheduler(queue_redis):
    """The `rqcron` scheduler, registered as it registers itself."""
    running = CronScheduler(connection=queue_redis, name="dash-test-cron")
    running.register_birth()
    yield running
    running.register_death()


def stats(page: str) -> dict[str, str]:
    """The queue health figures, label to text (spaces squeezed)."""
    section = page[page.index('class="dash-stats"') : page.index("</dl>")]
    pairs = re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", section, re.DOTALL)
    return {label: " ".join(text.split()) for label, text in pairs}


def test_it_counts_images_by_status_and_ages_the_oldest_queued(alice, admin_client_, worker):
    now = timezone.now()
    image_row(owner=alice, status=Image.Status.QUEUED, at=now - timedelta(hours=2))
    image_row(owner=alice, status=Image.Status.QUEUED, at=now - timedelta(minutes=5))
    image_row(owner=alice, status=Image.Status.PROCESSING, at=now - timedelta(days=3))
    image_row(owner=alice, status=Image.Status.WAITING_CREDITS, at=now)
    image_row(owner=alice, status=Image.Status.FAILED, at=now)
    image_row(owner=alice, status=Image.Status.DONE, at=now - timedelta(days=9))
    django_rq.get_queue("default").enqueue("cutouts.jobs.sweep")

    figures = stats(admin_client_.get("/dashboard/").content.decode())

    assert figures["Queued"] == "2"
    assert figures["Running"] == "1"
    assert figures["Waiting for credits"] == "1"
    assert figures["Failed"] == "1"
    assert figures["Oldest queued"] == "2 hours"
    assert figures["Workers alive"] == '1 <span class="muted">(0 busy)</span>'
    assert figures["Jobs ready"] == "1"


def test_no_worker_is_something_to_fix(admin_client_, queue_redis):
    page = admin_client_.get("/dashboard/").content.decode()

    assert stats(page)["Workers alive"] == "0"
    assert "No worker is running" in page
    assert "python manage.py rqworker default --with-scheduler" in page


def test_renders_are_counted_on_their_own_queue_with_their_own_workers(admin_client_, queue_redis):
    processing = _registered(queue_redis, "dash-processing", "default")
    django_rq.get_queue("renders").enqueue("cutouts.jobs.run_render", 1)
    django_rq.get_queue("renders").enqueue("cutouts.jobs.run_render", 2)

    page = admin_client_.get("/dashboard/").content.decode()
    processing.register_death()

    figures = stats(page)
    assert figures["Workers alive"] == '1 <span class="muted">(0 busy)</span>'
    assert figures["Jobs ready"] == "0"
    assert figures["Render workers"] == "0"
    assert figures["Renders ready"] == "2"
    assert "No render worker is running" in page
    assert "python manage.py rqworker renders" in page
    assert "No worker is running" not in page


def test_periodic_jobs_not_running_are_something_to_fix(admin_client_, worker):
    page = admin_client_.get("/dashboard/").content.decode()

    assert stats(page)["Periodic jobs"] == '<span class="bad">not running</span>'
    assert "python manage.py rqcron cutouts.cron" in page


def test_redis_down_says_queue_unreachable(admin_client_, settings):
    settings.RQ_QUEUES = {name: {"URL": "redis://127.0.0.1:9/0"} for name in QUEUES}

    response = admin_client_.get("/dashboard/")

    assert response.status_code == 200
    page = response.content.decode()
    assert stats(page)["Workers"] == "Queue unreachable"
    assert "The job queue is unreachable" in page


def test_all_is_well_when_nothing_needs_doing(admin_client_, worker, scheduler):
    snapshot(credit=5000, at=timezone.now(), expires_at=timezone.now() + timedelta(days=300))

    page = admin_client_.get("/dashboard/").content.decode()

    assert "All is well" in page
    assert stats(page)["Periodic jobs"] == "running"


def test_recent_failures_show_their_reasons_and_retry_buttons(alice, bob, admin_client_):
    now = timezone.now()
    older = image_row(
        owner=alice,
        status=Image.Status.FAILED,
        at=now - timedelta(days=2),
        name="old.jpg",
        reason="The API could not process this image: File size too large",
    )
    newer = image_row(
        owner=bob,
        status=Image.Status.FAILED,
        at=now - timedelta(hours=1),
        name="new.png",
        reason="The API kept failing (Internal server error); gave up after 5 attempts.",
    )

    page = admin_client_.get("/dashboard/").content.decode()

    failures = page[page.index("Recent failures") :]
    assert failures.index("new.png") < failures.index("old.jpg")
    assert "File size too large" in failures
    assert "gave up after 5 attempts" in failures
    for image in (older, newer):
        assert f'action="/images/{image.pk}/retry/"' in failures
    assert 'action="/images/retry-failed/"' in failures
