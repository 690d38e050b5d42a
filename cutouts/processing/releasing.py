"""Budgets set by admins, and over-budget images back in line once there is room.

An admin raising a budget (or lifting it) releases at once, after the form's
save commits; a periodic job releases everyone whose month has turned. Each
member's images keep their order and take fresh places, as if the member
joined the line now: they interleave with the others' images rather than go
ahead of everyone. They were never charged (the scheduler holds an image
before its call), so each is charged once, when its turn comes.
"""

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError

from cutouts.models import Image, MemberBudget, TeamBudget
from cutouts.processing import budgets, scheduling
from cutouts.processing.queueing import enqueue_processing

logger = logging.getLogger(__name__)

RELEASED_REASON = "Queued again: the monthly budget has room."


def team_budget_set(*, monthly_credits: int | None) -> None:
    """Set the team's default monthly budget (None: unlimited); a raise releases at once."""
    TeamBudget.objects.update_or_create(pk=1, defaults={"monthly_credits": monthly_credits})
    transaction.on_commit(release_all_over_budget)


def member_budget_set(*, user_id: int, mode: str, monthly_credits: int | None = None) -> None:
    """Give a member the team's default ("team"), no limit ("unlimited") or `monthly_credits`."""
    if mode == "team":
        MemberBudget.objects.filter(user_id=user_id).delete()
    else:
        credits = monthly_credits if mode == "credits" else None
        MemberBudget.objects.update_or_create(
            user_id=user_id, defaults={"monthly_credits": credits}
        )
    transaction.on_commit(lambda: release_over_budget(user_id=user_id))


def release_over_budget(*, user_id: int, now: datetime | None = None) -> int:
    """Queue again the member's over-budget images if their budget has room; how many."""
    now = now or timezone.now()
    member = get_user_model().objects.get(pk=user_id)
    if budgets.budget_use(user=member, now=now).over:
        return 0
    released: list[int] = []
    with transaction.atomic():
        # The scheduler holds images under the same lock (budgets.spend_verdict).
        list(get_user_model().objects.select_for_update().filter(pk=user_id).values_list("pk"))
        waiting = list(
            Image.objects.filter(owner_id=user_id, status=Image.Status.OVER_BUDGET)
            .order_by(*scheduling.FAIR_ORDER)
            .values_list("pk", flat=True)
        )
        for image_id in waiting:
            fair_seq, urgent = scheduling.place_in_line(owner_id=user_id)
            Image.objects.filter(pk=image_id).update(
                status=Image.Status.QUEUED,
                status_reason=RELEASED_REASON,
                fair_seq=fair_seq,
                urgent=urgent,
                not_before=None,
                claimed_at=None,
                updated_at=now,
            )
            released.append(image_id)
        transaction.on_commit(lambda: _enqueue(released))
    if released:
        logger.info("Released %d over-budget images of member %s", len(released), user_id)
    return len(released)


def release_all_over_budget(*, now: datetime | None = None) -> int:
    """Release every member's over-budget images that now fit (a new month, a raise); how many."""
    owners = (
        Image.objects.filter(status=Image.Status.OVER_BUDGET)
        .values_list("owner_id", flat=True)
        .distinct()
    )
    return sum(release_over_budget(user_id=owner_id, now=now) for owner_id in list(owners))


def _enqueue(image_ids: list[int]) -> None:
    for image_id in image_ids:
        try:
            enqueue_processing(image_id)
        except RedisError:
            # Queued images whose job Redis lost are queued again by the sweeper.
            logger.warning("Redis is unavailable; released images are queued when it is back")
            return
