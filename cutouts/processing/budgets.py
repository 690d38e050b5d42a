"""Monthly credit budgets per member: what each has spent, and what is left.

A member's budget is their own MemberBudget row when they have one (null:
unlimited), else the team's default (TeamBudget, null: unlimited). What they
used is what their calls may have cost this month on the ledger: charged and
maybe-charged calls, as in the team's spend. Cache hits and the local engine
are free; credit checks are the team's, not a member's. Months run in
settings.TIME_ZONE.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from cutouts.models import ApiCall, MemberBudget, TeamBudget

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


def monthly_credits(*, user: AbstractBaseUser) -> tuple[int | None, str]:
    """The member's monthly budget and where it comes from ("member", "team", "unlimited")."""
    own = MemberBudget.objects.filter(user=user).first()
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
    budget, source = monthly_credits(user=user)
    used = credits_used(user=user, now=now)
    return BudgetUse(
        monthly_credits=budget,
        used=used,
        left=None if budget is None else max(budget - used, 0),
        resets_at=next_month_start(now),
        source=source,
    )
