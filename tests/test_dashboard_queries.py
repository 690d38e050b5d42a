"""The dashboard runs a fixed number of SQL queries, however much there is to count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cutouts.dashboard import selectors as dashboard
from cutouts.models import Alert, ApiCall, Image, ProcessingState
from tests.ledger import image_row, snapshot

pytestmark = pytest.mark.django_db

SELECTOR_QUERIES = 10  # see cutouts.dashboard.selectors.overview
PAGE_QUERIES_AT_MOST = 15  # the selectors, the session and user, the banners


def add_ledger(users, *, days: int, per_day: int) -> None:
    now = timezone.now()
    outcomes = ApiCall.Outcome.values
    for day in range(days):
        rows = ApiCall.objects.bulk_create(
            ApiCall(
                user=users[n % len(users)], endpoint="e", engine="sandbox", outcome=outcomes[n % 3]
            )
            for n in range(per_day)
        )
        ApiCall.objects.filter(pk__in=[row.pk for row in rows]).update(
            created_at=now - timedelta(days=day, minutes=5)
        )


def add_volume(django_user_model, admin_user) -> None:
    members = [django_user_model.objects.create_user(f"member{n}") for n in range(15)]
    add_ledger(members, days=60, per_day=16)
    now = timezone.now()
    for hour in range(0, 24 * 60, 6):
        snapshot(
            credit=10_000 - hour, at=now - timedelta(hours=hour), expires_at=now + timedelta(days=5)
        )
    for n in range(30):
        image_row(owner=members[n % 15], status=Image.Status.FAILED, at=now, reason="Broken")
        image_row(owner=members[n % 15], status=Image.Status.QUEUED, at=now)
    Alert.objects.create(kind="low_credit", active=True, message="Credits are low")
    Alert.objects.create(kind="credits_expiring", active=True, message="Credits expire")
    ProcessingState.objects.create(pk=1, pause=ProcessingState.Pause.NO_CREDIT)


def test_the_selectors_run_the_same_queries_for_any_volume(
    alice, admin_user, django_user_model, django_assert_num_queries, queue_redis
):
    period = dashboard.period_last_days(days=30, now=timezone.now())
    with django_assert_num_queries(SELECTOR_QUERIES):
        dashboard.overview(period=period, now=timezone.now())

    add_volume(django_user_model, admin_user)

    with django_assert_num_queries(SELECTOR_QUERIES):
        overview = dashboard.overview(period=period, now=timezone.now())
    assert len(overview.usage.members) == 15
    assert len(overview.failures) == dashboard.RECENT_FAILURES


def test_the_page_runs_the_same_queries_for_any_volume(
    alice, admin_user, admin_client_, django_user_model, django_assert_num_queries, queue_redis
):
    add_ledger([alice], days=2, per_day=3)
    with CaptureQueriesContext(connection) as small:
        assert admin_client_.get("/dashboard/").status_code == 200
    assert len(small) <= PAGE_QUERIES_AT_MOST

    add_volume(django_user_model, admin_user)

    for query in ("", "?days=90", "?days=7"):
        with django_assert_num_queries(len(small)):
            assert admin_client_.get(f"/dashboard/{query}").status_code == 200
