"""Banners and catalog hero images with the S3 storage backend (a real S3 API server on loopback).

The route tests of the local disk, collected here again with ``s3_storage`` on (issue 12 item 12).
"""

import pytest

from tests.corporate.test_catalog import test_hero_image_upload_rejects_bad_files  # noqa: F401
from tests.corporate.test_promotions import test_banner_upload_and_dealer_dashboard  # noqa: F401

pytestmark = pytest.mark.usefixtures("s3_storage")
