"""The catalog: browse by category, search, the customer's own prices and stock."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Any

from flask import abort, current_app, render_template, request, session
from flask_babel import get_locale, gettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf as csrf_token

from core.auth import customer_required
from core.catalog.details import last_synced, product_sections
from core.catalog.services import CategoryNode, catalog_page, category_tree, descendants, product_card
from core.db import autocommit, db_session
from core.orders.cart import cart_at_login
from core.money import format_quantity
from portal import page_cache
from portal.blueprint import bp
from portal.listing import pager_html, products_html


@bp.get("/")
@autocommit
@customer_required
def catalog() -> Any:
    query = (request.args.get("q") or "").strip()[:100]
    page = request.args.get("page", type=int) or 1
    page = page if 1 <= page <= 10_000 else 1
    category_id = request.args.get("c", type=int)
    company = current_user.company
    html = page_cache.pages.get_or_render(
        (str(get_locale()), company.price_type_id, category_id, query, page),
        current_app.config["CATALOG_CACHE_SECONDS"],
        lambda: _render_page(company.price_type_id, category_id, query, page),
    )
    personal = page_cache.Personal(
        csrf_token=csrf_token(),
        cart=cart_at_login(current_user),
        company_name=company.name,
        return_path=request.full_path,
        flashes_html=render_template("_flashes.html") if "_flashes" in session else "",
    )
    return page_cache.personalize(
        html, personal, lambda quantity: gettext("У кошику: %(q)s.", q=format_quantity(quantity))
    )


@dataclass(frozen=True)
class Navigation:
    categories: list[CategoryNode]
    synced_at: datetime | None
    # Frames are kept per generation: one rendered from an older tree is never reused with
    # a newer one, so a new category shows within CATALOG_FRAME_SECONDS, not twice that.
    generation: int = field(default_factory=lambda: next(_generations))


_generations = count()


def _navigation() -> Navigation:
    return page_cache.navigation.get_or_render(
        "navigation", current_app.config["CATALOG_FRAME_SECONDS"],
        lambda: Navigation(category_tree(db_session), last_synced(db_session)),
    )


def _render_page(price_type_id: int, category_id: int | None, query: str, page: int) -> str:
    navigation = _navigation()
    category_id = category_id if category_id in {c.id for c in navigation.categories} else None
    listing = catalog_page(
        db_session,
        price_type_id,
        category_ids=descendants(navigation.categories, category_id) if category_id else None,
        query=query,
        page=page,
        page_size=current_app.config["CATALOG_PAGE_SIZE"],
        low_packs=current_app.config["LOW_STOCK_PACKS"],
    )
    frame = page_cache.frames.get_or_render(
        (navigation.generation, str(get_locale()), category_id, bool(query)),
        current_app.config["CATALOG_FRAME_SECONDS"],
        lambda: _render_frame(navigation, category_id, query),
    )
    return page_cache.fill(frame, query, products_html(listing.rows, page_cache.CSRF_MARKER),
                           pager_html(listing, query, category_id))


def _render_frame(navigation: Navigation, category_id: int | None, query: str) -> str:
    categories = navigation.categories
    active_top = _top_of(categories, category_id)
    return render_template(
        "portal/catalog.html",
        category_id=category_id,
        active_top=active_top,
        top_level=[c for c in categories if c.parent_id is None],
        subcategories=[c for c in categories if active_top and c.parent_id == active_top],
        synced_at=navigation.synced_at,
        **page_cache.frame_holes(query),
        **page_cache.HOLES,
    )


@bp.get("/products/<int:product_id>")
@customer_required
def product(product_id: int) -> Any:
    """One product at the customer's own price (the listing's rule), with whatever the
    enabled features add (core/catalog/details.py). Inactive or unknown: 404, as any
    product the customer cannot order."""
    card = product_card(db_session, current_user.company.price_type_id, product_id,
                        low_packs=current_app.config["LOW_STOCK_PACKS"])
    if card is None:
        abort(404)
    return render_template(
        "portal/product.html",
        card=card,
        p=card.row,
        sections=product_sections(db_session, product_id),
        synced_at=last_synced(db_session),
        in_cart=cart_at_login(current_user).get(product_id),
    )


def _top_of(categories: list[CategoryNode], category_id: int | None) -> int | None:
    parents = {c.id: c.parent_id for c in categories}
    current = category_id
    while current is not None and parents.get(current) is not None:
        current = parents[current]
    return current
