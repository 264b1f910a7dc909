"""The contracts page for customers, mounted with the portal (edo/feature.py)."""
from flask import Blueprint

bp = Blueprint("edo_customer", __name__, template_folder="templates")
