"""The withoutbg API's contract, written once: paths, header, JSON fields, error texts, limits.

Taken from the vendor's pages (../shared/withoutbg-api/ beside the repository).
Three parts of the code speak it and read it from here: the client that calls
the vendor (cutouts.lib.withoutbg.client), Cutouts' own copy of the API for
the team's scripts (cutouts.teamapi), and the development sandbox that stands
in for the vendor (devtools.sandbox).
"""

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

ALPHA_BASE64 = "/v1.0/alpha-channel-base64"
CUTOUT_BASE64 = "/v1.0/image-without-background-base64"
ALPHA = "/v1.0/alpha-channel"
CUTOUT = "/v1.0/image-without-background"
CREDIT = "/available-credit"
# The calls that cost a credit when they succeed; /available-credit is free.
PROCESSING = (ALPHA_BASE64, CUTOUT_BASE64, ALPHA, CUTOUT)

API_KEY_HEADER = "X-API-Key"

# Request and reply fields.
IMAGE_FIELD = "image_base64"  # JSON requests
FILE_FIELD = "file"  # multipart requests
ALPHA_FIELD = "alpha_base64"
CUTOUT_FIELD = "img_without_background_base64"
# The field that carries the result of each JSON endpoint.
RESULT_FIELDS = {ALPHA_BASE64: ALPHA_FIELD, CUTOUT_BASE64: CUTOUT_FIELD}
CREDIT_FIELD = "credit"
EXPIRATION_FIELD = "expiration_date"
DETAIL_FIELD = "detail"  # every error body: {"detail": message or FastAPI's list}

# expiration_date as the vendor writes it; some of its samples show the date alone.
EXPIRATION_FORMAT = "%Y-%m-%d %H:%M:%S"
EXPIRATION_DAY_FORMAT = "%Y-%m-%d"

MAX_BYTES = 10 * 1024 * 1024
# Pillow's names for the formats accepted. MPO is how Pillow names the JPEGs
# many cameras write (a JPEG with a preview).
FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "TIFF", "BMP", "GIF"})

Detail = str | list[dict[str, Any]]


def too_large(max_bytes: int) -> str:
    """The 413 text, for a limit of `max_bytes`."""
    return f"File size too large. Maximum file size is {max_bytes / 2**20:.1f} MB"


def rate_limit_exceeded(limit: int) -> str:
    """The 429 text, for a limit of `limit` calls a minute."""
    return f"Rate limit ({limit} request/minute) exceeded"


def _field_error(field: str, message: str, kind: str) -> list[dict[str, Any]]:
    # FastAPI's list-shaped detail, as the vendor's server gives it.
    return [{"loc": ["body", field], "msg": message, "type": kind}]


# Error replies' `detail`, in the vendor's words.
INVALID_KEY = "Invalid API Key"
INSUFFICIENT_CREDIT = "Insufficient credit. Please top up API credits."
CREDITS_EXPIRED = (
    "Credits Expired. Please top up API credits. "
    "If you have existing credits, they will be reactivated."
)
TOO_LARGE = too_large(MAX_BYTES)
UNSUPPORTED = "Unsupported Media Type. Supported formats are: JPEG, PNG, WebP, TIFF, BMP, GIF."
RATE_LIMITED = "Rate limit exceeded"
SERVER_ERROR = "Internal Server Error. Please contact support: contact@withoutbg.com"
BAD_REQUEST = f"Validation Error - Invalid JSON or missing {IMAGE_FIELD} field"
INVALID_JSON = "Validation Error - Invalid JSON"
MISSING_IMAGE = f"Validation Error - missing {IMAGE_FIELD} field"
INVALID_BASE64 = "Validation Error - Invalid Base64 string"
CORRUPT_IMAGE = "Validation Error - corrupt image"
MISSING_FILE = _field_error(FILE_FIELD, "Field required", "missing")
NOT_A_STRING = _field_error(IMAGE_FIELD, "Input should be a valid string", "string_type")
NOT_FOUND = "Not Found"
METHOD_NOT_ALLOWED = "Method Not Allowed"


class Refusal(Exception):
    """A request answered with an error status and a {"detail": ...} body."""

    def __init__(self, status: int, detail: Detail) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail


def error_body(detail: Detail) -> dict[str, Detail]:
    return {DETAIL_FIELD: detail}


def credit_body(
    *, credit: int | None, expires_at: datetime | None, date_format: str = EXPIRATION_FORMAT
) -> dict[str, Any]:
    """The /available-credit reply; `date_format` is EXPIRATION_FORMAT or EXPIRATION_DAY_FORMAT."""
    return {
        CREDIT_FIELD: credit,
        EXPIRATION_FIELD: expires_at.astimezone(UTC).strftime(date_format) if expires_at else None,
    }


def image_from_json_body(body: bytes) -> bytes:
    """The image in a JSON request body, or the Refusal the vendor answers.

    The sandbox and the team API both read bodies with this, so both answer
    bad input in the vendor's words.
    """
    return image_from_payload(json_object_body(body))


def json_object_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a request body holding an image, or the vendor's Refusal."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        # RecursionError: nesting deeper than the parser goes, [[[[…]]]].
        raise Refusal(400, INVALID_JSON) from None
    if not isinstance(payload, dict):
        raise Refusal(400, MISSING_IMAGE)
    return payload


def image_from_payload(payload: dict[str, Any]) -> bytes:
    """The decoded image of a JSON body's object, or the vendor's Refusal."""
    if IMAGE_FIELD not in payload:
        raise Refusal(400, MISSING_IMAGE)
    encoded = payload[IMAGE_FIELD]
    if not isinstance(encoded, str):
        # FastAPI's own validation answer, the list-shaped detail.
        raise Refusal(422, NOT_A_STRING)
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise Refusal(422, INVALID_BASE64) from None
