"""Before a drop is sent, the upload page says what it will cost and when it should be done."""

import hashlib

from django.utils import timezone

from cutouts.models import ApiCall, CreditSnapshot, MemberBudget, UploadBatch
from cutouts.processing.engines import get_engine
from cutouts.processing.queueing import get_limiter
from tests.images import product_photo
from tests.ledger import ledger_row
from tests.outputs import finish
from tests.uploading import upload

ESTIMATE = "/upload/estimate/"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def estimate(client, *digests: str):
    return client.post(ESTIMATE, {"sha256": list(digests)}, content_type="application/json")


def test_pictures_already_processed_waiting_or_repeated_in_the_drop_are_free(
    api, alice_client, alice, bob
):
    processed, waiting, new = (product_photo(seed) for seed in (1, 2, 3))
    finish(upload(bob, "processed.jpg", processed))
    upload(bob, "waiting.jpg", waiting)

    body = estimate(
        alice_client, digest(processed), digest(waiting), digest(new), digest(new)
    ).json()

    assert (body["files"], body["charged"], body["repeats"]) == (4, 1, 3)
    assert body["text"].startswith("1 of 4 will be charged (3 already processed or repeated: free)")


def test_the_drops_own_images_already_uploaded_are_not_counted_as_repeats(api, alice_client, alice):
    batch = UploadBatch.objects.create(owner=alice)
    first, second = product_photo(1), product_photo(2)
    upload(alice, "first.jpg", first, batch=batch)  # sent before the estimate came back

    response = alice_client.post(
        ESTIMATE,
        {"sha256": [digest(first), digest(second)], "batch": batch.pk},
        content_type="application/json",
    )

    assert (response.json()["charged"], response.json()["repeats"]) == (2, 0)


def test_it_compares_the_cost_with_the_teams_balance(api, alice_client):
    CreditSnapshot.objects.create(engine=get_engine().name, credit=2)
    drop = [digest(product_photo(seed)) for seed in range(5)]

    body = estimate(alice_client, *drop).json()

    assert body["credit"] == 2
    assert "the team has 2 credits left, so 3 will wait until credits are topped up" in body["text"]


def test_it_says_when_the_drop_should_be_done_after_the_images_already_waiting(
    api, settings, alice_client, alice
):
    settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE = 20
    limiter = get_limiter()
    limiter.connection.zadd(limiter.key, {"now": limiter.now()})  # a call a moment ago
    for seed in range(10):
        upload(alice, f"{seed}.jpg", product_photo(seed))
    drop = [digest(product_photo(seed)) for seed in range(100, 110)]

    body = estimate(alice_client, *drop).json()

    # 20 slots a minute, one taken: the 20th call waits a minute; 10 + 10 more fit in it.
    assert 60 <= body["eta_seconds"] <= 60 + 10
    assert "done in about 1 min" in body["text"]


def test_it_refuses_anything_but_a_list_of_digests(api, alice_client):
    for body in ['{"sha256": "abc"}', '{"sha256": ["xyz"]}', "[]", "not json", '{"sha256": [1]}']:
        response = alice_client.post(ESTIMATE, body, content_type="application/json")
        assert response.status_code == 400
        assert "hex digests" in response.json()["error"]


def test_it_says_how_many_will_wait_for_the_members_budget(api, alice_client, alice):
    MemberBudget.objects.create(user=alice, monthly_credits=5)
    ledger_row(user=alice, outcome=ApiCall.Outcome.SUCCESS, at=timezone.now())
    upload(alice, "waiting.jpg", product_photo(99))  # spends one of the four left first
    drop = [digest(product_photo(seed)) for seed in range(5)]

    body = estimate(alice_client, *drop).json()

    assert body["over_budget"] == 2
    assert "2 will wait for budget: your monthly budget has room for 3 more" in body["text"]


def test_an_unlimited_member_never_waits_for_budget(api, alice_client):
    body = estimate(alice_client, digest(product_photo(1))).json()

    assert body["over_budget"] == 0
    assert "budget" not in body["text"]
