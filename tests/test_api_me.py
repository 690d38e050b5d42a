"""GET /api/cutouts/v1/me: who the token is, and the member's credit budget this month."""

import pytest

from cutouts.models import ApiCall, Image, MemberBudget, TeamBudget
from tests.api_calls import client_for
from tests.uploading import upload

pytestmark = pytest.mark.django_db

ME = "/api/cutouts/v1/me"


def test_it_says_who_the_token_is_and_that_there_is_no_limit(alice):
    body = client_for(alice, name="Shop sync").get(ME).json()

    assert body["username"] == "alice"
    assert body["token"]["name"] == "Shop sync"
    assert body["token"]["prefix"].startswith("cut_")
    assert body["budget"]["monthly_credits"] is None
    assert (body["budget"]["left"], body["budget"]["source"]) == (None, "unlimited")


def test_it_counts_this_months_paid_calls_against_the_members_budget(alice, bob):
    MemberBudget.objects.create(user=alice, monthly_credits=100)
    for charge in (ApiCall.Charge.CHARGED, ApiCall.Charge.MAYBE, ApiCall.Charge.FREE):
        ApiCall.objects.create(user=alice, endpoint="/v1.0/alpha-channel-base64", charge=charge)
    ApiCall.objects.create(user=bob, endpoint="/v1.0/alpha-channel-base64", charge="charged")

    budget = client_for(alice).get(ME).json()["budget"]

    assert (budget["monthly_credits"], budget["used"], budget["left"]) == (100, 2, 98)
    assert budget["source"] == "member"
    assert budget["resets_at"][8:10] == "01"


def test_the_team_default_applies_without_a_members_own(alice):
    team = TeamBudget.load()
    team.monthly_credits = 50
    team.save()

    budget = client_for(alice).get(ME).json()["budget"]

    assert (budget["monthly_credits"], budget["left"], budget["source"]) == (50, 50, "team")


def test_it_counts_the_members_waiting_images(alice, bob):
    upload(alice, "a.jpg")
    upload(alice, "b.jpg", status=Image.Status.OVER_BUDGET)
    upload(bob, "c.jpg")

    images = client_for(alice).get(ME).json()["images"]

    assert images == {"queued": 1, "processing": 0, "waiting_credits": 0, "over_budget": 1}
