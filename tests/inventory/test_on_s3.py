"""The stock import with photos, run with the S3 storage backend (a real S3 API server on loopback).

The same test functions as on the local disk (imported, so they are collected here again), with
``s3_storage`` switched on: the upload, its photos and the served photo go through the bucket, and
nothing lands on the web server's disk (issue 12 item 12).
"""

import pytest

from tests.inventory.test_import_uploads import test_commit_deletes_the_upload_after_saving_and_keeps_the_report  # noqa: F401
from tests.inventory.test_routes import test_import_upload_mapping_dry_run_commit_with_photos  # noqa: F401

pytestmark = pytest.mark.usefixtures("s3_storage")
