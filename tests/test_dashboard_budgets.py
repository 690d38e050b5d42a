"""Admins set the team's default budget and each member's on the dashboard's Budgets page."""

import pytest
from django.utils import timezone

from cutouts.models import ApiCall, Image, MemberBudget, TeamBudget
from tests.ledger import ledger_row
from tests.uploading import upload

pytestmark = pytest.mark.django_db

PAGE = "/dashboard/budgets/"


def member_url(user) -> str:
    return f"/dashboard/budgets/{user.pk}/"


def member_form(user, mode: str, credits: str = "") -> dict:
    return {f"member-{user.pk}-mode": mode, f"member-{user.pk}-monthly_credits": credits}


def test_the_page_shows_each_members_use_against_their_budget(admin_client_, alice, bob):
    TeamBudget.objects.update_or_create(pk=1, defaults={"monthly_credits": 100})
    MemberBudget.objects.create(user=bob, monthly_credits=None)
    for _ in range(37):
        ledger_row(user=alice, outcome=ApiCall.Outcome.SUCCESS, at=timezone.now())
    upload(alice, status=Image.Status.OVER_BUDGET)

    page = admin_client_.get(PAGE).content.decode()

    alice_row = page[page.index(">alice</td>") : page.index(">bob</td>")]
    assert "37 of 100" in alice_row
    assert '<td class="num" data-label="Left">63</td>' in alice_row
    assert '<strong class="budget-waiting">1</strong>' in alice_row
    assert '<option value="team" selected>' in alice_row
    bob_row = page[page.index(">bob</td>") :]
    assert "no limit" in bob_row
    assert '<option value="unlimited" selected>' in bob_row


def test_the_dashboard_links_to_budgets(admin_client_):
    assert 'href="/dashboard/budgets/"' in admin_client_.get("/dashboard/").content.decode()


def test_an_admin_sets_the_team_default_and_empty_means_unlimited(admin_client_):
    response = admin_client_.post(PAGE, {"monthly_credits": "250"})

    assert response.status_code == 302
    assert TeamBudget.load().monthly_credits == 250
    admin_client_.post(PAGE, {"monthly_credits": ""})
    assert TeamBudget.load().monthly_credits is None


def test_an_admin_gives_a_member_a_budget_unlimited_or_the_team_default(admin_client_, alice):
    admin_client_.post(member_url(alice), member_form(alice, "credits", "40"))
    assert MemberBudget.objects.get(user=alice).monthly_credits == 40

    admin_client_.post(member_url(alice), member_form(alice, "unlimited"))
    assert MemberBudget.objects.get(user=alice).monthly_credits is None

    admin_client_.post(member_url(alice), member_form(alice, "team"))
    assert not MemberBudget.objects.filter(user=alice).exists()


@pytest.mark.parametrize("value", ["-1", "1000001", "99999999999999999999999", "abc", "1.5", "1e3"])
def test_negative_absurd_or_garbage_budgets_are_refused_with_a_message(admin_client_, alice, value):
    team = admin_client_.post(PAGE, {"monthly_credits": value})
    member = admin_client_.post(member_url(alice), member_form(alice, "credits", value))

    for response in (team, member):
        assert response.status_code == 200
        assert "Enter a whole number of credits from 0 to 1,000,000." in response.content.decode()
    assert TeamBudget.load().monthly_credits is None
    assert not MemberBudget.objects.exists()


def test_a_member_budget_of_credits_needs_a_number_and_a_known_choice(admin_client_, alice):
    missing = admin_client_.post(member_url(alice), member_form(alice, "credits"))
    unknown = admin_client_.post(member_url(alice), member_form(alice, "lots", "5"))

    assert "Give the number of credits a month." in missing.content.decode()
    assert "Choose the team default, unlimited or a number." in unknown.content.decode()
    assert not MemberBudget.objects.exists()


def test_an_unknown_member_is_not_found(admin_client_):
    assert admin_client_.post("/dashboard/budgets/999999/", {}).status_code == 404


def test_raising_a_budget_releases_the_members_images_in_their_order(
    admin_client_, alice, queue_redis, django_capture_on_commit_callbacks
):
    MemberBudget.objects.create(user=alice, monthly_credits=1)
    ledger_row(user=alice, outcome=ApiCall.Outcome.SUCCESS, at=timezone.now())
    waiting = [
        upload(alice, f"{n}.jpg", status=Image.Status.OVER_BUDGET, fair_seq=n) for n in range(3)
    ]

    with django_capture_on_commit_callbacks(execute=True):
        admin_client_.post(member_url(alice), member_form(alice, "credits", "10"))

    released = Image.objects.filter(pk__in=[image.pk for image in waiting])
    assert set(released.values_list("status", flat=True)) == {Image.Status.QUEUED}
    order = list(released.order_by("-urgent", "fair_seq", "pk").values_list("pk", flat=True))
    assert order == [image.pk for image in waiting]
    assert all(image.job_id for image in released)
