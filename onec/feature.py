"""1C / BAS: the CommerceML catalog, prices and stock imported by 1C's Ид; orders,
payments and cancellations pushed to 1C's web service; each exchange recorded as a run."""
from __future__ import annotations

import secrets

from core.features import Feature, Secret
from onec.settings import OnecSettings, check_onec_settings

FEATURE = Feature(
    name="onec",
    description=__doc__,
    settings=OnecSettings,
    check_settings=check_onec_settings,
    secrets=(
        Secret("ONEC_EXCHANGE_PASSWORD", demo_value=lambda: secrets.token_urlsafe(18), min_length=12),
    ),
    models=("onec.models",),
    awaits="onec.handlers:AWAITS",
    handlers=("onec.handlers",),  # outbox: orders, payments, cancellations pushed to 1C's web service
    tasks=("onec.backlog",),  # periodic: pushes that outlasted their retries while 1C was away, tried again
    commands=("onec.cli:onec_import_command", "onec.cli:onec_push_command"),
)
