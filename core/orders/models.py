from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    cast,
    select,
)
from sqlalchemy.orm import (
    Mapped,
    column_property,
    deferred,
    mapped_column,
    relationship,
)
from sqlalchemy.sql.functions import aggregate_strings

from core.catalog.models import Product
from core.clock import utcnow
from core.customers.models import Company, DeliveryPoint, User
from core.db import Base, Quantity
from core.files.models import StoredFile
from core.staff.models import StaffUser

CHANNELS = ("portal", "phone", "viber", "email", "1c")


class Promotion(Base):
    """A discount for a date range: for ordering through the portal, or for paying an
    invoice online by card. One order never gets both (see payments.card)."""

    __tablename__ = "promotion"
    __table_args__ = (
        CheckConstraint("kind IN ('online_order', 'online_payment')", name="kind"),
        CheckConstraint("percent > 0 AND percent < 100", name="percent"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CartItem(Base):
    """Kept in the database so a cart survives logout and a second device."""

    __tablename__ = "cart_item"

    user_id: Mapped[int] = mapped_column(ForeignKey("customer_user.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship()


# Every portal page shows the cart (the badge, the "in the cart" notes) and every
# portal request loads its user anyway: "product_id:quantity,..." rides along in that
# one query (`undefer_group("portal_page")` in the login loader). It is read once per
# request, so a view that changes the cart reads the cart itself afterwards.
User.cart_snapshot = deferred(
    column_property(
        select(aggregate_strings(cast(CartItem.product_id, String) + ":" + cast(CartItem.quantity, String), ","))
        .where(CartItem.user_id == User.id)
        .correlate_except(CartItem)
        .scalar_subquery()
    ),
    group="portal_page",
)


class Order(Base):
    __tablename__ = "customer_order"
    __table_args__ = (
        # A resent form or a retried submit carries the same key: one order, not two.
        UniqueConstraint("company_id", "idempotency_key", name="uq_customer_order_idempotency"),
        CheckConstraint("channel IN ('portal', 'phone', 'viber', 'email', '1c')", name="channel"),
        Index("ix_customer_order_company_created", "company_id", "created_at"),
        Index("ix_customer_order_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    status: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10), default="portal")
    idempotency_key: Mapped[str] = mapped_column(String(64))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("customer_user.id"))
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    delivery_point_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_point.id"))
    desired_date: Mapped[date | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    vat_total: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    # Discounts keep the lines' prices: the total is net of them. `discount_amount` is the
    # sum of `discounts`; `promotion` is the online-order promotion, when one of them is it.
    promotion_id: Mapped[int | None] = mapped_column(ForeignKey("promotion.id"))
    discount_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    # Set when the payment terms allow shipping (deferred: at once; prepayment/advance:
    # when paid). An order is not assembled before that.
    released_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    company: Mapped[Company] = relationship()
    created_by_user: Mapped[User | None] = relationship()
    created_by_staff: Mapped[StaffUser | None] = relationship(foreign_keys=[created_by_staff_id])
    manager: Mapped[StaffUser | None] = relationship(foreign_keys=[manager_id])
    delivery_point: Mapped[DeliveryPoint | None] = relationship()
    promotion: Mapped[Promotion | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    history: Mapped[list[OrderStatusChange]] = relationship(
        back_populates="order", order_by="OrderStatusChange.id", cascade="all, delete-orphan"
    )
    discounts: Mapped[list[OrderDiscount]] = relationship(
        back_populates="order", order_by="OrderDiscount.id", cascade="all, delete-orphan"
    )

    @property
    def number(self) -> str:
        return f"{self.id:06d}"


class OrderLine(Base):
    """Product data is copied at submit: a later price or name change does not rewrite history."""

    __tablename__ = "order_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    sku: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    price: Mapped[Decimal]
    vat_rate: Mapped[Decimal]
    amount: Mapped[Decimal]

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderDiscount(Base):
    """One discount taken off an order at submit (core.orders.discounts), by whoever gave it:
    the online-order promotion, a feature's own (edo: registering in Vchasno). Documents name
    each apart: `name` is the Ukrainian sentence invoices and 1C read, `code` and `params`
    tell it in the reader's language (core.reasons)."""

    __tablename__ = "order_discount"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    name: Mapped[str] = mapped_column(String(300))
    amount: Mapped[Decimal]

    order: Mapped[Order] = relationship(back_populates="discounts")


class OrderStatusChange(Base):
    __tablename__ = "order_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(10))  # customer / staff / system
    actor_name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    # A system move's reason as a code and its parameters (core.reasons), told in the
    # reader's language; `note` keeps the Ukrainian sentence. Empty for people's notes.
    reason_code: Mapped[str] = mapped_column(String(40), default="")
    reason_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    order: Mapped[Order] = relationship(back_populates="history")


class OrderFormUpload(Base):
    """An Excel order form as the customer uploaded it, kept so staff can open what was
    sent when a line is disputed. Its lines go through the cart like any others: the
    form is marked when the customer adds them, and the order submitted from that cart
    takes the forms marked since (core/orders/order_forms.py)."""

    __tablename__ = "order_form_upload"
    __table_args__ = (Index("ix_order_form_upload_company_created", "company_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("customer_user.id"))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    lines_good: Mapped[int] = mapped_column(default=0)
    lines_bad: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_to_cart_at: Mapped[datetime | None]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"), index=True)

    file: Mapped[StoredFile] = relationship()
