"""The staff backoffice: orders, companies and users, catalog, outbox and message log."""
from flask import Blueprint

bp = Blueprint("backoffice", __name__, template_folder="templates")

from backoffice import views  # noqa: E402,F401  routes attach to bp
