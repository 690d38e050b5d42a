"""JSON bodies on the team API are bounded in size and depth, and must be objects: else a 400."""

import pytest

from cutouts.models import Image, Render
from tests.api_calls import client_for
from tests.studio_images import processed
from tests.uploading import stored_files

pytestmark = pytest.mark.django_db

EXAMPLE = 'Send a JSON object, like {"preset": "amazon-main"}.'


@pytest.fixture
def alice_api(alice):
    """Alice's token client. Every body here is refused, so none may make a render."""
    yield client_for(alice)
    assert not Render.objects.exists()


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("[" * 100_000, f"The JSON is too long: at most 10,000 characters. {EXAMPLE}"),
        ("[" * 5000 + "]" * 5000, f"The JSON is nested too deeply: at most 4 levels. {EXAMPLE}"),
        ('{"a": [[[[1]]]]}', f"The JSON is nested too deeply: at most 4 levels. {EXAMPLE}"),
        ('{"preset": 1' + "0" * 5000 + "}", f"The number 100000000000… is too large. {EXAMPLE}"),
        ('{"preset": 1e999}', f"The number 1e999 is too large. {EXAMPLE}"),
        ('{"preset": NaN}', f"NaN is not a number JSON allows. {EXAMPLE}"),
        ("{oops", "This is not valid JSON: Expecting property name enclosed in double quotes"),
        ('["amazon-main"]', 'The body must be a JSON object, like {"preset": "amazon-main"}.'),
        ('"amazon-main"', 'The body must be a JSON object, like {"preset": "amazon-main"}.'),
        ('{"preset": ["amazon-main"]}', 'Name a preset: {"preset": "<slug>"} (see /presets).'),
        ('{"preset": {"slug": "x"}}', 'Name a preset: {"preset": "<slug>"} (see /presets).'),
    ],
)
def test_a_bad_render_body_gets_400_with_the_reason(alice_api, alice, body, detail):
    image = processed(alice)

    response = alice_api.post_raw(
        f"/api/cutouts/v1/images/{image.pk}/renders", body.encode(), "application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)


@pytest.mark.parametrize("body", ["[" * 5000 + "]" * 5000, '{"image_base64": ' + "[" * 5000])
def test_a_deeply_nested_vendor_body_gets_the_vendors_answer(body, alice):
    response = client_for(alice).post_raw(
        "/api/v1.0/alpha-channel-base64", body.encode(), "application/json"
    )

    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Validation Error - Invalid JSON"},
    )
    assert not Image.objects.exists() and stored_files() == []
