"""Formatting filters and small view helpers shared by the portal's pages."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, g, jsonify, redirect, request, url_for
from flask_login import current_user

from core.orders.cart import cart_at_login
from core.web import safe_next
from portal.blueprint import bp


@bp.app_context_processor
def cart_badge() -> dict[str, Any]:
    def cart_count() -> int:
        # A view that changed the cart sets g.cart_count; else the loader's snapshot is current.
        if "cart_count" not in g:
            g.cart_count = len(cart_at_login(current_user))
        return g.cart_count

    # A feature's page in the menu (contracts) only when that feature is enabled and mounted.
    return {"cart_count": cart_count, "mounted": lambda endpoint: endpoint in current_app.view_functions}


def back_within_site(default_endpoint: str = "portal.catalog") -> str:
    """Back to the page the form was on, never to another site."""
    if not request.referrer:
        return url_for(default_endpoint)
    parts = urlsplit(request.referrer)
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def answer(message: str, status: int = 200, back: str = "/", category: str = "ok", **data: Any) -> Any:
    """JSON for the in-page script, a flash and redirect for a plain form post."""
    if wants_json():
        return jsonify(ok=status < 400, message=message, **data), status
    flash(message, category if status < 400 else "error")
    return redirect(back)
