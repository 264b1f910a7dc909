"""How numbers and dates look on a Ukrainian paper document."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.money import money

# A no-break space groups thousands, so a wrapping table cell never splits "12 345,60".
NBSP = "\u00a0"


def money_uk(value: Decimal) -> str:
    """Decimal("12345.6") -> "12 345,60"."""
    return f"{money(value):,.2f}".replace(",", NBSP).replace(".", ",")


def quantity_uk(value: Decimal) -> str:
    """Decimal("2.500") -> "2,5"; Decimal("10.000") -> "10"."""
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


def date_uk(value: date) -> str:
    return value.strftime("%d.%m.%Y")
