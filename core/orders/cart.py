"""The cart: one per customer user, priced live from their company's price type."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.catalog.services import Orderable, orderable_products, snap_to_pack
from core.customers.models import User
from core.errors import DomainError
from core.money import ZERO, money, vat_included
from core.orders.models import CartItem
from core.textkeys import uk_sort_key


@dataclass(frozen=True)
class CartLine:
    product: Orderable
    quantity: Decimal

    @property
    def amount(self) -> Decimal:
        return money(self.product.price * self.quantity)


@dataclass(frozen=True)
class CartView:
    lines: list[CartLine]
    unavailable: list[int]  # products in the cart that can no longer be ordered

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def vat_total(self) -> Decimal:
        return sum((vat_included(line.amount, line.product.vat_rate) for line in self.lines), ZERO)


@dataclass(frozen=True)
class SnapResult:
    quantity: Decimal
    requested: Decimal

    @property
    def snapped(self) -> bool:
        return self.quantity != self.requested


def cart_quantities(session: Session, user_id: int) -> dict[int, Decimal]:
    rows = session.execute(select(CartItem.product_id, CartItem.quantity).where(CartItem.user_id == user_id))
    return {product_id: quantity for product_id, quantity in rows}


def cart_at_login(user: User) -> dict[int, Decimal]:
    """The cart as the login loader read it with the user (see `User.cart_snapshot`)."""
    pairs = (item.split(":") for item in (user.cart_snapshot or "").split(",") if item)
    return {int(product_id): Decimal(quantity) for product_id, quantity in pairs}


def _orderable(session: Session, user: User, product_id: int) -> Orderable:
    product = orderable_products(session, user.company.price_type_id, ids=[product_id]).get(product_id)
    if product is None:
        raise DomainError(gettext("Цей товар зараз недоступний для замовлення."))
    return product


def set_quantity(session: Session, user: User, product_id: int, requested: Decimal, *, add: bool = False) -> SnapResult:
    """Put a quantity in the cart (or add to what is there), snapped to whole packs.

    A requested quantity of zero (not added) removes the line. Safe when requests of
    the same user run at once (two tabs, a double tap): see `_locked_line`.
    """
    if add and requested <= 0:
        raise DomainError(gettext("Кількість має бути більшою за нуль."), field="quantity")
    if requested == 0 and not add:
        session.execute(delete(CartItem).where(CartItem.user_id == user.id, CartItem.product_id == product_id))
        return SnapResult(ZERO, ZERO)
    product = _orderable(session, user, product_id)
    # A bad quantity is refused before the line is written: a caller that goes on after
    # a refusal (repeat an order) must find the cart as it was.
    snap_to_pack(requested, product.pack_multiple)
    line = _locked_line(session, user.id, product_id)
    wanted = requested + (line.quantity if add else ZERO)
    # Only an existing line can still be refused here (too much), and it is then unchanged.
    line.quantity = snap_to_pack(wanted, product.pack_multiple)
    session.flush()
    return SnapResult(line.quantity, wanted)


def _locked_line(session: Session, user_id: int, product_id: int) -> CartItem:
    """The user's line of this product, made empty if there is none, locked until the commit.

    One statement inserts the line or locks the one there (an upsert), so concurrent
    requests of the same product queue behind each other: none fails on the unique key,
    and each adds to the quantity the previous one committed (a plain read-then-write
    under READ COMMITTED would lose an add). SQLite serializes writers anyway.
    """
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    upsert = insert(CartItem).values(user_id=user_id, product_id=product_id, quantity=ZERO)
    # The conflict's "update" writes the quantity back as it is: what it is for is the row lock.
    session.execute(upsert.on_conflict_do_update(
        index_elements=[CartItem.user_id, CartItem.product_id], set_={"quantity": CartItem.quantity}))
    return session.get_one(CartItem, (user_id, product_id), populate_existing=True)


def add_lines(session: Session, user: User, lines: list[tuple[int, Decimal]]) -> None:
    for product_id, quantity in lines:
        set_quantity(session, user, product_id, quantity, add=True)


def view_cart(session: Session, user: User) -> CartView:
    quantities = cart_quantities(session, user.id)
    products = orderable_products(session, user.company.price_type_id, ids=quantities) if quantities else {}
    lines = sorted(
        (CartLine(products[pid], qty) for pid, qty in quantities.items() if pid in products),
        key=lambda line: (uk_sort_key(line.product.name), line.product.id),
    )
    return CartView(lines=lines, unavailable=[pid for pid in quantities if pid not in products])


def clear_cart(session: Session, user_id: int) -> None:
    session.execute(delete(CartItem).where(CartItem.user_id == user_id))
