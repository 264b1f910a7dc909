"""Why LiqPay declined a card, in words a customer understands.

LiqPay reports a failed payment with an `err_code` (its anti-fraud codes such as `limit`,
its non-financial codes such as `err_card_type`, and the card networks' numeric codes
such as `9851`) and an English `err_description`. The customer sees a short reason in
their language instead; a code we do not know gets the generic one.
"""
from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

OVER_LIMIT = _l("перевищено ліміт картки на суму або кількість платежів")
NO_FUNDS = _l("на картці недостатньо коштів")
EXPIRED = _l("термін дії картки минув")
WRONG_NUMBER = _l("неправильний номер картки")
NOT_SUPPORTED = _l("картка не підтримує такий платіж")
RISKY = _l("банк вважає платіж ризиковим і відхилив його")
CONFIRMATION = _l("не пройдено підтвердження платежу (3-D Secure або код із SMS)")
ISSUER = _l("банк, що випустив картку, відхилив платіж")
TIMED_OUT = _l("час на оплату минув")
GENERIC = _l("банк відхилив платіж")

REASONS: dict[str, LazyString] = {
    # Anti-fraud and amount limits.
    "limit": OVER_LIMIT, "amount_limit": OVER_LIMIT, "err_limit_amount": OVER_LIMIT,
    "err_payment_amount_limit": OVER_LIMIT, "9860": OVER_LIMIT, "9861": OVER_LIMIT, "2903": OVER_LIMIT,
    "frod": RISKY, "decline": RISKY,
    # The card itself.
    "9859": NO_FUNDS, "insufficient_funds": NO_FUNDS,
    "9851": EXPIRED, "card_expired": EXPIRED,
    "9852": WRONG_NUMBER,
    "9855": NOT_SUPPORTED, "9857": NOT_SUPPORTED, "err_card_type": NOT_SUPPORTED,
    "err_card_country": NOT_SUPPORTED, "err_card_liqpay_def": NOT_SUPPORTED, "payment_err_sender_card": NOT_SUPPORTED,
    # Confirmation steps.
    "err_sms_otp": CONFIRMATION, "err_verify_code": CONFIRMATION, "err_get_verify_code": CONFIRMATION,
    "3ds_error": CONFIRMATION, "err_3ds": CONFIRMATION,
    # The issuing bank said no without saying why.
    "9854": ISSUER, "9868": ISSUER, "9961": ISSUER, "9989": ISSUER, "err_payment": ISSUER, "90": ISSUER,
    "err_cache": TIMED_OUT,
}


def decline_reason(err_code: str | None) -> str:
    """The reason in the current language; the generic one for an unknown or missing code."""
    return str(REASONS.get((err_code or "").strip().lower(), GENERIC))
