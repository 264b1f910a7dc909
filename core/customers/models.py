from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from core.accounts import Account
from core.catalog.models import PriceType
from core.clock import utcnow
from core.db import Base
from core.staff.models import StaffUser
from core.textkeys import sort_key_column, uk_sort_key

COMPANY_KINDS = ("legal", "sole")  # юридична особа / ФОП
PAYMENT_TERMS = ("prepayment", "deferred", "advance")
CUSTOMER_ROLES = ("owner", "buyer", "accountant")
ORDERING_ROLES = ("owner", "buyer")


class Company(Base):
    __tablename__ = "company"
    __table_args__ = (
        CheckConstraint("kind IN ('legal', 'sole')", name="kind"),
        CheckConstraint("payment_terms IN ('prepayment', 'deferred', 'advance')", name="payment_terms"),
        # Staff lists of companies page in Ukrainian alphabetical order.
        Index("ix_company_name_sort_id", "name_sort", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_sort: Mapped[str] = mapped_column(sort_key_column(300), default="", server_default="")
    kind: Mapped[str] = mapped_column(String(10))
    tax_id: Mapped[str] = mapped_column(String(10), unique=True)  # ЄДРПОУ or РНОКПП
    price_type_id: Mapped[int] = mapped_column(ForeignKey("price_type.id"))
    payment_terms: Mapped[str] = mapped_column(String(12), default="prepayment")
    deferral_days: Mapped[int] = mapped_column(default=0)
    advance_percent: Mapped[int] = mapped_column(default=0)
    credit_limit: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    # A bank transfer that names no invoice may pay this company's oldest open invoices
    # first; a company that wants to say itself what it pays turns this off.
    pay_oldest_first: Mapped[bool] = mapped_column(default=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    onec_guid: Mapped[str | None] = mapped_column(String(36), unique=True)
    # Requisites a contract is made from (the company card shows and edits them).
    legal_address: Mapped[str] = mapped_column(String(500), default="", server_default="")
    iban: Mapped[str] = mapped_column(String(29), default="", server_default="")  # UA + 27 characters
    bank_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    signer_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    signer_position: Mapped[str] = mapped_column(String(200), default="", server_default="")
    signing_basis: Mapped[str] = mapped_column(String(300), default="", server_default="")
    vchasno_registered: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    price_type: Mapped[PriceType] = relationship()
    manager: Mapped[StaffUser | None] = relationship()
    delivery_points: Mapped[list[DeliveryPoint]] = relationship(
        back_populates="company", order_by="DeliveryPoint.id"
    )
    users: Mapped[list[User]] = relationship(back_populates="company", order_by="User.id")

    @validates("name")
    def _keep_name_sort(self, _key: str, name: str) -> str:
        self.name_sort = uk_sort_key(name)
        return name


class DeliveryPoint(Base):
    __tablename__ = "delivery_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    is_active: Mapped[bool] = mapped_column(default=True)

    company: Mapped[Company] = relationship(back_populates="delivery_points")


class User(Account, Base):
    """A customer's person: belongs to exactly one company."""

    __tablename__ = "customer_user"
    __table_args__ = (CheckConstraint("role IN ('owner', 'buyer', 'accountant')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12), default="buyer")
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    password_hash: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(5), default="uk")
    is_active_flag: Mapped[bool] = mapped_column("is_active", default=True)
    # Part of every session's id: moving it on ends all sessions (core.auth.end_sessions).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the cabinet was created for them and the invitation sent; they are
    # "activated" once they have chosen a password.
    invited_at: Mapped[datetime | None]

    company: Mapped[Company] = relationship(back_populates="users")

    kind = "customer"
    ref_kind = "c"

    @property
    def can_order(self) -> bool:
        return self.role in ORDERING_ROLES
