"""The matting engine behind one small interface: the matte of a proxy, the credits left.

The pipeline asks get_engine() for the configured engine (MATTING_ENGINE) and
never needs to know which it got: the withoutbg API (or the sandbox standing
in for it), or the offline u2netp model.
"""

import functools
import io
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
from PIL import Image, ImageOps

from cutouts.lib.matting import get_matting
from cutouts.lib.proxy import check_matte
from cutouts.lib.withoutbg.client import (
    CallStats,
    ContractViolation,
    Credits,
    WithoutbgClient,
    salvage_matte,
)
from cutouts.lib.withoutbg.contract import ALPHA_BASE64

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatteResult:
    image: Image.Image  # mode "L", the size of the proxy
    stats: CallStats  # for the ledger
    # What was wrong with a paid reply the matte was salvaged from; empty when nothing was.
    salvaged_from: str = ""


class MattingEngine(Protocol):
    name: str  # recorded with each matte and ledger row
    endpoint: str  # recorded with each ledger row, before the call is made
    metered: bool  # calls count against the API's rate limit and credits

    def matte(self, proxy_jpeg: bytes) -> MatteResult:
        """The alpha matte of the proxy; raises WithoutbgError subclasses."""
        ...

    def credits(self) -> Credits | None:
        """The credits left, or None where calls cost nothing."""
        ...

    def mirrored_matte(self, proxy_jpeg: bytes) -> Image.Image | None:
        """The matte of the mirrored proxy, mirrored back, where that costs nothing; else None.

        A second opinion for needs-review (cutouts.lib.matte_review): a model
        that finds another subject in the mirror image was guessing.
        """
        ...


class ApiEngine:
    endpoint = ALPHA_BASE64
    metered = True

    def __init__(self, client: WithoutbgClient) -> None:
        self.client = client
        host = httpx.URL(client.base_url).host
        # Sandbox mattes must never pass for paid ones in the ledger.
        is_vendor = host == "withoutbg.com" or host.endswith(".withoutbg.com")
        self.name = "withoutbg" if is_vendor else "sandbox"

    def matte(self, proxy_jpeg: bytes) -> MatteResult:
        try:
            result = self.client.alpha_matte_base64(proxy_jpeg)
        except ContractViolation as violation:
            # The reply was paid for: a matte of the wrong size, or a JPEG, is
            # still this picture's matte, and cheaper than calling again.
            salvaged = salvage_matte(violation.reply, sent=proxy_jpeg) if violation.reply else None
            if salvaged is None or violation.stats is None:
                raise
            logger.warning("Salvaged a matte from a malformed paid reply: %s", violation)
            return MatteResult(salvaged, violation.stats, salvaged_from=str(violation))
        return MatteResult(image=result.image, stats=result.stats)

    def credits(self) -> Credits:
        return self.client.available_credit()

    def mirrored_matte(self, proxy_jpeg: bytes) -> None:
        return None  # it would cost a second credit


class LocalEngine:
    name = "local-u2netp"
    endpoint = "u2netp"
    metered = False

    def __init__(self, model_path: str | Path) -> None:
        self._matting = get_matting(model_path)

    def matte(self, proxy_jpeg: bytes) -> MatteResult:
        started = time.perf_counter()
        with Image.open(io.BytesIO(proxy_jpeg)) as image:
            picture = image.convert("RGB")
        prediction = self._matting.predict(picture)
        latency_ms = round((time.perf_counter() - started) * 1000)
        stats = CallStats(self.endpoint, None, latency_ms, bytes_sent=0, bytes_received=0)
        try:
            return MatteResult(image=check_matte(prediction, picture.size), stats=stats)
        except ValueError as exc:
            raise ContractViolation(str(exc), stats=stats) from None

    def credits(self) -> None:
        return None

    def mirrored_matte(self, proxy_jpeg: bytes) -> Image.Image:
        with Image.open(io.BytesIO(proxy_jpeg)) as image:
            mirrored = ImageOps.mirror(image.convert("RGB"))
        return ImageOps.mirror(self._matting.predict(mirrored))


def get_engine() -> MattingEngine:
    """The engine the settings choose: MATTING_ENGINE "api" (the default) or "local"."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if settings.MATTING_ENGINE == "api":
        return _api_engine(
            settings.WITHOUTBG_BASE_URL,
            settings.WITHOUTBG_API_KEY,
            settings.WITHOUTBG_TIMEOUT,
            settings.WITHOUTBG_CREDIT_TIMEOUT,
        )
    if settings.MATTING_ENGINE == "local":
        return LocalEngine(settings.MATTING_MODEL_PATH)
    raise ImproperlyConfigured(
        f'MATTING_ENGINE must be "api" or "local", not {settings.MATTING_ENGINE!r}.'
    )


@functools.cache
def _api_engine(base_url: str, api_key: str, timeout: float, credit_timeout: float) -> ApiEngine:
    # One client per configuration in a process, so jobs reuse its connections.
    client = WithoutbgClient(base_url, api_key, timeout=timeout, credit_timeout=credit_timeout)
    return ApiEngine(client)
