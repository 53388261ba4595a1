import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import pricing  # noqa: E402


def test_subtotal():
    assert pricing.subtotal([(2, 3), (1.5, 2)]) == 9


def test_subtotal_rejects_negative():
    with pytest.raises(ValueError):
        pricing.subtotal([(1, -1)])


def test_discounts():
    assert pricing.discount(100, "TEN") == 90
    assert pricing.discount(100, "HALF") == 50
    assert pricing.discount(100, "NONE") == 100


def test_vip_above_threshold():
    assert pricing.discount(200, "VIP") == 140


def test_shipping_home():
    assert pricing.shipping(60, "home") == 0
    assert pricing.shipping(10, "home") == 4.9
    assert pricing.shipping(10, "eu") == 9.9


def test_shipping_abroad():
    assert pricing.shipping(10, "us") == 24.9
