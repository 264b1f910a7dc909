"""The backoffice's blueprint; routes attach to it in the view modules (backoffice.routes)."""
from flask import Blueprint

bp = Blueprint("backoffice", __name__, template_folder="templates")
