"""The customer's offer page and PDF with the car's photo read from S3 (a real S3 API server on loopback)."""

import pytest

from tests.test_customer_offer_page import (  # noqa: F401
    stock_offer,
    test_the_car_is_named_cleanly_with_its_photo_and_mileage,
    test_the_pdf_prints_the_photo_and_the_clean_name,
)

pytestmark = pytest.mark.usefixtures("s3_storage")
