"""What the rest of the payments code sees of a card acquirer (LiqPay today).

`card.py`, refunds, reconciliation and the callback talk to a `CardAcquirer` and read
`PaymentNotice`s; only the acquirer's own package knows its wire format and status
names. Failures to reach or be understood by the acquirer are `core.providers.ProviderError`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from core.providers import ProviderError

# What a notice means for the payment, decided by the acquirer that knows its statuses
# (and its keys: a sandbox payment is paid only to sandbox keys).
PAID, DECLINED, REVERSED, PENDING = "paid", "declined", "reversed", "pending"


@dataclass(frozen=True)
class CheckoutForm:
    """POST `fields` as a form to `action_url` from the customer's browser."""

    action_url: str
    fields: dict[str, str]


@dataclass(frozen=True)
class PaymentNotice:
    """A payment's state as the acquirer reports it: a callback, a status or a refund answer."""

    payment_id: int | None
    order_id: str
    # The acquirer's own word ("success", "wait_accept"...), kept as the payment's provider_status.
    status: str
    outcome: str
    amount: Decimal
    currency: str
    description: str
    raw: dict[str, Any]
    err_code: str | None
    err_description: str | None
    paytype: str | None
    sender_card_mask: str | None
    end_date: datetime | None
    # Total refunded so far; set on refunds (REVERSED with less than `amount` refunded is
    # a partial refund, the payment itself stays paid).
    refund_amount: Decimal | None = None


class SignatureError(Exception):
    """The callback did not come from the acquirer: bad or missing signature, or undecodable data."""


class MalformedNotice(ProviderError):
    """A notice (callback or answer) that verifies but cannot be a payment: no order,
    no status, an amount that is not a positive number of whole cents. Asking again or
    applying it later never makes it right, so it is refused for good."""

    def __init__(self, provider: str, detail: str):
        super().__init__(provider, "malformed", detail, retryable=False)


class CardAcquirer(Protocol):
    """`name` is the Payment.source of its payments and the prefix of its callback
    endpoint (`payments.<name>_callback`); `callback_fields` are the form fields its
    callback carries, all that is stored of one."""

    name: str
    callback_fields: tuple[str, ...]

    def checkout_form(
        self, order_id: str, amount: Decimal, description: str, server_url: str, result_url: str,
        language: str = "uk", currency: str = "UAH",
    ) -> CheckoutForm: ...

    def verify_callback(self, fields: Mapping[str, str]) -> PaymentNotice:
        """Signature first (SignatureError), then the notice (MalformedNotice)."""

    def status(self, order_id: str) -> PaymentNotice | None:
        """The payment's current state; None when the acquirer knows no payment for the order."""

    def refund(self, order_id: str, amount: Decimal) -> PaymentNotice: ...

    def close(self) -> None: ...
