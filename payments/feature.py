"""Payments: invoices by terms, card payments through LiqPay, bank statements and their
matching, receivables, credit holds, the reminder ladder, claims and refunds."""
from __future__ import annotations

import secrets

from core.features import Feature, Mount, Secret
from payments.settings import PaymentsSettings, check_payment_settings

FEATURE = Feature(
    name="payments",
    description=__doc__,
    settings=PaymentsSettings,
    check_settings=check_payment_settings,
    secrets=(
        # The demo pays through the local LiqPay emulator; a `sandbox_` key makes its test
        # payments count as paid. A public key is no secret.
        Secret("LIQPAY_PUBLIC_KEY", demo_value=lambda: "sandbox_i00000000001"),
        Secret(
            "LIQPAY_PRIVATE_KEY",
            demo_value=lambda: "sandbox_" + secrets.token_urlsafe(24),
            published=frozenset({"sandbox_demo-private-key"}),
        ),
    ),
    models=("payments.models",),
    topics="payments.topics:TOPICS",
    handlers=("payments.handlers",),  # outbox: LiqPay notices applied, refunds through LiqPay
    order_hooks=(
        "payments.invoices:follow_order",  # the invoice issued when an order is confirmed
        "payments.receivables:check_credit_at_submit",  # the credit check can hold a submitted order
    ),
    tasks=(
        "payments.liqpay.tasks",  # periodic: ask LiqPay about lost callbacks
        "payments.dunning",  # periodic: the reminder ladder
    ),
    blueprints=(Mount("payments.liqpay.callbacks:bp"),),
    upload_limits=("BANK_STATEMENT_MAX_MB",),
    form_targets=("LIQPAY_BASE_URL",),
    demo="payments.demo:money_side",
)
