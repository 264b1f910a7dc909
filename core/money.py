"""Money is Decimal, always two places, rounded half up as Ukrainian accounting does; typed quantities are read here too."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import get_locale, gettext

from core.errors import DomainError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money must not be built from float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def in_whole_cents(amount: Decimal) -> bool:
    """Money from outside (a bank statement, an acquirer's notice) with a fraction of a kopeck
    is refused, never rounded: no bank sends one, so it is a misread number or a bug."""
    return amount == amount.quantize(CENT)


def vat_included(gross: Decimal, rate_percent: Decimal) -> Decimal:
    """The VAT part of a VAT-inclusive amount (Ukrainian prices are quoted with VAT)."""
    if not rate_percent:
        return ZERO
    return money(gross * rate_percent / (Decimal(100) + rate_percent))


# A no-break space groups thousands and joins the currency, so a narrow table cell or a
# wrapped line never splits "12 345,60 грн".
NBSP = "\u00a0"


def format_money(value: Decimal | int | str | None, language: str | None = None, *,
                 currency: bool = True, space: str = NBSP) -> str:
    """The one way money is written: Decimal("1234.5") -> "1 234,50 грн" in Ukrainian,
    "UAH 1,234.50" in English; `currency=False` gives the bare number a paper document's
    column wants. `language` defaults to the reader's (Ukrainian outside a request).
    Text messages pass space=" ": a no-break space is outside the GSM alphabet and would
    halve how much an English SMS holds."""
    if value is None:
        return "—"
    language = language or _current_language()
    grouped = f"{money(value):,.2f}"
    if language == "en":
        return f"UAH{space}{grouped}" if currency else grouped
    number = grouped.replace(",", space).replace(".", ",")
    return f"{number}{space}грн" if currency else number


def format_rate(value: Decimal, language: str | None = None) -> str:
    """A percent's number as the reader writes it: 2.50 → "2,5" in Ukrainian, "2.5" in English; 5.00 → "5"."""
    text = format(value.normalize(), "f")
    return text.replace(".", ",") if (language or _current_language()) == "uk" else text


def format_quantity(value: Decimal | None) -> str:
    """Decimal("2.500") -> "2,5"; Decimal("10.000") -> "10": no trailing zeros of the unit's grams."""
    if value is None:
        return ""
    return format(value.normalize(), "f").replace(".", ",")


def _current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "uk"


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


# What a person types as a quantity: digits with a comma or a dot, spaces (also the
# no-break kinds a spreadsheet copies) between thousands. No sign, no exponent, no NaN:
# "1e9" or "-1" in a quantity field is a typo, never an order.
_GROUPING = re.compile(r"[ \u00a0\u202f]+")
_PLAIN_QUANTITY = re.compile(r"\d+(?:[.,]\d+)?|[.,]\d+")
MAX_QUANTITY = Decimal("100000")
QUANTITY_PLACES = 3  # Numeric(12, 3): grams of a kilogram


def read_quantity(text: str, *, allow_zero: bool = False) -> Decimal:
    """The one reader of typed quantities (catalog, cart, quick order, Excel, staff order entry).

    "0,5", "0.5", " 0,5 " and "1 000" are read; anything else raises DomainError with the reason.
    Zero is allowed only where it means "remove" (the cart).
    """
    cleaned = _GROUPING.sub("", text.strip())
    if not _PLAIN_QUANTITY.fullmatch(cleaned):
        raise DomainError(gettext("Вкажіть кількість числом, наприклад 2 або 0,5."), field="quantity")
    value = Decimal(cleaned.replace(",", "."))
    if value == 0 and not allow_zero:
        raise DomainError(gettext("Кількість має бути більшою за нуль."), field="quantity")
    if value > MAX_QUANTITY:
        raise DomainError(gettext("Кількість завелика: не більше 100 000."), field="quantity")
    if value != value.quantize(Decimal(1).scaleb(-QUANTITY_PLACES)):
        raise DomainError(gettext("Кількість — не більше трьох знаків після коми."), field="quantity")
    return value
