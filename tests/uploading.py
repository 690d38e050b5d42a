"""Put images in a member's library the way the upload form does."""

from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse

from cutouts.models import Backdrop, Image
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


def post_file(client, name: str, data: bytes, path: str = "/upload/", **fields) -> HttpResponse:
    """Send `data` as the file `name` to a page's form, asking for JSON as its script does.

    The upload page's field is `files` (it takes many); the others' is `file`.
    """
    field = "files" if path == "/upload/" else "file"
    return client.post(
        path,
        {field: SimpleUploadedFile(name, data), **fields},
        headers={"accept": "application/json"},
    )


def statuses_by_name() -> dict[str, str]:
    """Every image's status, by the name it was uploaded under."""
    return dict(Image.objects.values_list("original_name", "status"))


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def assert_nothing_stored() -> None:
    """No image, no backdrop and no file: what a refused upload must leave."""
    assert not Image.objects.exists()
    assert not Backdrop.objects.exists()
    assert stored_files() == []


def back_off_over(image: Image) -> None:
    """As when an image's retry back-off has passed: a worker may call for it again."""
    Image.objects.filter(pk=image.pk).update(not_before=None)
