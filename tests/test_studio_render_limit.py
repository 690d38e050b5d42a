"""A member's renders in flight are limited: a Save over the limit is refused and creates
nothing, and an export feeds its renders to the queue a few at a time."""

import json

import pytest
from rq import Queue, SimpleWorker

from cutouts.models import Export, Render
from cutouts.studio import services as studio
from tests.api_calls import client_for
from tests.studio_images import processed, work_off

pytestmark = pytest.mark.django_db

LIMIT = 4


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.RENDER_MAX_IN_FLIGHT_PER_MEMBER = LIMIT


@pytest.fixture
def save(queue_redis, django_capture_on_commit_callbacks):
    """render_create, with its after-commit queueing run as a real commit would."""

    def _save(image, user, preset="webp-web") -> Render:
        with django_capture_on_commit_callbacks(execute=True):
            return studio.render_create(image=image, spec_or_preset=preset, user=user)

    return _save


def on_the_queue(connection) -> list[str]:
    return [job_id.decode() for job_id in connection.lrange("rq:queue:renders", 0, -1)]


def run_one(connection) -> None:
    queue = Queue("renders", connection=connection)
    SimpleWorker([queue], connection=connection).work(burst=True, max_jobs=1)


def test_a_save_over_the_limit_is_refused_and_creates_nothing(alice, save, queue_redis):
    image = processed(alice)
    for _ in range(LIMIT):
        save(image, alice)

    with pytest.raises(studio.RenderLimitReached, match="4 renders on the way already"):
        save(image, alice)

    assert Render.objects.count() == LIMIT
    assert len(on_the_queue(queue_redis)) == LIMIT


def test_a_finished_render_frees_its_place(alice, save, queue_redis):
    image = processed(alice)
    for _ in range(LIMIT):
        save(image, alice)

    run_one(queue_redis)

    assert save(image, alice).status == Render.Status.QUEUED


def test_the_limit_is_each_members_own(alice, bob, save):
    for _ in range(LIMIT):
        save(processed(alice), alice)

    assert save(processed(bob), bob).status == Render.Status.QUEUED


def test_the_studio_answers_429_with_the_reason_and_creates_nothing(alice, alice_client, save):
    image = processed(alice)
    for _ in range(LIMIT):
        save(image, alice)

    response = alice_client.post(
        f"/images/{image.pk}/renders/",
        {"spec": json.dumps({"background": {"type": "color", "color": "#ff0000"}})},
        headers={"accept": "application/json"},
    )

    assert response.status_code == 429
    assert "renders on the way already" in response.json()["error"]
    assert Render.objects.count() == LIMIT


def test_the_studio_form_shows_the_reason_as_a_message(alice, alice_client, save):
    image = processed(alice)
    for _ in range(LIMIT):
        save(image, alice)

    response = alice_client.post(
        f"/images/{image.pk}/renders/", {"preset": "amazon-main"}, follow=True
    )

    assert response.redirect_chain == [(f"/images/{image.pk}/studio/", 302)]
    assert "Save again when one has finished." in response.content.decode()
    assert Render.objects.count() == LIMIT


def test_the_api_answers_429_with_the_reason_and_creates_nothing(alice, save):
    image = processed(alice)
    for _ in range(LIMIT):
        save(image, alice)

    response = client_for(alice).post(
        f"/api/cutouts/v1/images/{image.pk}/renders",
        {"preset": "amazon-main"},
        content_type="application/json",
    )

    assert response.status_code == 429
    assert "renders on the way already" in response.json()["detail"]
    assert Render.objects.count() == LIMIT


def test_a_big_export_goes_on_the_queue_a_few_renders_at_a_time_and_finishes(
    alice, export, queue_redis
):
    images = [processed(alice, f"shoe-{number}.jpg", size=(64, 48)) for number in range(9)]

    made = export(alice, images, preset="webp-web").export

    assert len(on_the_queue(queue_redis)) == LIMIT - 1
    run_one(queue_redis)
    assert len(on_the_queue(queue_redis)) == LIMIT - 1
    work_off(queue_redis)
    made.refresh_from_db()
    assert made.status == Export.Status.DONE
    assert made.renders.filter(status=Render.Status.DONE).count() == 9


def test_a_save_still_has_a_place_while_an_export_runs(alice, export, save, queue_redis):
    export(alice, [processed(alice, f"{number}.jpg") for number in range(9)], preset="webp-web")

    render = save(processed(alice, "studio.jpg"), alice)

    assert on_the_queue(queue_redis)[-1] == f"render-{render.pk}"


def test_another_members_render_waits_behind_a_few_of_an_export_not_all(
    alice, bob, export, save, queue_redis
):
    export(alice, [processed(alice, f"{number}.jpg") for number in range(30)], preset="webp-web")

    bobs = save(processed(bob), bob)

    assert on_the_queue(queue_redis).index(f"render-{bobs.pk}") == LIMIT - 1


def test_the_sweep_feeds_export_renders_nobody_fed(alice, export, queue_redis):
    images = [processed(alice, f"{number}.jpg") for number in range(5)]
    made = export(alice, images, preset="webp-web").export
    queue_redis.flushdb()  # the worker died before it fed the next ones; Redis lost the rest
    Render.objects.filter(export=made, waiting=False).update(status=Render.Status.FAILED)

    studio.sweep()

    assert len(on_the_queue(queue_redis)) == 2
    work_off(queue_redis)
    made.refresh_from_db()
    assert made.status == Export.Status.DONE
    assert made.renders.filter(status=Render.Status.DONE).count() == 2
