"""Screen names for the codes stored in the database (order statuses live in core.web)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STAFF_ROLE_LABELS = {
    "manager": _l("Менеджер"),
    "head_of_sales": _l("Керівник продажів"),
    "lawyer": _l("Юрист"),
    "accountant": _l("Бухгалтер"),
    "admin": _l("Адміністратор"),
}
CUSTOMER_ROLE_LABELS = {
    "owner": _l("Власник"),
    "buyer": _l("Закупівельник"),
    "accountant": _l("Бухгалтер"),
}
COMPANY_KIND_LABELS = {
    "legal": _l("Юридична особа (ЄДРПОУ)"),
    "sole": _l("ФОП (РНОКПП)"),
}
PAYMENT_TERMS_LABELS = {
    "prepayment": _l("Передоплата"),
    "deferred": _l("Відстрочка"),
    "advance": _l("Аванс"),
}
DEPARTMENT_LABELS = {
    "sales": _l("Відділ продажів"),
    "legal": _l("Юридичний відділ"),
    "accounting": _l("Бухгалтерія"),
    "administration": _l("Адміністрація"),
    "customer": _l("Клієнт"),
    "system": _l("Система"),
}
OUTBOX_STATUS_LABELS = {
    "pending": _l("В черзі"),
    "failed": _l("Помилка"),
    "done": _l("Виконано"),
}
MESSAGE_STATUS_LABELS = {
    "queued": _l("В черзі"),
    "sending": _l("Надсилається"),
    "sent": _l("Надіслано"),
    "delivered": _l("Доставлено"),
    "failed": _l("Помилка"),
    "unknown": _l("Невідомо, чи надіслано"),
}
MESSAGE_CHANNEL_LABELS = {"sms": _l("SMS"), "email": _l("E-mail"), "log": _l("Журнал")}
# Channels a manager can take an order through (the portal and 1C create their own).
STAFF_ORDER_CHANNELS = ("phone", "viber", "email")
