"""The contracts pages for staff: a blueprint of the feature's own, mounted at /staff in the
backoffice's layout only when the backoffice is enabled (edo/feature.py)."""
from flask import Blueprint

bp = Blueprint("edo_staff", __name__, template_folder="templates")
