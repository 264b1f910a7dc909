"""Who may use which part of the backoffice. Admin passes every check (StaffUser.has_role)."""
from __future__ import annotations

from typing import Any

from flask import current_app

from core.features import NavEntry
from payments import refunds

# Empty tuple = any staff member.
ANY_STAFF: tuple[str, ...] = ()
# Moving orders along and taking orders by phone is sales work.
ORDER_HANDLERS = ("manager", "head_of_sales")
COMPANY_EDITORS = ("manager", "head_of_sales")
CATALOG_EDITORS = ("admin",)
OUTBOX_WATCHERS = ("accountant", "head_of_sales")
# Bank payments the rules could not place are worked by sales and accounting alike.
PAYMENT_HANDLERS = ("manager", "head_of_sales", "accountant")
STATEMENT_IMPORTERS = ("accountant", "head_of_sales")
# Debt work: customers' payment claims and the tasks the reminder ladder leaves.
COLLECTORS = ("manager", "head_of_sales", "accountant")
PROMOTION_EDITORS = ("head_of_sales",)
# Message wording and which events send anything: the head of sales owns what customers read.
NOTIFY_EDITORS = ("head_of_sales",)
# The message log is support work: sales and accounting answer "did my invoice arrive?".
# The lawyer has no such questions (and the log is no place for curiosity).
MESSAGE_READERS = ("manager", "head_of_sales", "accountant")
# Whoever keeps a company's contacts can correct an address and send a failed message again.
MESSAGE_FIXERS = ("manager", "head_of_sales", "accountant")
REFUNDERS = refunds.REFUNDERS
# Staff accounts (access switched off and on) are the admin's alone.
STAFF_ADMINS = ("admin",)


def may(user: Any, roles: tuple[str, ...]) -> bool:
    if not getattr(user, "is_authenticated", False) or getattr(user, "kind", None) != "staff":
        return False
    return not roles or user.has_role(*roles)


def nav_for(user: Any) -> list[NavEntry]:
    """The staff menu of every enabled feature, as far as this person may see it; an entry
    of pages not mounted (their other feature is off) is left out."""
    mounted = current_app.view_functions
    return [entry for entry in current_app.extensions["features"].nav()
            if entry.endpoint in mounted and may(user, entry.roles)]
