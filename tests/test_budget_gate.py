"""The scheduler gives a paid call only within its member's monthly budget.

A member whose month is spent has their images set aside, "over budget",
with a reason and one e-mail to the admins a month; calls on their way that
may spend the rest only pass the member over for this slot. Free work (a
twin's matte, a kept answer) is never held back.
"""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from cutouts.models import ApiCall, BudgetNotice, Image, MemberBudget
from cutouts.processing import scheduling
from cutouts.processing.budgets import budget_use, month_start
from cutouts.processing.queueing import answer_key, redis_connection
from tests.images import product_photo
from tests.ledger import ledger_row
from tests.outputs import finish
from tests.uploading import upload

SIZE = (160, 120)


def spent(user, credits: int) -> None:
    for _ in range(credits):
        ledger_row(user=user, outcome=ApiCall.Outcome.SUCCESS, at=timezone.now())


def drop(owner, count: int, first_seed: int = 0) -> list[Image]:
    return [
        upload(owner, f"{owner.username}-{seed}.jpg", product_photo(seed, SIZE))
        for seed in range(first_seed, first_seed + count)
    ]


def statuses(images: list[Image]) -> list[str]:
    return [Image.objects.get(pk=image.pk).status for image in images]


@pytest.fixture
def budgeted(db, queue_redis, alice, admin_user):
    MemberBudget.objects.create(user=alice, monthly_credits=3)
    return alice


def test_a_member_with_budget_left_is_served(budgeted):
    spent(budgeted, 2)
    images = drop(budgeted, 2)

    assert scheduling.claim_next().pk == images[0].pk


def test_a_spent_budget_sets_the_members_images_aside_with_a_reason(
    budgeted, bob, django_capture_on_commit_callbacks
):
    spent(budgeted, 3)
    held = drop(budgeted, 3)
    bobs = drop(bob, 1, first_seed=50)

    with django_capture_on_commit_callbacks(execute=True):
        claimed = scheduling.claim_next()

    assert claimed.pk == bobs[0].pk
    assert statuses(held) == [Image.Status.OVER_BUDGET] * 3
    reason = Image.objects.get(pk=held[0].pk).status_reason
    resets = budget_use(user=budgeted).resets_at
    assert reason == (
        "Over your monthly budget (3 credits): waits until an admin raises it "
        f"or the month ends ({resets.day} {resets:%b})."
    )
    assert scheduling.claim_next() is None


def test_admins_are_emailed_once_a_month_per_member(budgeted, django_capture_on_commit_callbacks):
    spent(budgeted, 3)
    drop(budgeted, 2)

    with django_capture_on_commit_callbacks(execute=True):
        scheduling.claim_next()
    drop(budgeted, 2, first_seed=10)
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.claim_next()

    assert BudgetNotice.objects.filter(user=budgeted).count() == 1
    assert BudgetNotice.objects.get().month == month_start().date()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "[Cutouts] alice is over their monthly budget"
    assert message.to == ["root@example.com"]
    assert "used their 3 credits" in message.body
    assert "/dashboard/budgets/" in message.body


def test_calls_on_their_way_pass_the_member_over_without_setting_images_aside(budgeted, bob):
    spent(budgeted, 2)
    alices = drop(budgeted, 3)
    bobs = drop(bob, 2, first_seed=50)

    first = scheduling.claim_next()  # alice's last credit, its call not yet sent
    second = scheduling.claim_next()

    assert first.pk == alices[0].pk
    assert second.pk == bobs[0].pk
    assert statuses(alices[1:]) == [Image.Status.QUEUED] * 2


def test_a_sent_call_counts_as_on_its_way(budgeted, bob):
    spent(budgeted, 2)
    ledger_row(
        user=budgeted,
        outcome=ApiCall.Outcome.SENT,
        at=timezone.now(),
        charge=ApiCall.Charge.MAYBE,
    )
    alices = drop(budgeted, 1)

    assert scheduling.claim_next() is None
    assert statuses(alices) == [Image.Status.QUEUED]


def test_a_call_that_turned_out_free_gives_its_credit_back(budgeted):
    spent(budgeted, 2)
    image = drop(budgeted, 1)[0]
    claimed = scheduling.claim_next()
    ledger_row(user=budgeted, outcome=ApiCall.Outcome.ERROR, at=timezone.now())
    Image.objects.filter(pk=claimed.pk).update(status=Image.Status.QUEUED, claimed_at=None)

    assert scheduling.claim_next().pk == image.pk


def test_free_work_of_a_member_over_budget_is_still_served(budgeted, bob):
    spent(budgeted, 3)
    twin_bytes, kept_bytes = product_photo(1, SIZE), product_photo(2, SIZE)
    finish(upload(bob, "bobs.jpg", twin_bytes))
    twin = upload(budgeted, "twin.jpg", twin_bytes)
    kept = upload(budgeted, "kept.jpg", kept_bytes)
    redis_connection().hset(answer_key(kept.sha256), mapping={"png": b"x", "engine": "sandbox"})
    paid = drop(budgeted, 1, first_seed=3)

    claimed = [scheduling.claim_next(), scheduling.claim_next(), scheduling.claim_next()]

    assert [image.pk for image in claimed[:2]] == [twin.pk, kept.pk]
    assert claimed[2] is None
    assert statuses(paid) == [Image.Status.OVER_BUDGET]


def test_unlimited_members_are_never_held(db, queue_redis, alice):
    MemberBudget.objects.create(user=alice, monthly_credits=None)
    spent(alice, 50)
    images = drop(alice, 2)

    assert scheduling.claim_next().pk == images[0].pk


@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_the_last_credit_never_overspend(queue_redis, alice, bob):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks; CI runs this on PostgreSQL")
    MemberBudget.objects.create(user=alice, monthly_credits=3)
    spent(alice, 2)
    drop(alice, 6)
    drop(bob, 6, first_seed=50)
    start = threading.Barrier(6)
    claimed: list[Image | None] = []

    def worker() -> None:
        try:
            start.wait()
            claimed.append(scheduling.claim_next())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    owners = [image.owner.username for image in claimed if image is not None]
    assert owners.count("alice") == 1
    assert owners.count("bob") == 5
