"""The 1C sync page for staff: a blueprint of the feature's own, mounted at /staff in the
backoffice's layout only when the backoffice is enabled (onec/feature.py)."""
from flask import Blueprint

bp = Blueprint("onec_staff", __name__, template_folder="templates")
