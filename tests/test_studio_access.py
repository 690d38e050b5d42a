"""Every studio URL: sign in first; other members' images, exports and pictures do not exist."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cutouts.models import Export, Render, UploadBatch
from cutouts.studio import services as studio
from tests.images import image_bytes
from tests.studio_images import processed

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(alice):
    """Alice's processed image, in a batch, her background picture and a finished export."""
    batch = UploadBatch.objects.create(owner=alice)
    image = processed(alice, batch=batch)
    backdrop = studio.backdrop_upload(
        owner=alice, uploaded_file=SimpleUploadedFile("bg.png", image_bytes("PNG"))
    )
    export = Export.objects.create(owner=alice, preset="amazon-main", spec={}, total=0)
    export.archive.save("export.zip", io.BytesIO(b"PK\x05\x06" + bytes(18)), save=False)
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.DONE, archive=export.archive.name
    )
    return {"image": image.pk, "batch": batch.pk, "backdrop": backdrop.pk, "export": export.pk}


PAGES = [
    "/images/{image}/studio/",
    "/images/{image}/studio/original/",
    "/images/{image}/studio/matte/",
    "/images/{image}/renders/",
    "/backdrops/{backdrop}/",
    "/exports/{export}/",
    "/exports/{export}/status/",
    "/exports/{export}/download/",
]
POSTS = [
    ("/images/{image}/renders/", {"preset": "webp-web"}),
    ("/exports/", {"images": ["{image}"], "preset": "webp-web"}),
    ("/exports/", {"batch": "{batch}", "preset": "webp-web"}),
]


def _filled(data: dict, owned: dict) -> dict:
    return {
        key: [item.format(**owned) for item in value]
        if isinstance(value, list)
        else value.format(**owned)
        for key, value in data.items()
    }


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(owned, url):
    response = Client().get(url.format(**owned))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("url", "data"),
    [*POSTS, ("/backdrops/", {}), ("/presets/", {}), ("/presets/sepia/delete/", {})],
)
def test_anonymous_posts_are_sent_to_sign_in(owned, url, data):
    response = Client().post(url.format(**owned), _filled(data, owned))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", PAGES)
def test_another_member_gets_not_found(owned, bob_client, url):
    assert bob_client.get(url.format(**owned)).status_code == 404


@pytest.mark.parametrize(("url", "data"), POSTS)
def test_another_member_cannot_render_or_export_someone_elses_images(owned, bob_client, url, data):
    response = bob_client.post(url.format(**owned), _filled(data, owned))

    assert response.status_code == 404
    assert not Render.objects.filter(created_by__username="bob").exists()
    assert not Export.objects.filter(owner__username="bob").exists()


@pytest.mark.parametrize("url", PAGES)
def test_the_owner_and_admins_get_it(owned, alice_client, admin_client_, url):
    assert alice_client.get(url.format(**owned)).status_code == 200
    assert admin_client_.get(url.format(**owned)).status_code == 200


@pytest.mark.parametrize(("url", "data"), POSTS)
def test_admins_may_render_and_export_anyones_images(owned, admin_client_, admin_user, url, data):
    response = admin_client_.post(url.format(**owned), _filled(data, owned))

    assert response.status_code == 302
    made = Render.objects.filter(image_id=owned["image"], created_by=admin_user)
    assert made.count() == 1


def test_members_may_not_manage_team_presets(alice_client):
    assert alice_client.get("/presets/").status_code == 403
    assert alice_client.post("/presets/", {"name": "Mine", "spec": "{}"}).status_code == 403
    assert alice_client.post("/presets/mine/delete/").status_code == 403


def test_admins_manage_team_presets(admin_client_):
    assert admin_client_.get("/presets/").status_code == 200
