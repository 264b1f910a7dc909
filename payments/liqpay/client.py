"""The only place that talks to LiqPay: its documented protocol, spoken with httpx.

data = base64(JSON); signature = base64(sha1(private_key + data + private_key)) for API
version 3 (version 7 signs with SHA3-256, only ever received); status and refund are
form POSTs of data + signature to /api/request
(https://www.liqpay.ua/documentation/en/data_signature). liqpy is not used: its client
is pinned to www.liqpay.ua, and pointing it at the emulator took its private `_client`.

The same code talks to LiqPay, its sandbox (sandbox keys) or the local emulator
(another base_url): nothing here knows which. Every failure is a `ProviderError`.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from core.money import CENT, in_whole_cents
from core.providers import ProviderError, retryable_status
from payments.acquirer import DECLINED, PAID, PENDING, REVERSED, CheckoutForm, MalformedNotice, PaymentNotice, SignatureError

PROVIDER = "liqpay"
VERSION = 3
CHECKOUT_PATH = "/api/3/checkout"
REQUEST_PATH = "/api/request"
HASHES = {"3": hashlib.sha1, "7": hashlib.sha3_256}

FAILED_STATUSES = frozenset({"failure", "error"})
# Every other status (wait_accept, processing, 3ds_verify, ...) means "not decided yet".

# LiqPay's API error codes (err_code of a "result": "error" answer) that describe a
# passing state of LiqPay's, not of our request: the same request may pass later. Any
# other code (a refused key or signature, a payment in the wrong state, a bad amount)
# is repeated by repeating the request, so it is permanent.
RETRYABLE_ERR_CODES = frozenset({
    "err_cache",  # "the time for the operation ran out" on LiqPay's side
    "payment_processing",  # the payment is still being processed
})


class LiqpayClient:
    """A `payments.acquirer.CardAcquirer`. base_url: LiqPay itself, or the emulator.
    Sandbox keys (`sandbox_...`) make LiqPay report paid test payments as status
    "sandbox", which counts as paid only with sandbox keys: a live shop must never
    accept a sandbox payment as money received."""

    name = PROVIDER
    callback_fields = ("data", "signature")

    def __init__(self, public_key: str, private_key: str, base_url: str = "https://www.liqpay.ua", timeout: float = 10.0):
        self._public_key = public_key
        self._private_key = private_key.encode()
        self._http = httpx.Client(base_url=base_url, timeout=timeout, follow_redirects=False)
        self.checkout_url = base_url.rstrip("/") + CHECKOUT_PATH
        self.sandbox = public_key.startswith("sandbox_")

    def close(self) -> None:
        self._http.close()

    def checkout_form(
        self, order_id: str, amount: Decimal, description: str, server_url: str, result_url: str,
        language: str = "uk", currency: str = "UAH",
    ) -> CheckoutForm:
        data, signature = self._encode(
            "pay", order_id=order_id, amount=_whole_cents(amount), currency=currency,
            description=description, server_url=server_url, result_url=result_url, language=language,
        )
        return CheckoutForm(self.checkout_url, {"data": data, "signature": signature})

    def verify_callback(self, fields: Mapping[str, str]) -> PaymentNotice:
        """Verify first, then decode. API version 3 is signed with SHA-1, version 7 with
        SHA3-256; the signature must match one of them and the version the data claims."""
        data, signature = fields.get("data") or "", fields.get("signature") or ""
        if not data or not signature:
            raise SignatureError("data and signature are both required")
        given = signature.encode()
        matched = [version for version in HASHES if hmac.compare_digest(self._sign(data, version), given)]
        if not matched:
            raise SignatureError("signature does not match the data")
        try:
            body = json.loads(base64.b64decode(data, validate=True))
        except (binascii.Error, ValueError) as exc:  # bad base64, bad UTF-8 and bad JSON
            raise SignatureError(f"data is not base64-encoded JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise SignatureError("data is not a JSON object")
        if str(body.get("version")) != matched[0]:
            raise SignatureError(f"version {body.get('version')!r} data signed as version {matched[0]}")
        return self._notice(body)

    def status(self, order_id: str) -> PaymentNotice | None:
        """The payment's current state; None when LiqPay knows no payment for the order."""
        body = self._request("status", order_id=order_id)
        if "payment_id" not in body:
            if body.get("err_code") == "payment_not_found":
                return None
            raise _refused("status", body)
        return self._notice(body)

    def refund(self, order_id: str, amount: Decimal) -> PaymentNotice:
        """LiqPay's refund answer can be as small as payment_id + status; what it leaves
        out is taken from the request."""
        amount = _whole_cents(amount)
        body = self._request("refund", order_id=order_id, amount=amount)
        if body.get("result") == "error" or body.get("status") in FAILED_STATUSES:
            raise _refused("refund", body)
        return self._notice(body, order_id=order_id, amount=amount, refund_amount=amount)

    def _sign(self, data: str, version: str) -> bytes:
        return base64.b64encode(HASHES[version](self._private_key + data.encode() + self._private_key).digest())

    def _encode(self, action: str, **params: Any) -> tuple[str, str]:
        payload = {"version": VERSION, "public_key": self._public_key, "action": action, **params}
        # A Decimal goes out as a numeric string (LiqPay's own examples send "amount": "3"):
        # a float would not keep the cents exact.
        text = json.dumps(payload, default=_exact)
        data = base64.b64encode(text.encode()).decode()
        return data, self._sign(data, str(VERSION)).decode()

    def _request(self, action: str, **params: Any) -> dict[str, Any]:
        """LiqPay's JSON answer. It reports a refused request as HTTP 200 with
        "result": "error" and an err_code: the caller decides what that means, since a
        failed payment's status carries an err_code too."""
        data, signature = self._encode(action, **params)
        try:
            response = self._http.post(REQUEST_PATH, data={"data": data, "signature": signature})
        except httpx.TimeoutException as exc:
            raise ProviderError(PROVIDER, "timeout", f"{action}: no answer in time: {exc}", retryable=True) from exc
        except httpx.HTTPError as exc:
            raise ProviderError(PROVIDER, "unreachable", f"{action}: {type(exc).__name__}: {exc}", retryable=True) from exc
        if response.status_code != 200:
            raise ProviderError(PROVIDER, f"http_{response.status_code}", f"{action}: {response.text[:200]}",
                                retryable=retryable_status(response.status_code))
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ProviderError(PROVIDER, "bad_response", f"{action}: not a JSON object: {response.text[:200]}",
                                retryable=False)
        return body

    def _notice(self, body: dict[str, Any], **fallback: Any) -> PaymentNotice:
        """Every field the payment depends on is checked here, in memory: the callback
        refuses a malformed notice before storing it, and the handler and reconciliation,
        which read notices through the same function, refuse one that is already stored."""
        fields = fallback | {key: value for key, value in body.items() if value is not None}
        missing = {"order_id", "status", "amount"} - fields.keys()
        if missing:
            raise MalformedNotice(PROVIDER, f"the notice lacks {sorted(missing)}")
        refund_amount = fields.get("refund_amount")
        # Stored as the payment's provider_status, a column of 20.
        status = _text(fields, "status", 20)
        return PaymentNotice(
            payment_id=_payment_id(fields.get("payment_id")),
            order_id=_text(fields, "order_id", 255),
            status=status,
            outcome=self._outcome(status),
            amount=_amount(fields["amount"], "amount"),
            currency=_currency(fields.get("currency")),
            description=str(fields.get("description", "")),
            raw=body,
            err_code=_optional_text(fields.get("err_code")),
            err_description=_optional_text(fields.get("err_description")),
            paytype=_optional_text(fields.get("paytype")),
            sender_card_mask=_optional_text(fields.get("sender_card_mask2")),
            end_date=_end_date(fields.get("end_date")),
            refund_amount=_amount(refund_amount, "refund_amount") if refund_amount is not None else None,
        )

    def _outcome(self, status: str) -> str:
        if status == "success" or (status == "sandbox" and self.sandbox):
            return PAID
        if status in FAILED_STATUSES or status == "sandbox":
            return DECLINED
        if status == "reversed":
            return REVERSED
        return PENDING


def _exact(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} cannot be sent to LiqPay")


def _refused(action: str, body: dict[str, Any]) -> ProviderError:
    code = str(body.get("err_code") or "unknown")
    return ProviderError(PROVIDER, code, f"{action}: {body.get('err_description') or body}",
                         retryable=code in RETRYABLE_ERR_CODES)


def _whole_cents(amount: Decimal) -> Decimal:
    """Money goes out exactly as given: a fraction of a cent (or nothing to pay) is a bug
    to fix upstream, not to round away."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0 or not in_whole_cents(amount):
        raise ValueError(f"amount must be a positive Decimal in whole cents, got {amount!r}")
    return amount.quantize(CENT)


# The most a Money column (Numeric(14, 2)) holds; a larger "amount" is not a payment.
MAX_AMOUNT = Decimal("999999999999.99")


def _amount(value: Any, field: str) -> Decimal:
    """A positive, finite amount in whole cents, or MalformedNotice saying why not."""
    # bool is an int to Python, but `true` is no amount; str() first: LiqPay sends floats
    # (150.5), and Decimal(float) would keep the binary noise.
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise MalformedNotice(PROVIDER, f"{field} {value!r} is not a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise MalformedNotice(PROVIDER, f"{field} {value!r} is not a number") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise MalformedNotice(PROVIDER, f"{field} {value!r} is not a positive amount up to {MAX_AMOUNT}")
    if not in_whole_cents(amount):
        raise MalformedNotice(PROVIDER, f"{field} {value!r} has fractions of a cent")
    return amount.quantize(CENT)


def _text(fields: dict[str, Any], key: str, longest: int) -> str:
    value = fields.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not 0 < len(str(value).strip()) <= longest:
        raise MalformedNotice(PROVIDER, f"{key} {value!r} is missing, not text or longer than {longest}")
    return str(value).strip()


def _payment_id(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit() or len(str(value)) > 20:
        raise MalformedNotice(PROVIDER, f"payment_id {value!r} is not a payment number")
    return int(value)


def _currency(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or not (len(value) == 3 and value.isascii() and value.isalpha()):
        raise MalformedNotice(PROVIDER, f"currency {value!r} is not a currency code")
    return value.upper()


def _end_date(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedNotice(PROVIDER, f"end_date {value!r} is not a time") from None


def _optional_text(value: Any) -> str | None:
    return str(value) if value is not None else None
