"""The withoutbg pages' own examples work against Cutouts with only the base URL and key changed.

Real HTTP to pytest-django's live server, real RQ workers processing against
the sandbox: the examples in tests/vendor_examples run as an integrator would
run them (Python requests, Node's fetch, curl), each a process of its own.
"""

import base64
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from PIL import Image as PILImage

from cutouts.models import ApiCall, Image
from cutouts.teamapi.tokens import token_create
from tests.api_calls import assert_no_team_key, base64_body
from tests.images import product_photo

EXAMPLES = Path(__file__).parent / "vendor_examples"
VENDOR_BASE_URL = "https://api.withoutbg.com"
TIMEOUT = 120


@pytest.fixture
def integrator(workers, live_server, alice, tmp_path):
    """A folder holding input.jpg, and how to run a vendor example there against Cutouts."""
    workers.start(1, cron=False)
    _, token = token_create(user=alice, name="Vendor examples")
    folder = tmp_path / "integrator"
    folder.mkdir()
    (folder / "input.jpg").write_bytes(product_photo(seed=5, size=(1600, 1200)))
    env = {**os.environ, "WITHOUTBG_API_KEY": token}

    def example(name: str) -> Path:
        text = (EXAMPLES / name).read_text()
        assert VENDOR_BASE_URL in text
        script = folder / name
        script.write_text(text.replace(VENDOR_BASE_URL, f"{live_server.url}/api"))
        return script

    def run(*command: str | Path) -> str:
        finished = subprocess.run(
            [str(part) for part in command],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert finished.returncode == 0, finished.stderr + workers.logs()
        assert_no_team_key([], (finished.stdout + finished.stderr).encode())
        return finished.stdout

    return folder, example, run, token


def _png(data: bytes) -> PILImage.Image:
    picture = PILImage.open(io.BytesIO(data))
    picture.load()
    assert picture.format == "PNG"
    return picture


def test_the_python_and_curl_examples_work(integrator, alice, sandbox, live_server):
    folder, example, run, token = integrator

    # The alpha matte workflow: a 1024 px proxy sent, its matte applied to the original.
    run(sys.executable, example("alpha_matte_workflow.py"))
    result = _png((folder / "output.png").read_bytes())
    assert (result.mode, result.size) == ("RGBA", (1600, 1200))
    (folder / "output.png").unlink()

    run(sys.executable, example("remove_background.py"))
    cutout = _png((folder / "output.png").read_bytes())
    assert (cutout.mode, cutout.size) == ("RGBA", (1600, 1200))

    # The same bytes again, through curl: no new charge, a cache hit in alice's ledger.
    charges = sandbox.state()["charges"]
    answer = run("bash", example("remove_background_base64.sh"))
    again = _png(
        base64.b64decode(
            httpx.Response(200, content=answer).json()["img_without_background_base64"]
        )
    )
    assert again.size == (1600, 1200)
    assert sandbox.state()["charges"] == charges == 2
    assert ApiCall.objects.filter(user=alice, outcome=ApiCall.Outcome.CACHE_HIT).count() == 1

    # The binary endpoints, multipart field "file", headers and all.
    for path, mode in (("alpha-channel", "L"), ("image-without-background", "RGBA")):
        response = httpx.post(
            f"{live_server.url}/api/v1.0/{path}",
            headers={"X-API-Key": token},
            files={"file": ("input.jpg", (folder / "input.jpg").read_bytes(), "image/jpeg")},
            timeout=TIMEOUT,
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/png"
        assert_no_team_key(response.headers.items(), response.content)
        assert (_png(response.content).mode, _png(response.content).size) == (mode, (1600, 1200))

    assert Image.objects.filter(owner=alice, status=Image.Status.DONE).count() == 5
    assert sandbox.state()["charges"] == 2


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_node_examples_and_the_browser_examples_backend_route_work(integrator):
    folder, example, run, _ = integrator

    run("node", example("remove_background.mjs"))
    cutout = _png((folder / "output.png").read_bytes())
    assert (cutout.mode, cutout.size) == ("RGBA", (1600, 1200))

    backend = subprocess.Popen(
        ["node", str(example("backend_route.mjs"))],
        cwd=folder,
        env={**os.environ, "WITHOUTBG_API_KEY": integrator[3]},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        address = backend.stdout.readline().strip()
        # What the browser example sends: the picked file as raw base64, no key.
        response = httpx.post(
            f"{address}/api/remove-background",
            json=base64_body(product_photo(seed=6)),
            timeout=TIMEOUT,
        )
    finally:
        backend.terminate()
        backend.wait(timeout=10)

    assert response.status_code == 200, response.text
    cutout = _png(base64.b64decode(response.json()["img_without_background_base64"]))
    assert (cutout.mode, cutout.size) == ("RGBA", (480, 360))
