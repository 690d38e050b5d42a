"""Over-budget images go back in line when their member has room again, in their order,
interleaved with others' images rather than ahead of everyone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rq.cron import CronScheduler

from cutouts.models import ApiCall, Image, MemberBudget
from cutouts.processing import scheduling
from cutouts.processing.budgets import next_month_start
from cutouts.processing.releasing import (
    RELEASED_REASON,
    release_all_over_budget,
    release_over_budget,
)
from tests.images import product_photo
from tests.ledger import ledger_row
from tests.uploading import upload

SIZE = (160, 120)

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(queue_redis, alice):
    """Alice's budget of 2 is spent and three of her images wait for budget."""
    MemberBudget.objects.create(user=alice, monthly_credits=2)
    for _ in range(2):
        ledger_row(user=alice, outcome=ApiCall.Outcome.SUCCESS, at=timezone.now())
    images = [upload(alice, f"alice-{n}.jpg", product_photo(n, SIZE)) for n in range(3)]
    assert scheduling.claim_next() is None
    return images


def statuses(images) -> list[str]:
    return [Image.objects.get(pk=image.pk).status for image in images]


def test_nothing_is_released_while_the_budget_is_still_spent(held, alice):
    assert release_over_budget(user_id=alice.pk) == 0
    assert statuses(held) == [Image.Status.OVER_BUDGET] * 3


def test_the_new_month_releases_them_in_their_order(
    held, alice, django_capture_on_commit_callbacks
):
    next_month = next_month_start() + timedelta(minutes=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert release_all_over_budget(now=next_month) == 3

    assert statuses(held) == [Image.Status.QUEUED] * 3
    assert {Image.objects.get(pk=image.pk).status_reason for image in held} == {RELEASED_REASON}
    assert all(Image.objects.get(pk=image.pk).job_id for image in held)


def test_released_images_join_the_line_as_a_newcomers_would(held, alice, bob):
    drop = [upload(bob, f"bob-{n}.jpg", product_photo(50 + n, SIZE)) for n in range(30)]
    for _ in range(12):
        scheduling.claim_next()  # bob's batch is well under way
    MemberBudget.objects.filter(user=alice).update(monthly_credits=10)

    release_over_budget(user_id=alice.pk)

    # A small drop goes ahead of a large batch, in its own order, as an upload would.
    claimed = [scheduling.claim_next() for _ in range(4)]
    assert [image.pk for image in claimed] == [*(image.pk for image in held), drop[12].pk]


def test_the_release_is_a_periodic_job(queue_redis):
    scheduler = CronScheduler(connection=queue_redis, name="budget-release-test")
    scheduler.load_config_from_file("cutouts.cron")

    assert "cutouts.jobs.release_over_budget" in [job.func_name for job in scheduler.get_jobs()]
