"""Admins are e-mailed once when credits run low or near expiry, and see a banner until fixed."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from cutouts.models import Alert
from cutouts.processing.credits import EXPIRING, LOW_CREDIT, credits_refresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api, settings, admin_user):
    settings.CREDIT_LOW_THRESHOLD = 50
    settings.CREDIT_EXPIRY_WARNING_DAYS = 14
    return api


def in_days(days: int) -> str:
    return f"{datetime.now(UTC) + timedelta(days=days):%Y-%m-%d %H:%M:%S}"


def alert(kind: str) -> Alert:
    return Alert.objects.get(kind=kind)


def test_credits_dropping_below_the_threshold_send_one_email(api):
    credits_refresh()
    assert mail.outbox == []

    api.configure(credits=20)
    for _ in range(3):
        credits_refresh()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "[Cutouts] Credits are running low"
    assert message.to == ["root@example.com"]
    assert "20 left" in message.body
    assert "/dashboard/" in message.body
    assert alert(LOW_CREDIT).active


def test_admins_see_the_low_credit_banner_on_every_page(api, admin_client_, alice_client):
    api.configure(credits=20)
    credits_refresh()

    for url in ("/", "/upload/", "/accounts/invites/"):
        page = admin_client_.get(url).content.decode()
        assert "Credits are low: 20 left" in page
        assert 'href="/dashboard/"' in page
    assert "Credits are low" not in alice_client.get("/").content.decode()


def test_the_dashboard_heads_with_the_alert_instead_of_the_banner(api, admin_client_):
    api.configure(credits=20)
    credits_refresh()

    page = admin_client_.get("/dashboard/").content.decode()

    attention = page[page.index('class="dash-attention"') :]
    assert '<div class="attention warn">' in attention
    assert "Credits are running low" in attention
    assert 'class="credit-banner"' not in page


def test_a_top_up_rearms_the_low_credit_alert(api, admin_client_):
    api.configure(credits=20)
    credits_refresh()

    api.configure(credits=500)
    credits_refresh()

    assert not alert(LOW_CREDIT).active
    assert "Credits are low" not in admin_client_.get("/").content.decode()
    api.configure(credits=10)
    credits_refresh()
    credits_refresh()
    assert len(mail.outbox) == 2
    assert "10 left" in mail.outbox[1].body


def test_credits_near_expiry_send_one_email_until_renewed(api, admin_client_):
    api.configure(credits=1000, expires_at=in_days(5))
    credits_refresh()
    credits_refresh()

    assert [m.subject for m in mail.outbox] == ["[Cutouts] Credits are expiring"]
    assert "(in 5 days)" in mail.outbox[0].body
    assert "credits expire on" in admin_client_.get("/").content.decode()

    api.configure(expires_at=in_days(200))
    credits_refresh()
    assert not alert(EXPIRING).active
    api.configure(expires_at=in_days(3))
    credits_refresh()
    assert len(mail.outbox) == 2


def test_credits_already_expired_say_so(api):
    api.configure(expires_at="2020-01-01 00:00:00")

    credits_refresh()

    assert "expired on 01 Jan 2020" in alert(EXPIRING).message


def test_a_failed_check_leaves_the_alerts_as_they_were(api, settings):
    api.configure(credits=20)
    credits_refresh()

    settings.WITHOUTBG_BASE_URL = "http://127.0.0.1:9"
    credits_refresh()

    assert alert(LOW_CREDIT).active
    assert len(mail.outbox) == 1


def test_an_email_that_could_not_be_sent_is_tried_again(api, settings):
    api.configure(credits=20)
    test_backend = settings.EMAIL_BACKEND
    # The mail server is down: real SMTP, to a port nothing listens on.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 1
    settings.EMAIL_TIMEOUT = 5

    with pytest.raises(ConnectionRefusedError):
        credits_refresh()
    assert alert(LOW_CREDIT).emailed_at is None
    settings.EMAIL_BACKEND = test_backend

    credits_refresh()

    assert len(mail.outbox) == 1
    assert alert(LOW_CREDIT).emailed_at is not None


def test_the_offline_model_turns_the_alerts_off(api, settings):
    api.configure(credits=20, expires_at=in_days(2))
    credits_refresh()

    settings.MATTING_ENGINE = "local"
    credits_refresh()

    assert not Alert.objects.filter(active=True).exists()
