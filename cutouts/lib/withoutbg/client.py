"""The withoutbg HTTP client: every call to the API goes through here.

One httpx.Client per WithoutbgClient, so calls reuse connections. Every
failure is a WithoutbgError whose `action` says what the caller should do, and
whose `stats` describe the call for the ledger, as success results' do,
including whether the vendor charged for it. The API key is sent in a header
and never appears in a message, a log line or a repr.
"""

import base64
import binascii
import enum
import io
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar

import httpx
from PIL import Image

from cutouts.lib.proxy import check_matte
from cutouts.lib.withoutbg.contract import (
    ALPHA,
    ALPHA_BASE64,
    ALPHA_FIELD,
    API_KEY_HEADER,
    CREDIT,
    CREDIT_FIELD,
    CUTOUT,
    CUTOUT_BASE64,
    CUTOUT_FIELD,
    DETAIL_FIELD,
    EXPIRATION_FIELD,
    FILE_FIELD,
    IMAGE_FIELD,
    PROCESSING,
    RATE_LIMITED,
)

logger = logging.getLogger(__name__)


class Action(enum.Enum):
    RETRY = "retry"  # a passing problem: try this image again later
    PAUSE = "pause"  # the account cannot process anything: stop all processing
    FAIL_IMAGE = "fail_image"  # this image will never succeed: fail it for good


class Charge(enum.Enum):
    """Whether the vendor took a credit for a call, as far as the client can know."""

    CHARGED = "charged"  # a 200 from a processing call, usable or not
    MAYBE = "maybe"  # sent in full, then no answer: the vendor may have done the work
    FREE = "free"  # refused, never delivered, or a call that costs nothing


@dataclass(frozen=True)
class CallStats:
    endpoint: str
    status: int | None  # None when no response arrived
    latency_ms: int
    bytes_sent: int
    bytes_received: int
    charge: Charge = Charge.FREE


@dataclass(frozen=True)
class ImageResult:
    png: bytes  # as the API sent it
    image: Image.Image  # decoded and checked: "L" for a matte, "RGBA" for a cutout
    stats: CallStats


@dataclass(frozen=True)
class Credits:
    credit: int
    expires_at: datetime | None
    stats: CallStats


class WithoutbgError(Exception):
    action: ClassVar[Action]
    advice: ClassVar[str]
    summary: ClassVar[str]  # the detail when an error reply gave none
    # Attempts per image before it fails for good; None leaves it to the caller.
    max_attempts: ClassVar[int | None] = None

    def __init__(self, detail: str, *, stats: CallStats | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.stats = stats
        # The body of a 200 that broke the contract: paid for, so worth keeping.
        self.reply: bytes | None = None

    @property
    def status(self) -> int | None:
        """The HTTP status of the reply, None if none arrived."""
        return self.stats.status if self.stats else None

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status is not None else "no response"
        return f"{self.detail} ({where}): {self.advice}"


class _Retry(WithoutbgError):
    action = Action.RETRY
    advice = "retry later"


class _Pause(WithoutbgError):
    action = Action.PAUSE


class _FailImage(WithoutbgError):
    action = Action.FAIL_IMAGE
    advice = "this image cannot be processed; retrying will not help"


class RateLimited(_Retry):
    summary = RATE_LIMITED
    advice = "slow down and retry later"


class ServerError(_Retry):
    summary = "Internal server error"


class TimedOut(_Retry):
    pass


class ConnectionFailed(_Retry):
    pass


class InvalidKey(_Pause):
    summary = "Invalid API key"
    advice = "stop all processing and check WITHOUTBG_API_KEY"


class InsufficientCredit(_Pause):
    summary = "Insufficient credit"
    advice = "stop all processing until credits are topped up"


class CreditsExpired(_Pause):
    summary = "Credits expired"
    advice = "stop all processing until credits are topped up, which reactivates them"


class BadRequest(_FailImage):
    summary = "Invalid request"


class TooLarge(_FailImage):
    summary = "File size too large"


class UnsupportedType(_FailImage):
    summary = "Unsupported media type"


class Unprocessable(_FailImage):
    summary = "Invalid base64 or corrupt image"


class ContractViolation(WithoutbgError):
    """The API answered, but not as documented: not JSON, a field missing, not a
    PNG, not one channel, the wrong size, a status it never sends."""

    # Such a reply most likely comes from a passing fault between us and the
    # model (a gateway's error page, a truncated body, a deploy in flight), so
    # it is worth another try. But it may be this image tripping a server bug,
    # and the call may have been charged, so only a few tries before the image
    # fails for good.
    action = Action.RETRY
    advice = "retry a few times, then fail the image"
    summary = "Unexpected reply"
    max_attempts = 3


_ERRORS_BY_STATUS: dict[int, type[WithoutbgError]] = {
    400: BadRequest,
    401: InvalidKey,
    402: InsufficientCredit,
    403: CreditsExpired,
    413: TooLarge,
    415: UnsupportedType,
    422: Unprocessable,
    429: RateLimited,
}


class WithoutbgClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 60,
        credit_timeout: float = 10,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """`transport` is for a custom httpx transport (a proxy, TLS settings)."""
        if httpx.URL(base_url).scheme not in ("http", "https"):
            raise ValueError("The withoutbg base URL must start with http:// or https://")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.credit_timeout = credit_timeout
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={API_KEY_HEADER: api_key},
            timeout=timeout,
            transport=transport,
        )
        # Kept only to scrub it from error details, should the API ever echo it.
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"<WithoutbgClient {self.base_url}>"

    def __enter__(self) -> "WithoutbgClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def alpha_matte_base64(self, image: bytes) -> ImageResult:
        """The alpha matte of `image`, through the JSON endpoint the pipeline uses.

        A 200 that breaks the contract raises ContractViolation with the body
        as `reply`: salvage_matte() may still find a matte in it.
        """
        response, stats = self._post_base64(ALPHA_BASE64, image)
        with _reply_kept(response):
            png = _base64_field(response, ALPHA_FIELD, stats)
            return ImageResult(png, _matte(png, image, stats), stats)

    def remove_background_base64(self, image: bytes) -> ImageResult:
        response, stats = self._post_base64(CUTOUT_BASE64, image)
        with _reply_kept(response):
            png = _base64_field(response, CUTOUT_FIELD, stats)
            return ImageResult(png, _cutout(png, image, stats), stats)

    def alpha_matte(self, image: bytes) -> ImageResult:
        """The alpha matte of `image`, through the multipart endpoint."""
        response, stats = self._post_file(ALPHA, image)
        with _reply_kept(response):
            return ImageResult(response.content, _matte(response.content, image, stats), stats)

    def remove_background(self, image: bytes) -> ImageResult:
        response, stats = self._post_file(CUTOUT, image)
        with _reply_kept(response):
            return ImageResult(response.content, _cutout(response.content, image, stats), stats)

    def available_credit(self) -> Credits:
        response, stats = self._send("GET", CREDIT, timeout=self.credit_timeout)
        body = _json_object(response, stats)
        credit = body.get(CREDIT_FIELD)
        # bool is an int in Python, never a credit count.
        if not isinstance(credit, int) or isinstance(credit, bool):
            raise ContractViolation(
                f"{CREDIT_FIELD} is {credit!r}, not a whole number", stats=stats
            )
        expiration = body.get(EXPIRATION_FIELD)
        if expiration is not None and not isinstance(expiration, str):
            raise ContractViolation(f"{EXPIRATION_FIELD} is {expiration!r}", stats=stats)
        try:
            expires_at = parse_expiration(expiration) if expiration else None
        except ValueError:
            raise ContractViolation(
                f"{EXPIRATION_FIELD} {expiration!r} is not a date", stats=stats
            ) from None
        return Credits(credit=credit, expires_at=expires_at, stats=stats)

    def _post_base64(self, path: str, image: bytes) -> tuple[httpx.Response, CallStats]:
        payload = {IMAGE_FIELD: base64.b64encode(image).decode("ascii")}
        return self._send("POST", path, timeout=self.timeout, json=payload)

    def _post_file(self, path: str, image: bytes) -> tuple[httpx.Response, CallStats]:
        name, content_type = _file_name_and_type(image)
        files = {FILE_FIELD: (name, image, content_type)}
        return self._send("POST", path, timeout=self.timeout, files=files)

    def _send(
        self, method: str, path: str, *, timeout: float, **content: Any
    ) -> tuple[httpx.Response, CallStats]:
        request = self._http.build_request(method, path, timeout=timeout, **content)
        sent = int(request.headers.get("Content-Length", 0))
        started = time.perf_counter()
        paid = path in PROCESSING
        try:
            response = self._http.send(request)
        except httpx.RequestError as exc:
            charge = Charge.MAYBE if paid and _delivered(exc) else Charge.FREE
            stats = CallStats(path, None, _elapsed_ms(started), sent, 0, charge)
            error = self._request_error(exc, timeout, stats)
        else:
            stats = CallStats(
                path,
                response.status_code,
                _elapsed_ms(started),
                sent,
                response.num_bytes_downloaded,
                _charge_of(response.status_code) if paid else Charge.FREE,
            )
            if response.status_code == 200:
                logger.debug("withoutbg %s %s took %d ms", method, path, stats.latency_ms)
                return response, stats
            error = _error_for(response, stats, self._api_key)
        logger.warning("withoutbg %s %s failed: %s", method, path, error)
        # Raised outside the except block so it carries no httpx exception:
        # those hold the request, API key header included.
        raise error

    def _request_error(
        self, exc: httpx.RequestError, timeout: float, stats: CallStats
    ) -> WithoutbgError:
        if isinstance(exc, httpx.TimeoutException):
            detail = f"No answer from {self.base_url} within {timeout:g} s ({type(exc).__name__})"
            return TimedOut(detail, stats=stats)
        if isinstance(exc, httpx.DecodingError):
            return ContractViolation(f"The reply could not be decoded: {exc}", stats=stats)
        return ConnectionFailed(f"Could not reach {self.base_url}: {exc}", stats=stats)


def salvage_matte(reply: bytes, *, sent: bytes) -> Image.Image | None:
    """The matte in a paid reply that broke the contract, or None if nothing usable came.

    Usable is any complete picture Pillow decodes, found as the reply itself or
    base64 in any string field of a JSON reply (the documented field first): a
    JPEG, a colour or RGBA picture, a matte of the wrong size. It comes back as
    8-bit grey at the size of the image sent. A truncated PNG is not usable:
    the rows it lacks would cut part of the subject away, unseen.
    """
    size = _size_of(sent)
    if size is None:
        return None
    for data in _pictures_in(reply):
        try:
            with Image.open(io.BytesIO(data)) as picture:
                picture.load()
                matte = _grey(picture)
                return (
                    matte.resize(size, Image.Resampling.BICUBIC)
                    if matte.size != size
                    else matte.copy()
                )
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            continue
    return None


def _pictures_in(reply: bytes) -> Iterator[bytes]:
    try:
        body = json.loads(reply)
    except ValueError:
        yield reply
        return
    if not isinstance(body, dict):
        return
    fields = [body.get(ALPHA_FIELD)] + [value for key, value in body.items() if key != ALPHA_FIELD]
    for value in fields:
        if isinstance(value, str):
            with suppress(binascii.Error, ValueError):
                yield base64.b64decode(value, validate=True)


def _grey(picture: Image.Image) -> Image.Image:
    if "A" in picture.getbands():
        # A cutout instead of a matte: its alpha is the matte.
        return picture.getchannel("A")
    try:
        return check_matte(picture, picture.size)
    except ValueError:
        return picture.convert("L")


def parse_expiration(value: str) -> datetime:
    """Read `expiration_date` in either form the API uses, as an aware UTC datetime.

    "2026-09-05 23:59:59" is that moment; "2025-07-27" is the end of that day,
    as the full form's 23:59:59 suggests. The API names no time zone: UTC.
    """
    if len(value) == len("2025-07-27"):
        day = date.fromisoformat(value)
        moment = datetime(day.year, day.month, day.day, 23, 59, 59)
    else:
        moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _charge_of(status: int) -> Charge:
    # "Credits are spent only on a successful processing call." A gateway
    # that gave up waiting (504) may have left the model working, as our own
    # time-out does; any other refusal is free.
    if status == 200:
        return Charge.CHARGED
    return Charge.MAYBE if status == 504 else Charge.FREE


def _delivered(exc: httpx.RequestError) -> bool:
    """Whether the request went out in full before the failure: no connection, no charge."""
    return isinstance(
        exc, httpx.ReadTimeout | httpx.ReadError | httpx.RemoteProtocolError | httpx.DecodingError
    )


@contextmanager
def _reply_kept(response: httpx.Response) -> Iterator[None]:
    try:
        yield
    except ContractViolation as violation:
        violation.reply = response.content
        raise


def _error_for(response: httpx.Response, stats: CallStats, api_key: str) -> WithoutbgError:
    status = response.status_code
    if status in _ERRORS_BY_STATUS:
        kind = _ERRORS_BY_STATUS[status]
    elif 500 <= status < 600:
        kind = ServerError
    else:
        kind = ContractViolation
    detail = _error_detail(response) or kind.summary
    if api_key:
        detail = detail.replace(api_key, "[API key]")
    return kind(detail, stats=stats)


def _error_detail(response: httpx.Response) -> str | None:
    """The `detail` of an error body: a message, or FastAPI's list of {loc, msg, type}."""
    try:
        body = response.json()
    except ValueError:
        return None
    detail = body.get(DETAIL_FIELD) if isinstance(body, dict) else None
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        messages = []
        for item in detail:
            if isinstance(item, dict) and isinstance(item.get("msg"), str):
                loc = item.get("loc")
                field = loc[-1] if isinstance(loc, list) and loc else None
                messages.append(f"{field}: {item['msg']}" if field else item["msg"])
        return "; ".join(messages) or None
    return None


def _json_object(response: httpx.Response, stats: CallStats) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise ContractViolation("The reply is not JSON", stats=stats) from None
    if not isinstance(body, dict):
        raise ContractViolation("The reply is not a JSON object", stats=stats)
    return body


def _base64_field(response: httpx.Response, field: str, stats: CallStats) -> bytes:
    value = _json_object(response, stats).get(field)
    if not isinstance(value, str):
        raise ContractViolation(f"The reply has no {field} string", stats=stats)
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ContractViolation(f"{field} is not valid base64", stats=stats) from None


def _matte(png: bytes, sent: bytes, stats: CallStats) -> Image.Image:
    image = _open_png(png, stats)
    # The API returns the matte at the size of the image sent. Sizes are
    # compared from the header, before a wrong-sized image is decoded.
    expected = _size_of(sent) or image.size
    try:
        matte = check_matte(image, expected)
    except ValueError as exc:
        raise ContractViolation(str(exc), stats=stats) from None
    except (OSError, SyntaxError) as exc:
        raise ContractViolation(f"The PNG returned is corrupt: {exc}", stats=stats) from None
    return _loaded(matte, stats)


def _cutout(png: bytes, sent: bytes, stats: CallStats) -> Image.Image:
    image = _open_png(png, stats)
    expected = _size_of(sent) or image.size
    if image.size != expected:
        raise ContractViolation(
            f"The cutout is {image.size[0]}×{image.size[1]}, "
            f"the image sent {expected[0]}×{expected[1]}",
            stats=stats,
        )
    if image.mode != "RGBA":
        raise ContractViolation(f"The cutout has mode {image.mode}, not RGBA", stats=stats)
    return _loaded(image, stats)


def _open_png(data: bytes, stats: CallStats) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ContractViolation("The reply holds no readable image", stats=stats) from None
    if image.format != "PNG":
        raise ContractViolation(f"The image returned is {image.format}, not PNG", stats=stats)
    return image


def _loaded(image: Image.Image, stats: CallStats) -> Image.Image:
    try:
        image.load()
    except (OSError, SyntaxError) as exc:
        raise ContractViolation(f"The PNG returned is corrupt: {exc}", stats=stats) from None
    return image


def _size_of(image: bytes) -> tuple[int, int] | None:
    """The size of the image we sent, or None if even its header is unreadable
    (the API then refuses it, and there is no result to check)."""
    try:
        with Image.open(io.BytesIO(image)) as opened:
            return opened.size
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


def _file_name_and_type(image: bytes) -> tuple[str, str]:
    try:
        with Image.open(io.BytesIO(image)) as opened:
            fmt = opened.format or ""
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return "image", "application/octet-stream"
    return f"image.{fmt.lower()}", Image.MIME.get(fmt, "application/octet-stream")
