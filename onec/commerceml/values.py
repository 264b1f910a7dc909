"""Reading the values inside one item: text, numbers with 1C's decimal comma, ids, VAT."""
from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from xml.etree.ElementTree import Element

from core.money import parse_decimal

# 1C writes a deleted item either way, depending on the configuration and schema
DELETED_STATUSES = frozenset({"удален", "удалён", "видалено", "видалений"})
_RATE = re.compile(r"\d+(?:[.,]\d+)?")


class Invalid(Exception):
    """An item fails a check: it becomes a Skipped record with this reason."""

    def __init__(self, reason_code: str, detail: str) -> None:
        super().__init__(detail)
        self.reason_code = reason_code
        self.detail = detail


def text(elem: Element | None) -> str | None:
    if elem is None or elem.text is None:
        return None
    value = elem.text.strip()
    return value or None


def child_text(elem: Element, tag: str) -> str | None:
    return text(elem.find(tag))


def texts(elem: Element, path: str) -> tuple[str, ...]:
    return tuple(value for value in (text(found) for found in elem.iterfind(path)) if value)


def pairs(elem: Element, path: str, key: str, value: str) -> Iterator[tuple[str, str]]:
    """Name/value lists (ЗначенияСвойств, ЗначенияРеквизитов); a property with several values gives several pairs."""
    for entry in elem.iterfind(path):
        name = child_text(entry, key)
        if name is None:
            continue
        values = texts(entry, value) or ("",)
        for one in values:
            yield name, one


def number(raw: str | None, what: str, *, default: Decimal | None = None) -> Decimal | None:
    if raw is None:
        return default
    value = parse_decimal(raw)
    if value is None:
        raise Invalid("bad_number", f"{what} is not a number: {raw!r}")
    return value


def split_id(full_id: str) -> tuple[str, str | None]:
    """"product#characteristic" -> both parts; a plain Ид is the product's own."""
    product_id, _, characteristic_id = full_id.partition("#")
    return product_id, characteristic_id or None


def is_deleted(elem: Element) -> bool:
    status = elem.get("Статус") or child_text(elem, "Статус") or ""
    mark = (child_text(elem, "ПометкаУдаления") or "").lower()
    return status.lower() in DELETED_STATUSES or mark == "true"


def vat_rate(raw: str | None) -> Decimal | None:
    """"20", "20%", "НДС 20%" -> 20; "Без НДС" / "Без ПДВ" -> 0; anything else is not told."""
    if raw is None:
        return None
    if raw.lower().startswith("без"):
        return Decimal(0)
    found = _RATE.search(raw)
    return Decimal(found.group().replace(",", ".")) if found else None
