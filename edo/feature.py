"""Contracts: generated from the company card and a lawyer's Word template, approved by a
lawyer, sent to the customer for a qualified e-signature in Vchasno EDO and tracked there
until signed; the signed files kept in the portal and the status sent on to 1C."""
from __future__ import annotations

from core.features import Feature
from edo.settings import EdoSettings, check_edo_settings

FEATURE = Feature(
    name="edo",
    description=__doc__,
    settings=EdoSettings,
    check_settings=check_edo_settings,
    models=("edo.models",),
    topics="edo.topics:TOPICS",
    handlers=("edo.handlers",),  # outbox: approved contracts uploaded to Vchasno and sent
    tasks=(
        "edo.polling",  # periodic: the statuses of the contracts with the customer
        "edo.registration",  # periodic: whether invited customers have registered in Vchasno
    ),
    # The discount earned by registering in Vchasno, given to the next order at its submit.
    order_hooks=("edo.discount:apply_registration_discount",),
    commands=("edo.cli:edo_poll_command",),
    # serve-demo: the Vchasno emulator, knowing the demo's customers and open contracts.
    demo_services=("edo.demo_vchasno:start_vchasno_emulator",),
)
