"""Configuration from the environment (and a .env file beside wsgi.py)."""
from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

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
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
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
    # Excel order forms are far smaller; a month's bank statement of 10,000 lines is ~5 MB.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    RATELIMIT_ENABLED = _flag("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;60 per hour")
    PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", str(24 * 3600)))

    CATALOG_PAGE_SIZE = 50
    # How long a worker reuses a rendered catalog listing (per price type, language,
    # category, search and page). The cart and checkout always price live.
    CATALOG_CACHE_SECONDS = float(os.environ.get("CATALOG_CACHE_SECONDS", "15"))
    # Stock below this many packs shows as "low".
    LOW_STOCK_PACKS = int(os.environ.get("LOW_STOCK_PACKS", "5"))

    # Payments. LiqPay's base URL is configurable so the same client talks to LiqPay
    # or to the local emulator (`make demo` starts one and points this at it).
    LIQPAY_PUBLIC_KEY = os.environ.get("LIQPAY_PUBLIC_KEY", "sandbox_i00000000001")
    LIQPAY_PRIVATE_KEY = os.environ.get("LIQPAY_PRIVATE_KEY", "sandbox_demo-private-key")
    LIQPAY_BASE_URL = os.environ.get("LIQPAY_BASE_URL", "https://www.liqpay.ua")
    # A card payment still undecided after this long is asked about (lost callbacks).
    LIQPAY_RECONCILE_AFTER_MINUTES = int(os.environ.get("LIQPAY_RECONCILE_AFTER_MINUTES", "15"))
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
    SUPPLIER_IBAN = os.environ.get("SUPPLIER_IBAN", "UA213052990000026007233566001")
    SUPPLIER_BANK = os.environ.get("SUPPLIER_BANK", "АТ КБ «ПриватБанк»")
    SUPPLIER_ADDRESS = os.environ.get("SUPPLIER_ADDRESS", "04071, м. Київ, вул. Нижній Вал, 17")
    SUPPLIER_PHONE = os.environ.get("SUPPLIER_PHONE", "+380443334455")


class TestConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False
    LOGIN_RATE_LIMIT = "10000 per minute"  # the rate-limit test sets its own
    OUTBOX_DISPATCH = "inline"
    SECRET_KEY = "test-secret"
    # Each test builds its own catalog; the cache has tests of its own that switch it on.
    CATALOG_CACHE_SECONDS = 0.0
    # Tests run at any hour; the quiet-hours tests set their own window.
    SMS_QUIET_HOURS = ""
