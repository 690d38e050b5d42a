"""The sandbox speaks the vendor's API: plain HTTP clients written for it work unchanged."""

import base64
import hashlib
import io
import json
import os
import urllib.error
import urllib.request

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.api_calls import base64_body
from tests.images import DATA_DIR, image_bytes

PHOTO = image_bytes("JPEG", (64, 48), quality=90)
ALPHA_BASE64 = "/v1.0/alpha-channel-base64"


def _post_json(sandbox, path, payload, key=None):
    return httpx.post(
        sandbox.base_url + path,
        headers={"X-API-Key": key or sandbox.key},
        json=payload,
        timeout=30,
    )


def _requests_like_post(url: str, headers: dict[str, str], payload: dict) -> tuple[int, dict]:
    """What `requests.post(url, headers=..., json=...)` does, in the standard library."""
    request = urllib.request.Request(  # noqa: S310 (the sandbox's http:// URL)
        url, data=json.dumps(payload).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_vendors_recommended_workflow_runs_unchanged(sandbox):
    # The vendor page's Python example, line for line, with the base URL swapped
    # and requests.post spelled with urllib.
    API_KEY = sandbox.key
    orig = Image.open(DATA_DIR / "lemur_white.png").convert("RGB")
    orig_w, orig_h = orig.size
    scale = min(1.0, 1024 / max(orig_w, orig_h))
    proxy = orig.resize((round(orig_w * scale), round(orig_h * scale)), Image.LANCZOS)
    buf = io.BytesIO()
    proxy.save(buf, format="JPEG", quality=90)
    img_b64 = base64.b64encode(buf.getvalue()).decode()
    status, body = _requests_like_post(
        f"{sandbox.base_url}/v1.0/alpha-channel-base64",
        headers={"Content-Type": "application/json", "X-API-Key": API_KEY},
        payload={"image_base64": img_b64},
    )
    assert status == 200
    matte_bytes = base64.b64decode(body["alpha_base64"])
    matte = Image.open(io.BytesIO(matte_bytes)).convert("L")
    matte = matte.resize((orig_w, orig_h), Image.BICUBIC)
    orig.putalpha(matte)

    assert orig.mode == "RGBA"


def test_the_matte_is_a_real_matte_of_the_image_sent(sandbox):
    photo = Image.open(DATA_DIR / "lemur_white.png").convert("RGB")
    truth = np.asarray(Image.open(DATA_DIR / "lemur_alpha.png")) >= 128
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=90)

    response = _post_json(sandbox, ALPHA_BASE64, base64_body(buffer.getvalue()))

    matte = Image.open(io.BytesIO(base64.b64decode(response.json()["alpha_base64"])))
    assert matte.format == "PNG"
    assert matte.mode == "L"
    assert matte.size == (512, 384)
    predicted = np.asarray(matte) >= 128
    iou = (predicted & truth).sum() / (predicted | truth).sum()
    assert iou > 0.7


def test_the_cutout_endpoint_returns_rgba_in_the_vendors_field(sandbox):
    # The vendor page's requests example for image-without-background-base64.
    status, body = _requests_like_post(
        f"{sandbox.base_url}/v1.0/image-without-background-base64",
        headers={"Content-Type": "application/json", "X-API-Key": sandbox.key},
        payload=base64_body(PHOTO),
    )

    assert status == 200
    cutout = Image.open(io.BytesIO(base64.b64decode(body["img_without_background_base64"])))
    assert (cutout.format, cutout.mode, cutout.size) == ("PNG", "RGBA", (64, 48))


@pytest.mark.parametrize(
    ("path", "mode"), [("/v1.0/alpha-channel", "L"), ("/v1.0/image-without-background", "RGBA")]
)
def test_the_binary_endpoints_take_a_multipart_file(sandbox, path, mode):
    response = httpx.post(
        sandbox.base_url + path,
        headers={"X-API-Key": sandbox.key},
        files={"file": ("input.png", image_bytes("PNG", (64, 48)), "image/png")},
        timeout=30,
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert (image.mode, image.size) == (mode, (64, 48))


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("JPEG", {"quality": 90}),
        ("PNG", {}),
        ("WEBP", {"lossless": True}),
        ("TIFF", {}),
        ("BMP", {}),
        ("GIF", {}),
    ],
)
def test_every_accepted_format_is_processed(sandbox, fmt, options):
    data = image_bytes(fmt, **options)

    response = _post_json(sandbox, ALPHA_BASE64, base64_body(data))

    assert response.status_code == 200


def test_credits_go_down_by_one_per_success_and_run_out_with_402(sandbox):
    sandbox.configure(credits=2)
    assert (
        httpx.get(
            sandbox.base_url + "/available-credit", headers={"X-API-Key": sandbox.key}
        ).json()["credit"]
        == 2
    )

    statuses = [_post_json(sandbox, ALPHA_BASE64, base64_body(PHOTO)).status_code for _ in range(3)]
    refused = _post_json(sandbox, ALPHA_BASE64, base64_body(PHOTO))

    assert statuses == [200, 200, 402]
    assert refused.json() == {"detail": "Insufficient credit. Please top up API credits."}
    credit = httpx.get(sandbox.base_url + "/available-credit", headers={"X-API-Key": sandbox.key})
    assert credit.json()["credit"] == 0


def test_failed_calls_spend_no_credit(sandbox):
    sandbox.configure(credits=5)

    _post_json(sandbox, ALPHA_BASE64, base64_body(b"not an image"))
    _post_json(sandbox, ALPHA_BASE64, {"image_base64": "@@@"})

    assert sandbox.state()["credits"] == 5
    assert sandbox.state()["charges"] == 0


def test_charges_are_counted_per_sha256_of_the_image_sent(sandbox):
    other = image_bytes("PNG", (64, 48))
    for data in (PHOTO, PHOTO, other):
        _post_json(sandbox, ALPHA_BASE64, base64_body(data))

    state = sandbox.state()

    assert state["charges"] == 3
    assert state["charges_by_sha256"] == {
        hashlib.sha256(PHOTO).hexdigest(): 2,
        hashlib.sha256(other).hexdigest(): 1,
    }
    assert state["calls"][ALPHA_BASE64] == {"200": 3}


def test_expired_credits_answer_403(sandbox):
    sandbox.configure(expires_at="2020-01-01 00:00:00")

    response = _post_json(sandbox, ALPHA_BASE64, base64_body(PHOTO))

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Credits Expired.")


def test_the_credit_endpoint_gives_the_balance_and_expiry(sandbox):
    sandbox.configure(credits=138, expires_at="2026-09-05 23:59:59")
    url, headers = sandbox.base_url + "/available-credit", {"X-API-Key": sandbox.key}

    assert httpx.get(url, headers=headers).json() == {
        "credit": 138,
        "expiration_date": "2026-09-05 23:59:59",
    }
    sandbox.configure(date_format="date")
    assert httpx.get(url, headers=headers).json()["expiration_date"] == "2026-09-05"


def test_the_rate_limit_answers_429_after_n_calls_per_key(sandbox):
    sandbox.configure(rate_limit=3)
    url = sandbox.base_url + "/available-credit"

    statuses = [httpx.get(url, headers={"X-API-Key": sandbox.key}).status_code for _ in range(4)]
    refused = _post_json(sandbox, ALPHA_BASE64, base64_body(PHOTO))
    other_key = httpx.get(url, headers={"X-API-Key": sandbox.other_key})

    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused.json() == {"detail": "Rate limit (3 request/minute) exceeded"}
    assert other_key.status_code == 200


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}])
def test_a_missing_or_wrong_key_answers_401(sandbox, headers):
    response = httpx.post(sandbox.base_url + ALPHA_BASE64, headers=headers, json=base64_body(PHOTO))

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid API Key"}


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"{not json", "Validation Error - Invalid JSON"),
        (b'{"image": "abc"}', "Validation Error - missing image_base64 field"),
    ],
)
def test_bad_json_answers_400(sandbox, content, detail):
    response = httpx.post(
        sandbox.base_url + ALPHA_BASE64,
        headers={"X-API-Key": sandbox.key, "Content-Type": "application/json"},
        content=content,
    )

    assert response.status_code == 400
    assert response.json() == {"detail": detail}


def test_over_10_mb_answers_413(sandbox):
    too_big = PHOTO + os.urandom(10 * 1024 * 1024)

    response = _post_json(sandbox, ALPHA_BASE64, base64_body(too_big))

    assert response.status_code == 413
    assert response.json() == {"detail": "File size too large. Maximum file size is 10.0 MB"}


@pytest.mark.parametrize(
    "data", [b"plain text", image_bytes("PPM"), image_bytes("ICO", (32, 32))], ids=str
)
def test_other_formats_answer_415(sandbox, data):
    response = _post_json(sandbox, ALPHA_BASE64, base64_body(data))

    assert response.status_code == 415
    assert response.json()["detail"].startswith("Unsupported Media Type.")


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (
            {"image_base64": "data:image/png;base64,AAAA"},
            "Validation Error - Invalid Base64 string",
        ),
        (base64_body(PHOTO[:400]), "Validation Error - corrupt image"),
        (
            {"image_base64": 12},
            [
                {
                    "loc": ["body", "image_base64"],
                    "msg": "Input should be a valid string",
                    "type": "string_type",
                }
            ],
        ),
    ],
)
def test_invalid_base64_or_a_corrupt_image_answers_422(sandbox, payload, detail):
    response = _post_json(sandbox, ALPHA_BASE64, payload)

    assert response.status_code == 422
    assert response.json() == {"detail": detail}


def test_a_multipart_call_without_file_answers_422_like_fastapi(sandbox):
    response = httpx.post(
        sandbox.base_url + "/v1.0/alpha-channel",
        headers={"X-API-Key": sandbox.key},
        files={"image": ("input.jpg", PHOTO, "image/jpeg")},
    )

    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"loc": ["body", "file"], "msg": "Field required", "type": "missing"}]
    }


def test_unknown_paths_and_methods_answer_like_the_vendor(sandbox):
    headers = {"X-API-Key": sandbox.key}

    assert httpx.get(sandbox.base_url + "/v1.0/nothing", headers=headers).status_code == 404
    wrong_method = httpx.get(sandbox.base_url + ALPHA_BASE64, headers=headers)
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {"detail": "Method Not Allowed"}


def test_random_errors_repeat_after_a_reset(sandbox):
    def statuses() -> list[int]:
        sandbox.inject(error_rate=0.5, error_status=503)
        return [_post_json(sandbox, ALPHA_BASE64, base64_body(PHOTO)).status_code for _ in range(8)]

    first = statuses()
    sandbox.reset()
    second = statuses()

    assert first == second
    assert set(first) == {200, 503}


def test_a_429_storm_refuses_the_next_n_calls(sandbox):
    sandbox.inject(storm_429=2)

    statuses = [_post_json(sandbox, ALPHA_BASE64, base64_body(PHOTO)).status_code for _ in range(3)]

    assert statuses == [429, 429, 200]


def test_several_malformed_kinds_are_served_in_turn_and_charged(sandbox):
    sandbox.inject(malformed=3, malformed_kind="not_json,bad_base64")

    replies = [_post_json(sandbox, ALPHA_BASE64, base64_body(PHOTO)) for _ in range(4)]

    assert replies[0].headers["Content-Type"] == "text/html"
    assert replies[1].json() == {"alpha_base64": "this is not base64!"}
    assert replies[2].headers["Content-Type"] == "text/html"
    assert Image.open(io.BytesIO(base64.b64decode(replies[3].json()["alpha_base64"]))).size == (
        64,
        48,
    )
    assert sandbox.state()["charges"] == 4


def test_a_slow_reply_is_charged_at_once_and_answered_late(sandbox):
    # The model makes this matte now, so the slow call is charged at once.
    assert _post_json(sandbox, ALPHA_BASE64, base64_body(PHOTO)).status_code == 200
    sandbox.reset()
    sandbox.inject(slow=1, slow_seconds=30)

    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            sandbox.base_url + ALPHA_BASE64,
            headers={"X-API-Key": sandbox.key},
            json=base64_body(PHOTO),
            timeout=httpx.Timeout(30, read=2),
        )

    assert sandbox.state()["charges"] == 1


def test_the_control_api_refuses_unknown_settings(sandbox):
    response = httpx.post(sandbox.base_url + "/_sandbox/state", json={"faults": {"chaos": 1}})

    assert response.status_code == 400
    assert response.json() == {"detail": "unknown setting: chaos"}


def test_the_log_names_paths_and_statuses_but_never_a_key(sandbox):
    _post_json(sandbox, ALPHA_BASE64, base64_body(PHOTO))
    _post_json(sandbox, ALPHA_BASE64, base64_body(PHOTO), key=sandbox.key + "x")

    log = sandbox.log()

    assert f'"POST {ALPHA_BASE64} HTTP/1.1" 200' in log
    assert f'"POST {ALPHA_BASE64} HTTP/1.1" 401' in log
    assert sandbox.key not in log
    assert sandbox.other_key not in log
