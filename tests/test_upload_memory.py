"""Four decompression bombs uploaded at once keep the web process within a stated memory bound.

The bound (README, "Upload limits"): uploads take at most
UPLOAD_MAX_CONCURRENT_DECODES × UPLOAD_MAX_DECODED_BYTES of a web process's
memory, plus 100 MB of working space; 500 MB with the default settings.
Before the limits, four of these 200 KB PNGs (7070 × 7070 RGBA) took 2.35 GB.
"""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.conf import settings

from cutouts.models import Image
from tests.bombs import png_7070_rgba
from tests.images import image_bytes
from tests.web_server import CSRF_TOKEN, WebServer, signed_in_cookies, web_server

pytestmark = pytest.mark.django_db(transaction=True)

WORKING_SPACE_KB = 100 * 1024


def _upload(server: WebServer, cookies: dict[str, str], name: str, data: bytes) -> httpx.Response:
    with httpx.Client(base_url=server.url, cookies=cookies, timeout=120) as client:
        return client.post(
            "/upload/",
            files={"files": (name, data, "application/octet-stream")},
            headers={"Accept": "application/json", "X-CSRFToken": CSRF_TOKEN},
        )


def test_four_concurrent_decompression_bombs_stay_within_the_memory_bound(
    alice, tmp_path, queue_redis
):
    cookies = signed_in_cookies(alice)
    bombs = [png_7070_rgba()] * 4
    bound_kb = (
        settings.UPLOAD_MAX_CONCURRENT_DECODES * settings.UPLOAD_MAX_DECODED_BYTES // 1024
        + WORKING_SPACE_KB
    )

    # A long wait for a decoding slot: on a busy test machine the fourth
    # upload must wait, not be told to try again.
    with web_server(
        media_root=tmp_path / "media", log_dir=tmp_path, UPLOAD_DECODE_WAIT_SECONDS="120"
    ) as server:
        # Warmed up by an ordinary upload: modules and Pillow's codecs loaded.
        assert _upload(server, cookies, "photo.png", image_bytes("PNG")).status_code == 201
        baseline_kb = server.peak_memory_kb()
        with ThreadPoolExecutor(max_workers=len(bombs)) as pool:
            uploads = [
                pool.submit(_upload, server, cookies, f"bomb-{number}.png", data)
                for number, data in enumerate(bombs)
            ]
            responses = [upload.result() for upload in uploads]
        growth_kb = server.peak_memory_kb() - baseline_kb

    assert [response.status_code for response in responses] == [201] * 4
    assert Image.objects.filter(width=7070, height=7070).count() == 4
    assert growth_kb < bound_kb, f"grew {growth_kb // 1024} MB, over {bound_kb // 1024} MB"
