"""How long the admin dashboard takes, and how many queries it runs, at real volumes.

Run from the repository root, against PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cutouts_bench \\
        .venv/bin/python -m bench.dashboard_bench

It never touches the database DATABASE_URL names: like the test runner, it
creates a throwaway one beside it (test_<name>, or a file under var/ for
SQLite), fills it and drops it at the end. Into it go 100,000 ledger rows and
10,000 images from 20 members over 90 days, and a credit check every 15
minutes. Then it renders /dashboard/ as an admin for the default 30 days and
for 7 and 90 days, and prints the median and 95th percentile server time
(the whole request through Django's test client, middleware and template
included) and the number of SQL queries. Goal: under 150 ms.
"""

import argparse
import contextlib
import os
import random
import statistics
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from unittest import mock

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)
from django.utils import timezone  # noqa: E402

from cutouts.models import ApiCall, CreditSnapshot, Image  # noqa: E402

GOAL_MS = 150
OUTCOMES = (
    [ApiCall.Outcome.SUCCESS] * 80 + [ApiCall.Outcome.CACHE_HIT] * 12 + [ApiCall.Outcome.ERROR] * 8
)
STATUSES = [Image.Status.DONE] * 94 + [
    Image.Status.FAILED,
    Image.Status.FAILED,
    Image.Status.QUEUED,
    Image.Status.QUEUED,
    Image.Status.PROCESSING,
    Image.Status.WAITING_CREDITS,
]


@contextlib.contextmanager
def dated(model: type[models.Model], *names: str) -> Iterator[None]:
    """Save the given dates instead of now, for rows made to look old."""
    with contextlib.ExitStack() as stack:
        for name in names:
            field = model._meta.get_field(name)
            stack.enter_context(mock.patch.object(field, "auto_now", False))
            stack.enter_context(mock.patch.object(field, "auto_now_add", False))
        yield


def seed(*, members: int, images: int, calls: int, days: int) -> None:
    rng = random.Random(6)
    now = timezone.now()
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"member{n:02}", email=f"member{n:02}@example.com")
        for n in range(members)
    )

    def moment() -> datetime:
        return now - timedelta(seconds=rng.uniform(60, days * 86400))

    with dated(Image, "created_at", "updated_at"):
        made = []
        for n in range(images):
            at = moment()
            made.append(
                Image(
                    owner=rng.choice(users),
                    original=f"originals/bench/{n}.jpg",
                    original_name=f"photo-{n:05}.jpg",
                    sha256=f"{n:064x}",
                    format="JPEG",
                    width=4000,
                    height=3000,
                    byte_size=3_000_000,
                    status=rng.choice(STATUSES),
                    status_reason="",
                    created_at=at,
                    updated_at=at,
                )
            )
        made = Image.objects.bulk_create(made, batch_size=5000)
    for image in made:
        if image.status == Image.Status.FAILED:
            image.status_reason = "The API could not process this image: File size too large"
    Image.objects.bulk_update(
        [i for i in made if i.status == Image.Status.FAILED], ["status_reason"], batch_size=1000
    )
    with dated(ApiCall, "created_at"):
        rows = []
        for _ in range(calls):
            image = rng.choice(made)
            outcome = rng.choice(OUTCOMES)
            rows.append(
                ApiCall(
                    user_id=image.owner_id,
                    image=image,
                    endpoint="cache" if outcome == ApiCall.Outcome.CACHE_HIT else "/v1.0/alpha",
                    engine="withoutbg",
                    outcome=outcome,
                    charge=ApiCall.Charge.CHARGED
                    if outcome == ApiCall.Outcome.SUCCESS
                    else ApiCall.Charge.FREE,
                    http_status=None if outcome == ApiCall.Outcome.CACHE_HIT else 200,
                    latency_ms=rng.randint(800, 4000),
                    created_at=moment(),
                )
            )
        ApiCall.objects.bulk_create(rows, batch_size=5000)
    with dated(CreditSnapshot, "taken_at"):
        checks = days * 24 * 4
        CreditSnapshot.objects.bulk_create(
            (
                CreditSnapshot(
                    engine="withoutbg",
                    credit=20_000 - n * 2,
                    expires_at=now + timedelta(days=200),
                    taken_at=now - timedelta(minutes=15 * (checks - n)),
                )
                for n in range(checks)
            ),
            batch_size=5000,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def measure(
    client: Client, url: str, runs: int
) -> tuple[list[float], int, list[tuple[float, str]]]:
    """Server times in ms, the query count, and the slowest queries of the last run."""
    client.get(url)  # warm-up: templates, connections
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    slowest = sorted(
        ((float(q["time"]) * 1000, q["sql"]) for q in queries.captured_queries), reverse=True
    )
    return timings, len(queries), slowest[:3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--show-queries", action="store_true", help="print the slowest queries")
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        seed(members=args.members, images=args.images, calls=args.calls, days=args.days)
        # Other work on the machine slows every figure; the load says how much.
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        print(f"load average {load} on {os.cpu_count()} cores")
        print(
            f"{connection.vendor}: {ApiCall.objects.count():,} ledger rows, "
            f"{Image.objects.count():,} images, {CreditSnapshot.objects.count():,} credit "
            f"checks, {args.members} members over {args.days} days "
            f"(seeded in {time.perf_counter() - started:.0f} s)"
        )
        admin = get_user_model().objects.create_user("bench-admin", is_staff=True)
        client = Client()
        client.force_login(admin)
        for label, url in [
            ("30 days", "/dashboard/"),
            ("7 days", "/dashboard/?days=7"),
            ("90 days", "/dashboard/?days=90"),
        ]:
            timings, count, slowest = measure(client, url, args.runs)
            median = statistics.median(timings)
            p95 = statistics.quantiles(timings, n=20)[-1]
            verdict = "ok" if p95 < GOAL_MS else f"over the {GOAL_MS} ms goal"
            print(
                f"{label:>8}: min {min(timings):6.1f} ms, median {median:6.1f} ms, "
                f"p95 {p95:6.1f} ms, {count} queries ({verdict})"
            )
            if args.show_queries:
                for ms, sql in slowest:
                    print(f"          {ms:6.1f} ms  {sql[:160]}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
