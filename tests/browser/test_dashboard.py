"""An admin opens the dashboard after a batch ran through the sandbox, and when credits run low."""

from datetime import UTC, datetime, timedelta

import django_rq
import pytest
from django.core import mail
from playwright.sync_api import expect
from rq import Worker
from rq.cron import CronScheduler

from cutouts.processing.credits import credits_refresh
from cutouts.processing.pipeline import image_process
from cutouts.processing.queueing import QUEUES
from tests.images import image_bytes
from tests.uploading import upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(api, settings, queue_redis):
    settings.CREDIT_LOW_THRESHOLD = 50
    expires = datetime.now(UTC) + timedelta(days=200)
    api.configure(credits=250, expires_at=f"{expires:%Y-%m-%d %H:%M:%S}")
    # A worker for both queues and the periodic jobs, registered as running ones register.
    queues = [django_rq.get_queue(name) for name in QUEUES]
    worker = Worker(queues, connection=queue_redis, name="browser-test")
    worker.register_birth()
    scheduler = CronScheduler(connection=queue_redis, name="browser-test-cron")
    scheduler.register_birth()
    yield api
    worker.register_death()
    scheduler.register_death()


def run_batch(uploads: list[tuple[object, str, bytes]]) -> None:
    """Upload and process each image here, through the sandbox, as a worker would."""
    for owner, name, data in uploads:
        image = upload(owner, name, data)
        image_process(image_id=image.pk)
    django_rq.get_queue("default").empty()  # the jobs the uploads queued are done


def member_rows(page) -> list[list[str]]:
    return [
        row.locator("td, th").all_inner_texts()
        for row in page.locator(".dash-members tbody tr, .dash-members tfoot tr").all()
    ]


def test_an_admin_sees_credits_the_chart_and_who_used_what(
    page, sign_in, api, admin_user, alice, bob, tmp_path
):
    first, second = image_bytes("JPEG", size=(320, 240)), image_bytes("JPEG", size=(300, 200))
    run_batch(
        [
            (alice, "cat.jpg", first),
            (alice, "dog.jpg", second),
            (bob, "same-cat.jpg", first),  # the same bytes: no API call
        ]
    )
    credits_refresh()
    sign_in(admin_user)

    page.goto("/dashboard/")

    expect(page.locator(".attention.ok")).to_contain_text("All is well")
    expect(page.locator("[data-credit-balance]")).to_have_text("248")
    expect(page.locator(".dash-engine")).to_contain_text("sandbox")
    expect(page.locator("svg.chart")).to_have_count(2)
    expect(page.locator("svg.chart .chart-dot")).to_have_count(1)
    expect(page.locator("svg.chart rect.chart-bar.success")).to_have_count(1)
    expect(page.locator("svg.chart rect.chart-bar.cache_hit")).to_have_count(1)
    assert member_rows(page) == [
        ["alice", "2", "0", "2", "0"],
        ["bob", "0", "0", "0", "1"],
        ["Everyone", "2", "0", "2", "1"],
    ]
    assert api.key not in page.content()
    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)

    # Members get no dashboard.
    page.context.clear_cookies()
    sign_in(alice)
    assert page.request.get("/dashboard/").status == 403


def test_credits_below_the_threshold_email_once_and_show_the_banner(
    page, sign_in, api, admin_user, tmp_path
):
    sign_in(admin_user)
    page.goto("/dashboard/")
    page.get_by_role("button", name="Check now").click()
    expect(page.locator(".attention.ok")).to_be_visible()

    api.configure(credits=12)
    for _ in range(3):
        page.get_by_role("button", name="Check now").click()
        expect(page.locator(".message.success")).to_have_text("Credits checked just now.")

    expect(page.locator(".attention.warn")).to_contain_text("Credits are low: 12 left")
    assert len(mail.outbox) == 1
    page.goto("/")
    expect(page.locator(".credit-banner")).to_contain_text("Credits are low: 12 left")
    page.screenshot(path=tmp_path / "banner.png")
    page.locator(".credit-banner").get_by_role("link", name="Open the dashboard").click()
    expect(page).to_have_url("/dashboard/")
