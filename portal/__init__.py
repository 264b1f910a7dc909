"""The customer portal: catalog, cart, quick order, orders."""
from flask import Blueprint

bp = Blueprint("portal", __name__, template_folder="templates")

from portal import views  # noqa: E402,F401  routes attach to bp
