"""offers.xml items (also prices___ and rests___): price types, warehouses, offers with prices and stock."""
from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from decimal import Decimal
from xml.etree.ElementTree import Element

from onec.commerceml.records import Offer, Price, PriceType, Skipped, Stock, Warehouse
from onec.commerceml.values import Invalid, child_text, is_deleted, number, split_id

ONE = Decimal(1)


def price_type(elem: Element) -> PriceType | Skipped:
    type_id = child_text(elem, "Ид")
    name = child_text(elem, "Наименование")
    if type_id is None:
        return Skipped(name, "missing_id", "a price type without Ид")
    return PriceType(type_id, name, child_text(elem, "Валюта"))


def warehouse(elem: Element) -> Warehouse | Skipped:
    warehouse_id = child_text(elem, "Ид")
    name = child_text(elem, "Наименование")
    if warehouse_id is None:
        return Skipped(name, "missing_id", "a warehouse without Ид")
    return Warehouse(warehouse_id, name)


def offer(
    elem: Element, currencies: Collection[str], type_currencies: Mapping[str, str | None]
) -> Offer | Skipped:
    """`currencies`: the accepted set, upper case; `type_currencies`: the price types read so far."""
    full_id = child_text(elem, "Ид")
    if full_id is None:
        return Skipped(child_text(elem, "Артикул") or child_text(elem, "Наименование"), "missing_id",
                       "an offer without Ид")
    try:
        prices = tuple(_price(p, currencies, type_currencies) for p in elem.iterfind("Цены/Цена"))
        stocks = tuple(_stocks(elem))
    except Invalid as invalid:
        return Skipped(full_id, invalid.reason_code, invalid.detail)
    product_id, characteristic_id = split_id(full_id)
    return Offer(
        id=full_id,
        product_id=product_id,
        characteristic_id=characteristic_id,
        sku=child_text(elem, "Артикул"),
        name=child_text(elem, "Наименование"),
        prices=prices,
        stocks=stocks,
        deleted=is_deleted(elem),
    )


def normal_currency(raw: str) -> str:
    return raw.strip().rstrip(".").upper()


def _price(elem: Element, currencies: Collection[str], type_currencies: Mapping[str, str | None]) -> Price:
    type_id = child_text(elem, "ИдТипаЦены")
    if type_id is None:
        raise Invalid("missing_price_type", "a price without ИдТипаЦены")
    value = number(child_text(elem, "ЦенаЗаЕдиницу"), "the price")
    if value is None:
        raise Invalid("bad_number", f"the price of type {type_id} has no ЦенаЗаЕдиницу")
    if value < 0:
        raise Invalid("negative_price", f"the price of type {type_id} is below zero: {value}")
    # 1C leaves the currency out of a price when its price type names it
    currency = child_text(elem, "Валюта") or type_currencies.get(type_id)
    if currency is not None and normal_currency(currency) not in currencies:
        raise Invalid("currency_not_accepted", f"the price of type {type_id} is in {currency}")
    return Price(
        price_type_id=type_id,
        value=value,
        currency=currency,
        unit=child_text(elem, "Единица"),
        factor=number(child_text(elem, "Коэффициент"), "the price's factor", default=ONE) or ONE,
    )


def _stocks(elem: Element) -> Iterator[Stock]:
    """Every form in the wild: <Количество>; <Склад ИдСклада КоличествоНаСкладе/>; <Остатки><Остаток>..."""
    total = child_text(elem, "Количество")
    if total is not None:
        yield _stock(None, total)
    for store in elem.iterfind("Склад"):
        if store.get("ИдСклада") is not None:
            yield _stock(store.get("ИдСклада"), store.get("КоличествоНаСкладе") or "0")
    for rest in elem.iterfind("Остатки/Остаток"):
        store = rest.find("Склад")
        if store is not None:
            yield _stock(child_text(store, "Ид"), child_text(store, "Количество") or "0")
        elif child_text(rest, "Количество") is not None and total is None:
            yield _stock(None, child_text(rest, "Количество"))


def _stock(warehouse_id: str | None, raw: str | None) -> Stock:
    where = f"in warehouse {warehouse_id}" if warehouse_id else "in total"
    quantity = number(raw, f"the stock {where}")
    if quantity is None or quantity < 0:
        raise Invalid("negative_stock", f"the stock {where} is below zero: {raw}")
    return Stock(warehouse_id, quantity)
