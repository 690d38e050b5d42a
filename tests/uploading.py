"""Put images in a member's library the way the upload form does."""

from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from cutouts.models import Image
from cutouts.processing.uploads import image_upload
from tests.images import image_bytes


def upload(owner, name: str = "photo.jpg", data: bytes | None = None, **fields) -> Image:
    """Upload `data` (a small JPEG by default) as `owner`, then set any `fields`."""
    uploaded_file = SimpleUploadedFile(name, image_bytes("JPEG") if data is None else data)
    image = image_upload(owner=owner, batch=None, uploaded_file=uploaded_file)
    if fields:
        Image.objects.filter(pk=image.pk).update(**fields)
        image.refresh_from_db()
    return image


def statuses_by_name() -> dict[str, str]:
    """Every image's status, by the name it was uploaded under."""
    return dict(Image.objects.values_list("original_name", "status"))


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []
