"""The staff backoffice: orders and order entry, companies and their users, the catalog,
money queues (holds, claims, debts, unmatched payments), promotions, the outbox and the
message log, notification templates, invitations and staff accounts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from backoffice.access import (
    ANY_STAFF,
    CATALOG_EDITORS,
    COLLECTORS,
    COMPANY_EDITORS,
    MESSAGE_READERS,
    NOTIFY_EDITORS,
    ORDER_HANDLERS,
    OUTBOX_WATCHERS,
    PAYMENT_HANDLERS,
    PROMOTION_EDITORS,
    STAFF_ADMINS,
)
from core.features import Feature, Mount, NavEntry

FEATURE = Feature(
    name="backoffice",
    description=__doc__,
    # Its money pages work the payments feature's queues; its message pages (notify's
    # data) are mounted only when notify runs.
    requires=("payments",),
    blueprints=(
        Mount("backoffice.routes:bp", url_prefix="/staff", login_endpoint="backoffice.login", staff=True),
        Mount("backoffice.notify_routes:bp", url_prefix="/staff", when=("notify",),
              login_endpoint="backoffice.login", staff=True),
    ),
    nav=(
        NavEntry("backoffice.orders", _l("Замовлення"), ANY_STAFF, position=10),
        NavEntry("backoffice.holds", _l("На погодженні"), COLLECTORS, position=20),
        NavEntry("backoffice.claims", _l("Заявки про оплату"), COLLECTORS, position=30),
        NavEntry("backoffice.collections", _l("Борги"), COLLECTORS, position=40),
        NavEntry("backoffice.promotions", _l("Акції"), PROMOTION_EDITORS, position=50),
        NavEntry("backoffice.new_order", _l("Нове замовлення"), ORDER_HANDLERS, position=60),
        NavEntry("backoffice.companies", _l("Контрагенти"), ANY_STAFF, position=70),
        NavEntry("backoffice.products", _l("Каталог"), CATALOG_EDITORS, position=80),
        NavEntry("backoffice.price_types", _l("Типи цін"), CATALOG_EDITORS, position=90),
        NavEntry("backoffice.payments_queue", _l("Платежі до розбору"), PAYMENT_HANDLERS, position=100),
        NavEntry("backoffice.outbox", _l("Черга подій"), OUTBOX_WATCHERS, position=110),
        NavEntry("staff_notify.messages", _l("Повідомлення"), MESSAGE_READERS, position=120),
        NavEntry("staff_notify.notify_templates", _l("Шаблони повідомлень"), NOTIFY_EDITORS, position=130),
        NavEntry("staff_notify.invitations", _l("Запрошення"), COMPANY_EDITORS, position=140),
        NavEntry("backoffice.staff_users", _l("Працівники"), STAFF_ADMINS, position=150),
    ),
)
