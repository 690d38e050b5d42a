"""What checking an upload costs a web process in memory, for the decompression bombs.

Run from the repository root:
    .venv/bin/python -m bench.upload_memory [--repo PATH] [--against OLDER_CHECKOUT]

For each bomb (tests/bombs.py) it starts a fresh Python process in the
checkout at --repo (this one by default) and, in turn, at --against (an
older checkout to compare with), runs its upload check (check_image) on the
file once, then from four threads at once, and prints how far the process's peak resident memory
(VmHWM) rose above its level before the check, and whether the file was
accepted. check_image is where an upload is decoded; the web process holds
nothing bigger for an upload.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.bombs import png_4_000_000_by_1, png_7070_rgba, webp_16383_by_3000

BOMBS = {
    "7070 × 7070 RGBA PNG": png_7070_rgba,
    "16383 × 3000 RGBA WebP": webp_16383_by_3000,
    "4,000,000 × 1 PNG": png_4_000_000_by_1,
}

# Runs inside the checkout under test: argv is the file and the number of threads.
RUNNER = """
import os, sys, threading
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
import django
django.setup()
try:
    from cutouts.processing.uploads import UploadRejected, check_image
except ImportError:  # a checkout from before cutouts/ was split into packages
    from cutouts.uploads import UploadRejected, check_image

def peak_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

data = open(sys.argv[1], "rb").read()
outcomes = []

def check():
    try:
        check_image(data=data)
        outcomes.append("accepted")
    except UploadRejected as rejection:
        outcomes.append("refused: " + rejection.message)

before = peak_kb()
threads = [threading.Thread(target=check) for _ in range(int(sys.argv[2]))]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print((peak_kb() - before) // 1024, sorted(set(outcomes))[0])
"""


def measure(repo: Path, path: Path, threads: int) -> tuple[int, str]:
    # UPLOAD_DECODE_WAIT_SECONDS: a slow machine must not turn a wait into a refusal.
    env = {"UPLOAD_DECODE_WAIT_SECONDS": "600", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(path), str(threads)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    megabytes, outcome = result.stdout.strip().split(" ", 1)
    return int(megabytes), outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="checkout to measure")
    parser.add_argument(
        "--against", type=Path, help="an older checkout, measured in turn with --repo"
    )
    arguments = parser.parse_args()
    repos = [arguments.repo, *([arguments.against] if arguments.against else [])]
    print("peak memory growth while checking, one upload and four at once")
    print(f"{'file':<24} {'bytes':>8} {'checkout':<28} {'one':>8} {'four':>8}  outcome")
    with tempfile.TemporaryDirectory() as folder:
        for name, make in BOMBS.items():
            path = Path(folder) / "bomb"
            data = make()
            path.write_bytes(data)
            # Each file through both checkouts in turn, so both see the same machine.
            for repo in repos:
                one, outcome = measure(repo, path, 1)
                four, _ = measure(repo, path, 4)
                print(
                    f"{name:<24} {len(data):>8} {str(repo)[-28:]:<28} "
                    f"{one:>5} MB {four:>5} MB  {outcome[:60]}"
                )


if __name__ == "__main__":
    main()
