"""The blueprint with every route and the template context attached: import this to mount portal."""
from portal import (  # noqa: F401
    helpers,
    listing,
    views_auth,
    views_cart,
    views_catalog,
    views_invoices,
    views_orders,
    views_quick_order,
)
from portal.blueprint import bp

__all__ = ["bp"]
