"""Images sent through the asynchronous API, for webhook tests, and checking signatures.

Signatures are checked here with hmac directly, as a receiver would, never with
Cutouts' own signing code.
"""

import hashlib
import hmac
import json

from django.core.files.uploadedfile import SimpleUploadedFile

from cutouts.models import ApiSubmission, ApiToken, Image
from cutouts.processing.uploads import image_upload
from cutouts.teamapi.tokens import token_create
from tests.images import product_photo
from tests.studio_images import processed
from tests.webhook_receiver import Received

SECRET = "whsec_test_secret_of_the_token"


def webhook_token(user, name: str = "Script") -> ApiToken:
    token, _ = token_create(user=user, name=name)
    ApiToken.objects.filter(pk=token.pk).update(webhook_secret=SECRET)
    token.refresh_from_db()
    return token


def finished_submission(
    user, url: str, *, token: ApiToken | None = None, preset: str = ""
) -> ApiSubmission:
    """An image processed already, as if it had been sent with this webhook URL."""
    image = processed(user, "sent.jpg")
    return ApiSubmission.objects.create(
        image=image,
        user=user,
        token=token or webhook_token(user),
        preset=preset,
        webhook_url=url,
    )


def submit(user, url: str, *, token: ApiToken, preset: str = "", seed: int = 0) -> Image:
    """Upload an image with its submission, as POST /api/cutouts/v1/images does."""
    submission = ApiSubmission(user=user, token=token, preset=preset, webhook_url=url)
    uploaded = SimpleUploadedFile(f"sent-{seed}.jpg", product_photo(seed))
    return image_upload(owner=user, batch=None, uploaded_file=uploaded, submission=submission)


def signature_verifies(request: Received, secret: str = SECRET) -> bool:
    timestamp = request.headers["Cutouts-Timestamp"]
    signed = timestamp.encode() + b"." + request.body
    expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request.headers["Cutouts-Signature"])


def event_type(request: Received) -> str:
    return json.loads(request.body)["type"]
