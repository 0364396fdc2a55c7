"""What an uploaded file is and how it is stored: its type from its bytes, a safe file name,
and raster images re-encoded without their metadata, with a thumbnail.

The type comes from the content, never from the name or the browser's ``Content-Type``:
``puremagic`` reads the file's signature (pure Python, so no system library is needed), and
text without a signature is told apart here. A name that contradicts the content gets the
extension of what the file really is, so ``photo.txt`` holding a PNG becomes ``photo.png`` and
``cat.png`` holding HTML becomes ``cat.html`` (and is only ever served as a download).
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Final

import puremagic
from PIL import Image, ImageOps

from app.exceptions import ValidationError
from app.models import INLINE_IMAGE_TYPES

#: Larger images are refused rather than decoded (a small file can unpack to gigabytes).
MAX_PIXELS: Final = 50_000_000
#: The longest side of a thumbnail, in pixels.
THUMBNAIL_SIZE: Final = 480
#: Thumbnails are WebP: small, with transparency, shown by every current browser.
THUMBNAIL_TYPE: Final = "image/webp"

#: The extension a file of each type gets, and the other extensions accepted for it.
EXTENSIONS: Final[dict[str, tuple[str, ...]]] = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jfif", ".jpe"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "image/svg+xml": (".svg",),
    "text/html": (".html", ".htm"),
    "application/pdf": (".pdf",),
}
_PILLOW_FORMATS: Final = {
    "image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP",
}  # fmt: skip
_MARKUP_SNIFF: Final = re.compile(
    rb"<\s*(!doctype\s+html|html|head|body|script|iframe|svg)\b", re.I
)


@dataclass(frozen=True)
class Prepared:
    """An upload ready to store: the bytes to keep (re-encoded for images), what they are."""

    data: bytes
    content_type: str
    filename: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None


def prepare(data: bytes, filename: str) -> Prepared:
    """Detect what ``data`` is, name it safely and, for a raster image, re-encode it (metadata
    such as EXIF and GPS dropped, its EXIF orientation applied) and make its thumbnail.

    :raises ValidationError: the file is empty, or claims to be an image that cannot be read.
    """
    if not data:
        raise ValidationError("The file is empty.", {"file": "The file is empty."})
    name = safe_filename(filename)
    content_type = detect_type(data, name)
    name = _with_extension(name, content_type)
    if content_type not in INLINE_IMAGE_TYPES:
        return Prepared(data=data, content_type=content_type, filename=name)
    return _reencode(data, content_type, name)


def detect_type(data: bytes, filename: str = "") -> str:
    """The MIME type of ``data`` from its content (``filename`` only breaks ties between
    formats that share a signature, such as the zip-based office formats)."""
    head = data[:4096]
    try:
        matches = puremagic.magic_string(data, filename or None)
    except Exception:  # noqa: BLE001 - no signature (PureError) or one it chokes on: unknown
        matches = []
    found = next((m.mime_type for m in matches if m.mime_type), None)
    if found in ("text/html", "image/svg+xml", "application/xml", "text/xml", None):
        # Markup is told apart here: what a browser would run decides, not the signature.
        sniffed = _MARKUP_SNIFF.search(head)
        if sniffed is not None:
            return "image/svg+xml" if sniffed.group(1).lower() == b"svg" else "text/html"
    if found:
        return str(found)
    return "text/plain" if _is_text(data) else "application/octet-stream"


def safe_filename(filename: str) -> str:
    """A file name without folders, control characters or quotes, at most 120 characters."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in '"<>|*?:')
    name = " ".join(name.split()).strip(". ")
    if len(name) > 120:
        stem, dot, suffix = name.rpartition(".")
        name = f"{stem[: 119 - len(suffix)]}.{suffix}" if dot and len(suffix) <= 10 else name[:120]
    return name or "file"


def _with_extension(name: str, content_type: str) -> str:
    accepted = EXTENSIONS.get(content_type)
    if not accepted:
        return name
    path = PurePosixPath(name)
    if path.suffix.lower() in accepted:
        return name
    return f"{path.stem if path.suffix else name}{accepted[0]}"


def _is_text(data: bytes) -> bool:
    if b"\x00" in data[:8192]:
        return False
    try:
        data[:8192].decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the end is still text
        return exc.start >= 8188
    return True


def _reencode(data: bytes, content_type: str, name: str) -> Prepared:
    unreadable = ValidationError(
        "This file looks like an image but cannot be read.",
        {"file": "This file looks like an image but cannot be read; export it again."},
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ValidationError(
                        "The image is too large.",
                        {"file": f"Images can have at most {MAX_PIXELS // 1_000_000} megapixels."},
                    )
                animated = bool(getattr(image, "is_animated", False))
                clean = _without_metadata(image, content_type, animated)
                thumbnail = _thumbnail(image)
                width, height = image.size if animated else ImageOps.exif_transpose(image).size
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - a damaged or hostile file fails in many ways inside Pillow
        raise unreadable from None
    return Prepared(
        data=clean, content_type=content_type, filename=name, width=width, height=height,
        thumbnail=thumbnail,
    )  # fmt: skip


def _without_metadata(image: Image.Image, content_type: str, animated: bool) -> bytes:
    """The image saved again from its pixels alone: no EXIF (camera, GPS), no text chunks, no
    XMP; the orientation EXIF asked for is applied to the pixels instead."""
    out = io.BytesIO()
    fmt = _PILLOW_FORMATS[content_type]
    if animated:
        frames = [frame.copy() for frame in _frames(image)]
        durations = [frame.info.get("duration", 100) for frame in frames]
        frames[0].save(
            out, fmt, save_all=True, append_images=frames[1:], duration=durations,
            loop=image.info.get("loop", 0),
        )  # fmt: skip
        return out.getvalue()
    upright = ImageOps.exif_transpose(image)
    pixels = Image.new(upright.mode, upright.size)
    pixels.paste(upright)  # a fresh image: nothing of the original's info dict comes along
    if upright.mode == "P" and upright.getpalette() is not None:
        pixels.putpalette(upright.getpalette() or [])
        if "transparency" in upright.info:
            pixels.info["transparency"] = upright.info["transparency"]
    options: dict[str, object] = {}
    if fmt == "JPEG":
        if pixels.mode not in ("RGB", "L", "CMYK"):
            pixels = pixels.convert("RGB")
        options = {"quality": 90, "optimize": True}
    elif fmt == "WEBP":
        options = {"quality": 90}
    elif fmt == "GIF" and "transparency" in pixels.info:
        options = {"transparency": pixels.info["transparency"]}
    pixels.save(out, fmt, **options)
    return out.getvalue()


def _frames(image: Image.Image) -> list[Image.Image]:
    frames = []
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        frames.append(image.convert("RGBA"))
    image.seek(0)
    return frames


def _thumbnail(image: Image.Image) -> bytes:
    if getattr(image, "is_animated", False):
        image.seek(0)
    small = ImageOps.exif_transpose(image).convert("RGBA")
    small.info = {}
    small.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    out = io.BytesIO()
    small.save(out, "WEBP", quality=80)
    return out.getvalue()
