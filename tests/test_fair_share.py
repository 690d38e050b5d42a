"""The rate limit is shared fairly: slots go to the fair order the moment they come free."""

import time

from cutouts.models import Image
from cutouts.processing import scheduling
from cutouts.processing.queueing import get_limiter
from cutouts.processing.retrying import image_retry
from tests.api_calls import base64_body, client_for
from tests.images import product_photo
from tests.uploading import upload
from tests.worker_fixtures import wait_until

ALPHA = "/api/v1.0/alpha-channel-base64"
SIZE = (160, 120)
LIMIT = 20  # calls a minute: a slot every 3 s
SLOT = 60 / LIMIT


def drop(owner, count: int, first_seed: int = 0) -> list[Image]:
    return [
        upload(owner, f"{owner.username}-{seed}.jpg", product_photo(seed, SIZE))
        for seed in range(first_seed, first_seed + count)
    ]


def claimed_owners(count: int) -> list[str]:
    return [scheduling.claim_next().owner.username for _ in range(count)]


def busy_minute() -> None:
    """The limiter as after a minute at the limit: a slot frees every SLOT seconds."""
    limiter = get_limiter()
    now = limiter.now()
    limiter.connection.zadd(
        limiter.key,
        {f"earlier-{n}": now - limiter.window + (n + 1) * SLOT for n in range(LIMIT)},
    )


def test_a_lone_batch_is_served_in_upload_order(db, alice):
    images = drop(alice, 14)

    claimed = [scheduling.claim_next() for _ in images]

    assert [image.pk for image in claimed] == [image.pk for image in images]
    assert scheduling.claim_next() is None


def test_two_members_batches_take_turns(db, alice, bob):
    drop(alice, 15)
    drop(bob, 15, first_seed=100)

    assert claimed_owners(30) == ["alice", "bob"] * 15


def test_a_colleagues_single_photo_goes_ahead_of_a_large_batch(db, alice, bob):
    drop(alice, 30)
    claimed_owners(12)  # the batch is well under way

    upload(bob, "one.jpg", product_photo(500, SIZE))

    assert claimed_owners(2) == ["bob", "alice"]


def test_a_batch_started_alongside_anothers_is_interleaved_not_queued_behind(db, alice, bob):
    drop(alice, 40)
    claimed_owners(20)

    drop(bob, 40, first_seed=100)

    # Bob's first ten (a small drop) go first, then the two batches alternate.
    assert claimed_owners(10) == ["bob"] * 10
    assert claimed_owners(40) == ["alice", "bob"] * 20


def test_a_retried_image_goes_ahead_of_a_large_batch(db, alice, bob):
    drop(alice, 30)
    failed = upload(bob, "failed.jpg", product_photo(600, SIZE), status=Image.Status.FAILED)
    for _ in range(11):
        scheduling.claim_next()

    image_retry(image=failed)

    assert scheduling.claim_next().pk == failed.pk


def test_an_image_deleted_while_it_waits_gives_its_turn_to_the_next(db, alice):
    first, second, third = drop(alice, 3)

    second.delete()

    assert [scheduling.claim_next().pk for _ in range(2)] == [first.pk, third.pk]


def test_an_image_waiting_out_a_back_off_is_not_chosen_before_it_ends(db, alice):
    first, second = drop(alice, 2)
    Image.objects.filter(pk=first.pk).update(
        not_before=first.created_at.replace(year=first.created_at.year + 1)
    )

    assert scheduling.claim_next().pk == second.pk
    assert scheduling.claim_next() is None


def test_etas_follow_the_fair_order_and_the_limit(db, settings, queue_redis, alice, bob):
    settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE = LIMIT
    busy_minute()
    batch = drop(alice, 12)
    single = upload(bob, "one.jpg", product_photo(500, SIZE))

    scheduling.attach_etas([*batch, single])

    # Bob's photo is second in line (after Alice's first): the second slot.
    assert abs(single.eta.seconds - (2 * SLOT + scheduling.DEFAULT_PROCESSING_SECONDS)) <= 1
    seconds = [image.eta.seconds for image in batch]
    assert seconds == sorted(seconds)
    assert abs(seconds[-1] - (13 * SLOT + scheduling.DEFAULT_PROCESSING_SECONDS)) <= 1


def test_a_colleagues_photo_and_a_scripts_call_overtake_a_running_batch(
    workers, settings, alice, bob
):
    settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE = LIMIT
    workers.env["WITHOUTBG_RATE_LIMIT_PER_MINUTE"] = str(LIMIT)
    busy_minute()
    workers.start(2)
    batch = drop(alice, 30)
    wait_until(
        lambda: Image.objects.filter(owner=alice, status=Image.Status.DONE).count() >= 2,
        timeout=60,
        message=f"the batch is under way\n{workers.logs()[-3000:]}",
    )

    photo = upload(bob, "one.jpg", product_photo(500, SIZE))
    queued_at = time.monotonic()
    wait_until(
        lambda: Image.objects.filter(pk=photo.pk, status=Image.Status.DONE).exists(),
        timeout=60,
        message="Bob's photo is done",
    )
    photo_wait = time.monotonic() - queued_at

    started = time.monotonic()
    response = client_for(bob).post_json(ALPHA, base64_body(product_photo(501, SIZE)))
    call_wait = time.monotonic() - started

    assert response.status_code == 200
    # Each within two slots of being queued, plus the call and storing its matte.
    assert photo_wait < 2 * SLOT + 6
    assert call_wait < 2 * SLOT + 6
    waiting = Image.objects.filter(pk__in=[image.pk for image in batch]).exclude(
        status=Image.Status.DONE
    )
    assert waiting.count() >= 20


def test_a_waiting_images_eta_counts_down_and_it_is_done_by_then(workers, settings, alice):
    settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE = LIMIT
    workers.env["WITHOUTBG_RATE_LIMIT_PER_MINUTE"] = str(LIMIT)
    busy_minute()
    *_, last = drop(alice, 5)
    api = client_for(alice)
    first_eta = api.get(f"/api/cutouts/v1/images/{last.pk}").json()["eta_seconds"]
    started = time.monotonic()
    workers.start(2)

    wait_until(lambda: time.monotonic() - started > 2 * SLOT, timeout=30, message="two slots")
    later = api.get(f"/api/cutouts/v1/images/{last.pk}").json()
    wait_until(
        lambda: Image.objects.filter(pk=last.pk, status=Image.Status.DONE).exists(),
        timeout=60,
        message=f"the last image is done\n{workers.logs()[-3000:]}",
    )
    took = time.monotonic() - started

    assert first_eta >= 5 * SLOT
    assert later["status"] in {"queued", "processing"}
    assert later["eta_seconds"] < first_eta - SLOT
    assert abs(took - first_eta) < 0.2 * first_eta + SLOT
