"""How members share the API's rate limit, in this checkout and in turn in an older one.

Run from the repository root:

    .venv/bin/python -m bench.fair_share [--repo PATH] [--against OLDER_CHECKOUT]
        [--runs 2] [--scenarios fair,pace,eta] [--api-wait 60]

Every scenario runs in fresh processes whose working directory is the checkout
under test: the sandbox API limited to 20 calls a minute, two processing
workers with the scheduler, a renders worker, the cron scheduler and
`runserver`, as `make run` starts them, on a throwaway SQLite database and
media folder and Redis database 12 (which it empties). Members are driven from
inside that checkout's Python, uploading distinct photos through
`image_upload` in a batch, as the upload page does. The checkouts take turns,
scenario by scenario (A B A B), so both see the same machine. It prints, per
run and then as medians:

- fair: member A drops 60 images; 15 s after, B drops one and a script makes
  one synchronous call to /api/v1.0/alpha-channel-base64 with B's token. How
  long B's image and the call waited, in seconds and in slots of the limit
  (goal: within 2 slots each). Then, afresh, A drops 40 images and B 40 right
  after: each member's share of the calls sent while both had images waiting
  (goal: within 10 % of half each).
- pace: a lone batch of 60: the share of the limit's throughput it used over
  its full windows, as bench/throughput.py measures it (goal ≥ 95 %), and the
  sandbox's 429 answers (goal 0).
- eta: in that lone batch, the `eta_seconds` of each image's JSON read right
  after its upload, against when it finished: p50 and p90 of the error as a
  share of the image's wait (goal: p90 within 20 %); n/a when the checkout's
  image JSON has no such field.

The team API's wait (API_WAIT_SECONDS) is --api-wait, 60 s by default instead
of 120, and the per-token and per-member API limits are off, so the ETA reads
are not refused.
"""

import argparse
import base64
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import numpy as np
import redis
from PIL import Image as PILImage

from bench.harness import await_web, free_port, percentile
from bench.limits import busiest_minute, pace_share, sandbox_address

LIMIT = 20
SLOT = 60 / LIMIT
WORKERS = 2
REDIS_URL = "redis://127.0.0.1:6379/12"
ALPHA = "/v1.0/alpha-channel-base64"
SCENARIOS = ("fair", "pace", "eta")
MEMBERS = ("a", "b")

# Runs inside the checkout under test: argv is a command and its JSON payload;
# it answers in JSON, one line per image for uploads.
RUNNER = """
import json, os, sys, time
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
import django
django.setup()
import httpx
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from cutouts.models import ApiCall, Image
try:
    from cutouts.processing.uploads import batch_start, image_upload
except ImportError:  # a checkout from before cutouts/ was split into packages
    from cutouts.uploads import batch_start, image_upload

command, payload = sys.argv[1], json.loads(sys.argv[2])
FINISHED = [Image.Status.DONE, Image.Status.FAILED]

if command == "setup":
    call_command("migrate", verbosity=0)
    for username in payload["users"]:
        User.objects.create_user(username)
elif command == "upload":
    for username, paths in payload["drops"]:
        owner = User.objects.get(username=username)
        batch = batch_start(owner=owner)
        for path in paths:
            with open(path, "rb") as photo:
                upload = SimpleUploadedFile(os.path.basename(path), photo.read())
            image = image_upload(owner=owner, batch=batch, uploaded_file=upload)
            line = {"id": image.pk, "user": username, "queued": image.created_at.timestamp()}
            if payload["eta"]:
                answer = httpx.get(
                    f"{payload['web']}/api/cutouts/v1/images/{image.pk}",
                    headers={"X-API-Key": payload["tokens"][username]},
                ).json()
                line.update(read=time.time(), eta=answer.get("eta_seconds", "absent"))
            print(json.dumps(line), flush=True)
elif command == "wait":
    # Until every listed member's images are finished ("all"), or one member's are ("any").
    settled = all if payload["until"] == "all" else any
    deadline = time.monotonic() + payload["timeout"]
    while time.monotonic() < deadline:
        left = [
            Image.objects.filter(owner__username=name).exclude(status__in=FINISHED).exists()
            for name in payload["users"]
        ]
        if settled(not waiting for waiting in left):
            break
        time.sleep(0.5)
    print(json.dumps(time.monotonic() < deadline))
elif command == "report":
    images = Image.objects.select_related("owner")
    calls = ApiCall.objects.select_related("user").exclude(outcome=ApiCall.Outcome.CACHE_HIT)
    print(json.dumps({
        "images": [
            {
                "id": image.pk,
                "user": image.owner.username,
                "status": image.status,
                "queued": image.created_at.timestamp(),
                # The last save of a processed image is the one that marks it done.
                "finished": image.updated_at.timestamp() if image.status == "done" else None,
            }
            for image in images
        ],
        "calls": [
            {
                "user": call.user.username if call.user else None,
                "at": call.created_at.timestamp(),
                "outcome": call.outcome,
            }
            for call in calls
        ],
    }))
"""


class Figure(NamedTuple):
    name: str
    value: float | None
    text: str


@dataclass
class App:
    """One checkout's processes, running for one scenario."""

    repo: Path
    env: dict[str, str]
    folder: Path
    web: str
    sandbox: str
    tokens: dict[str, str]

    def run(self, command: str, payload: dict[str, Any]) -> list[Any]:
        result = subprocess.run(
            [sys.executable, "-c", RUNNER, command, json.dumps(payload)],
            cwd=self.repo,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            sys.exit(f"{command} failed in {self.repo}:\n{result.stderr}")
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    def upload(self, drops: list[tuple[str, list[Path]]], *, eta: bool = False) -> list[dict]:
        payload = {
            "drops": [(name, [str(path) for path in paths]) for name, paths in drops],
            "eta": eta,
            "web": self.web,
            "tokens": self.tokens,
        }
        return self.run("upload", payload)

    def wait(self, users: list[str], until: str, timeout: float = 900) -> None:
        if not self.run("wait", {"users": users, "until": until, "timeout": timeout})[0]:
            sys.exit(
                f"Images still unfinished after {timeout:.0f} s: see the logs in {self.folder}"
            )

    def report(self) -> dict[str, list[dict]]:
        return self.run("report", {})[0]

    def rejections(self) -> int:
        state = httpx.get(self.sandbox + "/_sandbox/state").json()
        return state["calls"].get(ALPHA, {}).get("429", 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="checkout to measure")
    parser.add_argument(
        "--against", type=Path, help="an older checkout, measured in turn with --repo"
    )
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="of fair,pace,eta")
    parser.add_argument(
        "--api-wait", type=float, default=60, help="API_WAIT_SECONDS for the synchronous call"
    )
    arguments = parser.parse_args()
    chosen = arguments.scenarios.split(",")
    if unknown := set(chosen) - set(SCENARIOS):
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    checkouts = {"this": arguments.repo.resolve()}
    if arguments.against:
        checkouts["against"] = arguments.against.resolve()
    for label, repo in checkouts.items():
        print(f"{label}: {repo}")
    measurements = [("fair", fair), ("fair 40+40", shares)] if "fair" in chosen else []
    # pace and eta read the same lone batch.
    if {"pace", "eta"} & set(chosen):
        measurements.append(("lone batch", lambda app: lone_batch(app, chosen)))
    print(f"limit {LIMIT}/min (a slot is {SLOT:g} s), {WORKERS} workers")
    results: dict[str, list[list[Figure]]] = {label: [] for label in checkouts}
    for run in range(1, arguments.runs + 1):
        for name, measure in measurements:
            for label, repo in checkouts.items():
                with started(repo, api_wait=arguments.api_wait) as app:
                    figures = measure(app)
                results[label].append(figures)
                texts = (figure.text for figure in figures if figure.text)
                print(f"run {run}, {label}, {name}: " + "; ".join(texts))
    summarise(results)


def fair(app: App) -> list[Figure]:
    photos = _photos(app.folder, 62)
    app.upload([("a", photos[:60])])
    time.sleep(15)
    with ThreadPoolExecutor(1) as pool:
        call = pool.submit(_api_call, app, photos[61])
        (b_image,) = app.upload([("b", photos[60:61])])
        status, took = call.result()
    app.wait(["b"], "all")
    done = {image["id"]: image for image in app.report()["images"]}[b_image["id"]]
    wait = done["finished"] - b_image["queued"]
    figures = [
        Figure(
            "B's image wait, s", wait, f"B's image waited {wait:.0f} s ({wait / SLOT:.1f} slots)"
        ),
        Figure(
            "API call, s",
            took,
            f"the API call answered {status} in {took:.0f} s ({took / SLOT:.1f} slots)",
        ),
    ]
    return figures


def shares(app: App) -> list[Figure]:
    """A drops 40, then B 40: each one's share of the calls while both have images waiting."""
    photos = _photos(app.folder, 80)
    app.upload([("a", photos[:40]), ("b", photos[40:])])
    app.wait(list(MEMBERS), "any")
    report = app.report()
    mine = {name: [i for i in report["images"] if i["user"] == name] for name in MEMBERS}
    both_from = min(image["queued"] for image in mine["b"])
    both_until = min(
        max(image["finished"] or float("inf") for image in images) for images in mine.values()
    )
    span = both_until - both_from
    calls = [call for call in report["calls"] if both_from <= call["at"] < both_until]
    share = {
        name: sum(call["user"] == name for call in calls) / max(len(calls), 1) for name in MEMBERS
    }
    return [
        Figure("A's share, %", 100 * share["a"], f"40+40: A had {share['a']:.0%}"),
        Figure(
            "B's share, %",
            100 * share["b"],
            f"B {share['b']:.0%} of the {len(calls)} calls while both waited ({span:.0f} s)",
        ),
    ]


def lone_batch(app: App, chosen: list[str]) -> list[Figure]:
    uploads = app.upload([("a", _photos(app.folder, 60))], eta="eta" in chosen)
    app.wait(["a"], "all")
    report = app.report()
    figures = []
    if "pace" in chosen:
        figures += pace(report, app.rejections())
    if "eta" in chosen:
        figures += eta_error(uploads, report)
    return figures


def pace(report: dict[str, list[dict]], rejections: int) -> list[Figure]:
    sends = sorted(call["at"] for call in report["calls"] if call["outcome"] == "success")
    share, _ = pace_share(sends, LIMIT)
    busiest = busiest_minute(sends)
    return [
        Figure("pace, % of the limit", 100 * share, f"pace {share:.1%} of the limit"),
        Figure("busiest 60 s, calls", busiest, f"busiest 60 s {busiest} calls"),
        Figure("429 answers", rejections, f"{rejections} answers of 429"),
    ]


def eta_error(uploads: list[dict], report: dict[str, list[dict]]) -> list[Figure]:
    finished = {image["id"]: image["finished"] for image in report["images"]}
    timed = [u for u in uploads if isinstance(u["eta"], int | float) and finished[u["id"]]]
    waits = [finished[u["id"]] - u["queued"] for u in timed]
    errors = [
        abs(finished[u["id"]] - (u["read"] + u["eta"])) / wait
        for u, wait in zip(timed, waits, strict=True)
    ]
    if not errors:
        absent = all(upload["eta"] == "absent" for upload in uploads)
        text = "ETA n/a" + (" (no eta_seconds)" if absent else "")
        return [Figure("ETA p50 error, %", None, text), Figure("ETA p90 error, %", None, "")]
    p50, p90 = percentile(errors, 50), percentile(errors, 90)
    # A share of the wait is harsh on the first images, which wait a slot or two.
    late = percentile([error * wait for error, wait in zip(errors, waits, strict=True)], 90)
    return [
        Figure("ETA p50 error, %", 100 * p50, f"ETA error p50 {p50:.0%}"),
        Figure(
            "ETA p90 error, %",
            100 * p90,
            f"p90 {p90:.0%} of the wait ({late:.0f} s; {len(errors)} images)",
        ),
    ]


def summarise(results: dict[str, list[list[Figure]]]) -> None:
    print("\nmedians over the runs")
    medians: dict[str, dict[str, float | None]] = {}
    for label, runs in results.items():
        values: dict[str, list[float]] = {}
        for figures in runs:
            for figure in figures:
                values.setdefault(figure.name, [])
                if figure.value is not None:
                    values[figure.name].append(figure.value)
        medians[label] = {
            name: statistics.median(found) if found else None for name, found in values.items()
        }
    names = list(dict.fromkeys(name for figures in medians.values() for name in figures))
    ratio_heading = "   against / this" if len(medians) == 2 else ""
    print(f"{'figure':<24}" + "".join(f"{label:>10}" for label in medians) + ratio_heading)
    for name in names:
        row = [medians[label].get(name) for label in medians]
        cells = "".join(f"{'n/a' if value is None else f'{value:.1f}':>10}" for value in row)
        ratio = ""
        if len(row) == 2 and row[0] and row[1] is not None:
            ratio = f"   {row[1] / row[0]:.2f}×"
        print(f"{name:<24}{cells}{ratio}")


@contextmanager
def started(repo: Path, *, api_wait: float) -> Iterator[App]:
    """The checkout's sandbox, workers, cron and web server on a fresh database, then stopped."""
    folder = Path(tempfile.mkdtemp(prefix="cutouts-fair-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
        "REDIS_URL": REDIS_URL,
        "WITHOUTBG_API_KEY": "sandbox-key",
        "WITHOUTBG_RATE_LIMIT_PER_MINUTE": str(LIMIT),
        "MATTING_ENGINE": "api",
        "DEBUG": "true",
        "LOG_LEVEL": "WARNING",
        "API_WAIT_SECONDS": f"{api_wait:g}",
        "API_TOKEN_RATE_LIMIT_PER_MINUTE": "0",
        "API_MEMBER_RATE_LIMIT_PER_MINUTE": "0",
    }
    redis.Redis.from_url(REDIS_URL).flushdb()
    processes: list[subprocess.Popen] = []

    def spawn(*command: str) -> subprocess.Popen:
        log = folder / f"{len(processes)}-{command[0]}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", *command],
                cwd=repo,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        return process

    try:
        sandbox = spawn(
            "withoutbg_sandbox", "--port", "0", "--rate-limit", str(LIMIT), "--credits", "1000000"
        )
        env["WITHOUTBG_BASE_URL"] = sandbox_address(sandbox, folder / "0-withoutbg_sandbox.log")
        app = App(repo, env, folder, "", env["WITHOUTBG_BASE_URL"], {})
        app.run("setup", {"users": list(MEMBERS)})
        for name in MEMBERS:
            app.tokens[name] = _manage(app, "create_api_token", name, "--name", "bench")
        for _ in range(WORKERS):
            spawn("rqworker", "default", "--with-scheduler")
        spawn("rqworker", "renders")
        spawn("rqcron", "cutouts.cron")
        port = free_port()
        spawn("runserver", "--noreload", f"127.0.0.1:{port}")
        app.web = f"http://127.0.0.1:{port}"
        await_web(app.web)
        yield app
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    # Kept, with the logs, only when the scenario failed.
    shutil.rmtree(folder)


def _api_call(app: App, photo: Path) -> tuple[int, float]:
    """One synchronous call as a script makes it: (HTTP status, seconds to the answer)."""
    body = {"image_base64": base64.b64encode(photo.read_bytes()).decode()}
    started_at = time.monotonic()
    answer = httpx.post(
        app.web + "/api" + ALPHA,
        json=body,
        headers={"X-API-Key": app.tokens["b"]},
        timeout=float(app.env["API_WAIT_SECONDS"]) + 60,
    )
    return answer.status_code, time.monotonic() - started_at


def _photos(folder: Path, count: int) -> list[Path]:
    """Distinct 640×480 photos: a gradient, a subject of the seed's colour, and noise."""
    paths = []
    for seed in range(count):
        rng = np.random.default_rng(seed)
        gradient = PILImage.linear_gradient("L").resize((640, 480)).convert("RGB")
        pixels = np.asarray(gradient, dtype=np.int16).copy()
        top, left = rng.integers(40, 200), rng.integers(40, 360)
        pixels[top : top + 240, left : left + 240] = rng.integers(0, 256, 3)
        pixels += rng.integers(-12, 13, pixels.shape, dtype=np.int16)
        buffer = io.BytesIO()
        PILImage.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=90)
        path = folder / f"photo-{seed}.jpg"
        path.write_bytes(buffer.getvalue())
        paths.append(path)
    return paths


def _manage(app: App, *command: str) -> str:
    """Run a management command in the checkout; its last line of output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=app.repo,
        env=app.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


if __name__ == "__main__":
    main()
