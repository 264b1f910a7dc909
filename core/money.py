"""Money is Decimal, always two places, rounded half up as Ukrainian accounting does."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money must not be built from float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def vat_included(gross: Decimal, rate_percent: Decimal) -> Decimal:
    """The VAT part of a VAT-inclusive amount (Ukrainian prices are quoted with VAT)."""
    if not rate_percent:
        return ZERO
    return money(gross * rate_percent / (Decimal(100) + rate_percent))


def parse_decimal(text: str) -> Decimal | None:
    """Read a user-typed number: comma or dot decimal separator, spaces as grouping."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
