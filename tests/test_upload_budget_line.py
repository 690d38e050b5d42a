"""Members see this month's use of their budget on the upload page."""

import pytest
from django.utils import timezone

from cutouts.models import ApiCall, MemberBudget, TeamBudget
from cutouts.processing.budgets import next_month_start
from tests.ledger import ledger_row

pytestmark = pytest.mark.django_db


def test_a_member_with_a_budget_sees_used_left_and_when_it_resets(alice_client, alice):
    TeamBudget.objects.update_or_create(pk=1, defaults={"monthly_credits": 100})
    for _ in range(37):
        ledger_row(user=alice, outcome=ApiCall.Outcome.SUCCESS, at=timezone.now())
    resets = next_month_start()

    page = alice_client.get("/upload/").content.decode()

    assert f"This month: 37 of 100 credits used; 63 left, resets {resets.day} {resets:%b}." in page


def test_a_member_without_a_budget_sees_no_limit(alice_client):
    assert "no budget limit" in alice_client.get("/upload/").content.decode()


def test_a_member_over_budget_is_told_new_pictures_wait(alice_client, alice):
    MemberBudget.objects.create(user=alice, monthly_credits=0)

    page = alice_client.get("/upload/").content.decode()

    assert 'class="upload-budget over"' in page
    assert "New pictures wait until an admin raises your budget or the month ends." in page
