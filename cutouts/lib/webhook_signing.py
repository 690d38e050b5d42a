"""Signing webhook bodies, as Stripe and GitHub do: HMAC-SHA256 over the timestamp and the body.

A receiver recomputes "v1=" + hex(HMAC-SHA256(secret, f"{timestamp}.{body}")) from the
Cutouts-Timestamp header and the raw body, compares it in constant time with the
Cutouts-Signature header, and refuses timestamps far from its clock (replays). Signing
the timestamp with the body means an old delivery cannot be replayed with a new one.
"""

import hashlib
import hmac

SCHEME = "v1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The Cutouts-Signature header's value for this body sent at `timestamp` (Unix seconds)."""
    signed = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"
