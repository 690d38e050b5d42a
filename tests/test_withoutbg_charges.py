"""The client says which calls the vendor charged, and finds the matte in a broken paid reply.

"Credits are spent only on a successful processing call": a 200 is charged,
usable or not; a request sent in full that got no answer may have been; every
refusal, and every call that never arrived, is free.
"""

import io
import socket

import pytest
from PIL import Image

from cutouts.lib.withoutbg.client import (
    Charge,
    ConnectionFailed,
    ContractViolation,
    InsufficientCredit,
    ServerError,
    TimedOut,
    WithoutbgClient,
    salvage_matte,
)
from tests.images import image_bytes

PHOTO = image_bytes("JPEG", (64, 48), quality=90)


def broken_reply(withoutbg, sandbox, kind: str) -> ContractViolation:
    sandbox.inject(malformed=1, malformed_kind=kind)
    with pytest.raises(ContractViolation) as caught:
        withoutbg.alpha_matte_base64(PHOTO)
    return caught.value


def test_a_matte_is_charged(withoutbg, sandbox):
    result = withoutbg.alpha_matte_base64(PHOTO)

    assert result.stats.charge is Charge.CHARGED
    assert sandbox.state()["charges"] == 1


def test_a_broken_reply_is_charged_and_carries_its_body(withoutbg, sandbox):
    violation = broken_reply(withoutbg, sandbox, "not_json")

    assert violation.stats.charge is Charge.CHARGED
    assert violation.reply.startswith(b"<html>")
    assert sandbox.state()["charges"] == 1


def test_the_credit_check_is_free(withoutbg):
    assert withoutbg.available_credit().stats.charge is Charge.FREE


def test_a_refusal_is_free(withoutbg, sandbox):
    sandbox.configure(credits=0)
    with pytest.raises(InsufficientCredit) as caught:
        withoutbg.alpha_matte_base64(PHOTO)

    assert caught.value.stats.charge is Charge.FREE
    assert caught.value.reply is None


def test_a_server_error_is_free(withoutbg, sandbox):
    sandbox.inject(error_rate=1.0, error_status=503)
    with pytest.raises(ServerError) as caught:
        withoutbg.alpha_matte_base64(PHOTO)

    assert caught.value.stats.charge is Charge.FREE
    assert sandbox.state()["charges"] == 0


def test_an_answer_that_came_too_late_may_have_been_charged(withoutbg, sandbox):
    # The model makes this matte now, so the slow call is charged at once.
    withoutbg.alpha_matte_base64(PHOTO)
    sandbox.reset()
    sandbox.inject(slow=1, slow_seconds=30)

    with (
        WithoutbgClient(sandbox.base_url, sandbox.key, timeout=1) as impatient,
        pytest.raises(TimedOut) as caught,
    ):
        impatient.alpha_matte_base64(PHOTO)

    assert caught.value.stats.charge is Charge.MAYBE
    # The sandbox, like the vendor, did the work and took the credit.
    assert sandbox.state()["charges"] == 1


def test_a_call_that_never_connected_is_free():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]

    with (
        WithoutbgClient(f"http://127.0.0.1:{port}", "any-key") as client,
        pytest.raises(ConnectionFailed) as caught,
    ):
        client.alpha_matte_base64(PHOTO)

    assert caught.value.stats.charge is Charge.FREE


@pytest.mark.parametrize("kind", ["wrong_size", "not_png", "not_one_channel", "missing_field"])
def test_a_broken_reply_holding_a_picture_gives_a_matte_at_the_size_sent(withoutbg, sandbox, kind):
    violation = broken_reply(withoutbg, sandbox, kind)

    matte = salvage_matte(violation.reply, sent=PHOTO)

    assert (matte.mode, matte.size) == ("L", (64, 48))
    good = withoutbg.alpha_matte_base64(PHOTO).image
    # The same matte as a good reply's, give or take resampling and JPEG.
    difference = sum(abs(a - b) for a, b in zip(matte.tobytes(), good.tobytes(), strict=True))
    assert difference / (64 * 48) < 24


@pytest.mark.parametrize("kind", ["not_json", "bad_base64", "truncated"])
def test_a_broken_reply_with_no_whole_picture_gives_nothing(withoutbg, sandbox, kind):
    violation = broken_reply(withoutbg, sandbox, kind)

    assert salvage_matte(violation.reply, sent=PHOTO) is None


def test_a_cutout_sent_instead_of_a_matte_gives_its_alpha():
    cutout = Image.new("RGBA", (64, 48), (200, 10, 10, 0))
    cutout.paste((200, 10, 10, 255), (16, 12, 48, 36))
    buffer = io.BytesIO()
    cutout.save(buffer, format="PNG")

    matte = salvage_matte(buffer.getvalue(), sent=PHOTO)

    assert matte.getpixel((0, 0)) == 0
    assert matte.getpixel((32, 24)) == 255
