"""File names that are safe to hand out: in a ZIP entry and in a download's Content-Disposition.

Members name their own files, and those names come back in exports and
downloads that are unpacked and saved on Windows as often as anywhere. A name
Windows cannot create (`a:b.jpg`, `CON.png`, `photo.` …) fails the whole
unzip or saves under another name; a slash or a leading dot could reach
outside the folder. No Django here: plain string rules.
"""

import re
import unicodedata
from pathlib import PurePosixPath

# Windows refuses these in a name, and the slashes make folders anywhere.
FORBIDDEN = re.compile(r'[\\/:<>|?*"]')
# Device names Windows reserves, whatever the case and with any extension.
RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$)", re.IGNORECASE)
# Room for "-<preset>-<n>.<ext>" within the 255 characters a name may have.
MAX_STEM_LENGTH = 120
MAX_EXTENSION_LENGTH = 16
REPLACEMENT = "_"


def safe_stem(stem: str, *, fallback: str = "image") -> str:
    """`stem` with nothing a file system could refuse or read as a folder; never empty."""
    cleaned = FORBIDDEN.sub(REPLACEMENT, unicodedata.normalize("NFC", stem))
    # Control, format (bidi overrides that disguise an extension) and unpaired
    # surrogate characters: invisible, refused, or not even encodable.
    cleaned = "".join(
        REPLACEMENT if unicodedata.category(char) in ("Cc", "Cf", "Cs") else char
        for char in cleaned
    )
    # Leading dots hide a file (or make "..") and Windows drops trailing dots and spaces.
    cleaned = cleaned.lstrip(". ")[:MAX_STEM_LENGTH].rstrip(". ")
    if not cleaned:
        return fallback
    if RESERVED.fullmatch(cleaned.split(".")[0].rstrip(" ")):
        return REPLACEMENT + cleaned
    return cleaned


def safe_file_name(name: str, *, fallback: str = "image") -> str:
    """A whole file name made safe as safe_stem makes a stem; its extension kept if sane."""
    path = PurePosixPath(name.replace("\\", "/")).name
    stem, extension = PurePosixPath(path).stem, PurePosixPath(path).suffix
    extension = "".join(char for char in extension[1:] if char.isascii() and char.isalnum())
    extension = f".{extension[:MAX_EXTENSION_LENGTH]}" if extension else ""
    return safe_stem(stem, fallback=fallback) + extension
