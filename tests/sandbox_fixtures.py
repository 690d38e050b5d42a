"""The `sandbox` fixture: the withoutbg sandbox API, a real server on a real socket.

`python manage.py withoutbg_sandbox` runs once per test session on a free
port; every test that asks for `sandbox` gets it freshly reset. `withoutbg`
is our client of the vendor's API, talking to it; `api` points the app at it.
"""

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cutouts.lib import proxy
from cutouts.lib.withoutbg.client import WithoutbgClient
from cutouts.models import Image

BASE_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60


@dataclass
class Sandbox:
    base_url: str
    key: str
    other_key: str  # a second accepted key, with its own rate limit
    log_path: Path

    def state(self) -> dict[str, Any]:
        return self._control("GET", "/_sandbox/state")

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change credits, expires_at, date_format or rate_limit."""
        return self._control("POST", "/_sandbox/state", json=changes)

    def inject(self, **faults: Any) -> dict[str, Any]:
        """Set faults: error_rate, error_status, storm_429, delay_seconds, malformed…"""
        return self._control("POST", "/_sandbox/state", json={"faults": faults})

    def reset(self) -> dict[str, Any]:
        return self._control("POST", "/_sandbox/reset")

    def log(self) -> str:
        return self.log_path.read_text()

    def _control(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = httpx.request(method, self.base_url + path, timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    folder = tmp_path_factory.mktemp("sandbox")
    out_path, log_path = folder / "stdout.txt", folder / "stderr.txt"
    # Keys made up for this session, so a test can look for them in the logs.
    key, other_key = f"sk_test_{secrets.token_hex(12)}", f"sk_test_{secrets.token_hex(12)}"
    env = {**os.environ, "WITHOUTBG_SANDBOX_KEYS": f"{key},{other_key}"}
    command = [sys.executable, "manage.py", "withoutbg_sandbox"]
    # Port 0: the server picks a free port and prints its address.
    command += ["--port", "0", "--rate-limit", "0", "--seed", "7"]
    with open(out_path, "wb") as out, open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=out, stderr=log)
    try:
        base_url = _wait_for_address(process, out_path, log_path)
        yield Sandbox(base_url=base_url, key=key, other_key=other_key, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def withoutbg(sandbox: Sandbox) -> Iterator[WithoutbgClient]:
    """The withoutbg client on the sandbox, its time-outs long enough for a busy machine."""
    with WithoutbgClient(sandbox.base_url, sandbox.key, timeout=20, credit_timeout=20) as client:
        yield client


def _wait_for_address(process: subprocess.Popen[bytes], out_path: Path, log_path: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        found = re.search(r"http://[\d.]+:\d+", out_path.read_text())
        if found:
            return found.group()
        if process.poll() is not None:
            pytest.fail(f"The withoutbg sandbox did not start:\n{log_path.read_text()}")
        time.sleep(0.05)
    pytest.fail(f"The withoutbg sandbox gave no address in {START_TIMEOUT_SECONDS} s")


def charges(sandbox: Sandbox) -> int:
    """Credits the sandbox has taken since it was last reset."""
    return sandbox.state()["charges"]


def credit_checks(sandbox: Sandbox) -> int:
    """Calls to the credit endpoint since the sandbox was last reset, whatever their answer."""
    return sum(sandbox.state()["calls"].get("/available-credit", {}).values())


def mattes_made_beforehand(sandbox: Sandbox, images: Iterable[Image]) -> None:
    """Have the sandbox's model make these images' mattes now, then reset it: a later call
    for them is answered (and charged) at once, however slow the reply is made."""
    with WithoutbgClient(sandbox.base_url, sandbox.key) as client:
        for image in images:
            with image.original.open("rb") as stored:
                client.alpha_matte_base64(proxy.build_proxy(stored.read()).jpeg)
    sandbox.reset()


def point_at_sandbox(settings, sandbox: Sandbox) -> None:
    """Make the app's matting engine the sandbox API, as `make run` does without a key."""
    settings.MATTING_ENGINE = "api"
    settings.WITHOUTBG_BASE_URL = sandbox.base_url
    settings.WITHOUTBG_API_KEY = sandbox.key
    # The limiter paces calls window/limit apart: room for the calls a test
    # makes one after the other. Tests of the limit itself set their own.
    settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE = 600


@pytest.fixture
def api(settings, sandbox: Sandbox, queue_redis) -> Sandbox:
    """The app pointed at the sandbox, its queue in the emptied test Redis."""
    point_at_sandbox(settings, sandbox)
    return sandbox
