"""The backoffice's pages of the notify feature (message log, templates and rules, a
company's channels, invitations): a blueprint of their own, mounted at /staff only when
notify is enabled (backoffice/feature.py), so the backoffice runs without notify."""
from flask import Blueprint

bp = Blueprint("staff_notify", __name__)
