"""One webhook POST goes to the address that was checked, under the URL's own name."""

import ipaddress

from cutouts.lib.safe_urls import CheckedUrl
from cutouts.lib.webhook_sender import post


def pinned(receiver, host: str, *addresses: str) -> CheckedUrl:
    port = receiver.server.server_port
    return CheckedUrl(
        url=f"http://{host}:{port}/hook?team=1",
        scheme="http",
        host=host,
        port=port,
        addresses=tuple(ipaddress.ip_address(address) for address in addresses),
    )


def test_it_connects_to_the_checked_address_and_keeps_the_name_in_host(receiver):
    # hooks.example.com resolves nowhere near 127.0.0.1: only the pinned address is used.
    target = pinned(receiver, "hooks.example.com", "127.0.0.1")

    result = post(target, body=b"{}", headers={"X-Test": "1"}, timeout=2)

    assert result.ok and result.http_status == 200 and result.error == ""
    [request] = receiver.received
    assert request.path == "/hook?team=1"
    assert request.headers["Host"] == f"hooks.example.com:{receiver.server.server_port}"
    assert request.headers["X-Test"] == "1"


def test_it_tries_the_next_address_when_one_refuses_connections(receiver):
    # 127.0.0.2 answers nothing on this port (the receiver listens on 127.0.0.1 only).
    target = pinned(receiver, "hooks.example.com", "127.0.0.2", "127.0.0.1")

    assert post(target, body=b"{}", headers={}, timeout=2).ok
    assert len(receiver.received) == 1


def test_an_address_that_refuses_is_a_failure_with_a_reason(receiver):
    target = pinned(receiver, "hooks.example.com", "127.0.0.2")

    result = post(target, body=b"{}", headers={}, timeout=2)

    assert not result.ok and result.http_status is None
    assert "connect" in result.error.lower()


def test_a_receiver_that_does_not_answer_in_time_is_cut_off(receiver):
    receiver.slow_seconds = 2
    receiver.answer_next("slow")
    target = pinned(receiver, "h.example.com", "127.0.0.1")

    result = post(target, body=b"", headers={}, timeout=0.5)

    assert not result.ok and result.error == "No answer within 0.5 s."
    assert 450 <= result.latency_ms < 1000


def test_the_deadline_covers_an_answer_sent_a_byte_at_a_time(receiver):
    # Each byte comes well within any per-read time-out; the whole answer does not.
    receiver.slow_seconds = 3
    receiver.answer_next("trickle")
    target = pinned(receiver, "h.example.com", "127.0.0.1")

    result = post(target, body=b"", headers={}, timeout=1)

    assert not result.ok and result.error == "No answer within 1 s."
    assert 950 <= result.latency_ms < 1500
