"""autofin.uploads: files are accepted by content (magic bytes), size-limited, stored privately
under random names and served only after the caller's permission check."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from autofin.uploads import UploadError, upload_open, upload_path, upload_response, upload_store

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 50
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 30
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 30


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    # Autouse: every test here stores or opens an upload; each keeps its files in its own folder.
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.mark.parametrize(
    ("data", "ctype", "ext"),
    [
        (PDF, "application/pdf", "pdf"),
        (JPEG, "image/jpeg", "jpg"),
        (PNG, "image/png", "png"),
        (WEBP, "image/webp", "webp"),
    ],
)
def test_accepted_types_are_stored_with_a_random_name(private_root, data, ctype, ext):
    upload = SimpleUploadedFile("我的执照.exe", data)  # the name is ignored
    path, sha, content_type, size = upload_store(file=upload, subdir="tests")
    assert (content_type, size, sha) == (ctype, len(data), hashlib.sha256(data).hexdigest())
    assert path.startswith("tests/") and path.endswith(f".{ext}")
    assert "我的执照" not in path
    assert (private_root / path).read_bytes() == data


def test_two_uploads_of_the_same_file_get_different_names():
    a = upload_store(file=io.BytesIO(PDF))
    b = upload_store(file=io.BytesIO(PDF))
    assert a.relative_path != b.relative_path and a.sha256 == b.sha256


@pytest.mark.parametrize(
    "data",
    [b"MZ\x90\x00 this is an exe", b"<html><script>alert(1)</script>", b"GIF89a....", b"", b"%PD"],
)
def test_other_content_is_refused_even_if_named_pdf(private_root, data):
    with pytest.raises(UploadError) as exc:
        upload_store(file=SimpleUploadedFile("licence.pdf", data, content_type="application/pdf"))
    assert exc.value.code == "bad_type"
    assert not private_root.exists() or not any(p.is_file() for p in private_root.rglob("*"))


def test_size_limit_default_and_configurable(private_root, settings):
    big = PDF + b"0" * 2000
    with pytest.raises(UploadError) as exc:
        upload_store(file=io.BytesIO(big), max_bytes=1000)
    assert exc.value.code == "too_large"
    # a stream with no declared size is cut off while copying, and the partial file removed
    assert not any(p.is_file() for p in private_root.rglob("*"))
    settings.UPLOAD_MAX_BYTES = 100
    with pytest.raises(UploadError):
        upload_store(file=SimpleUploadedFile("a.pdf", big))
    assert upload_store(file=io.BytesIO(big), max_bytes=5000).size == len(big)


def test_default_limit_is_ten_megabytes():
    from autofin.uploads import DEFAULT_MAX_BYTES

    assert DEFAULT_MAX_BYTES == 10 * 1024 * 1024
    with pytest.raises(UploadError):
        upload_store(file=SimpleUploadedFile("a.pdf", PDF + b"0" * DEFAULT_MAX_BYTES))


def test_response_serves_only_when_allowed_and_never_outside_the_root(private_root):
    stored = upload_store(file=io.BytesIO(PNG))
    response = upload_response(
        relative_path=stored.relative_path,
        content_type=stored.content_type,
        allowed=True,
        filename="执照.png",
    )
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG
    with pytest.raises(Http404):
        upload_response(relative_path=stored.relative_path, content_type="image/png", allowed=False)
    for evil in ("../../etc/passwd", "/etc/passwd", "tests/../../x"):
        with pytest.raises(Http404):
            upload_path(evil)
    with pytest.raises(Http404):
        upload_open("uploads/missing.pdf")
