"""The team's withoutbg key never leaves the server: not in any answer of any API call.

Every ApiClient answer is searched for the key, headers and body (tests/api_calls.py),
in every API test; here each kind of answer is made once with the key set.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cutouts.models import CreditSnapshot, Image, ProcessingState
from tests.api_calls import (
    TEAM_KEY,
    ApiClient,
    base64_body,
    client_for,
    process_on_upload,
    use_sandbox,
)
from tests.images import product_photo

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_answer_carries_the_team_key(alice, settings, sandbox, queue_redis):
    use_sandbox(settings, sandbox)
    process_on_upload(settings)
    api = client_for(alice)
    photo = product_photo(seed=9)
    answers = [
        api.post_json("/api/v1.0/alpha-channel-base64", base64_body(photo)),
        api.post(
            "/api/v1.0/image-without-background", {"file": SimpleUploadedFile("a.jpg", photo)}
        ),
    ]
    image_id = Image.objects.filter(owner=alice).order_by("pk").first().pk
    answers += [
        api.get("/api/available-credit"),
        api.get("/api/cutouts/v1/images"),
        api.get(f"/api/cutouts/v1/images/{image_id}"),
        api.get(f"/api/cutouts/v1/images/{image_id}/matte"),
        api.get("/api/openapi.json"),
        api.get("/api/nowhere"),
        api.get("/api/v1.0/alpha-channel"),
        ApiClient(None).get("/api/available-credit"),
        ApiClient(sandbox.key).get("/api/available-credit"),
    ]
    assert [answer.status_code for answer in answers] == [
        200,
        200,
        200,
        200,
        200,
        200,
        200,
        404,
        405,
        401,
        401,
    ]

    # A key the vendor refuses: the 503s explain without quoting it.
    settings.WITHOUTBG_API_KEY = TEAM_KEY
    ProcessingState.objects.all().delete()
    CreditSnapshot.objects.all().delete()  # else the last minute's balance is answered
    refused = [
        api.post_json(
            "/api/v1.0/alpha-channel-base64",
            base64_body(product_photo(seed=10)),
        ),
        api.get("/api/available-credit"),
    ]
    assert [answer.status_code for answer in refused] == [503, 503]
    assert ProcessingState.load().pause == ProcessingState.Pause.INVALID_KEY
