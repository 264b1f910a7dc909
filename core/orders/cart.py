"""The cart: one per customer user, priced live from their company's price type."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext
from sqlalchemy import delete, select
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

    A requested quantity of zero (not added) removes the line.
    """
    if add and requested <= 0:
        raise DomainError(gettext("Кількість має бути більшою за нуль."), field="quantity")
    item = session.get(CartItem, (user.id, product_id))
    if requested == 0 and not add:
        if item is not None:
            session.delete(item)
            session.flush()
        return SnapResult(ZERO, ZERO)
    product = _orderable(session, user, product_id)
    wanted = requested + (item.quantity if add and item is not None else 0)
    quantity = snap_to_pack(wanted, product.pack_multiple)
    if item is None:
        session.add(CartItem(user_id=user.id, product_id=product_id, quantity=quantity))
    else:
        item.quantity = quantity
    session.flush()
    return SnapResult(quantity, wanted)


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
