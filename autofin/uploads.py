"""Uploaded files (licences, application documents): checked by content, stored privately.

`upload_store()` accepts a file only if its first bytes say it is a PDF, JPEG, PNG or WebP
(whatever its name claims), and only up to a size limit; it stores it under
settings.PRIVATE_MEDIA_ROOT with a random name and returns what the caller keeps in its own
model: relative path, SHA-256, content type, size. `upload_response()` serves a stored file; the
calling view decides first whether the user may see it (pass `allowed=`), so a refusal looks the
same as a missing file (404).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
CHUNK = 64 * 1024

# content type → file extension used for the stored name
EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
}
DEFAULT_ALLOWED = frozenset(EXTENSIONS)


class UploadError(ValidationError):
    pass


@dataclass(frozen=True)
class StoredUpload:
    relative_path: str
    sha256: str
    content_type: str
    size: int

    def __iter__(self):  # lets callers unpack: path, sha, ctype, size = upload_store(...)
        return iter((self.relative_path, self.sha256, self.content_type, self.size))


def sniff_content_type(head: bytes) -> str | None:
    """The content type the magic bytes announce, or None for anything we do not accept."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _root() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT)


def upload_store(
    *,
    file,
    subdir: str = "uploads",
    max_bytes: int | None = None,
    allowed: frozenset[str] | set[str] = DEFAULT_ALLOWED,
) -> StoredUpload:
    """Validate and store one uploaded file (a Django UploadedFile or any binary file object)."""
    limit = max_bytes if max_bytes is not None else settings.UPLOAD_MAX_BYTES
    declared = getattr(file, "size", None)
    if declared is not None and declared > limit:
        raise UploadError(
            _("文件过大：不能超过 %(mb)s MB。") % {"mb": _mb(limit)}, code="too_large"
        )
    if hasattr(file, "seek"):
        file.seek(0)
    head = file.read(16)
    content_type = sniff_content_type(head)
    if content_type is None or content_type not in allowed:
        raise UploadError(
            _("文件格式不支持：只接受 PDF、JPEG、PNG 或 WebP 文件。"), code="bad_type"
        )
    if any(part in ("", ".", "..") for part in subdir.split("/")):
        raise ValueError(f"bad subdir {subdir!r}")
    today = timezone.localdate()
    relative = f"{subdir}/{today:%Y/%m}/{uuid.uuid4().hex}.{EXTENSIONS[content_type]}"
    target = _root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    try:
        with open(target, "xb") as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > limit:
                    raise UploadError(
                        _("文件过大：不能超过 %(mb)s MB。") % {"mb": _mb(limit)}, code="too_large"
                    )
                digest.update(chunk)
                out.write(chunk)
                chunk = file.read(CHUNK)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return StoredUpload(relative, digest.hexdigest(), content_type, size)


def _mb(limit: int) -> str:
    return f"{limit / (1024 * 1024):g}"


def upload_path(relative_path: str) -> Path:
    """The absolute path of a stored file; refuses anything outside PRIVATE_MEDIA_ROOT."""
    root = _root().resolve()
    path = (root / relative_path).resolve()
    if root not in path.parents:
        raise Http404("no such file")
    return path


def upload_open(relative_path: str):
    path = upload_path(relative_path)
    if not path.is_file():
        raise Http404("no such file")
    return open(path, "rb")  # noqa: SIM115 - FileResponse closes it


def upload_delete(relative_path: str) -> None:
    upload_path(relative_path).unlink(missing_ok=True)


def upload_response(
    *,
    relative_path: str,
    content_type: str,
    allowed: bool,
    filename: str | None = None,
    as_attachment: bool = False,
) -> FileResponse:
    """Serve a stored file after the caller's permission check (`allowed`); refusal is a 404."""
    if not allowed:
        raise Http404("no such file")
    response = FileResponse(
        upload_open(relative_path),
        content_type=content_type,
        as_attachment=as_attachment,
        filename=filename or Path(relative_path).name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
