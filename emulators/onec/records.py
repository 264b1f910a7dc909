"""The emulated 1C's objects. Each dataclass lists its fields in the order and under the
names (snake_case of the PascalCase) of its type in onec/wsdl/portal_exchange.wsdl, so
protocol.write can put any of them on the wire without a field list of its own."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass
class Group:
    id: str
    parent_id: str | None
    name: str
    deleted: bool = False
    version: int = 0


@dataclass
class Property:
    name: str
    value: str


@dataclass
class Product:
    id: str
    sku: str
    name: str
    group_id: str | None
    unit_code: str
    unit_name: str
    pack_quantity: Decimal
    vat_rate: str
    description: str | None = None
    barcode: list[str] = field(default_factory=list)
    property: list[Property] = field(default_factory=list)
    deleted: bool = False
    version: int = 0


@dataclass
class PriceType:
    id: str
    name: str
    currency: str
    vat_included: bool
    deleted: bool = False
    version: int = 0


@dataclass
class Price:
    price_type_id: str
    product_id: str
    price: Decimal
    currency: str
    deleted: bool = False
    version: int = 0


@dataclass
class Stock:
    warehouse_id: str
    warehouse_name: str
    product_id: str
    quantity: Decimal
    version: int = 0


@dataclass
class Company:
    id: str
    name: str
    full_name: str | None
    kind: str
    tax_id: str
    vat_number: str | None
    address: str | None
    phone: str | None
    email: str | None
    payment_terms: str
    deferral_days: int
    advance_percent: int
    credit_limit: Decimal
    manager_name: str | None
    manager_email: str | None
    price_type_id: str | None
    deleted: bool = False
    version: int = 0


@dataclass
class Balance:
    company_id: str
    debt: Decimal
    overdue_debt: Decimal
    currency: str
    as_of: datetime
    version: int = 0


@dataclass
class DocumentLine:
    product_id: str
    quantity: Decimal
    price: Decimal
    amount: Decimal


@dataclass
class DocumentAllocation:
    order_portal_id: str | None
    invoice_number: str | None
    amount: Decimal


@dataclass
class Document:
    id: str
    kind: str
    number: str
    date: datetime
    company_id: str
    amount: Decimal
    currency: str
    portal_id: str | None = None
    order_portal_id: str | None = None
    payment_source: str | None = None
    purpose: str | None = None
    line: list[DocumentLine] = field(default_factory=list)
    allocation: list[DocumentAllocation] = field(default_factory=list)
    posted: bool = True
    deleted: bool = False
    version: int = 0


@dataclass
class DocumentRef:
    portal_id: str
    id: str
    number: str
    date: datetime
    created: bool


@dataclass
class OrderState:
    portal_id: str
    id: str
    number: str
    status: str
    shipped_amount: Decimal
    changed_at: datetime
    version: int = 0


@dataclass
class Changes:
    entity: str
    version: int
    more: bool
    group: list[Group] = field(default_factory=list)
    product: list[Product] = field(default_factory=list)
    price_type: list[PriceType] = field(default_factory=list)
    price: list[Price] = field(default_factory=list)
    stock: list[Stock] = field(default_factory=list)
    company: list[Company] = field(default_factory=list)
    balance: list[Balance] = field(default_factory=list)
    document: list[Document] = field(default_factory=list)


@dataclass
class OrderStates:
    version: int
    more: bool
    order: list[OrderState] = field(default_factory=list)


@dataclass(frozen=True)
class Warehouse:
    id: str
    name: str


@dataclass
class ReceivedOrder:
    """An order the portal posted: 1C's "Замовлення покупця" and what it was sent."""

    state: OrderState
    date: datetime
    company_id: str
    amount: Decimal
    lines: list[DocumentLine]
    comment: str | None
    cancel_reason: str | None = None


@dataclass
class ReceivedContract:
    portal_id: str
    id: str
    number: str
    company_id: str
    status: str
    signed_date: date | None
    history: list[tuple[str, datetime]] = field(default_factory=list)
