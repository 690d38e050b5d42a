"""Cutouts served by `manage.py runserver` in a process of its own, on a real socket.

For what only a separate process shows: its memory, and what it reads of a
request before answering. It uses the test database, Redis and media folder.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.worker_fixtures import database_url

BASE_DIR = Path(__file__).resolve().parent.parent
# Ports the servers may use ("first-last"); any free one when unset.
_PORTS = os.environ.get("TEST_WEB_PORTS", "")
START_TIMEOUT_SECONDS = 60
# Any 32 letters: Django accepts a CSRF cookie and header that match.
CSRF_TOKEN = "a" * 32


@dataclass
class WebServer:
    process: subprocess.Popen[bytes]
    host: str
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def peak_memory_kb(self) -> int:
        """The process's resident-set high-water mark (VmHWM), in kB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM in /proc/<pid>/status")


def signed_in_cookies(user) -> dict[str, str]:
    """Cookies of a signed-in session for `user`, with a CSRF token to match CSRF_TOKEN."""
    client = Client()
    client.force_login(user)
    return {
        django_settings.SESSION_COOKIE_NAME: client.cookies[
            django_settings.SESSION_COOKIE_NAME
        ].value,
        django_settings.CSRF_COOKIE_NAME: CSRF_TOKEN,
    }


@contextlib.contextmanager
def web_server(*, media_root: Path, log_dir: Path, **env: str) -> Iterator[WebServer]:
    """runserver on a free port of _PORTS, with `env` on top of the test settings."""
    port = _free_port()
    log_path = log_dir / f"runserver-{port}.log"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "MEDIA_ROOT": str(media_root),
        "DEBUG": "true",
        **env,
    }
    command = [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*command, f"127.0.0.1:{port}"],
            cwd=BASE_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(process, port, log_path)
        yield WebServer(process=process, host="127.0.0.1", port=port, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _free_port() -> int:
    if not _PORTS:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]
    first, last = (int(part) for part in _PORTS.split("-"))
    for port in range(first, last + 1):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.fail(f"No free port in {_PORTS} for the web server")


def _wait_for_port(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"runserver stopped:\n{log_path.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"runserver did not answer on port {port} in {START_TIMEOUT_SECONDS} s")
