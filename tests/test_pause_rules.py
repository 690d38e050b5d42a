"""Each reason processing pauses is told the same way everywhere: one rule per reason.

The vendor's answer decides the pause; admins (e-mail, dashboard, banner),
members (the waiting image) and the team API then all read the same rule.
"""

import pytest
from django.core import mail
from django.utils.html import escape

from cutouts.models import ApiCall, Image, ProcessingState
from cutouts.processing.pausing import PAUSE_RULES
from cutouts.processing.pipeline import image_process
from tests.images import product_photo
from tests.uploading import upload

pytestmark = pytest.mark.django_db


def refuse_the_key(api, settings) -> None:
    settings.WITHOUTBG_API_KEY = "sk_test_not_a_key_the_sandbox_knows"


def run_out_of_credit(api, settings) -> None:
    api.configure(credits=0)


def let_credits_expire(api, settings) -> None:
    api.configure(expires_at="2020-01-01T00:00:00")


VENDOR_REFUSALS = [
    pytest.param(ProcessingState.Pause.INVALID_KEY, refuse_the_key, id="invalid-key"),
    pytest.param(ProcessingState.Pause.NO_CREDIT, run_out_of_credit, id="no-credit"),
    pytest.param(ProcessingState.Pause.EXPIRED, let_credits_expire, id="expired"),
]


def test_every_reason_to_pause_has_a_rule():
    reasons = set(ProcessingState.Pause) - {ProcessingState.Pause.NONE}

    assert set(PAUSE_RULES) == reasons


@pytest.mark.parametrize(("kind", "refusal"), VENDOR_REFUSALS)
def test_each_pause_is_told_by_its_rule_with_the_status_the_api_answered(
    api, settings, alice, admin_client_, django_capture_on_commit_callbacks, kind, refusal
):
    rule = PAUSE_RULES[kind]
    refusal(api, settings)
    image = upload(alice, data=product_photo())

    with django_capture_on_commit_callbacks(execute=True):
        image_process(image_id=image.pk)

    image.refresh_from_db()
    assert ProcessingState.load().pause == kind
    assert ApiCall.objects.get(image=image).http_status == rule.vendor_status
    assert image.status == Image.Status.WAITING_CREDITS
    assert image.status_reason == rule.waiting_reason
    assert mail.outbox[0].subject.endswith(f"Processing paused: {rule.label}")
    assert mail.outbox[0].body.startswith(rule.what_to_do)
    page = admin_client_.get("/dashboard/").content.decode()
    assert f"Processing is paused: {rule.label} (HTTP {rule.vendor_status})" in page
    assert escape(rule.what_to_do) in page
