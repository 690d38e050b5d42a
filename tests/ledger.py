"""Ledger rows, credit snapshots and images dated in the past, for the dashboard's tests,
and the spend the dashboard counts from them."""

from datetime import datetime

from django.utils import timezone

from cutouts.dashboard import selectors as dashboard
from cutouts.models import ApiCall, CreditSnapshot, Image

ENDPOINT = "/v1.0/alpha-channel-base64"


def ledger_row(
    *, user, outcome: str, at: datetime, engine: str = "sandbox", charge: str | None = None
) -> ApiCall:
    if charge is None:
        # As the pipeline records them: an answered API call is charged.
        paid = outcome == ApiCall.Outcome.SUCCESS and engine != "local-u2netp"
        charge = ApiCall.Charge.CHARGED if paid else ApiCall.Charge.FREE
    call = ApiCall.objects.create(
        user=user, endpoint=ENDPOINT, engine=engine, outcome=outcome, charge=charge
    )
    # created_at is set on save; move it back afterwards.
    ApiCall.objects.filter(pk=call.pk).update(created_at=at)
    return call


def snapshot(
    *,
    credit: int | None,
    at: datetime,
    expires_at: datetime | None = None,
    error: str = "",
    engine: str = "sandbox",
) -> CreditSnapshot:
    taken = CreditSnapshot.objects.create(
        engine=engine, credit=credit, expires_at=expires_at, error=error
    )
    CreditSnapshot.objects.filter(pk=taken.pk).update(taken_at=at)
    taken.refresh_from_db()
    return taken


def image_row(
    *, owner, status: str, at: datetime, name: str = "photo.jpg", reason: str = ""
) -> Image:
    image = Image.objects.create(
        owner=owner,
        original=f"originals/{name}",
        original_name=name,
        sha256="0" * 64,
        format="JPEG",
        width=640,
        height=480,
        byte_size=1000,
        status=status,
        status_reason=reason,
    )
    Image.objects.filter(pk=image.pk).update(created_at=at, updated_at=at)
    image.refresh_from_db()
    return image


def spend() -> int:
    """Credits spent in the last day, as the dashboard counts them from the ledger."""
    period = dashboard.period_last_days(days=1, now=timezone.now())
    return dashboard.usage(period=period).total.credits_spent
