"""The customer portal: catalog, cart, quick order and order forms, orders, invoices,
payments and the statement of account."""
from __future__ import annotations

from core.features import Feature, Mount
from portal.settings import PortalSettings

FEATURE = Feature(
    name="portal",
    description=__doc__,
    # Its invoice, pay and statement pages are the payments feature's seen by the customer.
    requires=("payments",),
    settings=PortalSettings,
    blueprints=(Mount("portal.routes:bp", login_endpoint="portal.login"),),
    upload_limits=("ORDER_FORM_MAX_MB",),
)
