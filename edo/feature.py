"""Contracts: generated from the company card and a lawyer's Word template, approved by a
lawyer, sent to the customer for a qualified e-signature in Vchasno EDO and tracked there
until signed; the signed files kept in the portal and the status sent on to 1C."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.features import Feature, Mount, NavEntry
from edo.access import CONTRACT_READERS, TEMPLATE_READERS
from edo.settings import EdoSettings, check_edo_settings

FEATURE = Feature(
    name="edo",
    description=__doc__,
    settings=EdoSettings,
    check_settings=check_edo_settings,
    models=("edo.models",),
    topics="edo.topics:TOPICS",
    handlers=(
        "edo.auto_contracts",  # inward: a contract at a company's first order and when its terms change
        "edo.handlers",  # outbox: approved contracts uploaded to Vchasno and sent
    ),
    tasks=(
        "edo.polling",  # periodic: the statuses of the contracts with the customer
        "edo.registration",  # periodic: whether invited customers have registered in Vchasno
    ),
    # The discount earned by registering in Vchasno, given to the next order at its submit
    # (and back when that order is cancelled).
    order_hooks=("edo.discount:apply_registration_discount", "edo.discount:return_with_cancelled_order"),
    commands=("edo.cli:install_template_command", "edo.cli:edo_poll_command"),
    blueprints=(
        Mount("edo.staff_routes:bp", url_prefix="/staff", when=("backoffice",),
              login_endpoint="backoffice.login", staff=True),
        Mount("edo.customer_routes:bp", when=("portal",), login_endpoint="portal.login"),
    ),
    nav=(
        NavEntry("edo_staff.contracts", _l("Договори"), CONTRACT_READERS, position=25),
        NavEntry("edo_staff.templates", _l("Шаблони договорів"), TEMPLATE_READERS, position=135),
    ),
    upload_limits=("EDO_TEMPLATE_MAX_MB",),
    # The exchange page lists approved contracts Vchasno has not taken, and why.
    sync_details=("edo.sync_details:sync_details",),
    demo_showcase="edo.demo:contracts_showcase",
    # serve-demo: the Vchasno emulator, knowing the demo's customers and open contracts.
    demo_services=("edo.demo_vchasno:start_vchasno_emulator",),
)
