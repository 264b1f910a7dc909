"""How dates look on a Ukrainian paper document (money and quantities: core.money)."""
from __future__ import annotations

from datetime import date


def date_uk(value: date) -> str:
    return value.strftime("%d.%m.%Y")
