"""A tiny pricing module: the example project the coverage gate checks."""


def subtotal(items):
    """Sum of price * quantity over (price, quantity) pairs."""
    total = 0
    for price, quantity in items:
        if quantity < 0:
            raise ValueError("quantity must not be negative")
        total += price * quantity
    return total


def discount(amount, code):
    """Apply a discount code to an amount."""
    if code == "TEN":
        return round(amount * 0.9, 2)
    if code == "HALF":
        return round(amount * 0.5, 2)
    if code == "VIP":
        # New in the feature branch: VIP customers get 30% off above 100.
        if amount > 100:
            return round(amount * 0.7, 2)
        return amount
    return amount


def shipping(amount, country):
    """Shipping cost: free above 50 at home, flat rates abroad."""
    if country == "home":
        return 0 if amount >= 50 else 4.9
    if country in ("eu", "ch"):
        return 9.9
    # New in the feature branch: the rest of the world.
    return 24.9
