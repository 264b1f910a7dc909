"""offers.xml (and prices___ / rests___): price types, warehouses, prices and stock by 1C's Ид.

An offer names only what it changes: the prices and stock it carries are written, the
rest stay. A price that moved leaves a `PriceChange`, which notify's digest job turns
into the `prices.changed` event of each company that buys the product.
"""
from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.orm import Session

from core.bulk import insert_rows
from core.catalog.models import Price, PriceChange, PriceType, Product, Stock, Warehouse
from core.catalog.services import MAX_MONEY, MAX_STOCK
from core.clock import utcnow
from core.money import money
from onec.commerceml import Offer, PriceType as PriceTypeRecord, Skipped, Warehouse as WarehouseRecord
from onec.importer.common import Options, Tally

THOUSANDTH = Decimal("0.001")


def import_offers(session: Session, records: Iterable[Any], tally: Tally, options: Options) -> None:
    writer = _OfferWriter(session, tally)
    chunk: list[Offer] = []
    for record in records:
        if isinstance(record, Offer):
            chunk.append(record)
            if len(chunk) >= options.chunk:
                writer.write(chunk)
                chunk = []
        elif isinstance(record, PriceTypeRecord) and tally.takes_id(record.id):
            writer.price_type(record)
        elif isinstance(record, WarehouseRecord) and tally.takes_id(record.id):
            writer.warehouse(record)
        elif isinstance(record, Skipped):
            tally.skip(record.ref, record.reason_code, record.detail)
    if chunk:
        writer.write(chunk)
    session.flush()


class _OfferWriter:
    def __init__(self, session: Session, tally: Tally) -> None:
        self.session, self.tally = session, tally
        self.price_types = dict(session.execute(select(PriceType.onec_guid, PriceType.id)
                                                .where(PriceType.onec_guid.is_not(None))).all())
        self.warehouses = dict(session.execute(select(Warehouse.onec_guid, Warehouse.id)
                                               .where(Warehouse.onec_guid.is_not(None))).all())
        self._main_warehouse: int | None = None

    def price_type(self, record: PriceTypeRecord) -> None:
        # `code` is the portal's own short name; a 1C price type gets one from its Ид.
        self.price_types[record.id] = self._named_by_guid(
            PriceType, record.id, record.name, code=f"1c-{record.id[:17]}")

    def warehouse(self, record: WarehouseRecord) -> None:
        self.warehouses[record.id] = self._named_by_guid(Warehouse, record.id, record.name)

    def _named_by_guid(self, model: Any, guid: str, name: str | None, **new_fields: Any) -> int:
        """The row of this 1C Ид (made when new), its name as 1C says it; its id."""
        row = self.session.scalar(select(model).where(model.onec_guid == guid))
        name = (name or guid)[:100]
        if row is None:
            row = model(onec_guid=guid, name=name, **new_fields)
            self.session.add(row)
            self.tally.created += 1
        elif row.name != name:
            row.name = name
            self.tally.updated += 1
        else:
            self.tally.unchanged += 1
        self.session.flush()
        return row.id

    def write(self, offers: list[Offer]) -> None:
        products = self._products(offers)
        prices: dict[tuple[int, int], Decimal] = {}
        stock: dict[tuple[int, int], Decimal] = {}
        for offer in offers:
            product_id = products.get(offer.product_id)
            if offer.characteristic_id:
                self.tally.skip(offer.id, "characteristic", "an offer of a product characteristic (variant) is not imported")
            elif product_id is None:
                self.tally.skip(offer.id, "unknown_product", "no product with this Ид: its catalog was not imported")
            else:
                self._collect(offer, product_id, prices, stock)
        old_prices, moved_prices = self._write_prices(prices)
        old_stock, moved_stock = self._write_stock(stock)
        offered = {pid for pid, _ in prices} | {pid for pid, _ in stock}
        # An offer is new when its product had no price or stock of these keys before.
        had = {pid for pid, _ in old_prices} | {pid for pid, _ in old_stock}
        written = {pid for pid, _ in (prices.keys() - old_prices.keys()) | (stock.keys() - old_stock.keys())}
        changed = (written | {pid for pid, _ in moved_prices} | {pid for pid, _ in moved_stock}) & had
        self.tally.created += len(offered - had)
        self.tally.updated += len(changed)
        self.tally.unchanged += len(had - changed)

    def _products(self, offers: list[Offer]) -> dict[str, int]:
        guids = {o.product_id for o in offers}
        return dict(self.session.execute(select(Product.onec_guid, Product.id).where(Product.onec_guid.in_(guids))).all())

    def _collect(self, offer: Offer, product_id: int, prices: dict, stock: dict) -> None:
        for price in offer.prices:
            price_type_id = self.price_types.get(price.price_type_id)
            if price_type_id is None:
                self.tally.skip(offer.id, "missing_price_type", f"the price type {price.price_type_id} is not known")
            elif price.value > MAX_MONEY:
                self.tally.skip(offer.id, "price_too_large", f"the price {price.value} is more than the catalog holds")
            else:
                prices[(product_id, price_type_id)] = money(price.value)
        per_warehouse = [s for s in offer.stocks if s.warehouse_id is not None]
        for item in per_warehouse:
            warehouse_id = self.warehouses.get(item.warehouse_id)
            if warehouse_id is None:
                self.tally.skip(offer.id, "unknown_warehouse", f"the warehouse {item.warehouse_id} is not known")
            elif self._fits(offer, item.quantity):
                stock[(product_id, warehouse_id)] = item.quantity.quantize(THOUSANDTH, rounding=ROUND_HALF_UP)
        if not per_warehouse and offer.quantity is not None and self._fits(offer, offer.quantity):
            # The older form: one total and no warehouse; it is the main warehouse's.
            stock[(product_id, self._main())] = offer.quantity.quantize(THOUSANDTH, rounding=ROUND_HALF_UP)

    def _fits(self, offer: Offer, quantity: Decimal) -> bool:
        if quantity <= MAX_STOCK:
            return True
        self.tally.skip(offer.id, "stock_too_large", f"the stock {quantity} is more than the catalog holds")
        return False

    def _main(self) -> int:
        if self._main_warehouse is None:
            self._main_warehouse = self.session.scalar(select(Warehouse.id).order_by(Warehouse.id).limit(1))
            if self._main_warehouse is None:
                warehouse = Warehouse(name="Основний склад")
                self.session.add(warehouse)
                self.session.flush()
                self._main_warehouse = warehouse.id
        return self._main_warehouse

    def _write_prices(self, prices: dict[tuple[int, int], Decimal]) -> tuple[dict, dict]:
        """Returns the rows as they were and those that moved."""
        old = self._existing(Price, "price_type_id", "amount", prices)
        moved = {key: amount for key, amount in prices.items() if key in old and old[key] != amount}
        self._write(Price, "price_type_id", "amount", prices, old, moved)
        now = utcnow()
        insert_rows(self.session, PriceChange, [
            {"product_id": pid, "price_type_id": tid, "old_amount": old[(pid, tid)], "new_amount": amount,
             "changed_at": now, "digested_at": None}
            for (pid, tid), amount in moved.items()
        ])
        return old, moved

    def _write_stock(self, stock: dict[tuple[int, int], Decimal]) -> tuple[dict, dict]:
        old = self._existing(Stock, "warehouse_id", "quantity", stock)
        moved = {key: quantity for key, quantity in stock.items() if key in old and old[key] != quantity}
        self._write(Stock, "warehouse_id", "quantity", stock, old, moved)
        return old, moved

    def _existing(self, model: Any, key: str, value: str, wanted: dict[tuple[int, int], Decimal]) -> dict:
        if not wanted:
            return {}
        product_ids = {pid for pid, _ in wanted}
        rows = self.session.execute(select(model.product_id, getattr(model, key), getattr(model, value))
                                    .where(model.product_id.in_(product_ids)))
        return {(pid, k): v for pid, k, v in rows if (pid, k) in wanted}

    def _write(self, model: Any, key: str, value: str, wanted: dict, old: dict, moved: dict) -> None:
        insert_rows(self.session, model, [{"product_id": pid, key: k, value: v}
                                          for (pid, k), v in wanted.items() if (pid, k) not in old])
        if moved:
            table = model.__table__
            self.session.execute(
                update(table)
                .where(and_(table.c.product_id == bindparam("_pid"), table.c[key] == bindparam("_key")))
                .values({value: bindparam("_value")}),
                [{"_pid": pid, "_key": k, "_value": v} for (pid, k), v in moved.items()],
            )
