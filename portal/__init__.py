"""The customer portal: catalog, cart, quick order, orders."""
from flask import Blueprint

bp = Blueprint("portal", __name__, template_folder="templates")

# Routes attach to bp on import.
from portal import views_auth, views_cart, views_catalog, views_invoices, views_orders, views_quick_order  # noqa: E402,F401
from portal import helpers  # noqa: E402,F401
