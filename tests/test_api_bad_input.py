"""Bad requests get the vendor's status codes and bodies, never a 500, and leave nothing behind."""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cutouts.models import Image
from tests.api_calls import base64_body, client_for
from tests.images import image_bytes
from tests.uploading import stored_files

pytestmark = pytest.mark.django_db

BASE64_CALLS = ["/api/v1.0/alpha-channel-base64", "/api/v1.0/image-without-background-base64"]
FILE_CALLS = ["/api/v1.0/alpha-channel", "/api/v1.0/image-without-background"]
UNSUPPORTED = "Unsupported Media Type. Supported formats are: JPEG, PNG, WebP, TIFF, BMP, GIF."
TOO_LARGE = "File size too large. Maximum file size is 10.0 MB"
MISSING_FILE = [{"loc": ["body", "file"], "msg": "Field required", "type": "missing"}]
NOT_A_STRING = [
    {
        "loc": ["body", "image_base64"],
        "msg": "Input should be a valid string",
        "type": "string_type",
    }
]
TRUNCATED_JPEG = image_bytes("JPEG", size=(200, 150))[:600]


@pytest.fixture
def alice_api(alice):
    """Alice's token client. Every call here is refused, so none may leave an image or a file."""
    yield client_for(alice)
    assert not Image.objects.exists()
    assert stored_files() == []


@pytest.mark.parametrize("path", BASE64_CALLS)
@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ("not json", 400, "Validation Error - Invalid JSON"),
        ("", 400, "Validation Error - Invalid JSON"),
        ("[1, 2]", 400, "Validation Error - missing image_base64 field"),
        ("{}", 400, "Validation Error - missing image_base64 field"),
        ('{"image": "abc"}', 400, "Validation Error - missing image_base64 field"),
        ('{"image_base64": 5}', 422, NOT_A_STRING),
        ('{"image_base64": "not base64!"}', 422, "Validation Error - Invalid Base64 string"),
        (
            '{"image_base64": "data:image/png;base64,iVBORw0KGgo="}',
            422,
            "Validation Error - Invalid Base64 string",
        ),
    ],
)
def test_a_bad_json_body_gets_the_vendors_answer(alice_api, path, body, status, detail):
    response = alice_api.post_raw(path, body.encode(), "application/json")

    assert response.status_code == status
    assert response.json() == {"detail": detail}


@pytest.mark.parametrize("path", BASE64_CALLS)
def test_base64_of_something_not_an_image_gets_415(alice_api, path):
    response = alice_api.post_json(path, base64_body(b"%PDF-1.7 not a picture"))

    assert response.status_code == 415
    assert response.json() == {"detail": UNSUPPORTED}


@pytest.mark.parametrize("path", BASE64_CALLS)
@pytest.mark.parametrize("data", [b"", TRUNCATED_JPEG], ids=["empty", "truncated"])
def test_base64_of_a_damaged_or_empty_image_gets_422(alice_api, path, data):
    response = alice_api.post_json(path, base64_body(data))

    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("path", BASE64_CALLS)
def test_base64_of_more_than_10_mb_gets_413(alice_api, path):
    response = alice_api.post_json(path, base64_body(b"\xff\xd8\xff" + os.urandom(10 * 2**20)))

    assert response.status_code == 413
    assert response.json() == {"detail": TOO_LARGE}


def test_base64_under_10_mb_is_read_though_longer_than_djangos_form_limit(alice_api, settings):
    # 9 MB grows to 12 MB in base64, over DATA_UPLOAD_MAX_MEMORY_SIZE (11 MB).
    body = base64_body(b"%PDF" + os.urandom(9 * 2**20))
    assert len(body["image_base64"]) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = alice_api.post_json(BASE64_CALLS[0], body)

    assert response.status_code == 415


@pytest.mark.parametrize("path", BASE64_CALLS + FILE_CALLS)
def test_a_far_too_large_body_is_refused_unread(alice_api, path):
    response = alice_api.post_raw(path, b"x" * (41 * 2**20), "application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": TOO_LARGE}


def test_too_many_pixels_gets_413(alice_api, settings):
    settings.UPLOAD_MAX_PIXELS = 100 * 100

    response = alice_api.post_json(
        BASE64_CALLS[0], base64_body(image_bytes("PNG", size=(200, 150)))
    )

    assert response.status_code == 413
    assert "megapixels" in response.json()["detail"]


@pytest.mark.parametrize("path", FILE_CALLS)
def test_a_form_without_a_file_gets_the_vendors_422(alice_api, path):
    response = alice_api.post(path, {"image": SimpleUploadedFile("a.jpg", image_bytes())})

    assert response.status_code == 422
    assert response.json() == {"detail": MISSING_FILE}


@pytest.mark.parametrize("path", FILE_CALLS)
def test_a_json_body_instead_of_a_form_gets_422(alice_api, path):
    response = alice_api.post_json(path, base64_body(image_bytes()))

    assert response.status_code == 422
    assert response.json() == {"detail": MISSING_FILE}


@pytest.mark.parametrize("path", FILE_CALLS)
def test_a_broken_form_gets_400(alice_api, path):
    response = alice_api.post_raw(path, b"--x\r\nnonsense", "multipart/form-data; boundary=")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Validation Error")


@pytest.mark.parametrize("path", FILE_CALLS)
@pytest.mark.parametrize(
    ("data", "status"),
    [(b"<html><body>hi</body></html>", 415), (TRUNCATED_JPEG, 422), (b"", 422)],
    ids=["html", "truncated", "empty"],
)
def test_a_bad_file_gets_the_vendors_code(alice_api, path, data, status):
    response = alice_api.post(path, {"file": SimpleUploadedFile("input.jpg", data)})

    assert response.status_code == status
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("path", FILE_CALLS)
def test_a_file_over_10_mb_gets_413(alice_api, path):
    big = SimpleUploadedFile("input.jpg", b"\xff\xd8\xff" + os.urandom(10 * 2**20))

    response = alice_api.post(path, {"file": big})

    assert response.status_code == 413
    assert response.json() == {"detail": TOO_LARGE}
