"""One webhook POST, to an address checked beforehand (cutouts.lib.safe_urls), within a deadline.

The connection goes to the checked IP address, never to the name: DNS could
otherwise answer a public address to the check and a private one to the
connection. The Host header and, over HTTPS, the TLS server name and the
certificate check keep the name. Redirects are not followed (a 3xx is a
failure: the receiver must give its final URL), and only the first few KB of
the answer are read. The deadline covers the whole attempt, connecting,
sending and a receiver that answers one byte at a time alike.
"""

import asyncio
import ipaddress
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from cutouts.lib.safe_urls import CheckedUrl

MAX_ANSWER_BYTES = 4096
# Made once, when the module is imported: loading the CA bundle costs about 50 ms of
# CPU, more than the rest of an attempt, and RQ's work horses, forked for each job,
# inherit it from their worker.
_TLS = httpx.create_ssl_context()


@dataclass(frozen=True)
class PostResult:
    ok: bool  # the receiver answered 2xx
    http_status: int | None  # None when no answer came
    latency_ms: int
    error: str  # short, for the member; empty when ok


def post(target: CheckedUrl, *, body: bytes, headers: dict[str, str], timeout: float) -> PostResult:
    """POST `body` to the target's first reachable address; never raises for network faults."""
    started = time.monotonic()
    try:
        status = _run(asyncio.wait_for(_post(target, body, headers, timeout), timeout=timeout))
    except TimeoutError:
        return _result(started, None, f"No answer within {timeout:g} s.")
    except httpx.HTTPError as error:
        return _result(started, None, _describe(error))
    if 200 <= status < 300:
        return _result(started, status, "")
    if 300 <= status < 400:
        return _result(started, status, f"Redirect ({status}) not followed.")
    return _result(started, status, f"The receiver answered {status}.")


def _run(coroutine: Coroutine[Any, Any, int]) -> int:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # Called from code that runs an event loop itself (Playwright's, in the browser tests):
    # asyncio.run refuses to start another one in its thread, so it gets a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


async def _post(target: CheckedUrl, body: bytes, headers: dict[str, str], timeout: float) -> int:
    sent_headers = {**headers, "Host": _host_header(target)}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    async with httpx.AsyncClient(
        follow_redirects=False, trust_env=False, timeout=timeout, verify=_TLS
    ) as client:
        last_error: httpx.ConnectError | None = None
        for address in target.addresses:
            try:
                async with client.stream(
                    "POST",
                    _url_at(target, address),
                    content=body,
                    headers=sent_headers,
                    extensions=extensions,
                ) as response:
                    await _read_some(response)
                    return response.status_code
            except httpx.ConnectError as error:
                last_error = error  # this address is down: the next one may not be
        assert last_error is not None  # a CheckedUrl has at least one address
        raise last_error


async def _read_some(response: httpx.Response) -> None:
    # Read a little of the answer, so a receiver that sends its status then stalls is
    # still cut off by the deadline; what it says beyond is of no use to us.
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read >= MAX_ANSWER_BYTES:
            break


def _url_at(target: CheckedUrl, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    parts = urlsplit(target.url)
    host = f"[{address}]" if address.version == 6 else str(address)
    return urlunsplit((target.scheme, f"{host}:{target.port}", parts.path or "/", parts.query, ""))


def _host_header(target: CheckedUrl) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _describe(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.ConnectError):
        return f"Could not connect: {error}"[:200] if str(error) else "Could not connect."
    if isinstance(error, httpx.TimeoutException):
        return "Timed out."
    return f"{type(error).__name__}: {error}"[:200]


def _result(started: float, status: int | None, error: str) -> PostResult:
    latency_ms = round((time.monotonic() - started) * 1000)
    return PostResult(ok=not error, http_status=status, latency_ms=latency_ms, error=error)
