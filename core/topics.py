"""The topics the kernel publishes. All are announcements: the kernel raises them for
whichever feature listens (payments, notify, 1C next) and knows none of them."""
from __future__ import annotations

from core.orders.states import EVENT_OF_STATUS
from core.outbox import Topic

TOPICS = [
    *(Topic(name, f"an order moved to {status}", announcement=True) for status, name in EVENT_OF_STATUS.items()),
    Topic("order.released", "an order's payment terms are met: it may be assembled", announcement=True),
    Topic("company.terms_changed", "a company's payment terms changed on its card or from 1C", announcement=True),
    Topic("user.invited", "a customer user was invited to the portal", announcement=True),
    Topic("user.password_reset_requested", "someone asked to reset a customer's password", announcement=True),
]
