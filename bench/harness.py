"""What the benches that run a whole Cutouts share: processes, a web server, percentiles."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BASE_DIR = Path(__file__).resolve().parent.parent


def spawn(command: list[str], log: Path, processes: list[subprocess.Popen]) -> subprocess.Popen:
    """Start `manage.py <command>` from the repository, its output in `log`; kept in `processes`."""
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=BASE_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    processes.append(process)
    return process


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def await_web(web: str) -> None:
    """Return once the Cutouts at `web` answers; exit the bench if it never does."""
    for _ in range(300):
        try:
            httpx.get(web + "/api/cutouts/v1/images", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    sys.exit("runserver did not answer")


def percentile(values: list[float], percent: int) -> float:
    """Nearest rank: the smallest value with `percent` % of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * percent // 100) - 1)]
