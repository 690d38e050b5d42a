"""The dashboard's period: a date the app cannot have seen is a form error, not a crash."""

from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    [
        "?start=9999-12-31&end=9999-12-31",
        "?start=0001-01-01&end=0001-01-02",
        "?start=1999-12-31&end=2000-01-01",
        f"?start={timezone.localdate()}&end={timezone.localdate() + timedelta(days=400)}",
    ],
)
def test_a_day_out_of_range_shows_why_and_the_last_30_days(admin_client_, query):
    response = admin_client_.get(f"/dashboard/{query}")

    assert response.status_code == 200
    last = timezone.localdate() + timedelta(days=366)
    assert f"Choose a day from 01 Jan 2000 to {last:%d %b %Y}." in response.content.decode()
    assert len(response.context["period"].days) == 30


def test_the_first_day_there_can_be_is_accepted(admin_client_):
    response = admin_client_.get("/dashboard/?start=2000-01-01&end=2000-01-31")

    assert not response.context["form"].errors
    assert len(response.context["period"].days) == 31
