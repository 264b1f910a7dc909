"""The suite's configuration: its own keys, no waiting, inline relay."""
from __future__ import annotations

from core.config import Config
from payments.settings import PaymentsSettings


class TestConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False
    LOGIN_RATE_LIMIT = "10000 per minute"  # the rate-limit tests set their own
    LOGIN_ACCOUNT_RATE_LIMIT = "10000 per minute"
    PASSWORD_RESET_ANSWER_SECONDS = 0.0  # the test of the reset's timing sets its own
    OUTBOX_DISPATCH = "inline"
    # The tests of the relay thread start one of their own.
    OUTBOX_RELAY_THREAD = False
    OUTBOX_EXTRA_TOPICS = ("tests.topics:TOPICS",)
    SECRET_KEY = "test-only-secret-key-of-the-test-suite"
    LIQPAY_PUBLIC_KEY = "sandbox_i00000000001"
    LIQPAY_PRIVATE_KEY = "sandbox_test-private-key"
    ONEC_EXCHANGE_PASSWORD = "test-only-1c-exchange-password"
    # Each test builds its own catalog; the cache has tests of its own that switch it on.
    CATALOG_CACHE_SECONDS = 0.0
    CATALOG_FRAME_SECONDS = 0.0
    # Tests run at any hour; the quiet-hours tests set their own window.
    SMS_QUIET_HOURS = ""
    # The statements the tests build are of this account (payments.bank.samples.iban("300465", "26002012345678")).
    OUR_IBANS = f"{PaymentsSettings.SUPPLIER_IBAN},UA303004650000026002012345678"
