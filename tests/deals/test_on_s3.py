"""Trade-in photos and finance documents with the S3 storage backend (a real S3 API server on loopback).

The route tests of the local disk, collected here again with ``s3_storage`` on (issue 12 item 12).
"""

import pytest

from tests.deals.test_finance_routes import test_uploads_are_checked_and_documents_served_to_staff  # noqa: F401
from tests.deals.test_trade_in_routes import test_customer_submits_with_photos_through_the_purchase_link  # noqa: F401

pytestmark = pytest.mark.usefixtures("s3_storage")
