"""Forgery and reuse signals of an image: its perceptual hash (near-duplicates across
applications: the same photo re-encoded, scaled or cropped a little keeps a hash a few bits
away, where its sha256 changes completely) and the traces editing software leaves in EXIF."""

from __future__ import annotations

import imagehash
from PIL import Image

# EXIF 0x0131 Software, 0x013B Artist / 0x0132 DateTime are read; software names that edit
EDITING_SOFTWARE = (
    "photoshop",
    "gimp",
    "lightroom",
    "snapseed",
    "picsart",
    "美图",
    "meitu",
    "canva",
    "pixelmator",
    "affinity",
    "paint.net",
    "illustrator",
)
EXIF_SOFTWARE = 0x0131


MIN_CONTRAST = 16  # grey levels: a blank or single-colour image has no picture to compare


def perceptual_hash(image: Image.Image) -> str:
    """64-bit DCT hash as 16 hex digits (imagehash.phash); '' for an image with no picture
    (every blank page would otherwise look like every other)."""
    grey = image.convert("L")
    low, high = grey.getextrema()
    if high - low < MIN_CONTRAST:
        return ""
    return str(imagehash.phash(grey))


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def editing_software(image: Image.Image) -> str:
    """The EXIF Software tag when it names an image editor ('' otherwise)."""
    software = str(image.getexif().get(EXIF_SOFTWARE) or "").strip()
    lowered = software.lower()
    return software[:60] if any(name in lowered for name in EDITING_SOFTWARE) else ""
