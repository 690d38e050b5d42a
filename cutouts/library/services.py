"""What members do to their images in the library, beside uploading them."""

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from cutouts.models import Image


def image_mark_reviewed(*, image: Image, by: AbstractBaseUser) -> bool:
    """Clear the needs-review flag: a person looked and found it fine. False if not flagged."""
    now = timezone.now()
    cleared = Image.objects.filter(pk=image.pk, needs_review=True).update(
        needs_review=False, reviewed_by=by, reviewed_at=now, updated_at=now
    )
    if cleared:
        image.needs_review, image.reviewed_by, image.reviewed_at = False, by, now
    return bool(cleared)
