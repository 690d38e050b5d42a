"""The library lists a member's own images, newest first, filtered and paginated."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cutouts.models import Image
from tests.images import image_bytes
from tests.uploading import upload

pytestmark = pytest.mark.django_db


def _names(response) -> list[str]:
    return [image.original_name for image in response.context["page"]]


def _tabs(response) -> dict[str, int]:
    return {tab.label: tab.count for tab in response.context["tabs"]}


def test_it_lists_only_the_members_own_images(alice_client, alice, bob):
    upload(alice, "mine.jpg")
    upload(bob, "theirs.jpg")

    response = alice_client.get("/")

    assert response.status_code == 200
    assert _names(response) == ["mine.jpg"]
    assert b"theirs.jpg" not in response.content


def test_it_lists_the_newest_first(alice_client, alice):
    now = timezone.now()
    for days_ago, name in [(3, "old.jpg"), (1, "new.jpg"), (2, "middle.jpg")]:
        upload(alice, name, created_at=now - timedelta(days=days_ago))

    assert _names(alice_client.get("/")) == ["new.jpg", "middle.jpg", "old.jpg"]


def test_each_card_has_thumbnail_name_status_and_dimensions(alice_client, alice):
    image = upload(alice, "cat.jpg")

    body = alice_client.get("/").content.decode()

    assert f'src="/images/{image.pk}/thumbnail/"' in body
    assert f'href="/images/{image.pk}/"' in body
    assert '<span class="badge queued">Queued</span>' in body
    assert "64 × 48" in body


def test_it_filters_by_status_and_counts_each(alice_client, alice):
    upload(alice, "waiting.jpg")
    upload(alice, "finished.jpg", status=Image.Status.DONE)
    upload(alice, "broken.jpg", status=Image.Status.FAILED)

    response = alice_client.get("/?status=done")

    assert _names(response) == ["finished.jpg"]
    assert _tabs(response) == {
        "All": 3,
        "Queued": 1,
        "Processing": 0,
        "Waiting for credits": 0,
        "Over budget": 0,
        "Done": 1,
        "Failed": 1,
        "Needs review": 0,
    }
    assert 'aria-current="page">\n      Done' in response.content.decode()


def test_it_ignores_an_unknown_status(alice_client, alice):
    upload(alice)

    response = alice_client.get("/?status=<script>")

    assert response.status_code == 200
    assert len(_names(response)) == 1


def test_it_paginates_and_keeps_the_filter_in_page_links(alice_client, alice, settings):
    settings.LIBRARY_PAGE_SIZE = 2
    now = timezone.now()
    for number in range(5):
        upload(alice, f"{number}.jpg", created_at=now - timedelta(minutes=number))
    upload(alice, "failed.jpg", status=Image.Status.FAILED)

    first = alice_client.get("/?status=queued")
    last = alice_client.get("/?status=queued&page=3")

    assert _names(first) == ["0.jpg", "1.jpg"]
    assert 'href="?status=queued&amp;page=2"' in first.content.decode()
    assert _names(last) == ["4.jpg"]
    assert _names(alice_client.get("/?status=queued&page=99")) == ["4.jpg"]
    assert _names(alice_client.get("/?page=nonsense")) == ["failed.jpg", "0.jpg"]


def test_admins_see_everyones_images_with_their_owners(admin_client_, alice, bob):
    upload(alice, "alice.jpg")
    upload(bob, "bob.jpg")

    response = admin_client_.get("/")

    assert sorted(_names(response)) == ["alice.jpg", "bob.jpg"]
    body = response.content.decode()
    assert '<div class="image-card-owner muted">alice</div>' in body
    assert '<div class="image-card-owner muted">bob</div>' in body


def test_members_do_not_see_owner_labels(alice_client, alice):
    upload(alice)

    assert b"image-card-owner" not in alice_client.get("/").content


def test_an_empty_library_invites_an_upload(alice_client):
    body = alice_client.get("/").content.decode()

    assert "Nothing here yet" in body
    assert "Drop photos here" in body


def test_the_query_count_does_not_grow_with_the_page(
    admin_client_, alice, bob, django_assert_max_num_queries
):
    for number in range(6):
        upload(alice if number % 2 else bob, f"{number}.jpg")

    # Session, user, page count, page rows, status counts, the pause and
    # credit-alert banners admins see, and the line the waiting images' ETAs
    # come from (the pause, the fair order, recent call times); owners come joined.
    with django_assert_max_num_queries(11):
        admin_client_.get("/")


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_the_image_page_shows_the_original_and_its_status(alice_client, alice):
    image = upload(alice, "cat.jpg", status_reason="Waiting to be processed.")

    response = alice_client.get(f"/images/{image.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert f'src="/images/{image.pk}/original/"' in body
    assert f'href="/images/{image.pk}/original/?download=1"' in body
    assert '<span class="badge queued">Queued</span>' in body
    assert "Waiting to be processed." in body


def test_the_image_page_shows_a_preview_for_tiff(alice_client, alice):
    image = upload(alice, "scan.tif", image_bytes("TIFF"))

    body = alice_client.get(f"/images/{image.pk}/").content.decode()

    assert f'src="/images/{image.pk}/thumbnail/"' in body
    assert "browsers cannot show TIFF files" in body


def test_other_members_cannot_see_the_image_page(bob_client, alice):
    image = upload(alice)

    assert bob_client.get(f"/images/{image.pk}/").status_code == 404


def test_admins_can_see_any_image_page(admin_client_, alice):
    image = upload(alice)

    response = admin_client_.get(f"/images/{image.pk}/")

    assert response.status_code == 200
    assert "<dt>Owner</dt><dd>alice</dd>" in response.content.decode()
