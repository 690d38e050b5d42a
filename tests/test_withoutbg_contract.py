"""The contract module says what the vendor's own pages say, word for word."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cutouts.lib.withoutbg import contract

# The vendor's pages, copied into the repository as they are.
PAGES = Path(__file__).resolve().parent / "vendor_pages"


def vendor_pages() -> str:
    pages = [*sorted(PAGES.glob("*.txt")), PAGES / "summary.md"]
    return "\n".join(page.read_text() for page in pages)


@pytest.mark.parametrize(
    "text",
    [
        contract.INSUFFICIENT_CREDIT,
        contract.CREDITS_EXPIRED,
        contract.TOO_LARGE,
        contract.UNSUPPORTED,
        contract.SERVER_ERROR,
        contract.BAD_REQUEST,
        contract.rate_limit_exceeded(7),
        f"{contract.INVALID_KEY} - Missing or invalid API key",
        f"{contract.INVALID_BASE64} or corrupt image",
    ],
)
def test_its_error_texts_are_the_vendors(text):
    assert text in vendor_pages()


@pytest.mark.parametrize(
    "call",
    [
        f'POST {contract.ALPHA_BASE64}` | JSON `{{"{contract.IMAGE_FIELD}"',
        f"POST {contract.CUTOUT_BASE64}` | same body",
        f"POST {contract.ALPHA}` | multipart/form-data, the image in field `{contract.FILE_FIELD}`",
        f"POST {contract.CUTOUT}` | multipart, field `{contract.FILE_FIELD}`",
        f"GET {contract.CREDIT}` |",
        f'{{"{contract.ALPHA_FIELD}": "<base64 PNG',
        f'{{"{contract.CUTOUT_FIELD}": "<base64 RGBA PNG',
        f'{{"{contract.DETAIL_FIELD}": "message"}}',
        f"Every call carries `{contract.API_KEY_HEADER}`",
    ],
)
def test_its_paths_fields_and_header_are_the_vendors(call):
    assert call in vendor_pages()


def test_its_credit_reply_is_the_vendors_sample():
    body = contract.credit_body(credit=138, expires_at=datetime(2026, 9, 5, 23, 59, 59, tzinfo=UTC))

    assert json.dumps(body) in vendor_pages()
