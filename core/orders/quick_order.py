"""Quick order: "SKU quantity" lines pasted as text or read from an Excel order form.

Nothing is added anywhere here: the result lists the good lines (snapped to packs)
and every bad line with its row number and reason, for the customer to confirm.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.catalog.models import Price, Product
from core.catalog.services import snap_to_pack
from core.errors import DomainError
from core.money import read_quantity
from core.spreadsheets import XlsxLimits, iter_rows, open_first_sheet
from core.textkeys import sku_key

MAX_ROWS = 2000
HEADER_SEARCH_ROWS = 30
SKU_HEADERS = ("артикул", "sku", "код", "кодтовару", "артикултовару", "article", "код тмц", "кодтмц", "код товара")
QUANTITY_HEADERS = ("кількість", "к-сть", "кіл-ть", "количество", "кол-во", "qty", "quantity", "кількістьшт")


@dataclass(frozen=True)
class GoodLine:
    row: int
    product_id: int
    sku: str
    name: str
    unit: str
    requested: Decimal
    quantity: Decimal  # snapped to whole packs
    price: Decimal

    @property
    def snapped(self) -> bool:
        return self.quantity != self.requested


@dataclass(frozen=True)
class BadLine:
    row: int
    text: str
    reason: str


@dataclass(frozen=True)
class QuickOrderResult:
    good: list[GoodLine]
    bad: list[BadLine]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def check_rows(session: Session, price_type_id: int, rows: list[tuple[int, str, str]]) -> QuickOrderResult:
    """Check (row number, SKU, quantity text) triples against the catalog with one query.

    A SKU is found whatever its case, spaces and hyphens ("cf 10905" is CF-10905).
    """
    if len(rows) > MAX_ROWS:
        raise DomainError(gettext("Забагато рядків: максимум %(n)s.", n=MAX_ROWS))
    keys = {sku_key(sku) for _, sku, _ in rows if sku}
    by_key: dict[str, list[Any]] = {}
    if keys:
        for r in session.execute(
            select(Product.id, Product.sku, Product.sku_key, Product.name, Product.unit, Product.pack_multiple,
                   Product.is_active, Price.amount)
            .outerjoin(Price, (Price.product_id == Product.id) & (Price.price_type_id == price_type_id))
            .where(Product.sku_key.in_(keys))
        ):
            by_key.setdefault(r.sku_key, []).append(r)
    good: list[GoodLine] = []
    bad: list[BadLine] = []
    for row, sku, quantity_text in rows:
        text = f"{sku} {quantity_text}".strip()
        if not sku:
            bad.append(BadLine(row, text, gettext("Не вказано артикул.")))
            continue
        candidates = by_key.get(sku_key(sku), [])
        # Products saved before SKU keys were unique may share one: only the exact SKU decides then.
        product = candidates[0] if len(candidates) == 1 else next((c for c in candidates if c.sku == sku), None)
        if product is None:
            bad.append(BadLine(row, text, gettext("Артикул %(sku)s не знайдено.", sku=sku)))
            continue
        if not product.is_active:
            bad.append(BadLine(row, text, gettext("Товар %(sku)s більше не продається.", sku=product.sku)))
            continue
        if product.amount is None:
            bad.append(BadLine(row, text, gettext("Для товару %(sku)s немає вашої ціни.", sku=product.sku)))
            continue
        try:
            requested = read_quantity(quantity_text)
            quantity = snap_to_pack(requested, product.pack_multiple)
        except DomainError as exc:
            bad.append(BadLine(row, text, f"{gettext('Невірна кількість «%(q)s».', q=quantity_text)} {exc.message}"))
            continue
        good.append(GoodLine(row, product.id, product.sku, product.name, product.unit, requested, quantity, product.amount))
    return QuickOrderResult(good, bad)


# A unit written after the quantity ("3 шт", "0,5кг") says nothing the product does not.
_UNIT_AFTER_NUMBER = re.compile(
    r"(\d)\s*(?:шт|штук[аи]?|кг|г|гр|л|уп|упак\w*|пач\w*|ящ\w*|pcs|pc|kg)\.?$", re.IGNORECASE
)
# SKU, then a separator, then the quantity: "CF-1 3", "CF-1, 3", "CF-1;3", "CF-1<tab>3"
# (pasted from Excel), "cf-1 x 3". The SKU may hold spaces ("cf 1 3"); "1 000" is one quantity.
_LINE = re.compile(
    r"(?P<sku>.+?)(?:\s*[;\t]\s*|\s*,\s*|\s+[xх×*]\s*|\s*[×*]\s*|\s+)"
    r"(?P<quantity>\d{1,3}(?:[ \u00a0]\d{3})+(?:[.,]\d+)?|\S+)"
)


def split_line(line: str) -> tuple[str, str]:
    """A pasted line as (SKU, quantity text); a line of one word is a SKU without a quantity."""
    line = _UNIT_AFTER_NUMBER.sub(r"\1", line.strip())
    found = _LINE.fullmatch(line)
    if found is None:
        return line, ""
    return found["sku"].strip(), found["quantity"]


def parse_text(session: Session, price_type_id: int, text: str) -> QuickOrderResult:
    """Each non-empty line: SKU, then the quantity."""
    rows = [(number, *split_line(line)) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not rows:
        raise DomainError(gettext("Вставте хоча б один рядок «артикул кількість»."))
    return check_rows(session, price_type_id, rows)


def _normalized(header: Any) -> str:
    return re.sub(r"[\s.:*]+", "", _cell_text(header).casefold())


def _find_columns(values: tuple[Any, ...]) -> tuple[int, int] | None:
    sku_col = qty_col = None
    for index, value in enumerate(values):
        name = _normalized(value)
        if not name:
            continue
        if sku_col is None and any(name == _normalized(h) for h in SKU_HEADERS):
            sku_col = index
        elif qty_col is None and any(name.startswith(_normalized(h)) for h in QUANTITY_HEADERS):
            qty_col = index
    return (sku_col, qty_col) if sku_col is not None and qty_col is not None else None


def parse_xlsx(session: Session, price_type_id: int, stream: IO[bytes], limits: XlsxLimits) -> QuickOrderResult:
    """Find the SKU and quantity columns by their headers, wherever they stand."""
    columns = None
    rows: list[tuple[int, str, str]] = []
    with open_first_sheet(stream, limits) as sheet:
        for number, values in iter_rows(sheet, limits):
            if columns is None:
                columns = _find_columns(values)
                if columns is None and number >= HEADER_SEARCH_ROWS:
                    break
                continue
            sku_col, qty_col = columns
            sku = _cell_text(values[sku_col]) if sku_col < len(values) else ""
            quantity = _cell_text(values[qty_col]) if qty_col < len(values) else ""
            if not sku and not quantity:
                continue
            rows.append((number, sku, quantity))
            if len(rows) > MAX_ROWS:
                break
    if columns is None:
        raise DomainError(
            gettext("У файлі не знайдено колонок «Артикул» і «Кількість». Додайте заголовки в першому рядку таблиці.")
        )
    if not rows:
        raise DomainError(gettext("У файлі немає рядків з товарами."))
    return check_rows(session, price_type_id, rows)
