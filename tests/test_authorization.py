"""Every URL of the app, walked as an anonymous visitor, the owner, another member and an admin.

The table below says who gets what. A URL added to the app without a line
here fails `test_the_table_covers_every_url`, so nothing new ships unchecked.
"""

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cutouts import urls as app_urls
from cutouts.accounts.services import invite_create
from cutouts.models import (
    ApiSubmission,
    Backdrop,
    Export,
    Image,
    Preset,
    Render,
    UploadBatch,
    WebhookEvent,
)
from cutouts.processing.pipeline import image_process
from cutouts.processing.uploads import image_upload
from cutouts.studio.touchup import touchup_save
from cutouts.teamapi import urls as api_urls
from cutouts.teamapi.tokens import token_create
from tests.images import image_bytes

LOGIN = "login"  # expected: a redirect to the sign-in page
ANY_OK = "ok"  # expected: let in; any answer but sign-in, 401, 403, 404, 405 or 5xx
ROLES = ("anonymous", "owner", "other", "admin")


@dataclass
class World:
    image: Image
    batch: UploadBatch
    render_id: int
    backdrop: Backdrop
    export: Export
    preset: Preset
    invite_id: int
    invite_token: str
    token_id: int
    webhook_event_id: int
    reset_uid: str
    reset_token: str
    version_id: int


@dataclass(frozen=True)
class Rule:
    expected: tuple  # one per role, in ROLES order
    method: str = "get"
    kwargs: Callable[[World], dict] = lambda world: {}
    query: str = ""


def image_pk(world: World) -> dict:
    return {"pk": world.image.pk}


# (anonymous, owner, other member, admin)
PRIVATE_PAGE = (LOGIN, 200, 200, 200)
OWNERS_ONLY = (LOGIN, 200, 404, 200)
STAFF_ONLY = (LOGIN, 403, 403, 200)
STAFF_ACTION = (LOGIN, 403, 403, ANY_OK)
MEMBER_ACTION = (LOGIN, ANY_OK, ANY_OK, ANY_OK)
PUBLIC = (200, ANY_OK, ANY_OK, ANY_OK)

RULES: dict[str, Rule] = {
    # Signing in and out, passwords
    "login": Rule(PUBLIC),
    "logout": Rule((LOGIN, LOGIN, LOGIN, LOGIN), method="post"),
    "password_change": Rule(PRIVATE_PAGE),
    "password_change_done": Rule(PRIVATE_PAGE),
    "password_reset": Rule(PUBLIC),
    "password_reset_done": Rule(PUBLIC),
    "password_reset_confirm": Rule(
        (ANY_OK, ANY_OK, ANY_OK, ANY_OK),
        kwargs=lambda world: {"uidb64": world.reset_uid, "token": world.reset_token},
    ),
    "password_reset_complete": Rule(PUBLIC),
    "signup": Rule((404, 404, 404, 404)),
    "invite_accept": Rule(
        (200, ANY_OK, ANY_OK, ANY_OK), kwargs=lambda world: {"token": world.invite_token}
    ),
    "invite_list": Rule(STAFF_ONLY),
    "token_list": Rule(PRIVATE_PAGE),
    "token_list_all": Rule(STAFF_ONLY),
    "token_revoke": Rule(
        (LOGIN, ANY_OK, 404, ANY_OK), method="post", kwargs=lambda world: {"pk": world.token_id}
    ),
    # A token's secrets are its member's alone: admins may revoke it, not read them.
    "token_webhook_secret": Rule(
        (LOGIN, 200, 404, 404), method="post", kwargs=lambda world: {"pk": world.token_id}
    ),
    # Webhook deliveries: everyone sees and sends again only their own, admins too.
    "webhook_list": Rule(PRIVATE_PAGE),
    "webhook_send_again": Rule(
        (LOGIN, ANY_OK, 404, 404),
        method="post",
        kwargs=lambda world: {"pk": world.webhook_event_id},
    ),
    "invite_revoke": Rule(
        STAFF_ACTION, method="post", kwargs=lambda world: {"invite_id": world.invite_id}
    ),
    # The library and uploads
    "library": Rule(PRIVATE_PAGE),
    "upload": Rule(PRIVATE_PAGE),
    "upload_batch": Rule(MEMBER_ACTION, method="post"),
    "upload_estimate": Rule(MEMBER_ACTION, method="post"),
    "image_detail": Rule(OWNERS_ONLY, kwargs=image_pk),
    "image_original": Rule(OWNERS_ONLY, kwargs=image_pk),
    "image_thumbnail": Rule(OWNERS_ONLY, kwargs=image_pk),
    "image_preview": Rule(OWNERS_ONLY, kwargs=image_pk),
    "image_cutout_thumbnail": Rule(OWNERS_ONLY, kwargs=image_pk),
    "image_matte": Rule(OWNERS_ONLY, kwargs=image_pk),
    "image_status_list": Rule(PRIVATE_PAGE, query="?ids={image}"),
    "image_retry": Rule(STAFF_ACTION, method="post", kwargs=image_pk),
    "image_reviewed": Rule((LOGIN, ANY_OK, 404, ANY_OK), method="post", kwargs=image_pk),
    "images_retry_failed": Rule(STAFF_ACTION, method="post"),
    "render_download": Rule(OWNERS_ONLY, kwargs=lambda world: {"pk": world.render_id}),
    "batch_detail": Rule(OWNERS_ONLY, kwargs=lambda world: {"pk": world.batch.pk}),
    # The studio
    "studio": Rule(OWNERS_ONLY, kwargs=image_pk),
    "studio_original": Rule(OWNERS_ONLY, kwargs=image_pk),
    "studio_matte": Rule(OWNERS_ONLY, kwargs=image_pk),
    "image_renders": Rule(OWNERS_ONLY, kwargs=image_pk),
    "render_again": Rule(
        (LOGIN, ANY_OK, 404, ANY_OK), method="post", kwargs=lambda world: {"pk": world.render_id}
    ),
    # Touching up the matte, and going back to a version
    "touchup": Rule(OWNERS_ONLY, kwargs=image_pk),
    "touchup_save": Rule((LOGIN, ANY_OK, 404, ANY_OK), method="post", kwargs=image_pk),
    "matte_version_revert": Rule(
        (LOGIN, ANY_OK, 404, ANY_OK),
        method="post",
        kwargs=lambda world: {"pk": world.image.pk, "version_id": world.version_id},
    ),
    "backdrop_upload": Rule(MEMBER_ACTION, method="post"),
    "backdrop_picture": Rule(OWNERS_ONLY, kwargs=lambda world: {"pk": world.backdrop.pk}),
    "export_start": Rule(MEMBER_ACTION, method="post"),
    "export_detail": Rule(OWNERS_ONLY, kwargs=lambda world: {"pk": world.export.pk}),
    "export_status": Rule(OWNERS_ONLY, kwargs=lambda world: {"pk": world.export.pk}),
    "export_download": Rule(OWNERS_ONLY, kwargs=lambda world: {"pk": world.export.pk}),
    "preset_list": Rule(STAFF_ONLY),
    "preset_delete": Rule(STAFF_ACTION, method="post", kwargs=lambda world: {"slug": "team"}),
    # Admins only
    "dashboard": Rule(STAFF_ONLY),
    "dashboard_refresh_credits": Rule(STAFF_ACTION, method="post"),
    "dashboard_budgets": Rule(STAFF_ONLY),
    "dashboard_member_budget": Rule(
        STAFF_ACTION, method="post", kwargs=lambda world: {"user_id": world.image.owner_id}
    ),
}

# The team API answers tokens, not sessions: (no token, owner's, another
# member's, an admin's). A token sees its own member's images only, admins' too.
NO_TOKEN = 401
OWN_IMAGES = (NO_TOKEN, 200, 404, 404)
API_RULES: dict[str, Rule] = {
    "api_alpha_base64": Rule((NO_TOKEN, ANY_OK, ANY_OK, ANY_OK), method="post"),
    "api_cutout_base64": Rule((NO_TOKEN, ANY_OK, ANY_OK, ANY_OK), method="post"),
    "api_alpha": Rule((NO_TOKEN, ANY_OK, ANY_OK, ANY_OK), method="post"),
    "api_cutout": Rule((NO_TOKEN, ANY_OK, ANY_OK, ANY_OK), method="post"),
    "api_available_credit": Rule((NO_TOKEN, ANY_OK, ANY_OK, ANY_OK)),
    "api_images": Rule((NO_TOKEN, 200, 200, 200)),
    "api_image": Rule(OWN_IMAGES, kwargs=image_pk),
    "api_image_original": Rule(OWN_IMAGES, kwargs=image_pk),
    "api_image_matte": Rule(OWN_IMAGES, kwargs=image_pk),
    "api_render_create": Rule((NO_TOKEN, ANY_OK, 404, 404), method="post", kwargs=image_pk),
    "api_render": Rule(OWN_IMAGES, kwargs=lambda world: {"pk": world.render_id}),
    "api_render_file": Rule(OWN_IMAGES, kwargs=lambda world: {"pk": world.render_id}),
    "api_presets": Rule((NO_TOKEN, 200, 200, 200)),
    "api_me": Rule((NO_TOKEN, 200, 200, 200)),
    "api_openapi": Rule((200, 200, 200, 200)),
    "api_docs": Rule(PRIVATE_PAGE),
}


def url_names(patterns: list, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= url_names(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(namespace + pattern.name)
    return names


def test_the_tables_cover_every_url():
    assert url_names(app_urls.urlpatterns) == set(RULES)
    assert url_names(api_urls.urlpatterns) == set(API_RULES)


@pytest.fixture
def world(alice, admin_user, settings, queue_redis) -> World:
    # Processed with the offline engine: a real matte, cutout and preview, no API.
    settings.MATTING_ENGINE = "local"
    # A credit refresh by an admin must fail fast, not go looking for the internet.
    settings.WITHOUTBG_BASE_URL = "http://127.0.0.1:9"
    batch = UploadBatch.objects.create(owner=alice)
    image = image_upload(
        owner=alice,
        batch=batch,
        uploaded_file=SimpleUploadedFile("photo.jpg", image_bytes("JPEG", (96, 64))),
    )
    image_process(image_id=image.pk)
    image.refresh_from_db()
    # A touch-up, so the image has versions to go back to.
    erase = {"mode": "erase", "radius": 4, "points": [[10, 10]]}
    touchup_save(
        image=image,
        strokes_json=json.dumps({"width": 96, "height": 64, "strokes": [erase]}),
        user=alice,
    )
    # Not the default cutout: touch-ups and reverts in the walk replace that one.
    studio_render = Render.objects.create(
        image=image,
        created_by=alice,
        preset="custom",
        spec={},
        file=ContentFile(image_bytes("PNG", (96, 64)), name="render.png"),
        format="PNG",
        width=96,
        height=64,
    )
    backdrop = Backdrop.objects.create(
        owner=alice,
        file=ContentFile(image_bytes("PNG", (32, 32)), name="backdrop.png"),
        original_name="backdrop.png",
        width=32,
        height=32,
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("photo-amazon-main.jpg", b"jpeg")
    export = Export.objects.create(
        owner=alice,
        preset="amazon-main",
        spec={},
        status=Export.Status.DONE,
        total=1,
        archive=ContentFile(archive.getvalue(), name="export.zip"),
    )
    preset = Preset.objects.create(name="Team", slug="team", spec={}, created_by=admin_user)
    invite, token = invite_create(created_by=admin_user)
    alices_token, _ = token_create(user=alice, name="script")
    submission = ApiSubmission.objects.create(
        image=image, user=alice, token=alices_token, webhook_url="https://hooks.example.com/"
    )
    event = WebhookEvent.objects.create(
        submission=submission, kind="image.done", url=submission.webhook_url, payload="{}"
    )
    return World(
        image=image,
        batch=batch,
        render_id=studio_render.pk,
        backdrop=backdrop,
        export=export,
        preset=preset,
        invite_id=invite.pk,
        invite_token=token,
        token_id=alices_token.pk,
        webhook_event_id=event.pk,
        reset_uid=urlsafe_base64_encode(force_bytes(alice.pk)),
        reset_token=default_token_generator.make_token(alice),
        version_id=image.matte_versions.get(number=1).pk,
    )


@pytest.fixture
def clients(alice, bob, admin_user) -> dict[str, Client]:
    signed_in = {}
    for role, user in (("owner", alice), ("other", bob), ("admin", admin_user)):
        signed_in[role] = Client()
        signed_in[role].force_login(user)
    return {"anonymous": Client(), **signed_in}


@pytest.fixture
def token_clients(alice, bob, admin_user) -> dict[str, Client]:
    signed = {"anonymous": Client()}
    for role, user in (("owner", alice), ("other", bob), ("admin", admin_user)):
        _, raw = token_create(user=user, name="walk")
        signed[role] = Client(headers={"X-API-Key": raw})
    return signed


def test_who_gets_what(world, clients):
    # One world for the whole walk: building it processes an image.
    # Revoking comes late, as it ends what other rules use (a token's secret is
    # replaced only while it is live); signing out comes last, as it ends the
    # sessions the rest of the walk uses.
    rules = sorted(
        RULES.items(),
        key=lambda item: (item[0] == "logout", item[0].endswith("_revoke"), item[0]),
    )
    assert walk(rules, world, clients) == []


def test_who_gets_what_from_the_team_api(world, token_clients, clients):
    sessions = {name: rule for name, rule in API_RULES.items() if rule.expected[0] != NO_TOKEN}
    tokens = {name: rule for name, rule in API_RULES.items() if name not in sessions}
    assert walk(sorted(tokens.items()), world, token_clients) == []
    assert walk(sorted(sessions.items()), world, clients) == []


def walk(rules: list[tuple[str, Rule]], world: World, clients: dict[str, Client]) -> list[str]:
    wrong = []
    for name, rule in rules:
        url = reverse(name, kwargs=rule.kwargs(world)) + rule.query.format(image=world.image.pk)
        for role, expected in zip(ROLES, rule.expected, strict=True):
            response = getattr(clients[role], rule.method)(url)
            outcome = _outcome(response)
            if expected == ANY_OK:
                # Let in: done, redirected on, or told what was wrong with the input.
                right = outcome not in (LOGIN, 401, 403, 404, 405) and outcome < 500
            else:
                right = outcome == expected
            if not right:
                wrong.append(f"{name}: {role} {rule.method.upper()} {url} got {outcome}")
    return wrong


def _outcome(response) -> str | int:
    location = response.get("Location", "")
    if response.status_code in (301, 302, 303) and location.startswith(reverse("login")):
        return LOGIN
    return response.status_code


def test_the_status_feed_never_shows_another_members_image(world, clients):
    url = reverse("image_status_list") + f"?ids={world.image.pk}"
    assert str(world.image.pk) in clients["owner"].get(url).content.decode()
    other = clients["other"].get(url).json()
    assert all(item["id"] != world.image.pk for item in other.get("images", []))


def test_no_media_is_served_from_a_public_url(world, clients, settings):
    stored = world.image.original.name
    for role in ROLES:
        response = clients[role].get("/media/" + stored)
        assert response.status_code in (302, 404)
