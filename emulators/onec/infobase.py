"""What the emulated 1C keeps: its books (catalog, prices, stock, customers, debts,
documents), what the portal posted, and the failures a test asked for.

Every change stamps the object with the next number of one counter, so GetChanges can
answer "everything after version N" for any entity; the counter starts from the clock,
so a restarted emulator is seen as newer than any cursor the portal kept. One lock
around plain dicts, held for a few operations per request.
"""
from __future__ import annotations

import copy
import itertools
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from emulators.onec.protocol import Fault
from emulators.onec.records import (
    Balance,
    Changes,
    Company,
    Document,
    DocumentAllocation,
    DocumentLine,
    DocumentRef,
    Group,
    OrderState,
    OrderStates,
    Price,
    PriceType,
    Product,
    ReceivedContract,
    ReceivedOrder,
    Stock,
    Warehouse,
)
from emulators.onec.seed import new_company, seed
from emulators.failures import FailureSwitch

ENTITIES = ("catalog", "prices", "stock", "companies", "balances", "documents")
BOOKS = ("groups", "price_types", "warehouses", "products", "prices", "stock", "companies")
ORDER_STATUSES = ("accepted", "confirmed", "assembling", "shipped", "closed", "cancelled")
CONTRACT_STATUSES = ("draft", "sent", "signed", "rejected", "terminated")
# An order 1C has shipped can no longer be cancelled from the portal.
SHIPPED = frozenset({"shipped", "closed"})
FAILURE_MODES = ("server_error", "fault", "delay")
# The list each object goes into in a Changes answer.
CHANGES_FIELD = {
    "Group": "group", "Product": "product", "PriceType": "price_type", "Price": "price", "Stock": "stock",
    "Company": "company", "Balance": "balance", "Document": "document",
}


@dataclass
class Failure:
    mode: str
    count: int
    seconds: float = 5.0
    code: str = "BUSY"


class ControlError(ValueError):
    """A change asked for on the emulator's page that 1C would not make."""


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Infobase:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.failures: FailureSwitch[Failure] = FailureSwitch()
        self._versions = itertools.count(int(time.time() * 1000))
        self.reset()

    def reset(self) -> None:
        """The seeded books again, nothing received, no armed failure (versions keep counting)."""
        books = seed()
        with self._lock:
            self.groups = {group.id: group for group in books.groups}
            self.products = {product.id: product for product in books.products}
            self.price_types = {price_type.id: price_type for price_type in books.price_types}
            self.prices = {(price.price_type_id, price.product_id): price for price in books.prices}
            self.warehouses = {warehouse.id: warehouse for warehouse in books.warehouses}
            self.stock = {(stock.warehouse_id, stock.product_id): stock for stock in books.stock}
            self.companies = {company.id: company for company in books.companies}
            self.balances = {balance.company_id: balance for balance in books.balances}
            self.documents: dict[str, Document] = {}
            self.orders: dict[str, ReceivedOrder] = {}
            self.payments: dict[str, Document] = {}
            self.contracts: dict[str, ReceivedContract] = {}
            self._numbers: dict[str, itertools.count[int]] = {}
            self.failures.arm(None)
            for item in itertools.chain(*(self._entity(entity) for entity in ENTITIES)):
                item.version = next(self._versions)

    # What the portal reads --------------------------------------------------------------

    def changes(self, entity: str, since: int, limit: int) -> Changes:
        with self._lock:
            newer = sorted((item for item in self._entity(entity) if item.version > since), key=lambda i: i.version)
            page = copy.deepcopy(newer[:limit])
        answer = Changes(entity=entity, version=page[-1].version if page else since, more=len(newer) > limit)
        for item in page:
            getattr(answer, CHANGES_FIELD[type(item).__name__]).append(item)
        return answer

    def order_states(self, portal_ids: Sequence[str], since: int, limit: int) -> OrderStates:
        """The orders named (since is then ignored), or else every order changed after `since`."""
        with self._lock:
            if portal_ids:
                # An id 1C never received is left out: that is the answer to "did it arrive?".
                states = [self.orders[pid].state for pid in dict.fromkeys(portal_ids) if pid in self.orders]
                since = 0
            else:
                states = [order.state for order in self.orders.values() if order.state.version > since]
            newer = sorted(states, key=lambda state: state.version)
            page = copy.deepcopy(newer[:limit])
        version = page[-1].version if page else since
        return OrderStates(version=version, more=len(newer) > limit, order=page)

    # What the portal posts --------------------------------------------------------------

    def post_order(
        self, *, portal_id: str, number: str, when: datetime, company_id: str | None, company_tax_id: str,
        amount: Decimal, lines: list[DocumentLine], comment: str | None,
    ) -> DocumentRef:
        with self._lock:
            if portal_id in self.orders:
                return self._order_ref(self.orders[portal_id], created=False)
            company = self._company(company_id, company_tax_id)
            unknown = [line.product_id for line in lines if line.product_id not in self.products]
            if unknown:
                raise Fault("UNKNOWN_PRODUCT", f"Номенклатуру не знайдено: {', '.join(unknown[:5])}")
            state = OrderState(
                portal_id=portal_id, id=str(uuid.uuid4()), number=self._number("ЗМ"), status="accepted",
                shipped_amount=Decimal("0.00"), changed_at=_now(),
            )
            self._stamp(state)
            order = ReceivedOrder(
                state=state, date=when, company_id=company.id, amount=amount, lines=lines,
                comment=f"{number}: {comment}" if comment else number,
            )
            self.orders[portal_id] = order
            return self._order_ref(order, created=True)

    def post_payment(
        self, *, portal_id: str, source: str, when: datetime, amount: Decimal, company_id: str | None,
        payer_tax_id: str, purpose: str | None, allocations: list[DocumentAllocation],
    ) -> DocumentRef:
        with self._lock:
            if portal_id in self.payments:
                return self._document_ref(self.payments[portal_id], created=False)
            company = self._company(company_id, payer_tax_id)
            unknown = [a.order_portal_id for a in allocations if a.order_portal_id and a.order_portal_id not in self.orders]
            if unknown:
                raise Fault("UNKNOWN_ORDER", f"Замовлення з порталу не надходили: {', '.join(unknown[:5])}")
            document = self._payment(
                company, amount, source, purpose, portal_id=portal_id, allocations=allocations, when=when,
            )
            self.payments[portal_id] = document
            return self._document_ref(document, created=True)

    def cancel_order(self, *, portal_id: str, reason: str | None) -> DocumentRef:
        with self._lock:
            order = self.orders.get(portal_id)
            if order is None:
                raise Fault("UNKNOWN_ORDER", f"Замовлення {portal_id} з порталу не надходило")
            if order.state.status == "cancelled":
                return self._order_ref(order, created=False)
            if order.state.status in SHIPPED:
                raise Fault("STATE_CONFLICT", f"Замовлення {order.state.number} вже відвантажено, скасувати не можна")
            order.cancel_reason = reason
            self._set_status(order, "cancelled")
            return self._order_ref(order, created=True)

    def post_contract(
        self, *, portal_id: str, number: str, company_id: str | None, company_tax_id: str, status: str,
        signed_date: date | None, when: datetime,
    ) -> DocumentRef:
        with self._lock:
            contract = self.contracts.get(portal_id)
            if contract is None:
                company = self._company(company_id, company_tax_id)
                contract = ReceivedContract(
                    portal_id=portal_id, id=str(uuid.uuid4()), number=number, company_id=company.id,
                    status="", signed_date=None,
                )
                self.contracts[portal_id] = contract
            elif (contract.status, contract.signed_date) == (status, signed_date):
                return DocumentRef(portal_id, contract.id, contract.number, contract.history[-1][1], created=False)
            contract.status, contract.signed_date = status, signed_date
            contract.history.append((status, when))
            return DocumentRef(portal_id, contract.id, contract.number, when, created=True)

    # What a person does in "1C" (the emulator's page) ------------------------------------

    def load(self, books: dict[str, Any]) -> dict[str, int]:
        """Objects a test or the demo says 1C already has (its books are the portal's demo
        data): groups, price types, warehouses, products, prices, stock, customers, each with
        its Ид, added or replaced and stamped. A customer's debt in 1C starts at none and is
        its own documents' (GetChanges sends it once a document moves it). Answers how many
        of each it took."""
        with self._lock:
            for row in books.get("groups", ()):
                self._keep(self.groups, row["id"], Group(row["id"], row.get("parent_id"), row["name"]))
            for row in books.get("price_types", ()):
                self._keep(self.price_types, row["id"], PriceType(row["id"], row["name"], "UAH", True))
            for row in books.get("warehouses", ()):
                self.warehouses[row["id"]] = Warehouse(row["id"], row["name"])
            for row in books.get("products", ()):
                self._keep(self.products, row["id"], Product(
                    id=row["id"], sku=row["sku"], name=row["name"], group_id=row.get("group_id"),
                    unit_code=row.get("unit_code", "796"), unit_name=row.get("unit_name", "шт"),
                    pack_quantity=Decimal(row.get("pack_quantity", "1")), vat_rate=row.get("vat_rate", "20"),
                    barcode=[row["barcode"]] if row.get("barcode") else [],
                ))
            for row in books.get("prices", ()):
                key = (row["price_type_id"], row["product_id"])
                self._keep(self.prices, key, Price(key[0], key[1], Decimal(row["price"]), "UAH"))
            for row in books.get("stock", ()):
                key = (row["warehouse_id"], row["product_id"])
                name = self.warehouses[key[0]].name if key[0] in self.warehouses else ""
                self._keep(self.stock, key, Stock(key[0], name, key[1], Decimal(row["quantity"])))
            for row in books.get("companies", ()):
                company = new_company(
                    kind=row["kind"], name=row["name"], tax_id=row["tax_id"], address=row.get("address"),
                    phone=row.get("phone"), email=row.get("email"), payment_terms=row["payment_terms"],
                    credit_limit=Decimal(row.get("credit_limit", "0")), price_type_id=row.get("price_type_id"),
                    manager=None,
                )
                company.id = row["id"]
                company.deferral_days, company.advance_percent = row.get("deferral_days", 0), row.get("advance_percent", 0)
                self._keep(self.companies, company.id, company)
                # Its debt is what 1C's own documents say: none yet, and not news until one moves it.
                self.balances.setdefault(company.id, Balance(company.id, Decimal("0.00"), Decimal("0.00"), "UAH", _now()))
            return {name: len(books.get(name, ())) for name in BOOKS}

    def _keep(self, table: dict[Any, Any], key: Any, item: Any) -> None:
        table[key] = item
        self._stamp(item)

    def set_price(self, sku: str, price_type_id: str, price: Decimal) -> None:
        with self._lock:
            product = self._product_by_sku(sku)
            row = self.prices.get((price_type_id, product.id))
            if row is None:
                raise ControlError("Немає такого виду цін")
            row.price, row.deleted = price, False
            self._stamp(row)

    def set_stock(self, sku: str, warehouse_id: str, quantity: Decimal) -> None:
        with self._lock:
            product = self._product_by_sku(sku)
            row = self.stock.get((warehouse_id, product.id))
            if row is None:
                raise ControlError("Немає такого складу")
            row.quantity = quantity
            self._stamp(row)

    def add_company(self, *, kind: str, name: str, tax_id: str, phone: str | None, email: str | None,
                    price_type_id: str | None) -> Company:
        with self._lock:
            if any(company.tax_id == tax_id for company in self.companies.values()):
                raise ControlError(f"Контрагент з кодом {tax_id} вже є")
            company = new_company(
                kind=kind, name=name, tax_id=tax_id, address=None, phone=phone, email=email,
                payment_terms="prepayment", credit_limit=Decimal("0.00"), price_type_id=price_type_id, manager=None,
            )
            self.companies[company.id] = company
            self._stamp(company)
            balance = Balance(company.id, Decimal("0.00"), Decimal("0.00"), "UAH", _now())
            self.balances[company.id] = balance
            self._stamp(balance)
            return company

    def enter_bank_payment(self, company_id: str, amount: Decimal, purpose: str) -> Document:
        """A bank payment entered in 1C itself: the portal learns of it from GetChanges."""
        with self._lock:
            company = self.companies.get(company_id)
            if company is None:
                raise ControlError("Немає такого контрагента")
            return self._payment(company, amount, "bank", purpose, portal_id=None, allocations=[], when=_now())

    def set_order_status(self, portal_id: str, status: str) -> None:
        """A manager's move in 1C: confirming issues a рахунок for the order, shipping
        makes a видаткова накладна and grows the debt (each once)."""
        with self._lock:
            order = self.orders.get(portal_id)
            if order is None:
                raise ControlError("Немає такого замовлення")
            if order.state.status == "cancelled":
                raise ControlError("Замовлення скасоване")
            if status == "confirmed":
                self._based_on(order, "invoice", "РФ")
            if status == "shipped" and self._based_on(order, "shipment", "ВН"):
                order.state.shipped_amount = order.amount
                self._move_debt(order.company_id, order.amount)
            self._set_status(order, status)

    # What the emulator's page and /_emulator/received show ----------------------------------

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """What arrived from the portal, and the documents entered in 1C itself."""
        with self._lock:
            names = {company.id: company.name for company in self.companies.values()}
            return {
                "orders": [
                    {
                        "portal_id": o.state.portal_id, "id": o.state.id, "number": o.state.number,
                        "status": o.state.status, "company": names[o.company_id], "amount": str(o.amount),
                        "lines": len(o.lines), "comment": o.comment, "cancel_reason": o.cancel_reason,
                    }
                    for o in self.orders.values()
                ],
                "payments": [
                    {
                        "portal_id": p.portal_id, "id": p.id, "number": p.number, "source": p.payment_source,
                        "company": names[p.company_id], "amount": str(p.amount),
                        "allocations": [
                            {"order_portal_id": a.order_portal_id, "invoice_number": a.invoice_number,
                             "amount": str(a.amount)}
                            for a in p.allocation
                        ],
                    }
                    for p in self.payments.values()
                ],
                "contracts": [
                    {
                        "portal_id": c.portal_id, "id": c.id, "number": c.number, "company": names[c.company_id],
                        "status": c.status, "signed_date": c.signed_date.isoformat() if c.signed_date else None,
                        "history": [status for status, _ in c.history],
                    }
                    for c in self.contracts.values()
                ],
                "documents": [
                    {
                        "id": d.id, "kind": d.kind, "number": d.number, "company": names[d.company_id],
                        "amount": str(d.amount), "purpose": d.purpose, "order_portal_id": d.order_portal_id,
                    }
                    for d in self.documents.values() if d.portal_id is None
                ],
            }

    def choices(self) -> dict[str, list[tuple[str, str]]]:
        """(value, label) pairs for the page's forms."""
        with self._lock:
            return {
                "price_types": [(p.id, p.name) for p in self.price_types.values()],
                "warehouses": [(w.id, w.name) for w in self.warehouses.values()],
                "companies": [
                    (c.id, f"{c.name} ({c.tax_id}), борг {self.balances[c.id].debt}") for c in self.companies.values()
                ],
                "products": [(p.sku, p.name) for p in self.products.values()],
            }

    # Inside -------------------------------------------------------------------------------

    def _entity(self, entity: str) -> list[Any]:
        lists: dict[str, Callable[[], list[Any]]] = {
            "catalog": lambda: [*self.groups.values(), *self.products.values()],
            "prices": lambda: [*self.price_types.values(), *self.prices.values()],
            "stock": lambda: list(self.stock.values()),
            "companies": lambda: list(self.companies.values()),
            "balances": lambda: list(self.balances.values()),
            "documents": lambda: list(self.documents.values()),
        }
        return lists[entity]()

    def _stamp(self, item: Any) -> None:
        item.version = next(self._versions)

    def _number(self, prefix: str) -> str:
        counter = self._numbers.setdefault(prefix, itertools.count(1))
        return f"{prefix}-{next(counter):06d}"

    def _company(self, company_id: str | None, tax_id: str) -> Company:
        if company_id:
            company = self.companies.get(company_id)
            if company is None or company.deleted:
                raise Fault("UNKNOWN_COMPANY", f"Контрагента з Ид {company_id} не знайдено")
            return company
        for company in self.companies.values():
            if company.tax_id == tax_id and not company.deleted:
                return company
        raise Fault("UNKNOWN_COMPANY", f"Контрагента з кодом ЄДРПОУ/РНОКПП {tax_id} не знайдено")

    def _product_by_sku(self, sku: str) -> Any:
        for product in self.products.values():
            if product.sku == sku:
                return product
        raise ControlError(f"Немає товару з артикулом {sku}")

    def _document(self, kind: str, prefix: str, company: Company, amount: Decimal, when: datetime) -> Document:
        document = Document(
            id=str(uuid.uuid4()), kind=kind, number=self._number(prefix), date=when, company_id=company.id,
            amount=amount, currency="UAH",
        )
        self.documents[document.id] = document
        return document

    def _based_on(self, order: ReceivedOrder, kind: str, prefix: str) -> bool:
        """A document of `kind` with the order's lines, unless it already has one; True if made."""
        portal_id = order.state.portal_id
        if any(d.kind == kind and d.order_portal_id == portal_id for d in self.documents.values()):
            return False
        document = self._document(kind, prefix, self.companies[order.company_id], order.amount, _now())
        document.order_portal_id, document.line = portal_id, list(order.lines)
        self._stamp(document)
        return True

    def _payment(
        self, company: Company, amount: Decimal, source: str, purpose: str | None, *, portal_id: str | None,
        allocations: list[DocumentAllocation], when: datetime,
    ) -> Document:
        document = self._document("payment", "ПКО" if source == "cash" else "НБ", company, amount, when)
        document.portal_id, document.payment_source, document.purpose = portal_id, source, purpose
        document.allocation = allocations
        self._stamp(document)
        self._move_debt(company.id, -amount)
        return document

    def _move_debt(self, company_id: str, change: Decimal) -> None:
        balance = self.balances[company_id]
        balance.debt += change
        balance.overdue_debt = min(balance.overdue_debt, max(balance.debt, Decimal("0.00")))
        balance.as_of = _now()
        self._stamp(balance)

    def _set_status(self, order: ReceivedOrder, status: str) -> None:
        order.state.status, order.state.changed_at = status, _now()
        self._stamp(order.state)

    def _order_ref(self, order: ReceivedOrder, *, created: bool) -> DocumentRef:
        state = order.state
        return DocumentRef(state.portal_id, state.id, state.number, order.date, created)

    def _document_ref(self, document: Document, *, created: bool) -> DocumentRef:
        assert document.portal_id is not None
        return DocumentRef(document.portal_id, document.id, document.number, document.date, created)
