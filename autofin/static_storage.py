"""Static file storages for deployments: hashed names from the manifest `collectstatic` writes.

Forgiving: a file that cannot be hashed (a deploy that skipped `collectstatic`, a file added
since) is served under its plain name instead of raising, which would turn every page — the
404 and 500 pages included — into an error."""

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class _PlainNameFallback:
    manifest_strict = False

    def url(self, name, force=False):
        try:
            return super().url(name, force)
        except ValueError:
            return FileSystemStorage.url(self, name)


class CompressedManifestStorage(_PlainNameFallback, CompressedManifestStaticFilesStorage):
    pass


class ManifestStorage(_PlainNameFallback, ManifestStaticFilesStorage):
    pass
