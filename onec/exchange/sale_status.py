"""How the portal's order statuses read in 1C's "Статус заказа", both ways."""
from __future__ import annotations

import re

from core.orders import states

# Written as "[code] name": 1C maps the site's status values to its own in the exchange
# settings, and the code in brackets brings the status back unambiguously.
STATUS_NAMES = {
    states.SUBMITTED: "Нове",
    states.ON_HOLD: "Очікує рішення менеджера",
    states.CONFIRMED: "Підтверджене",
    states.ASSEMBLING: "Комплектується",
    states.SHIPPED: "Відвантажене",
    states.DELIVERED: "Доставлене",
    states.CANCELLED: "Скасоване",
}
# What 1C's own configurations (Ukrainian and Russian) call the states of a customer order.
_ONEC_NAMES = {
    "нове": states.SUBMITTED, "новый": states.SUBMITTED, "принят": states.SUBMITTED,
    "підтверджене": states.CONFIRMED, "согласован": states.CONFIRMED, "узгоджено": states.CONFIRMED,
    "к выполнению": states.CONFIRMED, "до виконання": states.CONFIRMED, "в работе": states.CONFIRMED,
    "комплектується": states.ASSEMBLING, "в сборке": states.ASSEMBLING, "комплектуется": states.ASSEMBLING,
    "відвантажене": states.SHIPPED, "отгружен": states.SHIPPED, "відвантажено": states.SHIPPED,
    "доставлене": states.DELIVERED, "доставлен": states.DELIVERED, "выполнен": states.DELIVERED,
    "виконано": states.DELIVERED, "закрыт": states.DELIVERED, "закрито": states.DELIVERED,
    "скасоване": states.CANCELLED, "отменен": states.CANCELLED, "скасовано": states.CANCELLED,
}
_CODED = re.compile(r"^\s*\[(\w+)\]")


def status_value(status: str) -> str:
    return f"[{status}] {STATUS_NAMES[status]}"


def status_from_value(value: str) -> str | None:
    """The portal status 1C's value names, or None for one it does not know."""
    coded = _CODED.match(value)
    if coded and coded.group(1) in STATUS_NAMES:
        return coded.group(1)
    return _ONEC_NAMES.get(_CODED.sub("", value).strip().lower().replace("ё", "е"))
