"""A member's monthly budget: their own or the team's default, and what this month's calls used."""

from datetime import UTC, datetime

import pytest

from cutouts.models import ApiCall, MemberBudget, TeamBudget
from cutouts.processing.budgets import budget_use
from tests.ledger import ledger_row

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 15, 12, tzinfo=UTC)


def team_default(credits: int | None) -> None:
    TeamBudget.objects.update_or_create(pk=1, defaults={"monthly_credits": credits})


def test_without_any_budget_a_member_is_unlimited(alice):
    use = budget_use(user=alice, now=NOW)

    assert (use.monthly_credits, use.left, use.source, use.over) == (None, None, "unlimited", False)
    assert use.text == "This month: 0 credits used; no budget limit."


def test_the_team_default_applies_to_members_without_their_own(alice):
    team_default(100)
    for _ in range(37):
        ledger_row(user=alice, outcome=ApiCall.Outcome.SUCCESS, at=NOW)

    use = budget_use(user=alice, now=NOW)

    assert (use.monthly_credits, use.used, use.left, use.source) == (100, 37, 63, "team")
    assert use.resets_at == datetime(2027, 1, 1, tzinfo=UTC)
    assert use.text == "This month: 37 of 100 credits used; 63 left, resets 1 Jan."


def test_a_members_own_budget_overrides_the_team_default_and_null_means_unlimited(alice, bob):
    team_default(100)
    MemberBudget.objects.create(user=alice, monthly_credits=5)
    MemberBudget.objects.create(user=bob, monthly_credits=None)

    mine = budget_use(user=alice, now=NOW)
    assert (mine.monthly_credits, mine.source) == (5, "member")
    assert budget_use(user=bob, now=NOW).source == "unlimited"
    assert budget_use(user=bob, now=NOW).left is None


def test_charged_and_maybe_charged_calls_count_but_cache_hits_and_free_calls_do_not(alice, bob):
    MemberBudget.objects.create(user=alice, monthly_credits=10)
    ledger_row(user=alice, outcome=ApiCall.Outcome.SUCCESS, at=NOW)
    ledger_row(user=alice, outcome=ApiCall.Outcome.SENT, at=NOW, charge=ApiCall.Charge.MAYBE)
    ledger_row(user=alice, outcome=ApiCall.Outcome.CACHE_HIT, at=NOW)
    ledger_row(user=alice, outcome=ApiCall.Outcome.ERROR, at=NOW)
    ledger_row(user=alice, outcome=ApiCall.Outcome.SUCCESS, at=NOW, engine="local-u2netp")
    ledger_row(user=bob, outcome=ApiCall.Outcome.SUCCESS, at=NOW)

    assert budget_use(user=alice, now=NOW).used == 2


def test_last_months_calls_do_not_count(alice):
    MemberBudget.objects.create(user=alice, monthly_credits=3)
    for _ in range(3):
        ledger_row(
            user=alice, outcome=ApiCall.Outcome.SUCCESS, at=datetime(2026, 11, 30, 23, tzinfo=UTC)
        )

    assert budget_use(user=alice, now=datetime(2026, 11, 30, 23, 30, tzinfo=UTC)).over
    december = budget_use(user=alice, now=NOW)
    assert (december.used, december.left, december.over) == (0, 3, False)


def test_months_follow_the_teams_time_zone(alice, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    MemberBudget.objects.create(user=alice, monthly_credits=3)
    # 23:30 UTC on 30 November is already December in Berlin.
    ledger_row(
        user=alice, outcome=ApiCall.Outcome.SUCCESS, at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    )

    assert budget_use(user=alice, now=NOW).used == 1


def test_left_never_goes_below_zero(alice):
    MemberBudget.objects.create(user=alice, monthly_credits=1)
    for _ in range(3):
        ledger_row(user=alice, outcome=ApiCall.Outcome.SUCCESS, at=NOW)

    use = budget_use(user=alice, now=NOW)

    assert (use.used, use.left, use.over) == (3, 0, True)
