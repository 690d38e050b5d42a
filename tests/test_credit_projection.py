"""When the credits run out at the recent rate, and how many days until they expire."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from cutouts.models import ApiCall
from cutouts.processing.credits import days_until, run_out_date, spend_per_day
from tests.ledger import ledger_row, snapshot

SUCCESS, ERROR, CACHE_HIT = (
    ApiCall.Outcome.SUCCESS,
    ApiCall.Outcome.ERROR,
    ApiCall.Outcome.CACHE_HIT,
)
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def test_the_credits_run_out_after_credit_over_rate_days():
    assert run_out_date(credit=100, per_day=8.0, today=date(2026, 6, 15)) == date(2026, 6, 27)


def test_nothing_spent_means_no_run_out_date():
    assert run_out_date(credit=100, per_day=0.0, today=date(2026, 6, 15)) is None


def test_no_credit_left_runs_out_today():
    assert run_out_date(credit=0, per_day=3.0, today=date(2026, 6, 15)) == date(2026, 6, 15)


@pytest.mark.parametrize(
    ("expires_at", "days"),
    [
        (datetime(2026, 6, 15, 23, 59, 59, tzinfo=UTC), 0),
        (datetime(2026, 6, 16, 0, 0, 1, tzinfo=UTC), 1),
        (datetime(2026, 9, 5, 23, 59, 59, tzinfo=UTC), 82),
        (datetime(2026, 6, 14, 23, 59, 59, tzinfo=UTC), -1),
    ],
)
def test_days_until_expiry_count_calendar_days(expires_at, days):
    assert days_until(expires_at, now=NOW) == days


@pytest.mark.django_db
def test_the_rate_is_paid_calls_a_day_over_the_last_two_weeks(alice):
    for day in range(14):
        for _ in range(3):
            ledger_row(user=alice, outcome=SUCCESS, at=NOW - timedelta(days=day, hours=1))
    ledger_row(user=alice, outcome=SUCCESS, at=NOW - timedelta(days=20))
    ledger_row(user=alice, outcome=ERROR, at=NOW - timedelta(days=1))
    ledger_row(user=alice, outcome=CACHE_HIT, at=NOW - timedelta(days=1))
    ledger_row(user=alice, outcome=SUCCESS, at=NOW - timedelta(days=1), engine="withoutbg")

    assert spend_per_day(engine="sandbox", now=NOW) == pytest.approx(3 * 14 / (13 + 1 / 24))


@pytest.mark.django_db
def test_a_young_ledger_is_measured_over_its_own_age(alice):
    for hours in (1, 24, 47):
        ledger_row(user=alice, outcome=SUCCESS, at=NOW - timedelta(hours=hours))

    assert spend_per_day(engine="sandbox", now=NOW) == pytest.approx(3 / (47 / 24))


@pytest.mark.django_db
def test_a_ledger_younger_than_a_day_counts_as_one_day(alice):
    for minutes in (5, 10):
        ledger_row(user=alice, outcome=SUCCESS, at=NOW - timedelta(minutes=minutes))

    assert spend_per_day(engine="sandbox", now=NOW) == 2.0


@pytest.mark.django_db
def test_the_page_shows_the_run_out_date_and_days_to_expiry(alice, admin_client_):
    now = timezone.now()
    snapshot(credit=100, at=now, expires_at=now + timedelta(days=30))
    for hours in range(10):
        ledger_row(user=alice, outcome=SUCCESS, at=now - timedelta(hours=hours + 1))

    page = " ".join(admin_client_.get("/dashboard/").content.decode().split())

    runs_out = timezone.localdate(now) + timedelta(days=10)
    assert f'<p class="dash-figure">{runs_out.day} {runs_out:%b %Y}</p>' in page
    assert "At 10.0 credits a day, the rate of the last 14 days." in page
    assert "30 days </p>" in page
