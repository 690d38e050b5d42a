"""Batch throughput against the API's rate limit, through real workers and the sandbox.

Run from the repository root:

    .venv/bin/python -m bench.throughput [--limit 120] [--images 300] [--workers 2]

It starts the sandbox with a per-key limit of --limit calls a minute, --workers
RQ workers and the cron scheduler, all on a throwaway SQLite database and
Redis database 11 (which it empties), uploads --images distinct photos, and waits until every one
is done. It prints:
- how soon the first call of the last full window went, against the least
  time the limit allows, as a share of the limit's throughput (goal ≥ 95 %;
  below it, the workers, not the limiter, were the bottleneck);
- the most calls the sandbox saw in any 60 s window (must not pass the limit);
- how many 429 answers the sandbox gave (goal 0).
"""

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import spawn
from bench.limits import busiest_minute, pace_share, sandbox_address

REDIS_URL = "redis://127.0.0.1:6379/11"
ALPHA = "/v1.0/alpha-channel-base64"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=120, help="API calls per minute per key")
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="cutouts-bench-"))
    os.environ.update(
        DATABASE_URL=f"sqlite:///{folder / 'bench.sqlite3'}",
        MEDIA_ROOT=str(folder / "media"),
        REDIS_URL=REDIS_URL,
        WITHOUTBG_API_KEY="sandbox-key",
        WITHOUTBG_RATE_LIMIT_PER_MINUTE=str(args.limit),
        MATTING_ENGINE="api",
        DEBUG="true",
        LOG_LEVEL="WARNING",
    )
    processes: list[subprocess.Popen] = []
    try:
        sandbox = spawn(
            ["withoutbg_sandbox", "--port", "0", "--rate-limit", str(args.limit)],
            folder / "sandbox.log",
            processes,
        )
        os.environ["WITHOUTBG_BASE_URL"] = sandbox_address(sandbox, folder / "sandbox.log")
        _run(args, folder, processes)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()


def _run(args: argparse.Namespace, folder: Path, processes: list[subprocess.Popen]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    import django_rq
    import httpx
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from cutouts.models import ApiCall, Image
    from cutouts.processing.uploads import image_upload

    call_command("migrate", verbosity=0)
    django_rq.get_connection("default").flushdb()
    httpx.post(os.environ["WITHOUTBG_BASE_URL"] + "/_sandbox/state", json={"credits": 10**6})
    for number in range(args.workers):
        spawn(["rqworker", "default", "--with-scheduler"], folder / f"w{number}.log", processes)
    spawn(["rqcron", "cutouts.cron"], folder / "cron.log", processes)

    owner = User.objects.create_user("bench")
    photos = [_photo(seed) for seed in range(args.images)]
    print(f"{args.images} images, {args.workers} workers, limit {args.limit}/min; uploading…")
    started = time.monotonic()
    for seed, data in enumerate(photos):
        image_upload(owner=owner, batch=None, uploaded_file=SimpleUploadedFile(f"{seed}.jpg", data))
    while Image.objects.exclude(status=Image.Status.DONE).exists():
        if Image.objects.filter(status=Image.Status.FAILED).exists():
            sys.exit("An image failed: see the worker logs in " + str(folder))
        time.sleep(1)
    elapsed = time.monotonic() - started

    # A ledger row is written as its call is sent.
    sends = sorted(
        moment.timestamp()
        for moment in ApiCall.objects.filter(outcome=ApiCall.Outcome.SUCCESS).values_list(
            "created_at", flat=True
        )
    )
    state = httpx.get(os.environ["WITHOUTBG_BASE_URL"] + "/_sandbox/state").json()
    busiest = busiest_minute(sends)
    print(f"all done in {elapsed:.0f} s; {len(sends)} paid calls")
    kept = pace_share(sends, args.limit)
    if kept:
        share, took = kept
        print(
            f"the last full window's first call went {took:.1f} s after the first: "
            f"{share:.1%} of the limit's throughput"
        )
    else:
        print("every call fit in the first window: use more images than the limit")
    print(f"most calls in any 60 s window: {busiest} (limit {args.limit})")
    print(f"429 answers from the sandbox: {state['calls'][ALPHA].get('429', 0)}")


def _photo(seed: int) -> bytes:
    from PIL import Image as PILImage

    picture = PILImage.linear_gradient("L").resize((320, 240)).convert("RGB")
    picture.paste((seed * 37 % 256, 255 - seed * 11 % 256, 90), (80, 40 + seed % 60, 240, 200))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


if __name__ == "__main__":
    main()
