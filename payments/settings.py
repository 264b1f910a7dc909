"""The payments feature's settings, their defaults and the check that refuses a mistyped
account or an unknown card acquirer."""
from __future__ import annotations

import os
from typing import Any

from core.config import env_flag
from core.ids import edrpou_is_valid, iban_is_valid, iban_list


# The acquirers payments.card.ACQUIRERS can build; named here so the settings check
# needs no client library.
CARD_ACQUIRERS = ("liqpay",)


class PaymentsSettings:
    # A month's bank statement of 10,000 lines is ~5 MB; the upload page states this limit.
    BANK_STATEMENT_MAX_MB = int(os.environ.get("BANK_STATEMENT_MAX_MB", "10"))
    # Which card acquirer takes card payments: one of CARD_ACQUIRERS (payments.card.ACQUIRERS builds it).
    CARD_ACQUIRER = os.environ.get("CARD_ACQUIRER", "liqpay")
    # LiqPay's base URL is configurable so the same client talks to LiqPay
    # or to the local emulator (`make demo` starts one and points this at it).
    LIQPAY_PUBLIC_KEY = os.environ.get("LIQPAY_PUBLIC_KEY") or None
    LIQPAY_PRIVATE_KEY = os.environ.get("LIQPAY_PRIVATE_KEY") or None  # verifies LiqPay's callbacks
    LIQPAY_BASE_URL = os.environ.get("LIQPAY_BASE_URL", "https://www.liqpay.ua")
    # A card payment still undecided after this long is asked about (lost callbacks).
    LIQPAY_RECONCILE_AFTER_MINUTES = int(os.environ.get("LIQPAY_RECONCILE_AFTER_MINUTES", "15"))
    # Each later question waits twice as long as the one before, up to this many hours;
    # after this many days a checkout without a final word is given up (shown to staff).
    LIQPAY_RECONCILE_MAX_HOURS = float(os.environ.get("LIQPAY_RECONCILE_MAX_HOURS", "6"))
    LIQPAY_RECONCILE_DAYS = int(os.environ.get("LIQPAY_RECONCILE_DAYS", "7"))
    # A known payer's bank transfer that names no invoice pays its oldest open ones first.
    BANK_AUTO_ALLOCATE_OLDEST = env_flag("BANK_AUTO_ALLOCATE_OLDEST", True)
    PREPAYMENT_DUE_DAYS = int(os.environ.get("PREPAYMENT_DUE_DAYS", "3"))
    # The remainder after an advance falls due this many days after the advance is paid,
    # unless the company has deferral days of its own.
    REMAINDER_DUE_DAYS = int(os.environ.get("REMAINDER_DUE_DAYS", "7"))
    # Reminder ladder, in days after the due date (negative: before it); after the last
    # step an unpaid invoice becomes the manager's collection task.
    DUNNING_LADDER = os.environ.get("DUNNING_LADDER", "-3,0,3,7")
    # Releasing a credit hold on an order above this total takes the head of sales.
    CREDIT_RELEASE_HEAD_ABOVE = os.environ.get("CREDIT_RELEASE_HEAD_ABOVE", "50000.00")
    # The supplier's requisites printed on invoices and statements.
    SUPPLIER_NAME = os.environ.get("SUPPLIER_NAME", "ТОВ «Оптовик Демо»")
    SUPPLIER_TAX_ID = os.environ.get("SUPPLIER_TAX_ID", "43210989")
    SUPPLIER_VAT_ID = os.environ.get("SUPPLIER_VAT_ID", "432109826543")
    SUPPLIER_IBAN = os.environ.get("SUPPLIER_IBAN", "UA743052990000026007233566001")
    # Our accounts, comma-separated: a bank statement of any other account is refused.
    # SUPPLIER_IBAN (the one invoices name) is always one of them.
    OUR_IBANS = os.environ.get("OUR_IBANS") or SUPPLIER_IBAN
    SUPPLIER_BANK = os.environ.get("SUPPLIER_BANK", "АТ КБ «ПриватБанк»")
    SUPPLIER_ADDRESS = os.environ.get("SUPPLIER_ADDRESS", "04071, м. Київ, вул. Нижній Вал, 17")
    SUPPLIER_PHONE = os.environ.get("SUPPLIER_PHONE", "+380443334455")


def check_payment_settings(config: Any) -> list[str]:
    """Requisites that fail their checksum would print a mistyped account on every
    invoice and refuse every statement of our real one, and an unknown acquirer would
    fail every card payment: better not to start at all."""
    problems = []
    if config["CARD_ACQUIRER"] not in CARD_ACQUIRERS:
        problems.append(f"CARD_ACQUIRER={config['CARD_ACQUIRER']!r} is not one of {', '.join(CARD_ACQUIRERS)}")
    if not iban_is_valid(config["SUPPLIER_IBAN"]):
        problems.append(f"SUPPLIER_IBAN={config['SUPPLIER_IBAN']!r} is not a valid IBAN")
    problems += [f"OUR_IBANS lists {value!r}, not a valid IBAN" for value in iban_list(config["OUR_IBANS"])
                 if not iban_is_valid(value)]
    if not edrpou_is_valid(config["SUPPLIER_TAX_ID"]):
        problems.append(f"SUPPLIER_TAX_ID={config['SUPPLIER_TAX_ID']!r} is not a valid ЄДРПОУ")
    return problems
