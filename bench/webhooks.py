"""Webhooks to a bad receiver: every final event arrives, signed, and processing never waits.

Run from the repository root:

    .venv/bin/python -m bench.webhooks [--images 100] [--rounds 4] [--timeout 2]
        [--database-url postgres://postgres@127.0.0.1:5432/cutouts_bench_webhooks]

It starts, as `make run` does, the sandbox API, two processing workers with
the scheduler, a renders worker, a webhooks worker (DeliveryWorker), the cron scheduler and
`runserver`, on a fresh PostgreSQL database (dropped and made again) and Redis
database 11 (which it empties), and a webhook receiver on 127.0.0.1 that
answers 500 to 30 % of deliveries and, to 10 %, answers only after --timeout
plus one second (too late: the delivery has given up by then). Retries wait
WEBHOOK_RETRY_BASE_SECONDS=1 doubling up to 8 s, so it ends in minutes.

Images go through `POST /api/cutouts/v1/images` in rounds of A (with a
webhook_url) then B (without), --rounds times, A B A B: --images images with
webhooks in all, as many without. A round waits for its images to be done and,
for A, for their events to be delivered or given up, so B rounds see no
deliveries and A rounds see them all. It prints:

- events expected and arrived (a receiver's 2xx answer sent in time), and
  events received more than once (deliveries are at least once);
- deliveries (attempts, from the receiver and from Cutouts' records) and
  retries, and how many of each answer the receiver gave;
- the delay from an image being done to its event's first successful
  delivery, p50 and p95;
- signatures verified, checked with hmac here, against deliveries received;
- images charged by the sandbox against images sent, and the most calls one
  image made (no image processed twice);
- the longest single delivery attempt against the time-out;
- the wait from an event being made to its first attempt (the webhooks queue);
- processing pace (images a minute, first submit to last done) in A rounds
  and B rounds, and their ratio (deliveries never stall processing), with the
  sandbox's median call time in each (its model shares the CPUs: a slower call
  means busier CPUs, not a worker held up) and the webhooks worker's CPU time.
"""

import argparse
import hashlib
import hmac
import io
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import httpx
import numpy as np
import psycopg
import redis
from PIL import Image as PILImage

from bench.harness import await_web, free_port, percentile, spawn
from bench.limits import sandbox_address

REDIS_URL = "redis://127.0.0.1:6379/11"
DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cutouts_bench_webhooks"
FAIL_SHARE = 0.30
SLOW_SHARE = 0.10
PROCESSING_WORKERS = 2
DELIVERY_WORKER = "cutouts.processing.queueing.DeliveryWorker"  # as scripts/run.sh starts it


@dataclass
class Delivery:
    event: str  # Cutouts-Delivery
    kind: str
    arrived: float
    answer: str  # "ok", "fail" (500) or "slow" (200, after the sender's time-out)
    signed: bool


@dataclass
class Receiver:
    """Answers deliveries as the bench's bad receiver, and remembers each."""

    secret: str
    slow_seconds: float
    seed: int
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/cutouts"

    def answer(self) -> str:
        with self.lock:
            draw = self.random.random()
        return "fail" if draw < FAIL_SHARE else "slow" if draw < FAIL_SHARE + SLOW_SHARE else "ok"

    def signed(self, headers: dict[str, str], body: bytes) -> bool:
        # Checked as any receiver would, with hmac, not with Cutouts' own code.
        signed = headers.get("Cutouts-Timestamp", "").encode() + b"." + body
        expected = "v1=" + hmac.new(self.secret.encode(), signed, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, headers.get("Cutouts-Signature", ""))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                arrived = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = dict(self.headers.items())
                answer = receiver.answer()
                if answer == "slow":
                    time.sleep(receiver.slow_seconds)
                self.send_response(500 if answer == "fail" else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                delivery = Delivery(
                    event=headers.get("Cutouts-Delivery", ""),
                    kind=headers.get("Cutouts-Event", ""),
                    arrived=arrived,
                    answer=answer,
                    signed=receiver.signed(headers, body),
                )
                with receiver.lock:
                    receiver.deliveries.append(delivery)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@dataclass
class Round:
    hooked: bool
    ids: list[int]
    first_sent: float
    last_done: float = 0.0

    @property
    def pace(self) -> float:
        return len(self.ids) / (self.last_done - self.first_sent) * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100, help="images sent with a webhook")
    parser.add_argument("--rounds", type=int, default=4, help="A B rounds; images split evenly")
    parser.add_argument("--timeout", type=float, default=2.0, help="WEBHOOK_TIMEOUT_SECONDS")
    parser.add_argument("--database-url", default=DATABASE_URL, help="PostgreSQL; dropped first")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cutouts-webhooks-"))
    _fresh_database(args.database_url)
    os.environ.update(
        {
            "DATABASE_URL": args.database_url,
            "MEDIA_ROOT": str(folder / "media"),
            "REDIS_URL": REDIS_URL,
            "WITHOUTBG_API_KEY": "sandbox-key",
            # The sandbox's own limit is off: this measures deliveries, not the rate limit.
            "WITHOUTBG_RATE_LIMIT_PER_MINUTE": "6000",
            "MATTING_ENGINE": "api",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "LOG_LEVEL": "WARNING",
            "API_TOKEN_RATE_LIMIT_PER_MINUTE": "0",
            "API_MEMBER_RATE_LIMIT_PER_MINUTE": "0",
            "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
            "WEBHOOK_TIMEOUT_SECONDS": f"{args.timeout:g}",
            "WEBHOOK_RETRY_BASE_SECONDS": "1",
            "WEBHOOK_RETRY_MAX_SECONDS": "8",
            "SWEEP_INTERVAL_SECONDS": "5",
        }
    )
    redis.Redis.from_url(REDIS_URL).flushdb()
    processes: list[subprocess.Popen] = []
    try:
        run(args, folder, processes)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    shutil.rmtree(folder)


def run(args: argparse.Namespace, folder: Path, processes: list[subprocess.Popen]) -> None:
    sandbox = _spawn(
        ["withoutbg_sandbox", "--port", "0", "--rate-limit", "0", "--credits", "1000000"],
        folder,
        processes,
    )
    os.environ["WITHOUTBG_BASE_URL"] = sandbox_address(sandbox, folder / "0-withoutbg_sandbox.log")
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from cutouts.teamapi.tokens import token_create

    call_command("migrate", verbosity=0)
    token, raw_token = token_create(user=User.objects.create_user("bench"), name="bench")
    for _ in range(PROCESSING_WORKERS):
        _spawn(["rqworker", "default", "--with-scheduler"], folder, processes)
    _spawn(["rqworker", "renders"], folder, processes)
    webhooks_worker = _spawn(
        ["rqworker", "webhooks", "--with-scheduler", "--worker-class", DELIVERY_WORKER],
        folder,
        processes,
    )
    _spawn(["rqcron", "cutouts.cron"], folder, processes)
    port = free_port()
    _spawn(["runserver", "--noreload", f"127.0.0.1:{port}"], folder, processes)
    web = f"http://127.0.0.1:{port}"
    await_web(web)

    receiver = Receiver(token.webhook_secret, slow_seconds=args.timeout + 1, seed=args.seed)
    per_round = args.images // args.rounds
    photos = iter(_photos(2 * per_round * args.rounds))
    rounds: list[Round] = []
    started = time.monotonic()
    with httpx.Client(base_url=web, headers={"X-API-Key": raw_token}, timeout=30) as client:
        for number in range(args.rounds):
            for hooked in (True, False):
                sent = [next(photos) for _ in range(per_round)]
                one = _send(client, sent, receiver.url if hooked else "")
                _wait_done(one)
                if hooked:
                    _wait_events_settled(one.ids)
                rounds.append(one)
                label = "A (webhooks)" if hooked else "B (none)"
                print(f"round {number + 1} {label}: {one.pace:.1f} images/min", flush=True)
    cpu = _cpu_seconds(webhooks_worker.pid)
    report(args, rounds, receiver, os.environ["WITHOUTBG_BASE_URL"], time.monotonic() - started)
    print(f"webhooks worker CPU {cpu:.1f} s in all (its delivery jobs included)")


def report(
    args: argparse.Namespace, rounds: list[Round], receiver: Receiver, sandbox: str, took: float
) -> None:
    from django.db.models import Count, Max, Q

    from cutouts.models import ApiCall, Image, WebhookAttempt, WebhookEvent

    hooked_ids = [pk for one in rounds if one.hooked for pk in one.ids]
    all_ids = [pk for one in rounds for pk in one.ids]
    events = WebhookEvent.objects.filter(submission__image_id__in=hooked_ids)
    statuses = Counter(events.values_list("status", flat=True))
    done_at = {
        f"evt_{pk}": updated.timestamp()
        for pk, updated in events.values_list("pk", "submission__image__updated_at")
    }
    with receiver.lock:
        deliveries = list(receiver.deliveries)
    answers = Counter(delivery.answer for delivery in deliveries)
    first_ok: dict[str, float] = {}
    for delivery in sorted(deliveries, key=lambda d: d.arrived):
        if delivery.answer == "ok":
            first_ok.setdefault(delivery.event, delivery.arrived)
    received_twice = sum(
        1
        for count in Counter(d.event for d in deliveries if d.answer != "fail").values()
        if count > 1
    )
    delays = sorted(first_ok[event] - done_at[event] for event in first_ok if event in done_at)
    attempts = WebhookAttempt.objects.filter(event__in=events)
    # From the event to its first attempt's start: time spent waiting on the webhooks queue.
    made_at = dict(events.values_list("pk", "created_at"))
    first_starts: dict[int, float] = {}
    for event_id, recorded, latency in attempts.order_by("number").values_list(
        "event_id", "created_at", "latency_ms"
    ):
        first_starts.setdefault(
            event_id, (recorded - made_at[event_id]).total_seconds() - latency / 1000
        )
    queued = sorted(first_starts.values())
    longest_ms = attempts.aggregate(longest=Max("latency_ms"))["longest"] or 0
    calls = (
        ApiCall.objects.filter(image_id__in=all_ids)
        .exclude(outcome=ApiCall.Outcome.CACHE_HIT)
        .values("image_id")
        .annotate(paid=Count("pk", filter=Q(outcome=ApiCall.Outcome.SUCCESS)))
    )
    most_paid = max((row["paid"] for row in calls), default=0)
    charges = httpx.get(sandbox + "/_sandbox/state").json()["charges"]
    done = Image.objects.filter(pk__in=all_ids, status=Image.Status.DONE).count()
    pace_a = statistics.median(one.pace for one in rounds if one.hooked)
    pace_b = statistics.median(one.pace for one in rounds if not one.hooked)

    print(
        f"\n{len(hooked_ids)} images with webhooks, {len(all_ids) - len(hooked_ids)} without, "
        f"in {len(rounds)} rounds A B A B..., {took:.0f} s in all"
    )
    print(
        f"receiver: {FAIL_SHARE:.0%} answered 500, {SLOW_SHARE:.0%} after "
        f"{receiver.slow_seconds:g} s (time-out {args.timeout:g} s)"
    )
    print(
        f"events expected {len(hooked_ids)}, made {events.count()} "
        f"({', '.join(f'{n} {s}' for s, n in sorted(statuses.items()))}), "
        f"arrived {len(first_ok)}; received more than once {received_twice}"
    )
    print(
        f"deliveries {len(deliveries)} at the receiver, {attempts.count()} recorded; "
        f"retries {attempts.count() - len(first_ok)}; answers: "
        + ", ".join(f"{answers[a]} {a}" for a in ("ok", "fail", "slow"))
    )
    if delays:
        print(
            f"delay from image done to first successful delivery: "
            f"p50 {percentile(delays, 50):.1f} s, p95 {percentile(delays, 95):.1f} s, "
            f"max {delays[-1]:.1f} s"
        )
    if queued:
        print(
            f"wait from event made to its first attempt: p50 {percentile(queued, 50):.1f} s, "
            f"p95 {percentile(queued, 95):.1f} s"
        )
    print(f"signatures verified {sum(d.signed for d in deliveries)} of {len(deliveries)}")
    print(
        f"images done {done} of {len(all_ids)}; sandbox charges {charges}; "
        f"most paid calls for one image {most_paid}"
    )
    print(f"longest delivery attempt {longest_ms / 1000:.2f} s (time-out {args.timeout:g} s)")
    # The sandbox's model runs on the same CPUs: how long its calls took says how busy they were.
    call_ms = {
        hooked: statistics.median(
            ApiCall.objects.filter(
                image_id__in=[pk for one in rounds if one.hooked == hooked for pk in one.ids],
                outcome=ApiCall.Outcome.SUCCESS,
            ).values_list("latency_ms", flat=True)
        )
        for hooked in (True, False)
    }
    print(f"sandbox call p50: A {call_ms[True] / 1000:.2f} s, B {call_ms[False] / 1000:.2f} s")
    print(
        f"processing pace: A (webhooks) {pace_a:.1f} images/min, B (none) {pace_b:.1f} "
        f"images/min; A/B {pace_a / pace_b:.2f}"
    )


def _send(client: httpx.Client, photos: list[bytes], webhook_url: str) -> Round:
    first_sent = time.time()
    ids = []
    for number, photo in enumerate(photos):
        fields = {"webhook_url": webhook_url} if webhook_url else {}
        answer = client.post(
            "/api/cutouts/v1/images",
            files={"file": (f"photo-{number}.jpg", photo, "image/jpeg")},
            data=fields,
        )
        if answer.status_code != 202:
            sys.exit(f"POST /api/cutouts/v1/images answered {answer.status_code}: {answer.text}")
        ids.append(answer.json()["id"])
    return Round(hooked=bool(webhook_url), ids=ids, first_sent=first_sent)


def _wait_done(one: Round, timeout: float = 600) -> None:
    from django.db.models import Max

    from cutouts.models import Image

    deadline = time.monotonic() + timeout
    images = Image.objects.filter(pk__in=one.ids)
    while images.exclude(status__in=[Image.Status.DONE, Image.Status.FAILED]).exists():
        if time.monotonic() > deadline:
            sys.exit(f"Images still unfinished after {timeout:.0f} s")
        time.sleep(0.2)
    one.last_done = images.aggregate(last=Max("updated_at"))["last"].timestamp()


def _wait_events_settled(ids: list[int], timeout: float = 600) -> None:
    from cutouts.models import WebhookEvent

    deadline = time.monotonic() + timeout
    events = WebhookEvent.objects.filter(submission__image_id__in=ids)
    while events.count() < len(ids) or events.filter(status=WebhookEvent.Status.PENDING).exists():
        if time.monotonic() > deadline:
            sys.exit(f"Webhook events still pending after {timeout:.0f} s")
        time.sleep(0.5)


def _photos(count: int) -> list[bytes]:
    """Distinct 640×480 JPEGs (a gradient, a subject of the seed's colour, noise): no cache hits."""
    photos = []
    for seed in range(count):
        rng = np.random.default_rng(seed)
        pixels = np.asarray(
            PILImage.linear_gradient("L").resize((640, 480)).convert("RGB"), dtype=np.int16
        ).copy()
        top, left = rng.integers(40, 200), rng.integers(40, 360)
        pixels[top : top + 240, left : left + 240] = rng.integers(0, 256, 3)
        pixels += rng.integers(-12, 13, pixels.shape, dtype=np.int16)
        buffer = io.BytesIO()
        PILImage.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=90)
        photos.append(buffer.getvalue())
    return photos


def _fresh_database(url: str) -> None:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    maintenance = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _spawn(command: list[str], folder: Path, processes: list[subprocess.Popen]) -> subprocess.Popen:
    return spawn(command, folder / f"{len(processes)}-{command[0]}.log", processes)


def _cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children it has waited for (RQ's work horses)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime, stime, cutime, cstime: fields 14 to 17, counted from the pid.
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
