"""Static file storages for deployments: hashed names from the manifest `collectstatic` writes.

Not strict: a file missing from the manifest (a deploy that skipped `collectstatic`, a file
added since) is served under its plain name instead of raising, which would turn every page,
the 404 and 500 pages included, into an error."""

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class CompressedManifestStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False


class ManifestStorage(ManifestStaticFilesStorage):
    manifest_strict = False
