"""What the rate-limit benches share: the sandbox's address, how calls kept the limit."""

import re
import subprocess
import sys
import time
from pathlib import Path


def sandbox_address(process: subprocess.Popen, log: Path) -> str:
    """The address the sandbox printed in `log` once it listens."""
    for _ in range(600):
        found = re.search(r"http://[\d.]+:\d+", log.read_text())
        if found:
            return found.group()
        if process.poll() is not None:
            sys.exit(f"The sandbox did not start:\n{log.read_text()}")
        time.sleep(0.1)
    sys.exit("The sandbox gave no address")


def pace_share(sends: list[float], limit: int) -> tuple[float, float] | None:
    """The share of the limit's throughput `sends` (sorted, in seconds) kept, and over how long.

    Under a limit of L a minute, call k can go no sooner than minute k // L
    after the first. Timed up to the first call of the last full window, so the
    last window's partial burst does not blur the figure. None when every call
    fit in the first window.
    """
    last = (len(sends) - 1) // limit * limit
    if not last:
        return None
    took = sends[last] - sends[0]
    return last // limit * 60 / took, took


def busiest_minute(sends: list[float]) -> int:
    """The most of `sends` (in seconds) in any 60 s window."""
    return max(sum(1 for other in sends if send <= other < send + 60) for send in sends)
