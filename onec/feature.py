"""1C / BAS: the CommerceML catalog, prices and stock imported by 1C's Ид, each exchange
recorded as a run."""
from __future__ import annotations

import secrets

from core.features import Feature, Mount, Secret
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
    commands=("onec.cli:onec_import_command",),
    tasks=("onec.exchange.cleanup",),  # periodic: expired exchange sessions and their folders
    blueprints=(Mount("onec.exchange.routes:bp"),),
)
