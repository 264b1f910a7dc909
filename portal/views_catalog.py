"""The catalog: browse by category, search, the customer's own prices and stock."""
from __future__ import annotations

from typing import Any

from flask import current_app, g, render_template, request
from flask_babel import get_locale, gettext
from flask_wtf.csrf import generate_csrf as csrf_token
from markupsafe import Markup
from flask_login import current_user

from core.auth import customer_required
from core.catalog.services import CategoryNode, catalog_page, category_tree, descendants
from core.db import db_session
from core.orders.cart import cart_quantities
from core.web import format_quantity
from portal import bp, listing_cache


@bp.get("/")
@customer_required
def catalog() -> Any:
    query = (request.args.get("q") or "").strip()[:100]
    page = request.args.get("page", type=int) or 1
    page = page if 1 <= page <= 10_000 else 1
    category_id = request.args.get("c", type=int)
    price_type_id = current_user.company.price_type_id
    cart = cart_quantities(db_session, current_user.id)
    g.cart_count = len(cart)
    listing = listing_cache.listings.get_or_render(
        (str(get_locale()), price_type_id, category_id, query, page),
        current_app.config["CATALOG_CACHE_SECONDS"],
        lambda: _render_listing(price_type_id, category_id, query, page),
    )
    html = listing_cache.personalize(
        listing, csrf_token(), cart, lambda quantity: gettext("У кошику: %(q)s.", q=format_quantity(quantity))
    )
    return render_template("portal/catalog.html", listing_html=Markup(html))


def _render_listing(price_type_id: int, category_id: int | None, query: str, page: int) -> str:
    categories = category_tree(db_session)
    category_id = category_id if category_id in {c.id for c in categories} else None
    listing = catalog_page(
        db_session,
        price_type_id,
        category_ids=descendants(categories, category_id) if category_id else None,
        query=query,
        page=page,
        page_size=current_app.config["CATALOG_PAGE_SIZE"],
        low_packs=current_app.config["LOW_STOCK_PACKS"],
    )
    active_top = _top_of(categories, category_id)
    return render_template(
        "portal/_catalog_listing.html",
        listing=listing,
        query=query,
        category_id=category_id,
        active_top=active_top,
        top_level=[c for c in categories if c.parent_id is None],
        subcategories=[c for c in categories if active_top and c.parent_id == active_top],
        csrf_marker=listing_cache.CSRF_MARKER,
    )


def _top_of(categories: list[CategoryNode], category_id: int | None) -> int | None:
    parents = {c.id: c.parent_id for c in categories}
    current = category_id
    while current is not None and parents.get(current) is not None:
        current = parents[current]
    return current
