"""The 1C feature's pages for customers (the product images 1C sent), mounted with the portal."""
from flask import Blueprint

bp = Blueprint("onec_customer", __name__, template_folder="templates")
