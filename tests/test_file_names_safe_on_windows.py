"""Exports and downloads are named so that any system, Windows included, can save them.

Members name their files; those names come back as ZIP entries and download
names. Windows refuses \\ / : < > | ? * " and control characters, drops
trailing dots and spaces, and reserves device names such as CON or LPT1.
"""

import io
import re
import zipfile

import pytest

from cutouts.lib.filenames import MAX_STEM_LENGTH, safe_stem
from cutouts.models import Export, Image
from cutouts.studio import services as studio
from tests.studio_images import processed, work_off

pytestmark = pytest.mark.django_db

# What Windows cannot create, or treats as a device, or could be read as a folder.
WINDOWS_FORBIDDEN = re.compile(r'[\\/:<>|?*"\x00-\x1f\x7f]')
RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?", re.IGNORECASE)

HOSTILE_NAMES = [
    'a:b<c>d|e?f*g"h.jpg',
    "..\\..\\evil.jpg",
    "../../etc/passwd.jpg",
    "CON.jpg",
    "con.tar.jpg",
    "lpt1 .jpg",
    "Nul.jpg",
    "trailing dots... .jpg",
    "tab\there\x07bell.jpg",
    "\u202egpj.exe.jpg",
    "x" * 250 + ".jpg",
    "....jpg",
    "photo.jpg",
    "PHOTO.jpg",
]


def _is_safe_on_windows(name: str) -> bool:
    stem = name.rsplit(".", 1)[0]
    return (
        bool(stem)
        and not WINDOWS_FORBIDDEN.search(name)
        and not RESERVED.fullmatch(name.split(".")[0].rstrip(" "))
        and not name.startswith(".")
        and not stem.endswith((".", " "))
        and "\u202e" not in name
        and len(name) <= 255
    )


def test_an_export_of_hostile_names_unzips_on_windows_one_file_each(
    alice, queue_redis, django_capture_on_commit_callbacks
):
    images = [processed(alice, name) for name in HOSTILE_NAMES]
    with django_capture_on_commit_callbacks(execute=True):
        created = studio.export_create(
            user=alice,
            images=Image.objects.filter(pk__in=[image.pk for image in images]),
            preset="webp-web",
        )
    work_off(queue_redis)

    export = Export.objects.get(pk=created.export.pk)
    assert export.status == Export.Status.DONE
    with export.archive.open("rb") as stored, zipfile.ZipFile(io.BytesIO(stored.read())) as zipped:
        names = [name for name in zipped.namelist() if name != "manifest.csv"]
    assert len(names) == len(HOSTILE_NAMES)
    assert [name for name in names if not _is_safe_on_windows(name)] == []
    # Unique as Windows and macOS compare names: without regard to case.
    assert len({name.casefold() for name in names}) == len(names)
    assert "_CON-webp-web.webp" in names and "_con.tar-webp-web.webp" in names
    assert "a_b_c_d_e_f_g_h-webp-web.webp" in names
    assert max(len(name) for name in names) <= MAX_STEM_LENGTH + len("-webp-web-2.webp")


@pytest.mark.parametrize(
    ("stem", "safe"),
    [
        ("red bottle", "red bottle"),
        ("a:b", "a_b"),
        ("CON", "_CON"),
        ("com1.backup", "_com1.backup"),
        ("CONSOLE", "CONSOLE"),
        ("photo. . .", "photo"),
        ("...", "image"),
        ("", "image"),
        ("\x00\x01", "__"),
        ("Café été 夏", "Café été 夏"),
    ],
)
def test_a_stem_is_made_safe_and_never_empty(stem, safe):
    assert safe_stem(stem) == safe


def test_a_long_stem_is_cut_to_the_limit_without_a_trailing_dot():
    assert safe_stem("a" * (MAX_STEM_LENGTH - 1) + ". and more") == "a" * (MAX_STEM_LENGTH - 1)


def test_downloads_are_named_safely(alice, alice_client):
    quoted = processed(alice, 'CON:"quoted"?.jpg')
    device = processed(alice, "aux.jpg")

    original = alice_client.get(f"/images/{quoted.pk}/original/?download=1")
    matte = alice_client.get(f"/images/{quoted.pk}/matte/")
    device_original = alice_client.get(f"/images/{device.pk}/original/?download=1")

    assert original["Content-Disposition"] == 'attachment; filename="CON__quoted__.jpg"'
    assert matte["Content-Disposition"] == 'attachment; filename="CON__quoted__-matte.png"'
    assert device_original["Content-Disposition"] == 'attachment; filename="_aux.jpg"'
