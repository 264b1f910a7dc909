"""Configuration from the environment (and a .env file beside wsgi.py)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

from core.ids import edrpou_is_valid, iban_is_valid, iban_list

ROOT = Path(__file__).resolve().parent.parent
load_dotenv(ROOT / ".env")


def sqlalchemy_url(raw: str | None) -> str:
    """Accept the usual `postgresql://` form and route it to psycopg 3."""
    url = raw or f"sqlite:///{ROOT / 'instance' / 'portal.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    # Signing keys have no defaults here: production sets them, the embedded demo
    # (EMBEDDED_DEMO=1, set by `make demo`) makes its own in instance/ (core/signing_keys.py).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    EMBEDDED_DEMO = _flag("EMBEDDED_DEMO", False)
    SQLALCHEMY_DATABASE_URI = sqlalchemy_url(os.environ.get("DATABASE_URL"))
    SQL_ECHO = _flag("SQL_ECHO", False)
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Where outbox events go after a commit: "celery" needs a broker and a worker;
    # "inline" delivers them in the same process (the embedded default).
    OUTBOX_DISPATCH = os.environ.get("OUTBOX_DISPATCH") or ("celery" if REDIS_URL else "inline")
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "10"))
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # How many proxies of ours stand in front of the app (nginx: 1). Only then is the
    # client's address taken from X-Forwarded-For; 0 believes no such header.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

    BABEL_DEFAULT_LOCALE = "uk"
    BABEL_DEFAULT_TIMEZONE = "Europe/Kyiv"
    LANGUAGES = ("uk", "en")

    WTF_CSRF_TIME_LIMIT = None  # a form left open over lunch must still submit
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Upload limits in MB: each form refuses a larger file, and its page states the same number.
    # A month's bank statement of 10,000 lines is ~5 MB; an order form of 2,000 lines ~0.1 MB.
    ORDER_FORM_MAX_MB = int(os.environ.get("ORDER_FORM_MAX_MB", "5"))
    BANK_STATEMENT_MAX_MB = int(os.environ.get("BANK_STATEMENT_MAX_MB", "10"))
    # The whole request: the largest file above (a payment order is up to 4 MB), plus one MB
    # for the other fields and the multipart framing. Larger bodies are refused unread.
    MAX_CONTENT_LENGTH = (max(ORDER_FORM_MAX_MB, BANK_STATEMENT_MAX_MB, 4) + 1) * 1024 * 1024
    # An uploaded .xlsx is refused before it is parsed when its archive declares more than
    # this much data, a member packed tighter than this ratio, or this many members; and
    # reading stops with a refusal after this many rows (empty ones count) or columns.
    XLSX_MAX_UNPACKED_MB = int(os.environ.get("XLSX_MAX_UNPACKED_MB", "50"))
    XLSX_MAX_RATIO = int(os.environ.get("XLSX_MAX_RATIO", "100"))
    XLSX_MAX_MEMBERS = 200
    XLSX_MAX_ROWS = int(os.environ.get("XLSX_MAX_ROWS", "10000"))
    XLSX_MAX_COLUMNS = 64

    RATELIMIT_ENABLED = _flag("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    # Redis down must not lock everyone out: the limits are then counted in each process's
    # memory (per gunicorn worker) until Redis answers again, and a dead Redis costs a
    # request half a second at most.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    # Login and reset POSTs per address, and per account whatever the address. The
    # account's windows are short: an attacker can keep one customer out only while
    # attacking, and 15 minutes at most after.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;60 per hour")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute;20 per 15 minutes")
    PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", str(24 * 3600)))
    # A reset request answers this long after it arrives, for a real account or nobody's
    # alike (longer than sending the link takes), so its timing tells no one which it was.
    PASSWORD_RESET_ANSWER_SECONDS = float(os.environ.get("PASSWORD_RESET_ANSWER_SECONDS", "0.25"))

    CATALOG_PAGE_SIZE = 50
    # How long a worker reuses a rendered catalog listing (per price type, language,
    # category, search and page). The cart and checkout always price live.
    CATALOG_CACHE_SECONDS = float(os.environ.get("CATALOG_CACHE_SECONDS", "15"))
    # Stock below this many packs shows as "low".
    LOW_STOCK_PACKS = int(os.environ.get("LOW_STOCK_PACKS", "5"))

    # Payments. LiqPay's base URL is configurable so the same client talks to LiqPay
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
    BANK_AUTO_ALLOCATE_OLDEST = _flag("BANK_AUTO_ALLOCATE_OLDEST", True)
    PREPAYMENT_DUE_DAYS = int(os.environ.get("PREPAYMENT_DUE_DAYS", "3"))
    # The remainder after an advance falls due this many days after the advance is paid,
    # unless the company has deferral days of its own.
    REMAINDER_DUE_DAYS = int(os.environ.get("REMAINDER_DUE_DAYS", "7"))
    # Reminder ladder, in days after the due date (negative: before it); after the last
    # step an unpaid invoice becomes the manager's collection task.
    DUNNING_LADDER = os.environ.get("DUNNING_LADDER", "-3,0,3,7")
    # Releasing a credit hold on an order above this total takes the head of sales.
    CREDIT_RELEASE_HEAD_ABOVE = os.environ.get("CREDIT_RELEASE_HEAD_ABOVE", "50000.00")
    # Notifications. SMS through Atompark's API v3, e-mail through any SMTP relay; the
    # demo points both at local emulators (`flask serve-demo`).
    ATOMPARK_PUBLIC_KEY = os.environ.get("ATOMPARK_PUBLIC_KEY", "demo-public-key")
    ATOMPARK_PRIVATE_KEY = os.environ.get("ATOMPARK_PRIVATE_KEY", "demo-private-key")
    ATOMPARK_BASE_URL = os.environ.get("ATOMPARK_BASE_URL", "https://api.atompark.com/sms/3.0")
    SMS_SENDER = os.environ.get("SMS_SENDER", "OPTOVYK")
    SMTP_HOST = os.environ.get("SMTP_HOST", "127.0.0.1")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_SECURITY = os.environ.get("SMTP_SECURITY", "none")  # none | starttls | ssl
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "ТОВ «Оптовик Демо» <noreply@optovyk.example>")
    # A relay with a certificate of a private CA: trust that CA's file (never switch checks off in production).
    SMTP_VERIFY_TLS = _flag("SMTP_VERIFY_TLS", True)
    SMTP_CA_FILE = os.environ.get("SMTP_CA_FILE") or None
    # SMS that would arrive in this window (Kyiv time) wait for its end; "" switches it off.
    SMS_QUIET_HOURS = os.environ.get("SMS_QUIET_HOURS", "21:00-08:00")
    NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "8"))
    # How long a worker holds a claimed batch; after a crash its messages wait this long.
    # A batch stops starting new sends a provider timeout (and a margin) before it ends.
    NOTIFY_LEASE_SECONDS = int(os.environ.get("NOTIFY_LEASE_SECONDS", "60"))
    NOTIFY_BATCH = int(os.environ.get("NOTIFY_BATCH", "50"))
    NOTIFY_PROVIDER_TIMEOUT = float(os.environ.get("NOTIFY_PROVIDER_TIMEOUT", "10"))
    # An invitation's set-password link lives longer than a reset link.
    INVITATION_MAX_AGE = int(os.environ.get("INVITATION_MAX_AGE", str(14 * 24 * 3600)))
    # Price changes wait this long before their digest goes, so one editing session is one digest.
    PRICE_DIGEST_SETTLE_MINUTES = int(os.environ.get("PRICE_DIGEST_SETTLE_MINUTES", "30"))
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


class ConfigError(RuntimeError):
    """A setting the app must not start with; the message names the variable to fix."""


def check_payment_settings(config: Any) -> None:
    """Requisites that fail their checksum would print a mistyped account on every
    invoice and refuse every statement of our real one: better not to start at all."""
    problems = []
    if not iban_is_valid(config["SUPPLIER_IBAN"]):
        problems.append(f"SUPPLIER_IBAN={config['SUPPLIER_IBAN']!r} is not a valid IBAN")
    problems += [f"OUR_IBANS lists {value!r}, not a valid IBAN" for value in iban_list(config["OUR_IBANS"])
                 if not iban_is_valid(value)]
    if not edrpou_is_valid(config["SUPPLIER_TAX_ID"]):
        problems.append(f"SUPPLIER_TAX_ID={config['SUPPLIER_TAX_ID']!r} is not a valid ЄДРПОУ")
    if problems:
        raise ConfigError(
            "Refusing to start: " + "; ".join(problems)
            + ". Set them in the environment (or .env): an IBAN has its check digits (UA + 27 characters)."
        )


class TestConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False
    LOGIN_RATE_LIMIT = "10000 per minute"  # the rate-limit tests set their own
    LOGIN_ACCOUNT_RATE_LIMIT = "10000 per minute"
    PASSWORD_RESET_ANSWER_SECONDS = 0.0  # the test of the reset's timing sets its own
    OUTBOX_DISPATCH = "inline"
    SECRET_KEY = "test-only-secret-key-of-the-test-suite"
    LIQPAY_PUBLIC_KEY = "sandbox_i00000000001"
    LIQPAY_PRIVATE_KEY = "sandbox_test-private-key"
    # Each test builds its own catalog; the cache has tests of its own that switch it on.
    CATALOG_CACHE_SECONDS = 0.0
    # Tests run at any hour; the quiet-hours tests set their own window.
    SMS_QUIET_HOURS = ""
    # The statements the tests build are of this account (payments.bank.samples.iban("300465", "26002012345678")).
    OUR_IBANS = f"{Config.SUPPLIER_IBAN},UA303004650000026002012345678"
