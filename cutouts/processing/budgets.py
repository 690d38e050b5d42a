"""Monthly credit budgets per member: what each has spent, and what is left.

A member's budget is their own MemberBudget row when they have one (null:
unlimited), else the team's default (TeamBudget, null: unlimited). What they
used is what their calls may have cost this month on the ledger: charged and
maybe-charged calls, as in the team's spend. Cache hits and the local engine
are free; credit checks are the team's, not a member's. Months run in
settings.TIME_ZONE.

The gate (spend_verdict, hold_over_budget) is asked by the scheduler each
time it is about to give a paid call to an image: a member whose month is
spent has their images wait, status "over budget", until an admin raises
their budget or the month ends (cutouts.processing.releasing).
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from cutouts.models import ApiCall, BudgetNotice, Image, Matte, MemberBudget, TeamBudget
from cutouts.processing.alerts import email_admins
from cutouts.processing.queueing import answer_key, redis_connection

# Charges that count against a budget: the same as the team's spend.
PAID = [ApiCall.Charge.CHARGED, ApiCall.Charge.MAYBE]


@dataclass(frozen=True)
class BudgetUse:
    monthly_credits: int | None  # None: unlimited
    used: int  # credits this member's calls cost this month (charged and maybe charged)
    left: int | None  # None when unlimited; never below 0
    resets_at: datetime  # start of next month, in settings.TIME_ZONE
    source: str  # "member" (own budget), "team" (team default) or "unlimited"

    @property
    def over(self) -> bool:
        """Nothing left to spend this month."""
        return self.left == 0

    @property
    def text(self) -> str:
        """The member's own summary, for the upload page."""
        if self.monthly_credits is None:
            return f"This month: {self.used} credits used; no budget limit."
        return (
            f"This month: {self.used} of {self.monthly_credits} credits used; "
            f"{self.left} left, resets {self.resets_at.day} {self.resets_at:%b}."
        )


def month_start(now: datetime | None = None) -> datetime:
    """The first moment of `now`'s month, in settings.TIME_ZONE."""
    local = timezone.localtime(now or timezone.now(), timezone.get_default_timezone())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(now: datetime | None = None) -> datetime:
    start = month_start(now)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def monthly_credits(*, user_id: int) -> tuple[int | None, str]:
    """The member's monthly budget and where it comes from ("member", "team", "unlimited")."""
    own = MemberBudget.objects.filter(user_id=user_id).first()
    if own is not None:
        return own.monthly_credits, "member" if own.monthly_credits is not None else "unlimited"
    team = TeamBudget.load().monthly_credits
    return team, "team" if team is not None else "unlimited"


def credits_used(*, user: AbstractBaseUser, now: datetime | None = None) -> int:
    """Credits the member's calls cost, or may have, since the month began."""
    return ApiCall.objects.filter(
        user=user, charge__in=PAID, created_at__gte=month_start(now)
    ).count()


def budget_use(*, user: AbstractBaseUser, now: datetime | None = None) -> BudgetUse:
    """The member's budget this month, what they used of it and what is left."""
    budget, source = monthly_credits(user_id=user.pk)
    return use_of(budget=budget, source=source, used=credits_used(user=user, now=now), now=now)


def use_of(*, budget: int | None, source: str, used: int, now: datetime | None) -> BudgetUse:
    return BudgetUse(
        monthly_credits=budget,
        used=used,
        left=None if budget is None else max(budget - used, 0),
        resets_at=next_month_start(now),
        source=source,
    )


def budgets_of_everyone(*, now: datetime) -> dict[int, BudgetUse]:
    """Every active member's budget use this month, by user id, in four queries."""
    team = TeamBudget.load().monthly_credits
    own = dict(MemberBudget.objects.values_list("user_id", "monthly_credits"))
    used = dict(
        ApiCall.objects.filter(
            user__isnull=False, charge__in=PAID, created_at__gte=month_start(now)
        )
        .values("user_id")
        .annotate(n=Count("pk"))
        .values_list("user_id", "n")
    )
    uses = {}
    for user_id in get_user_model().objects.filter(is_active=True).values_list("pk", flat=True):
        if user_id in own:
            budget, source = own[user_id], "member" if own[user_id] is not None else "unlimited"
        else:
            budget, source = team, "team" if team is not None else "unlimited"
        uses[user_id] = use_of(budget=budget, source=source, used=used.get(user_id, 0), now=now)
    return uses


class Verdict(enum.Enum):
    SPEND = "spend"  # a credit is left for one more call
    IN_FLIGHT = "in_flight"  # calls on their way may take what is left: not now
    OVER = "over"  # the month's budget is spent


def spend_verdict(
    *, owner_id: int, image: tuple[int, str], now: datetime
) -> tuple[Verdict, int | None]:
    """Whether the owner's budget has room for `image` (id, sha256), and the budget.

    An image whose matte costs nothing (a twin's, a kept answer) always has.

    Call inside a transaction: it locks the owner's user row until the
    caller commits its claim. The claim (an image turned "processing") is
    what the next worker counts as a call on its way, so two workers with
    one credit left between them take turns here instead of both spending
    it. A lock on the member, not on their images, since the call to count
    may be for an image no worker has claimed yet. Unlimited members lock
    nothing.
    """
    budget, _ = monthly_credits(user_id=owner_id)
    if budget is None or not needing_paid_calls([image]):
        return Verdict.SPEND, budget
    list(get_user_model().objects.select_for_update().filter(pk=owner_id).values_list("pk"))
    # A "sent" row is a call on its way until its job must have ended;
    # after that its worker died, and the call stays maybe charged.
    on_the_way = Q(outcome=ApiCall.Outcome.SENT) & Q(
        created_at__gt=now - timedelta(seconds=settings.PROCESS_JOB_TIMEOUT)
    )
    calls = ApiCall.objects.filter(
        user_id=owner_id, charge__in=PAID, created_at__gte=month_start(now)
    ).aggregate(settled=Count("pk", filter=~on_the_way), sending=Count("pk", filter=on_the_way))
    # Claimed for a call whose ledger row is not written yet.
    claimed = (
        Image.objects.filter(owner_id=owner_id, status=Image.Status.PROCESSING)
        .exclude(
            Exists(
                ApiCall.objects.filter(image=OuterRef("pk"), created_at__gte=OuterRef("claimed_at"))
            )
        )
        .count()
    )
    if calls["settled"] >= budget:
        return Verdict.OVER, budget
    if calls["settled"] + calls["sending"] + claimed >= budget:
        return Verdict.IN_FLIGHT, budget
    return Verdict.SPEND, budget


def needing_paid_calls(images: list[tuple[int, str]]) -> list[int]:
    """The ids of (id, sha256) pairs whose matte costs a call: no twin's matte, no kept answer."""
    if not images:
        return []
    twins = set(
        Matte.objects.filter(image__sha256__in={sha256 for _, sha256 in images}).values_list(
            "image__sha256", "image_id"
        )
    )
    pipe = redis_connection().pipeline(transaction=False)
    for _, sha256 in images:
        pipe.exists(answer_key(sha256))
    kept = pipe.execute()
    return [
        pk
        for (pk, sha256), answered in zip(images, kept, strict=True)
        if not answered and not any(sha == sha256 and other != pk for sha, other in twins)
    ]


def over_budget_reason(*, budget: int, now: datetime) -> str:
    resets = next_month_start(now)
    return (
        f"Over your monthly budget ({budget} credit{'' if budget == 1 else 's'}): "
        "waits until an admin raises it "
        f"or the month ends ({resets.day} {resets:%b})."
    )


def hold_over_budget(*, owner_id: int, budget: int, now: datetime) -> int:
    """Set the owner's queued images that need a paid call to wait for budget; how many.

    Images that cost nothing (a twin's matte, a kept answer) stay queued:
    free work never waits for a budget. The first time in a month, the
    admins are told (after commit; the caller holds the owner's lock).
    """
    # Rows another worker holds are left to it: it is waiting for the owner's
    # lock, and will find the budget spent once it has it. Waiting for them
    # here instead would deadlock the two.
    queued = list(
        Image.objects.filter(owner_id=owner_id, status=Image.Status.QUEUED)
        .select_for_update(skip_locked=True)
        .values_list("pk", "sha256")
    )
    held = Image.objects.filter(
        pk__in=needing_paid_calls(queued), status=Image.Status.QUEUED
    ).update(
        status=Image.Status.OVER_BUDGET,
        status_reason=over_budget_reason(budget=budget, now=now),
        claimed_at=None,
        updated_at=now,
    )
    _, told = BudgetNotice.objects.get_or_create(user_id=owner_id, month=month_start(now).date())
    if told:
        # Robust: a mail server that fails must not fail the worker's claim.
        transaction.on_commit(
            lambda: _email_admins(owner_id=owner_id, budget=budget, now=now), robust=True
        )
    return held


def _email_admins(*, owner_id: int, budget: int, now: datetime) -> None:
    member = get_user_model().objects.get(pk=owner_id)
    resets = next_month_start(now)
    waiting = Image.objects.filter(owner_id=owner_id, status=Image.Status.OVER_BUDGET).count()
    email_admins(
        subject=f"{member.get_username()} is over their monthly budget",
        message=(
            f"{member.get_username()} has used their {budget} credits for this month. "
            f"{waiting} of their images wait, and any they add will too, until an admin "
            f"raises their budget or the month ends ({resets.day} {resets:%b}).\n\n"
            f"Budgets: {settings.SITE_URL}{reverse('dashboard_budgets')}\n"
        ),
    )
