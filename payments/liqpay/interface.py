"""What the rest of the code sees of LiqPay: plain dataclasses, errors and status groups."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

SUCCESS = frozenset({"success", "sandbox"})
FAILED = frozenset({"failure", "error"})
REVERSED = frozenset({"reversed"})
# Every other status (wait_accept, processing, 3ds_verify, ...) means "not decided yet".


def is_success(status: str, sandbox: bool) -> bool:
    """LiqPay's sandbox reports a paid test payment as "sandbox". That counts as paid
    only when our own keys are sandbox keys (`LiqpayClient.sandbox`): a live shop must
    never accept a sandbox payment as money received."""
    return status == "success" or (sandbox and status == "sandbox")


@dataclass(frozen=True)
class CheckoutForm:
    """POST `data` and `signature` as form fields to `action_url` from the customer's browser."""

    action_url: str
    data: str
    signature: str


@dataclass(frozen=True)
class LiqpayNotice:
    """A payment's state as LiqPay reports it: a callback, a status or a refund answer."""

    payment_id: int | None
    order_id: str
    status: str
    amount: Decimal
    currency: str
    description: str
    raw: dict[str, Any]
    err_code: str | None
    err_description: str | None
    paytype: str | None
    sender_card_mask: str | None
    end_date: datetime | None
    # Total refunded so far; set on refunds (status "reversed" with less than `amount`
    # refunded is a partial refund, the payment itself stays paid).
    refund_amount: Decimal | None = None


class SignatureError(Exception):
    """The data did not come from LiqPay: bad or missing signature, or undecodable data."""


class LiqpayError(Exception):
    """LiqPay refused a request or could not be reached / understood."""

    def __init__(self, code: str, description: str):
        super().__init__(f"LiqPay {code}: {description}")
        self.code = code
        self.description = description


class MalformedNotice(LiqpayError):
    """A notice (callback or answer) that verifies but cannot be a payment: no order,
    no status, an amount that is not a positive number of whole cents. Asking again or
    applying it later never makes it right, so it is refused for good."""

    def __init__(self, description: str):
        super().__init__("malformed", description)
