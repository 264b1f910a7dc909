"""1C / BAS: the CommerceML exchange (/1c/exchange) and the catalog, prices and stock
imported by 1C's Ид; orders, payments and cancellations pushed to 1C's web service and its
changes pulled every minute; each exchange recorded as a run; what 1C sent on the portal's
product pages, the staff's sync page and a stalled-exchange alarm."""
from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l

from core.features import Feature, Mount, NavEntry, Secret
from onec.access import BALANCE_WATCHERS, SYNC_WATCHERS
from onec.settings import OnecSettings, check_onec_settings

FEATURE = Feature(
    name="onec",
    description=__doc__,
    settings=OnecSettings,
    check_settings=check_onec_settings,
    secrets=(
        Secret("ONEC_EXCHANGE_PASSWORD", demo_value=lambda: secrets.token_urlsafe(18), min_length=12),
    ),
    # The pull writes payments from 1C through the payments package's own functions.
    requires=("payments",),
    models=("onec.models",),
    topics="onec.topics:TOPICS",
    awaits="onec.handlers:AWAITS",
    handlers=("onec.handlers",),  # outbox: orders, payments, cancellations pushed to 1C's web service
    tasks=(
        "onec.pull.jobs",  # periodic: the pull from 1C's web service
        "onec.stall",  # periodic: the stalled-exchange alarm
        "onec.exchange.cleanup",  # periodic: expired exchange sessions and their folders
        "onec.backlog",  # periodic: pushes that outlasted their retries while 1C was away, tried again
    ),
    commands=("onec.cli:onec_import_command", "onec.cli:onec_push_command", "onec.cli:onec_pull_command"),
    blueprints=(
        Mount("onec.exchange.routes:bp"),
        # Product images on the portal's product page; the sync page in the backoffice's
        # layout: each mounted only beside the side it belongs to.
        Mount("onec.customer_routes:bp", when=("portal",), login_endpoint="portal.login"),
        Mount("onec.staff_routes:bp", url_prefix="/staff", when=("backoffice",),
              login_endpoint="backoffice.login", staff=True),
    ),
    nav=(
        NavEntry("onec_staff.balance_differences", _l("Розбіжності з 1С"), BALANCE_WATCHERS, position=45),
        NavEntry("onec_staff.sync", _l("Обмін з 1С"), SYNC_WATCHERS, position=115),
    ),
    product_details=("onec.details:product_details",),
    order_details=("onec.details:order_details",),
    synced_at="onec.sync:last_synced",
)
