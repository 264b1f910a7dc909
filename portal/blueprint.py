"""The customer portal's blueprint; routes attach to it in the view modules (portal.routes)."""
from flask import Blueprint

bp = Blueprint("portal", __name__, template_folder="templates")
