"""What the emulated LiqPay remembers: payments, their callbacks and every delivery attempt."""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from emulators.liqpay.protocol import ProtocolError, encode
from emulators.failures import FailureSwitch

# LiqPay's documented sandbox cards; in the sandbox the confirmation steps of the
# 3DS/OTP/CVV cards pass at once, and so they do here.
SUCCESS_CARDS = {
    "4242424242424242": "success",
    "4000000000003063": "success (3-D Secure)",
    "4000000000003089": "success (OTP)",
    "4000000000003055": "success (CVV)",
}
FAILURE_CARDS = {
    "4000000000000002": ("limit", "The limit for the amount or number of customer payments has been exceeded"),
    "4000000000009995": ("9859", "Declined by the card issuer"),
}
# Not a LiqPay card: the emulator's own, for a payment that waits before it succeeds.
DELAYED_CARD = "4000000000000077"
TEST_CARDS = {
    **SUCCESS_CARDS,
    **{card: f"failure ({code})" for card, (code, _) in FAILURE_CARDS.items()},
    DELAYED_CARD: "wait_accept, then success a moment later (emulator only)",
}

PAID = frozenset({"success", "sandbox"})
# An order holding such a payment cannot be paid again; a failed one can be retried.
TAKEN = PAID | {"wait_accept", "reversed"}
ACQ_ID = 414963
COMMISSION = Decimal("0.015")
CENT = Decimal("0.01")


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Callback:
    status: str
    url: str
    data: str
    signature: str
    lost: bool = False
    attempts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return any(200 <= (a["http_status"] or 0) < 300 for a in self.attempts)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status, "url": self.url, "data": self.data, "signature": self.signature,
            "lost": self.lost, "delivered": self.delivered, "attempts": list(self.attempts),
        }


@dataclass
class Payment:
    payment_id: int
    liqpay_order_id: str
    request: dict[str, Any]
    version: int
    amount: Decimal
    card: str
    status: str
    create_date: int
    end_date: int
    err_code: str | None = None
    err_description: str | None = None
    refunded: Decimal = Decimal(0)
    callbacks: list[Callback] = field(default_factory=list)

    def state(self, **override: Any) -> dict[str, Any]:
        """The payment as LiqPay reports it in callbacks and status answers (amounts as floats)."""
        commission = (self.amount * COMMISSION).quantize(CENT)
        body: dict[str, Any] = {
            "action": "pay", "payment_id": self.payment_id, "status": self.status,
            "version": self.version, "type": "buy", "paytype": "card",
            "public_key": self.request["public_key"], "acq_id": ACQ_ID,
            "order_id": self.request["order_id"], "liqpay_order_id": self.liqpay_order_id,
            "description": self.request["description"],
            "sender_card_mask2": f"{self.card[:6]}*{self.card[-2:]}", "sender_card_type": "visa",
            "sender_card_country": 804, "language": self.request.get("language", "uk"),
            "amount": float(self.amount), "currency": self.request["currency"],
            "amount_debit": float(self.amount), "currency_debit": self.request["currency"],
            "amount_credit": float(self.amount - commission), "currency_credit": self.request["currency"],
            "sender_commission": 0.0, "receiver_commission": float(commission), "agent_commission": 0.0,
            "is_3ds": self.card == "4000000000003063",
            "create_date": self.create_date, "end_date": self.end_date, "transaction_id": self.payment_id,
        }
        if self.err_code:
            body.update(err_code=self.err_code, err_description=self.err_description)
        if self.refunded:
            body["refund_amount"] = float(self.refunded)
        return body | override


# What /_emulator/fail can do to the next /api/request calls: answer 503, answer late,
# or refuse with a LiqPay error code (the caller's choice, e.g. err_access or err_cache).
FAILURE_MODES = ("server_error", "timeout", "error")


@dataclass
class Failure:
    mode: str
    count: int
    seconds: float = 15.0
    err_code: str = ""


class Ledger:
    def __init__(
        self, public_key: str, private_key: str, *, delay: float,
        retry_delays: Sequence[float], callback_timeout: float,
    ):
        self.public_key = public_key
        self.private_key = private_key
        self.delay = delay
        self.retry_delays = tuple(retry_delays)
        self._http = httpx.Client(timeout=callback_timeout)
        self._lock = threading.RLock()
        self.failures: FailureSwitch[Failure] = FailureSwitch()
        self._timers: set[threading.Timer] = set()
        # Seeded from the clock so a restarted emulator never repeats an id the shop
        # already stored; like LiqPay's own ids they outgrow 32 bits.
        self._ids = itertools.count(_now_ms())
        self.reset()

    def reset(self) -> None:
        with self._lock:
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
            self.payments: dict[int, Payment] = {}
            self.failures.arm(None)
            # order_id -> (payload, version) of checkout pages shown, for paying by order_id
            self.checkouts: dict[str, tuple[dict[str, Any], int]] = {}


    def open_checkout(self, payload: dict[str, Any], version: int) -> None:
        with self._lock:
            self.checkouts[payload["order_id"]] = (payload, version)

    def find(self, order_id: Any = None, payment_id: Any = None) -> Payment | None:
        with self._lock:
            for payment in reversed(self.payments.values()):
                if str(payment.payment_id) == str(payment_id) or payment.request["order_id"] == order_id:
                    return payment
        return None

    def pay(self, payload: dict[str, Any], version: int, amount: Decimal, card: str, *, deliver: bool) -> Payment:
        card = card.replace(" ", "")
        if card not in TEST_CARDS:
            raise ProtocolError("err_card", "Unknown card; use a test card: " + ", ".join(TEST_CARDS))
        with self._lock:
            previous = self.find(order_id=payload["order_id"])
            if previous and previous.status in TAKEN:
                raise ProtocolError("order_id_duplicate", "This order_id already has a payment")
            err_code, err_description = FAILURE_CARDS.get(card, (None, None))
            if err_code:
                status = "failure"
            elif card == DELAYED_CARD:
                status = "wait_accept"
            else:
                status = self._paid_status(payload)
            now = _now_ms()
            payment_id = next(self._ids)
            payment = Payment(
                payment_id=payment_id, liqpay_order_id=f"EMU{payment_id}", request=payload,
                version=version, amount=amount, card=card, status=status, create_date=now,
                end_date=now, err_code=err_code, err_description=err_description,
            )
            self.payments[payment_id] = payment
            state = payment.state()
        self._send(payment, state, deliver=deliver)
        if payment.status == "wait_accept":
            self._later(self.delay, self._complete, payment, deliver)
        return payment

    def _paid_status(self, payload: dict[str, Any]) -> str:
        # LiqPay reports a sandbox payment (sandbox keys, or "sandbox": 1) as "sandbox", never "success".
        sandbox = self.public_key.startswith("sandbox_") or str(payload.get("sandbox")) == "1"
        return "sandbox" if sandbox else "success"

    def _complete(self, payment: Payment, deliver: bool) -> None:
        with self._lock:
            if payment.status != "wait_accept":
                return
            payment.status = self._paid_status(payment.request)
            payment.end_date = _now_ms()
            state = payment.state()
        self._send(payment, state, deliver=deliver)

    def refund(self, payment: Payment, amount: Decimal | None) -> dict[str, Any]:
        """Full (or no amount) reverses the payment; less records a partial refund.
        refund_amount in the answer and the callback is the total refunded so far."""
        with self._lock:
            if payment.status not in PAID:
                raise ProtocolError("payment_err_status", f"Cannot refund a payment in status {payment.status}")
            left = payment.amount - payment.refunded
            amount = left if amount is None else amount
            if amount > left:
                raise ProtocolError("amount_limit", f"Refund amount exceeds the {left} left to refund")
            payment.refunded += amount
            if payment.refunded == payment.amount:
                payment.status = "reversed"
            payment.end_date = _now_ms()
            state = payment.state(action="refund", status="reversed", wait_amount=False)
        self._send(payment, state, deliver=True)
        return state

    def resend(self, payment: Payment) -> Callback | None:
        with self._lock:
            if not payment.callbacks:
                return None
            last = payment.callbacks[-1]
            copy = Callback(status=last.status, url=last.url, data=last.data, signature=last.signature)
            payment.callbacks.append(copy)
        self._attempt(copy, self.retry_delays)
        return copy

    def describe(self, payment: Payment) -> dict[str, Any]:
        """The payment's state plus what the test controls show: card, URLs, callbacks."""
        with self._lock:
            return payment.state() | {
                "card": payment.card, "refunded": float(payment.refunded),
                "server_url": payment.request.get("server_url"), "result_url": payment.request.get("result_url"),
                "callbacks": [c.as_json() for c in payment.callbacks],
            }

    def snapshot(self, order_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                self.describe(p) for p in self.payments.values()
                if order_id is None or p.request["order_id"] == order_id
            ]

    def _send(self, payment: Payment, state: dict[str, Any], *, deliver: bool) -> None:
        url = payment.request.get("server_url")
        if not url:
            return
        data, signature = encode(state, self.private_key, payment.version)
        callback = Callback(status=state["status"], url=url, data=data, signature=signature, lost=not deliver)
        with self._lock:
            payment.callbacks.append(callback)
        if deliver:
            # The first attempt runs before the browser is redirected, as the shop's
            # server usually hears of the payment before the customer is back.
            self._attempt(callback, self.retry_delays)

    def _attempt(self, callback: Callback, retries: Sequence[float]) -> None:
        at = datetime.now(UTC).isoformat()
        try:
            response = self._http.post(callback.url, data={"data": callback.data, "signature": callback.signature})
            outcome: dict[str, Any] = {"at": at, "http_status": response.status_code, "error": None}
        except httpx.HTTPError as exc:
            outcome = {"at": at, "http_status": None, "error": f"{type(exc).__name__}: {exc}"}
        with self._lock:
            callback.attempts.append(outcome)
        if not callback.delivered and retries:
            self._later(retries[0], self._attempt, callback, retries[1:])

    def _later(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        def run() -> None:
            with self._lock:
                self._timers.discard(timer)
            fn(*args)

        timer = threading.Timer(delay, run)
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()
