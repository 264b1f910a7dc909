"""The notify feature's settings and their defaults (read from the environment)."""
from __future__ import annotations

import os

from core.config import env_flag


class NotifySettings:
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
    SMTP_VERIFY_TLS = env_flag("SMTP_VERIFY_TLS", True)
    SMTP_CA_FILE = os.environ.get("SMTP_CA_FILE") or None
    # SMS that would arrive in this window (Kyiv time) wait for its end; "" switches it off.
    SMS_QUIET_HOURS = os.environ.get("SMS_QUIET_HOURS", "21:00-08:00")
    NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "8"))
    # How long a worker holds a claimed batch; after a crash its messages wait this long.
    # A batch stops starting new sends a provider timeout (and a margin) before it ends.
    NOTIFY_LEASE_SECONDS = int(os.environ.get("NOTIFY_LEASE_SECONDS", "60"))
    NOTIFY_BATCH = int(os.environ.get("NOTIFY_BATCH", "50"))
    NOTIFY_PROVIDER_TIMEOUT = float(os.environ.get("NOTIFY_PROVIDER_TIMEOUT", "10"))
    # Price changes wait this long before their digest goes, so one editing session is one digest.
    PRICE_DIGEST_SETTLE_MINUTES = int(os.environ.get("PRICE_DIGEST_SETTLE_MINUTES", "30"))
