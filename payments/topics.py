"""The topics payments publishes: its own follow-ups (a LiqPay notice to apply, a refund
to carry out) and announcements of money news for whoever listens (notify, 1C next)."""
from __future__ import annotations

from core.outbox import Topic
from payments.card import NOTICE_TOPIC

TOPICS = [
    Topic(NOTICE_TOPIC, "a LiqPay callback's notice, stored as it came, to apply"),
    Topic("payment.refund_requested", "staff approved a refund: send it through the acquirer"),
    Topic("invoice.issued", "an invoice was issued", announcement=True),
    Topic("invoice.cancelled", "an unpaid invoice was cancelled with its order", announcement=True),
    Topic("invoice.reminder", "a step of the reminder ladder is due", announcement=True),
    Topic("invoice.escalated", "the reminder ladder ran out", announcement=True),
    Topic("payment.received", "money was applied to an invoice", announcement=True),
    Topic("payment.failed", "a card payment failed", announcement=True),
    Topic("payment.reversed", "a payment was reversed (a chargeback, a refund)", announcement=True),
]
