"""`manage.py runserver` with DEBUG on, in its own process, with secrets in its environment.

Under a real server `request.META` holds the process environment, which is
what Django's debug pages used to print; the Django test client has no such
environment, so these tests need the real thing.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent
# The ports this suite's helpers may use for a server of their own.
PORTS = range(8110, 8120)
START_TIMEOUT_SECONDS = 60

TEAM_KEY = "wbg-live-Zq7XkP2mN9vR4tL8cW"
SANDBOX_KEYS = ("sbx-key-Hq3Jw8Lp5Vn2Ad", "sbx-key-Tf6Rb1Cz9Xm4Ge")
DJANGO_SECRET_KEY = "django-secret-Yp4Kd7Ws2Qn9Lx6Vb3Ur8Hj"
DATABASE_PASSWORD = "dbpass-Rm5Tz8Hc3Jq"
REDIS_PASSWORD = "redispass-Wk2Ny7Pf4Dd"
AWS_SECRET = "awssecret-Gd9Lm3Xs6Bv1Qe"
BACKUP_PASSWORD = "backuppass-Nb4Qw8Ej2Zo"
# Every secret a page, an e-mail or a log line must never show.
SECRETS = (
    TEAM_KEY,
    *SANDBOX_KEYS,
    DJANGO_SECRET_KEY,
    DATABASE_PASSWORD,
    REDIS_PASSWORD,
    AWS_SECRET,
    BACKUP_PASSWORD,
)


@dataclass
class DebugServer:
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def _database_url(folder: Path) -> str:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return f"sqlite:///{folder / 'debug.sqlite3'}"
    # The maintenance database always exists; the server only checks migrations there.
    host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
    return f"postgres://{database['USER']}:{DATABASE_PASSWORD}@{host}:{port}/postgres"


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"No free port in {PORTS.start}-{PORTS.stop - 1}")


@contextmanager
def running_debug_server(folder: Path) -> Iterator[DebugServer]:
    redis = urlparse(settings.REDIS_URL)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.leaky_settings",
        "DEBUG": "true",
        "MEDIA_ROOT": str(folder / "media"),
        "WITHOUTBG_API_KEY": TEAM_KEY,
        "WITHOUTBG_SANDBOX_KEYS": ",".join(SANDBOX_KEYS),
        "SECRET_KEY": DJANGO_SECRET_KEY,
        "DATABASE_URL": _database_url(folder),
        "REDIS_URL": f"redis://:{REDIS_PASSWORD}@{redis.hostname}:{redis.port or 6379}{redis.path}",
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        # Any URL with a password, whatever its variable is called.
        "NIGHTLY_DUMP_TARGET": f"sftp://backup:{BACKUP_PASSWORD}@backup.example.com/dumps",
        # A secret value under an innocent name.
        "DEPLOY_NOTE": f"rotated {TEAM_KEY} on Monday",
    }
    port = _free_port()
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    log_path = folder / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(process, url, log_path)
        yield DebugServer(url=url, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(process: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"runserver exited:\n{log_path.read_text()}")
        try:
            httpx.get(url + "/accounts/login/", timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        return
    pytest.fail(f"runserver did not answer within {START_TIMEOUT_SECONDS} s")
