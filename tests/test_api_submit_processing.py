"""The asynchronous API with real workers: sent, processed once, rendered, and retried safely."""

from django.core.files.uploadedfile import SimpleUploadedFile

from cutouts.models import ApiCall, Image
from tests.api_calls import client_for
from tests.images import product_photo
from tests.sandbox_fixtures import charges
from tests.worker_fixtures import wait_until

IMAGES = "/api/cutouts/v1/images"


def test_images_sent_and_sent_again_are_processed_and_charged_once(
    workers, sandbox, alice, settings
):
    # The test polls faster than a script should: no per-token limit here.
    settings.API_TOKEN_RATE_LIMIT_PER_MINUTE = settings.API_MEMBER_RATE_LIMIT_PER_MINUTE = 0
    api = client_for(alice)
    # Large enough for amazon-main's 2000 px frame without enlarging past the limit.
    photos = {f"sku-{n}": product_photo(n, (640, 480)) for n in range(3)}

    def send(key: str):
        return api.client.post(
            IMAGES,
            {"file": SimpleUploadedFile(f"{key}.jpg", photos[key]), "preset": "amazon-main"},
            headers={**api.headers, "Idempotency-Key": key},
        )

    first = {key: send(key).json()["id"] for key in photos}
    workers.start(2, queues=("default", "renders"))
    # A script that timed out sends everything again while it is processed...
    assert {key: send(key).json()["id"] for key in photos} == first

    def all_rendered() -> bool:
        bodies = [api.get(f"{IMAGES}/{pk}").json() for pk in first.values()]
        return all(body["render"] and body["render"]["file_url"] for body in bodies)

    wait_until(all_rendered, timeout=90, message=f"renders ready\n{workers.logs()[-3000:]}")
    # ...and once it is done.
    assert {key: send(key).json()["id"] for key in photos} == first

    assert Image.objects.count() == 3
    assert charges(sandbox) == 3
    assert ApiCall.objects.filter(charge=ApiCall.Charge.CHARGED).count() == 3
    body = api.get(f"{IMAGES}/{first['sku-0']}").json()
    assert (body["status"], body["engine"], body["preset"]) == ("done", "sandbox", "amazon-main")
    download = api.get(body["render"]["file_url"])
    assert download.status_code == 200
    assert download.content_bytes[:3] == b"\xff\xd8\xff"  # amazon-main is a JPEG
