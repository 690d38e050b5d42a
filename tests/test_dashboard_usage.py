"""Usage on the dashboard: calls per day, per member, for the period chosen."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from cutouts.dashboard.selectors import credit_history, period_between, period_last_days, usage
from cutouts.models import ApiCall
from tests.ledger import ledger_row, snapshot

pytestmark = pytest.mark.django_db

SUCCESS, ERROR, CACHE_HIT = (
    ApiCall.Outcome.SUCCESS,
    ApiCall.Outcome.ERROR,
    ApiCall.Outcome.CACHE_HIT,
)


def noon(days_ago: int) -> datetime:
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(12)))


@pytest.fixture
def ledger(alice, bob, django_user_model):
    """Alice: 3 paid calls, 1 error, 2 cache hits. Bob: the offline model, and a paid call
    long ago. Carol: one paid call, then her account was deleted."""
    for days_ago, outcome in [(1, SUCCESS), (1, SUCCESS), (3, SUCCESS), (3, ERROR)]:
        ledger_row(user=alice, outcome=outcome, at=noon(days_ago))
    for days_ago in (1, 2):
        ledger_row(user=alice, outcome=CACHE_HIT, at=noon(days_ago))
    ledger_row(user=bob, outcome=SUCCESS, at=noon(2), engine="local-u2netp")
    ledger_row(user=bob, outcome=CACHE_HIT, at=noon(2), engine="local-u2netp")
    ledger_row(user=bob, outcome=SUCCESS, at=noon(40))
    carol = django_user_model.objects.create_user("carol")
    ledger_row(user=carol, outcome=SUCCESS, at=timezone.now() - timedelta(seconds=1))
    carol.delete()


def test_each_member_has_calls_credits_spent_and_saved(ledger):
    members = usage(period=period_last_days(days=7, now=timezone.now())).members

    rows = [(m.username, m.calls, m.errors, m.credits_spent, m.credits_saved) for m in members]
    assert rows == [
        ("alice", 4, 1, 3, 2),
        ("", 1, 0, 1, 0),
        ("bob", 1, 0, 0, 0),
    ]


def test_calls_outside_the_period_are_left_out(ledger):
    period = period_between(first=noon(45).date(), last=noon(35).date(), now=timezone.now())

    found = usage(period=period)

    assert [(m.username, m.credits_spent) for m in found.members] == [("bob", 1)]
    assert sum(day.success for day in found.per_day) == 1


def test_every_day_has_its_calls_split_by_outcome(ledger):
    days = usage(period=period_last_days(days=4, now=timezone.now())).per_day

    assert [(d.day, d.success, d.error, d.cache_hit) for d in days] == [
        (noon(3).date(), 1, 1, 0),
        (noon(2).date(), 1, 0, 2),
        (noon(1).date(), 2, 0, 1),
        (noon(0).date(), 1, 0, 0),
    ]


def test_the_balance_line_has_the_lowest_figure_of_each_day():
    snapshot(credit=900, at=noon(2))
    snapshot(credit=850, at=noon(2) + timedelta(hours=3))
    snapshot(credit=None, at=noon(1), error="Could not reach the API")
    snapshot(credit=1500, at=noon(1) + timedelta(hours=1))

    history = credit_history(period=period_last_days(days=30, now=timezone.now()))

    assert [(at.date(), credit) for at, credit in history] == [
        (noon(2).date(), 850),
        (noon(1).date(), 1500),
    ]


def test_a_week_has_a_point_an_hour():
    snapshot(credit=900, at=noon(2))
    snapshot(credit=850, at=noon(2) + timedelta(minutes=15))
    snapshot(credit=800, at=noon(2) + timedelta(hours=1))

    history = credit_history(period=period_last_days(days=7, now=timezone.now()))

    assert [credit for _, credit in history] == [850, 800]


def test_the_page_has_the_member_table_and_the_totals(ledger, admin_client_):
    page = admin_client_.get("/dashboard/?days=7").content.decode()

    table = page[page.index('class="list dash-members"') : page.index("</table>")]
    rows = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in table.split("<tr>")[2:]]
    assert rows == [
        ["alice", "4", "1", "3", "2"],
        ["(deleted member)", "1", "0", "1", "0"],
        ["bob", "1", "0", "0", "0"],
        ["Everyone", "6", "1", "4", "2"],
    ]


def test_spend_counts_the_calls_that_may_have_been_charged_and_says_how_many(alice, admin_client_):
    # A time-out, and a call whose worker was killed before its answer came.
    ledger_row(user=alice, outcome=ERROR, at=noon(1), charge=ApiCall.Charge.MAYBE)
    ledger_row(user=alice, outcome=ApiCall.Outcome.SENT, at=noon(1), charge=ApiCall.Charge.MAYBE)
    # A malformed reply nothing could be salvaged from: paid all the same.
    ledger_row(user=alice, outcome=ERROR, at=noon(1), charge=ApiCall.Charge.CHARGED)
    ledger_row(user=alice, outcome=SUCCESS, at=noon(1))
    ledger_row(user=alice, outcome=ERROR, at=noon(1))  # refused: free

    [member] = usage(period=period_last_days(days=7, now=timezone.now())).members

    assert (member.calls, member.errors, member.credits_spent, member.credits_uncertain) == (
        5,
        4,
        4,
        2,
    )
    page = admin_client_.get("/dashboard/?days=7").content.decode()
    assert '4 <span class="muted">(2 maybe)</span>' in page


@pytest.mark.parametrize(
    ("query", "first_day_ago", "last_day_ago"),
    [
        ("", 29, 0),
        ("?days=7", 6, 0),
        ("?days=90", 89, 0),
        (f"?start={noon(10).date()}&end={noon(8).date()}", 10, 8),
    ],
)
def test_the_period_can_be_chosen(admin_client_, query, first_day_ago, last_day_ago):
    response = admin_client_.get(f"/dashboard/{query}")

    days = response.context["period"].days
    assert (days[0], days[-1]) == (noon(first_day_ago).date(), noon(last_day_ago).date())
    assert not response.context["form"].errors


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("?days=13", "Select a valid choice"),
        ("?start=2026-02-30&end=2026-03-01", "Enter a valid date"),
        ("?start=2026-03-01", "Give both the first and the last day, or neither."),
        ("?start=2026-03-02&end=2026-03-01", "The first day comes after the last."),
        ("?start=2020-01-01&end=2026-01-01", "Choose at most 366 days."),
    ],
)
def test_a_wrong_period_shows_why_and_the_last_30_days(admin_client_, query, error):
    response = admin_client_.get(f"/dashboard/{query}")

    assert response.status_code == 200
    assert error in response.content.decode()
    assert len(response.context["period"].days) == 30
