"""Real queue, real workers: RQ worker processes on the test database and Redis.

`queue_redis` empties the test Redis database (REDIS_URL, db 15 under
`make test`) around a test. `workers` starts `manage.py rqworker` processes
and the `rqcron` scheduler against the test database, the test media folder
and the sandbox, with short intervals so a test sees retries and sweeps in
seconds. `pipeline` needs no worker: it runs each job the moment it is queued,
in the test's own process. `export` starts a studio export as a commit would.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from pathlib import Path

import django_rq
import pytest
from django.conf import settings as django_settings

from cutouts.models import Image
from cutouts.processing.queueing import QUEUE
from cutouts.studio import services as studio
from tests.api_calls import process_on_upload, use_sandbox
from tests.sandbox_fixtures import Sandbox, point_at_sandbox

BASE_DIR = Path(__file__).resolve().parent.parent

FAST_PROCESSING = {
    "PROCESS_BACKOFF_SECONDS": "0.2",
    "PROCESS_BACKOFF_MAX_SECONDS": "2",
    "PROCESS_MAX_ATTEMPTS": "12",
    "SWEEP_INTERVAL_SECONDS": "1",
    "CREDIT_RECHECK_SECONDS": "1",
    "PROCESSING_STALE_SECONDS": "6",
    "WITHOUTBG_RATE_LIMIT_PER_MINUTE": "600",
}


@pytest.fixture
def queue_redis():
    connection = django_rq.get_connection("default")
    connection.flushdb()
    yield connection
    connection.flushdb()


@pytest.fixture
def pipeline(settings, sandbox: Sandbox, queue_redis) -> Sandbox:
    """The app on the sandbox, each queued job run here the moment it is queued."""
    use_sandbox(settings, sandbox)
    process_on_upload(settings)
    return sandbox


@pytest.fixture
def export(queue_redis, django_capture_on_commit_callbacks):
    """export_create, with its after-commit queueing run as a real commit would."""

    def _export(user, images, preset="amazon-main") -> studio.ExportCreated:
        chosen = Image.objects.filter(pk__in=[image.pk for image in images])
        with django_capture_on_commit_callbacks(execute=True):
            return studio.export_create(user=user, images=chosen, preset=preset)

    return _export


def database_url() -> str:
    """The test database, as a URL a worker process can use."""
    db = django_settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []

    def start(
        self,
        count: int = 1,
        *,
        cron: bool = True,
        queues: Iterable[str] = (QUEUE,),
        worker_class: str = "",
    ) -> list[subprocess.Popen]:
        """`count` workers serving `queues` (processing only, unless told), and the cron."""
        command = ["rqworker", *queues, "--with-scheduler"]
        if worker_class:
            command += ["--worker-class", worker_class]
        started = [self._spawn(command) for _ in range(count)]
        if cron:
            started.append(self._spawn(["rqcron", "cutouts.cron"]))
        return started

    def kill(self, process: subprocess.Popen) -> None:
        """kill -9, the worker and the job it forked: nothing gets to clean up.

        RQ puts the work horse in a process group of its own, so killing the
        worker's group alone would leave the job running to its end.
        """
        horses = [pid for pid in _pids() if _parent(pid) == process.pid]
        os.killpg(process.pid, signal.SIGKILL)
        for horse in horses:
            with suppress(ProcessLookupError):
                os.kill(horse, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.log_dir.glob("*.log")))

    def _spawn(self, command: list[str]) -> subprocess.Popen:
        log = self.log_dir / f"{len(self.processes)}-{command[0]}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", *command],
                cwd=BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process


@pytest.fixture
def workers(transactional_db, settings, sandbox, queue_redis, tmp_path) -> Iterator[Workers]:
    point_at_sandbox(settings, sandbox)
    for name, value in FAST_PROCESSING.items():
        setattr(settings, name, type(getattr(settings, name))(value))
    env = {
        **os.environ,
        **FAST_PROCESSING,
        "DATABASE_URL": database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "WITHOUTBG_BASE_URL": sandbox.base_url,
        "WITHOUTBG_API_KEY": sandbox.key,
        "MATTING_ENGINE": "api",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    log_dir = tmp_path / "worker-logs"
    log_dir.mkdir()
    handle = Workers(env, log_dir)
    yield handle
    handle.stop_all()


def wait_until(condition: Callable[[], bool], *, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"Timed out after {timeout} s: {message}")


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (name) state ppid ...": the name may hold spaces and brackets.
    return int(stat.rsplit(")", 1)[1].split()[1])
