from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.accounts import Account
from core.clock import utcnow
from core.db import Base

STAFF_ROLES = ("manager", "head_of_sales", "lawyer", "accountant", "admin")

# Which department a staff action is recorded under in status histories.
DEPARTMENT_OF_ROLE = {
    "manager": "sales",
    "head_of_sales": "sales",
    "lawyer": "legal",
    "accountant": "accounting",
    "admin": "administration",
}


class StaffUser(Account, Base):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active_flag: Mapped[bool] = mapped_column("is_active", default=True)
    # Part of every session's id: moving it on ends all sessions (core.auth.end_sessions).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    kind = "staff"
    ref_kind = "s"

    @property
    def department(self) -> str:
        return DEPARTMENT_OF_ROLE[self.role]

    def has_role(self, *roles: str) -> bool:
        return self.role == "admin" or self.role in roles
