"""The blueprint with every route and the template context attached: import this to mount backoffice."""
from backoffice import (  # noqa: F401
    helpers,
    views,
    views_auth,
    views_catalog,
    views_companies,
    views_money,
    views_monitor,
    views_order_entry,
    views_orders,
    views_payments,
    views_staff,
)
from backoffice.blueprint import bp

__all__ = ["bp"]
