"""A local stand-in for the withoutbg cloud API, for development and tests.

It serves the vendor's paths with the same header, JSON fields, status codes
and {"detail": ...} bodies, so any withoutbg client pointed at its base URL
works unchanged. Its mattes are real: the offline model's prediction for the
image sent, at the size sent. Keys, credits with an expiry date, the per-key
rate limit, the 10 MB limit and the format checks behave as documented.

For tests it can also misbehave, through a control API under /_sandbox/ (a
path the vendor does not use):

    GET  /_sandbox/state   credits, expiry, rate limit, faults and counters
    POST /_sandbox/state   change any of credits, expires_at, date_format,
                           rate_limit and faults (a partial object)
    POST /_sandbox/reset   back to the start-up settings, counters cleared

Faults: `error_rate` (share of processing calls answered `error_status`,
drawn from a seeded generator; any documented status gets the vendor's detail
for it, 422 the list-shaped one), `storm_429` (the next N processing calls get
429), `delay_seconds` (every vendor call waits this long first; a reset cuts
the wait short and drops the call), `malformed` (the next N successful
processing calls get a broken reply of kind `malformed_kind`, one of
MALFORMED_KINDS or several separated by commas, taken in turn), `slow` (the
next N successful processing calls are charged, then answered only after
`slow_seconds`: past the client's time-out, the answer nobody heard). A broken
reply is charged, as the real API would charge a call it thought succeeded;
so is a reply the client gave up waiting for.

The rate limit counts every vendor call, /available-credit included: the
stricter reading of "7 requests per minute per key".

No key ever appears in a log line: only paths and statuses are logged.
"""

import base64
import email.parser
import email.policy
import hashlib
import io
import json
import logging
import random
import threading
import time
from collections import Counter, OrderedDict, defaultdict, deque
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from PIL import Image

from cutouts.lib.withoutbg.contract import (
    API_KEY_HEADER,
    BAD_REQUEST,
    CORRUPT_IMAGE,
    CREDIT,
    CREDITS_EXPIRED,
    CUTOUT,
    CUTOUT_BASE64,
    EXPIRATION_DAY_FORMAT,
    EXPIRATION_FORMAT,
    FILE_FIELD,
    FORMATS,
    INSUFFICIENT_CREDIT,
    INVALID_KEY,
    MAX_BYTES,
    METHOD_NOT_ALLOWED,
    MISSING_FILE,
    NOT_A_STRING,
    NOT_FOUND,
    PROCESSING,
    RATE_LIMITED,
    RESULT_FIELDS,
    SERVER_ERROR,
    TOO_LARGE,
    UNSUPPORTED,
    Detail,
    Refusal,
    credit_body,
    error_body,
    image_from_json_body,
    rate_limit_exceeded,
)

logger = logging.getLogger(__name__)

MALFORMED_KINDS = (
    "not_json",  # an HTML page with status 200
    "missing_field",  # JSON without the result field (JSON endpoints)
    "bad_base64",  # the result field is not base64 (JSON endpoints)
    "not_png",  # a JPEG instead of a PNG
    "not_one_channel",  # an RGB matte, or an RGB cutout
    "wrong_size",  # half the size sent
    "truncated",  # the PNG cut short
)
DATE_FORMATS = {"datetime": EXPIRATION_FORMAT, "date": EXPIRATION_DAY_FORMAT}
RATE_WINDOW_SECONDS = 60.0
MATTE_CACHE_SIZE = 64

# What an injected error says, for each status the vendor documents.
FAULT_DETAILS: dict[int, Detail] = {
    400: BAD_REQUEST,
    401: INVALID_KEY,
    402: INSUFFICIENT_CREDIT,
    403: CREDITS_EXPIRED,
    413: TOO_LARGE,
    415: UNSUPPORTED,
    422: NOT_A_STRING,
    429: RATE_LIMITED,
}


class Matting(Protocol):
    def predict(self, image: Image.Image) -> Image.Image: ...


@dataclass
class Faults:
    error_rate: float = 0.0
    error_status: int = 500
    storm_429: int = 0
    delay_seconds: float = 0.0
    malformed: int = 0
    malformed_kind: str = "not_json"
    slow: int = 0
    slow_seconds: float = 0.0


@dataclass
class Config:
    credits: int = 100
    expires_at: datetime = field(
        default_factory=lambda: (datetime.now(UTC) + timedelta(days=365)).replace(microsecond=0)
    )
    date_format: str = "datetime"
    rate_limit: int = 7  # per key per minute; 0 turns the limit off
    faults: Faults = field(default_factory=Faults)


class SandboxState:
    """Everything that changes while the sandbox runs, behind one lock."""

    def __init__(self, initial: Config, seed: int | None) -> None:
        self._initial = initial
        self._seed = seed
        self._lock = threading.Lock()
        self._start()

    def _start(self) -> None:
        self.config = replace(self._initial, faults=replace(self._initial.faults))
        self.calls: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.charges: Counter[str] = Counter()
        # Client (address, port) pairs seen on vendor paths: one per connection.
        self.connections: set[tuple[str, int]] = set()
        self._random = random.Random(self._seed)
        self._malformed_served = 0
        self._sent: defaultdict[str, deque[float]] = defaultdict(deque)
        # Set when a reset happens, so calls that are waiting give up.
        self._reset = threading.Event()

    def reset(self) -> None:
        with self._lock:
            self._reset.set()
            self._start()

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial config object from the control API; ValueError if invalid."""
        with self._lock:
            self.config = _updated(self.config, changes)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            config = asdict(self.config)
            config["expires_at"] = _format_date(self.config.expires_at, "datetime")
            return {
                **config,
                "calls": {path: dict(statuses) for path, statuses in self.calls.items()},
                "charges": sum(self.charges.values()),
                "charges_by_sha256": dict(self.charges),
                "connections": len(self.connections),
            }

    def count(self, path: str, status: int, client: tuple[str, int]) -> None:
        with self._lock:
            self.calls[path][str(status)] += 1
            self.connections.add(client)

    def admit(self, key: str) -> None:
        """Count a call against `key`'s sliding window, or refuse it with 429."""
        with self._lock:
            limit = self.config.rate_limit
            now = time.monotonic()
            sent = self._sent[key]
            while sent and sent[0] <= now - RATE_WINDOW_SECONDS:
                sent.popleft()
            if limit and len(sent) >= limit:
                raise Refusal(429, rate_limit_exceeded(limit))
            sent.append(now)

    def wait(self) -> bool:
        """Sleep for the configured delay; False if a reset came meanwhile."""
        with self._lock:
            delay = self.config.faults.delay_seconds
            reset = self._reset
        return delay <= 0 or not reset.wait(delay)

    def draw_failure(self) -> None:
        """Refuse this processing call if a 429 storm or the error rate says so."""
        with self._lock:
            faults = self.config.faults
            if faults.storm_429 > 0:
                faults.storm_429 -= 1
                raise Refusal(429, RATE_LIMITED)
            if faults.error_rate and self._random.random() < faults.error_rate:
                status = faults.error_status
                raise Refusal(status, FAULT_DETAILS.get(status, SERVER_ERROR))

    def check_account(self) -> None:
        with self._lock:
            if self.config.expires_at <= datetime.now(UTC):
                raise Refusal(403, CREDITS_EXPIRED)
            if self.config.credits <= 0:
                raise Refusal(402, INSUFFICIENT_CREDIT)

    def charge(self, image: bytes) -> None:
        """Spend one credit on `image`, or refuse with 402 if another call took the last."""
        with self._lock:
            if self.config.credits <= 0:
                raise Refusal(402, INSUFFICIENT_CREDIT)
            self.config.credits -= 1
            self.charges[hashlib.sha256(image).hexdigest()] += 1

    def take_malformed(self) -> str | None:
        with self._lock:
            faults = self.config.faults
            if faults.malformed <= 0:
                return None
            faults.malformed -= 1
            kinds = faults.malformed_kind.split(",")
            self._malformed_served += 1
            return kinds[(self._malformed_served - 1) % len(kinds)]

    def hold_back(self) -> bool:
        """Wait `slow_seconds` if a slow reply is due (a reset cuts it short); whether it was."""
        with self._lock:
            faults = self.config.faults
            if faults.slow <= 0:
                return False
            faults.slow -= 1
            delay, reset = faults.slow_seconds, self._reset
        reset.wait(delay)
        return True

    def credit_body(self) -> dict[str, Any]:
        with self._lock:
            config = self.config
            return credit_body(
                credit=config.credits,
                expires_at=config.expires_at,
                date_format=DATE_FORMATS[config.date_format],
            )


class SandboxServer(ThreadingHTTPServer):
    def __init__(
        self,
        address: tuple[str, int],
        *,
        keys: list[str],
        matting: Matting,
        config: Config | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(address, SandboxHandler)
        self.keys = frozenset(keys)
        self.state = SandboxState(config or Config(), seed)
        self._matting = matting
        # Tests send the same few pictures over and over, and the model is the
        # slow part; it is deterministic, so a remembered matte is the real one.
        self._mattes: OrderedDict[str, Image.Image] = OrderedDict()
        self._mattes_lock = threading.Lock()

    def matte(self, picture: Image.Image) -> Image.Image:
        """The offline model's matte of `picture`, an RGB image."""
        digest = hashlib.sha256(f"{picture.size}".encode() + picture.tobytes()).hexdigest()
        with self._mattes_lock:
            if digest in self._mattes:
                self._mattes.move_to_end(digest)
                return self._mattes[digest].copy()
        matte = self._matting.predict(picture)
        with self._mattes_lock:
            self._mattes[digest] = matte
            if len(self._mattes) > MATTE_CACHE_SIZE:
                self._mattes.popitem(last=False)
        return matte.copy()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections
    server: SandboxServer

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)

    def _route(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        routes = {
            ("GET", CREDIT): self._credit,
            ("GET", "/_sandbox/state"): self._state,
            ("POST", "/_sandbox/state"): self._update_state,
            ("POST", "/_sandbox/reset"): self._reset,
            **{("POST", processing): self._process for processing in PROCESSING},
        }
        state = self.server.state
        try:
            body = self._read_body()
            handler = routes.get((method, path))
            if handler is None:
                known = any(route_path == path for _, route_path in routes)
                raise Refusal(405, METHOD_NOT_ALLOWED) if known else Refusal(404, NOT_FOUND)
            if path in PROCESSING or path == CREDIT:
                self._authorise()
                if not state.wait():
                    self.close_connection = True
                    return
            status, content_type, content = handler(path, body)
        except Refusal as refusal:
            status, content_type, content = _json(refusal.status, error_body(refusal.detail))
        except Exception:
            logger.exception("The sandbox failed on %s %s", method, path)
            status, content_type, content = _json(500, error_body(SERVER_ERROR))
        if path in PROCESSING or path == CREDIT:
            state.count(path, status, self.client_address)
        self._send(status, content_type, content)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise Refusal(411, "Length Required")
        length = int(self.headers.get("Content-Length") or 0)
        # Bodies a little over the limit are read, so the client, still
        # sending, hears the 413; only a far bigger one is refused unread.
        if length > 4 * MAX_BYTES:
            self.close_connection = True
            raise Refusal(413, TOO_LARGE)
        return self.rfile.read(length)

    def _authorise(self) -> None:
        key = self.headers.get(API_KEY_HEADER)
        if key not in self.server.keys:
            raise Refusal(401, INVALID_KEY)
        self.server.state.admit(key)

    def _send(self, status: int, content_type: str, content: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):
            # The client stopped waiting (its time-out): nobody to answer.
            self.close_connection = True

    def _credit(self, path: str, body: bytes) -> tuple[int, str, bytes]:
        return _json(200, self.server.state.credit_body())

    def _state(self, path: str, body: bytes) -> tuple[int, str, bytes]:
        return _json(200, self.server.state.snapshot())

    def _update_state(self, path: str, body: bytes) -> tuple[int, str, bytes]:
        try:
            changes = json.loads(body or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("expected a JSON object")
            self.server.state.update(changes)
        except ValueError as exc:
            raise Refusal(400, str(exc)) from None
        return self._state(path, body)

    def _reset(self, path: str, body: bytes) -> tuple[int, str, bytes]:
        self.server.state.reset()
        return self._state(path, body)

    def _process(self, path: str, body: bytes) -> tuple[int, str, bytes]:
        state = self.server.state
        state.draw_failure()
        if path in RESULT_FIELDS:
            sent = image_from_json_body(body)
        else:
            sent = _image_from_multipart(self.headers.get("Content-Type", ""), body)
        if len(sent) > MAX_BYTES:
            raise Refusal(413, TOO_LARGE)
        picture = _open_image(sent)
        state.check_account()
        matte = self.server.matte(picture)
        if path in (CUTOUT_BASE64, CUTOUT):
            picture.putalpha(matte)
            result = picture
        else:
            result = matte
        state.charge(sent)
        # A slow reply is a good one, late: faults do not stack on one call.
        kind = None if state.hold_back() else state.take_malformed()
        if path in RESULT_FIELDS:
            return _json_reply(RESULT_FIELDS[path], result, kind)
        return _binary_reply(result, kind)


def _updated(config: Config, changes: dict[str, Any]) -> Config:
    changes = dict(changes)
    faults = config.faults
    fault_changes = changes.pop("faults", {})
    if not isinstance(fault_changes, dict):
        raise ValueError("faults must be an object")
    for name, value in fault_changes.items():
        faults = replace(faults, **{name: _typed(Faults, name, value)})
    if not set(faults.malformed_kind.split(",")) <= set(MALFORMED_KINDS):
        raise ValueError(f"malformed_kind must be among {', '.join(MALFORMED_KINDS)}")
    updated = replace(config, faults=faults)
    for name, value in changes.items():
        if name == "expires_at":
            updated = replace(updated, expires_at=_parse_date(value))
        else:
            updated = replace(updated, **{name: _typed(Config, name, value)})
    if updated.date_format not in DATE_FORMATS:
        raise ValueError(f"date_format must be one of {', '.join(DATE_FORMATS)}")
    return updated


def _typed(cls: type, name: str, value: Any) -> Any:
    kinds = {item.name: item.type for item in fields(cls)}
    if name not in kinds or kinds[name] is Faults:
        raise ValueError(f"unknown setting: {name}")
    kind = kinds[name]
    # JSON has one number type; an int is fine where a float is wanted.
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if type(value) is not kind:
        raise ValueError(f"{name} must be a {kind.__name__}")
    return value


def _parse_date(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("expires_at must be a string")
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _format_date(moment: datetime, date_format: str) -> str:
    return moment.astimezone(UTC).strftime(DATE_FORMATS[date_format])


def _image_from_multipart(content_type: str, body: bytes) -> bytes:
    envelope = f"Content-Type: {content_type}\r\n\r\n".encode() + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(envelope)
    if message.is_multipart():
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == FILE_FIELD:
                return part.get_payload(decode=True) or b""
    raise Refusal(422, MISSING_FILE)


def _open_image(data: bytes) -> Image.Image:
    """The image sent, as RGB at its stored size, as the API sees it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in FORMATS:
                raise Refusal(415, UNSUPPORTED)
            return image.convert("RGB")
    except Image.UnidentifiedImageError:
        raise Refusal(415, UNSUPPORTED) from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Refusal(422, CORRUPT_IMAGE) from None


def _json(status: int, body: dict[str, Any]) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(body).encode()


_NOT_JSON = (200, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>")


def _json_reply(name: str, image: Image.Image, kind: str | None) -> tuple[int, str, bytes]:
    if kind == "not_json":
        return _NOT_JSON
    if kind == "missing_field":
        return _json(200, {"result": base64.b64encode(_png(image, None)).decode()})
    if kind == "bad_base64":
        return _json(200, {name: "this is not base64!"})
    return _json(200, {name: base64.b64encode(_png(image, kind)).decode()})


def _binary_reply(image: Image.Image, kind: str | None) -> tuple[int, str, bytes]:
    if kind in ("not_json", "missing_field", "bad_base64"):
        return _NOT_JSON
    return 200, "image/png", _png(image, kind)


def _png(image: Image.Image, kind: str | None) -> bytes:
    """Encode the result, broken the way `kind` says."""
    if kind in ("not_one_channel", "not_png"):
        image = image.convert("RGB")
    elif kind == "wrong_size":
        image = image.resize((max(1, image.width // 2), max(1, image.height // 2)))
    buffer = io.BytesIO()
    if kind == "not_png":
        image.save(buffer, format="JPEG")
    else:
        # Fast over small: these bytes never leave the machine.
        image.save(buffer, format="PNG", compress_level=1)
    data = buffer.getvalue()
    return data[: len(data) // 2] if kind == "truncated" else data
