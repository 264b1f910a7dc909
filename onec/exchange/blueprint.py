from flask import Blueprint

from core.web import csrf

bp = Blueprint("onec_exchange", __name__)
# 1C authenticates with HTTP Basic and the session cookie; it has no form token to send.
csrf.exempt(bp)
