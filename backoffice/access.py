"""Who may use which part of the backoffice. Admin passes every check (StaffUser.has_role)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

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


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    roles: tuple[str, ...]


NAV = (
    NavItem("backoffice.orders", _l("Замовлення"), ANY_STAFF),
    NavItem("backoffice.holds", _l("На погодженні"), COLLECTORS),
    NavItem("backoffice.claims", _l("Заявки про оплату"), COLLECTORS),
    NavItem("backoffice.collections", _l("Борги"), COLLECTORS),
    NavItem("backoffice.promotions", _l("Акції"), PROMOTION_EDITORS),
    NavItem("backoffice.new_order", _l("Нове замовлення"), ORDER_HANDLERS),
    NavItem("backoffice.companies", _l("Контрагенти"), ANY_STAFF),
    NavItem("backoffice.products", _l("Каталог"), CATALOG_EDITORS),
    NavItem("backoffice.price_types", _l("Типи цін"), CATALOG_EDITORS),
    NavItem("backoffice.payments_queue", _l("Платежі до розбору"), PAYMENT_HANDLERS),
    NavItem("backoffice.outbox", _l("Черга подій"), OUTBOX_WATCHERS),
    NavItem("backoffice.messages", _l("Повідомлення"), MESSAGE_READERS),
    NavItem("backoffice.notify_templates", _l("Шаблони повідомлень"), NOTIFY_EDITORS),
    NavItem("backoffice.invitations", _l("Запрошення"), COMPANY_EDITORS),
    NavItem("backoffice.staff_users", _l("Працівники"), STAFF_ADMINS),
)


def nav_for(user: Any) -> list[NavItem]:
    return [item for item in NAV if may(user, item.roles)]
