"""The staff backoffice: orders, companies and users, catalog, outbox and message log."""
from flask import Blueprint

bp = Blueprint("backoffice", __name__, template_folder="templates")

# Routes and the template context attach to bp on import.
from backoffice import (  # noqa: E402,F401
    helpers,
    views,
    views_auth,
    views_catalog,
    views_companies,
    views_money,
    views_monitor,
    views_notify,
    views_order_entry,
    views_orders,
    views_payments,
    views_staff,
)
