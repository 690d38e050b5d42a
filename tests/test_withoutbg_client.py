"""The withoutbg client against the sandbox API, over real sockets."""

import io
import json
import logging
import os
import socket
import threading
import traceback
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from cutouts.lib.withoutbg.client import (
    Action,
    BadRequest,
    ConnectionFailed,
    ContractViolation,
    CreditsExpired,
    InsufficientCredit,
    InvalidKey,
    RateLimited,
    ServerError,
    TimedOut,
    TooLarge,
    Unprocessable,
    UnsupportedType,
    WithoutbgClient,
    WithoutbgError,
    parse_expiration,
)
from tests.images import image_bytes

PHOTO = image_bytes("JPEG", (64, 48), quality=90)


def test_alpha_matte_base64_returns_a_grey_matte_at_the_size_sent(withoutbg):
    result = withoutbg.alpha_matte_base64(PHOTO)

    assert result.image.mode == "L"
    assert result.image.size == (64, 48)
    assert result.png.startswith(b"\x89PNG")
    assert result.stats.endpoint == "/v1.0/alpha-channel-base64"
    assert result.stats.status == 200
    # Base64 inflates the image by a third, and JSON wraps it.
    assert result.stats.bytes_sent > len(PHOTO) * 4 / 3
    assert result.stats.bytes_received > 0


def test_remove_background_base64_returns_an_rgba_cutout(withoutbg):
    result = withoutbg.remove_background_base64(PHOTO)

    assert result.image.mode == "RGBA"
    assert result.image.size == (64, 48)
    assert result.stats.endpoint == "/v1.0/image-without-background-base64"


def test_alpha_matte_sends_the_file_as_multipart(withoutbg):
    result = withoutbg.alpha_matte(PHOTO)

    assert result.image.mode == "L"
    assert result.image.size == (64, 48)
    assert result.stats.endpoint == "/v1.0/alpha-channel"
    assert len(PHOTO) < result.stats.bytes_sent < len(PHOTO) * 4 / 3


def test_remove_background_sends_the_file_as_multipart(withoutbg):
    result = withoutbg.remove_background(image_bytes("PNG", (64, 48)))

    assert result.image.mode == "RGBA"
    assert result.image.size == (64, 48)
    assert result.stats.endpoint == "/v1.0/image-without-background"


def test_calls_reuse_one_connection(withoutbg, sandbox):
    withoutbg.alpha_matte_base64(PHOTO)
    withoutbg.alpha_matte(PHOTO)
    withoutbg.available_credit()

    assert sandbox.state()["connections"] == 1


def test_available_credit_reads_the_balance_and_expiry(withoutbg, sandbox):
    sandbox.configure(credits=42, expires_at="2030-01-02 03:04:05")

    credits = withoutbg.available_credit()

    assert credits.credit == 42
    assert credits.expires_at == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert credits.stats.endpoint == "/available-credit"


def test_available_credit_reads_a_date_alone_as_the_end_of_that_day(withoutbg, sandbox):
    sandbox.configure(expires_at="2030-01-02 03:04:05", date_format="date")

    assert withoutbg.available_credit().expires_at == datetime(2030, 1, 2, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-09-05 23:59:59", datetime(2026, 9, 5, 23, 59, 59, tzinfo=UTC)),
        ("2025-07-27", datetime(2025, 7, 27, 23, 59, 59, tzinfo=UTC)),
        ("2026-09-05T10:00:00+02:00", datetime(2026, 9, 5, 8, 0, 0, tzinfo=UTC)),
    ],
)
def test_parse_expiration_reads_every_form(value, expected):
    assert parse_expiration(value) == expected


@pytest.mark.parametrize(
    ("status", "error_class", "action", "detail"),
    [
        (400, BadRequest, Action.FAIL_IMAGE, "missing image_base64 field"),
        (401, InvalidKey, Action.PAUSE, "Invalid API Key"),
        (402, InsufficientCredit, Action.PAUSE, "Insufficient credit"),
        (403, CreditsExpired, Action.PAUSE, "Credits Expired"),
        (413, TooLarge, Action.FAIL_IMAGE, "Maximum file size is 10.0 MB"),
        (415, UnsupportedType, Action.FAIL_IMAGE, "Supported formats are"),
        # The list-shaped detail, its messages joined.
        (422, Unprocessable, Action.FAIL_IMAGE, "image_base64: Input should be a valid string"),
        (429, RateLimited, Action.RETRY, "Rate limit exceeded"),
        (500, ServerError, Action.RETRY, "Internal Server Error"),
        (502, ServerError, Action.RETRY, "Internal Server Error"),
        (503, ServerError, Action.RETRY, "Internal Server Error"),
    ],
)
def test_each_error_status_becomes_a_typed_error(
    withoutbg, sandbox, status, error_class, action, detail
):
    sandbox.inject(error_rate=1.0, error_status=status)

    with pytest.raises(error_class) as caught:
        withoutbg.alpha_matte_base64(PHOTO)

    error = caught.value
    assert error.action is action
    assert error.status == status
    assert detail in error.detail
    assert detail in str(error)
    assert error.stats.status == status
    assert error.stats.bytes_sent > 0


def test_a_wrong_key_pauses_processing(sandbox):
    with (
        WithoutbgClient(sandbox.base_url, "not-a-key") as client,
        pytest.raises(InvalidKey) as caught,
    ):
        client.alpha_matte_base64(PHOTO)

    assert caught.value.detail == "Invalid API Key"
    assert "stop all processing" in str(caught.value)


def test_no_credit_left_pauses_processing(withoutbg, sandbox):
    sandbox.configure(credits=0)

    with pytest.raises(InsufficientCredit) as caught:
        withoutbg.alpha_matte(PHOTO)

    assert caught.value.action is Action.PAUSE


def test_expired_credits_pause_processing(withoutbg, sandbox):
    sandbox.configure(expires_at="2020-01-01 00:00:00")

    with pytest.raises(CreditsExpired):
        withoutbg.alpha_matte_base64(PHOTO)


def test_a_file_over_10_mb_fails_the_image(withoutbg):
    with pytest.raises(TooLarge) as caught:
        withoutbg.alpha_matte_base64(PHOTO + os.urandom(10 * 1024 * 1024))

    assert caught.value.action is Action.FAIL_IMAGE


def test_a_file_that_is_no_image_fails_the_image(withoutbg):
    with pytest.raises(UnsupportedType):
        withoutbg.alpha_matte(b"plain text, not a picture")


def test_a_corrupt_image_fails_the_image(withoutbg):
    with pytest.raises(Unprocessable) as caught:
        withoutbg.alpha_matte_base64(PHOTO[: len(PHOTO) // 2])

    assert caught.value.detail == "Validation Error - corrupt image"


def test_the_rate_limit_asks_for_a_retry(withoutbg, sandbox):
    sandbox.configure(rate_limit=1)
    withoutbg.available_credit()

    with pytest.raises(RateLimited) as caught:
        withoutbg.alpha_matte_base64(PHOTO)

    assert caught.value.detail == "Rate limit (1 request/minute) exceeded"
    assert caught.value.action is Action.RETRY


def test_a_slow_answer_times_out_and_asks_for_a_retry(sandbox):
    sandbox.inject(delay_seconds=30)

    with (
        WithoutbgClient(sandbox.base_url, sandbox.key, timeout=0.5) as client,
        pytest.raises(TimedOut) as caught,
    ):
        client.alpha_matte_base64(PHOTO)

    assert caught.value.action is Action.RETRY
    assert caught.value.status is None
    assert caught.value.stats.bytes_sent > 0
    assert caught.value.stats.latency_ms < 20_000


def test_the_credit_check_has_its_own_short_time_out(sandbox):
    sandbox.inject(delay_seconds=30)

    with (
        WithoutbgClient(sandbox.base_url, sandbox.key, timeout=60, credit_timeout=0.5) as client,
        pytest.raises(TimedOut),
    ):
        client.available_credit()


def test_a_refused_connection_asks_for_a_retry():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    # Nothing listens on the port any more.

    with (
        WithoutbgClient(f"http://127.0.0.1:{port}", "any-key") as client,
        pytest.raises(ConnectionFailed) as caught,
    ):
        client.alpha_matte_base64(PHOTO)

    assert caught.value.action is Action.RETRY
    assert caught.value.status is None


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("not_json", "not JSON"),
        ("missing_field", "no alpha_base64"),
        ("bad_base64", "not valid base64"),
        ("not_png", "JPEG, not PNG"),
        ("not_one_channel", "mode RGB, not one grey channel"),
        ("wrong_size", "32×24, the image sent 64×48"),
        ("truncated", "corrupt"),
    ],
)
def test_a_broken_matte_reply_is_a_contract_violation(withoutbg, sandbox, kind, message):
    sandbox.inject(malformed=1, malformed_kind=kind)

    with pytest.raises(ContractViolation) as caught:
        withoutbg.alpha_matte_base64(PHOTO)

    assert message in caught.value.detail
    assert caught.value.status == 200
    assert caught.value.action is Action.RETRY
    assert caught.value.max_attempts == 3


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("not_json", "no readable image"),
        ("not_one_channel", "mode RGB, not RGBA"),
        ("wrong_size", "32×24, the image sent 64×48"),
    ],
)
def test_a_broken_binary_cutout_is_a_contract_violation(withoutbg, sandbox, kind, message):
    sandbox.inject(malformed=1, malformed_kind=kind)

    with pytest.raises(ContractViolation) as caught:
        withoutbg.remove_background(PHOTO)

    assert message in caught.value.detail


def test_a_status_the_api_never_sends_is_a_contract_violation(sandbox):
    with (
        WithoutbgClient(sandbox.base_url + "/no-such-prefix", sandbox.key) as client,
        pytest.raises(ContractViolation) as caught,
    ):
        client.alpha_matte_base64(PHOTO)

    assert caught.value.status == 404


def test_the_base_url_must_be_http():
    with pytest.raises(ValueError, match="http"):
        WithoutbgClient("api.withoutbg.com", "key")


def test_the_key_never_shows_in_messages_reprs_or_logs(sandbox, caplog):
    caplog.set_level(logging.DEBUG)

    def failure(client: WithoutbgClient, **faults) -> WithoutbgError:
        sandbox.inject(**faults)
        with pytest.raises(WithoutbgError) as caught:
            client.alpha_matte_base64(PHOTO)
        sandbox.reset()
        return caught.value

    with WithoutbgClient(sandbox.base_url, sandbox.key) as client:
        client.alpha_matte_base64(PHOTO)
        client.available_credit()
        errors = [failure(client, error_rate=1.0, error_status=503)]
    with WithoutbgClient(sandbox.base_url, sandbox.key, timeout=0.5) as client:
        errors.append(failure(client, delay_seconds=30))
    # A wrong key that contains the right one: a leak of either would show.
    with WithoutbgClient(sandbox.base_url, sandbox.key + "-wrong") as client:
        errors.append(failure(client))

    assert sandbox.key not in repr(client)
    assert [type(error) for error in errors] == [ServerError, TimedOut, InvalidKey]
    for error in errors:
        shown = "".join(traceback.format_exception(error)) + repr(error) + repr(error.stats)
        assert sandbox.key not in shown
    assert "/v1.0/alpha-channel-base64" in caplog.text
    assert sandbox.key not in caplog.text


class _ScriptedApiHandler(BaseHTTPRequestHandler):
    """An API gone wrong in ways the sandbox has no fault for: it answers
    whatever its server's `reply(headers)` returns, as (status, JSON body)."""

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self._answer()

    def _answer(self):
        status, reply = self.server.reply(self.headers)
        body = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def scripted_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ScriptedApiHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_key_echoed_by_the_api_is_scrubbed_from_the_detail(scripted_api):
    scripted_api.reply = lambda headers: (401, {"detail": f"Key {headers['X-API-Key']} is bad"})

    with (
        WithoutbgClient(f"http://127.0.0.1:{scripted_api.server_port}", "sk_secret_1") as client,
        pytest.raises(InvalidKey) as caught,
    ):
        client.alpha_matte_base64(PHOTO)

    assert caught.value.detail == "Key [API key] is bad"


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ({"expiration_date": "2030-01-01"}, "credit is None"),
        ({"credit": "12"}, "credit is '12'"),
        ({"credit": True}, "credit is True"),
        ({"credit": 12, "expiration_date": 20300101}, "expiration_date is 20300101"),
        ({"credit": 12, "expiration_date": "soon"}, "expiration_date 'soon' is not a date"),
        (["credit", 12], "not a JSON object"),
    ],
)
def test_a_broken_credit_reply_is_a_contract_violation(scripted_api, reply, message):
    scripted_api.reply = lambda headers: (200, reply)

    with (
        WithoutbgClient(f"http://127.0.0.1:{scripted_api.server_port}", "key") as client,
        pytest.raises(ContractViolation) as caught,
    ):
        client.available_credit()

    assert message in caught.value.detail


def test_a_credit_reply_without_expiry_has_none(scripted_api):
    scripted_api.reply = lambda headers: (200, {"credit": 5})

    with WithoutbgClient(f"http://127.0.0.1:{scripted_api.server_port}", "key") as client:
        credits = client.available_credit()

    assert (credits.credit, credits.expires_at) == (5, None)


def test_the_matte_decodes_to_what_the_png_holds(withoutbg):
    result = withoutbg.alpha_matte_base64(PHOTO)

    assert Image.open(io.BytesIO(result.png)).tobytes() == result.image.tobytes()
