"""While processing is paused, admins see why and what to do on every page; members do not."""

import pytest
from django.utils import timezone
from django.utils.html import escape

from cutouts.models import ProcessingState
from cutouts.processing import pausing
from tests.uploading import upload

pytestmark = pytest.mark.django_db

TOP_UP = escape(pausing.PAUSE_RULES[ProcessingState.Pause.NO_CREDIT].what_to_do)


@pytest.fixture
def paused():
    ProcessingState.objects.update_or_create(
        pk=1,
        defaults={"pause": ProcessingState.Pause.NO_CREDIT, "paused_at": timezone.now()},
    )


def test_admins_see_it_on_the_apps_pages(admin_client_, alice, paused):
    image = upload(alice)

    for url in ["/", "/upload/", f"/images/{image.pk}/", "/accounts/invites/"]:
        body = admin_client_.get(url).content.decode()
        assert "Processing is paused: Out of credits." in body, url
        assert TOP_UP in body, url


def test_admins_see_it_on_the_django_admins_pages(admin_client_, paused):
    for url in ["/admin/", "/admin/cutouts/image/", "/admin/rq/"]:
        body = admin_client_.get(url).content.decode()
        assert "Processing is paused: Out of credits." in body, url
        assert TOP_UP in body, url


def test_members_never_see_it(alice_client, paused):
    assert b"Processing is paused" not in alice_client.get("/").content


def test_nobody_sees_it_while_processing_runs(admin_client_):
    ProcessingState.load()

    assert b"Processing is paused" not in admin_client_.get("/").content
    assert b"Processing is paused" not in admin_client_.get("/admin/").content


def test_the_sign_in_page_of_the_admin_does_not_show_it(client, paused):
    assert b"Processing is paused" not in client.get("/admin/login/").content
