"""The catalog's product rows, its pager and the add-to-cart form, written as HTML in Python.

A search page shows up to 24 products (CATALOG_PAGE_SIZE). The same markup from Jinja (a macro call, two
`url_for`s, money and quantity filters and a gettext lookup of the reader's language per
row) took about three times as long, and at 50,000 products it was most of a search
request's time (bench/search.py). Here everything that does not depend on the product
(the labels, the language, the URLs) is worked out once per page, and each value is
escaped as Jinja escapes it. The catalog fills its frame with `products_html` and
`pager_html` (portal/page_cache.py); the product page calls `row_words` and `add_form`,
the portal's Jinja globals.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from flask import current_app, request, url_for
from flask_babel import get_locale, gettext, lazy_gettext as _l
from markupsafe import Markup, escape

from core.catalog.services import CatalogPage, CatalogRow
from core.money import format_money, format_quantity
from core.web import unit_labels
from portal.blueprint import bp
from portal.page_cache import URL_SAFE

# An id no product has, so the product page's URL is built once and the id put in its place.
_ANY_ID = 2_147_483_647
# Availability codes (core.catalog.services.availability) and what a row says of each.
_AVAILABILITY = {"in_stock": _l("В наявності"), "low": _l("Закінчується"), "out": _l("Немає")}


@dataclass(frozen=True)
class RowWords:
    """What every row of one page shares, in the reader's language, as escaped HTML (plain
    strings: the rows are joined as text and made Markup once)."""

    language: str
    sku: str
    pack: str
    quantity: str
    add: str
    on_request: str
    offline_attrs: str
    availability: dict[str, str]
    units: dict[str, str]
    add_url: str
    product_url: tuple[str, str]  # before and after the id
    csrf_token: str

    @classmethod
    def for_page(cls, csrf_token: str) -> RowWords:
        locale = get_locale()
        shared = _shared_words(str(locale) if locale is not None else "uk", current_app._get_current_object(),
                               request.script_root)
        return replace(shared, csrf_token=_html(csrf_token))


def _html(text: str) -> str:
    return str(escape(text))


@lru_cache(maxsize=16)
def _shared_words(locale: str, _app: Any, _script_root: str) -> RowWords:
    """The words of one language, worked out once a worker (a page took 0.3 ms to translate
    and route them again); the keys past the language keep another app's URLs apart."""
    before, _, after = url_for("portal.product", product_id=_ANY_ID).partition(str(_ANY_ID))
    return RowWords(
        language=locale.split("_")[0],
        sku=_html(gettext("Арт.")), pack=_html(gettext("упаковка")), quantity=_html(gettext("Кількість")),
        add=_html(gettext("В кошик")), on_request=_html(gettext("Ціна за запитом у менеджера")),
        offline_attrs=f'data-async data-offline="{_html(gettext("Немає зʼєднання. Спробуйте ще раз."))}"',
        availability={code: _html(str(label)) for code, label in _AVAILABILITY.items()},
        units={unit: _html(label) for unit, label in unit_labels().items()},
        add_url=_html(url_for("portal.cart_add")), product_url=(_html(before), _html(after)),
        csrf_token="",
    )


@bp.app_template_global()
def availability_label(code: str) -> str:
    return str(_AVAILABILITY[code])


@bp.app_template_global()
def row_words(csrf_token: str) -> RowWords:
    return RowWords.for_page(csrf_token)


@bp.app_template_global()
def add_form(product: Any, words: RowWords, in_cart: str = "", pack: str | None = None) -> Markup:
    """The form that puts `pack` (the product's pack size unless given) into the cart; the
    note after it says what the cart holds (page_cache fills it per customer)."""
    quantity = pack if pack is not None else format_quantity(product.pack_multiple)
    return Markup(_form(product.id, _html(product.name), _html(quantity), words, _html(in_cart)))


def _form(product_id: int, name: str, quantity: str, words: RowWords, note: str) -> str:
    """Every value given as escaped HTML."""
    return (
        f'<form class="add-form" method="post" action="{words.add_url}" {words.offline_attrs}>\n'
        f'  <input type="hidden" name="csrf_token" value="{words.csrf_token}">\n'
        f'  <input type="hidden" name="product_id" value="{product_id}">\n'
        f'  <input type="text" name="quantity" value="{quantity}" inputmode="decimal" autocomplete="off"'
        f' aria-label="{words.quantity}: {name}">\n'
        f'  <button type="submit" aria-label="{words.add}: {name}">{words.add}</button>\n'
        f'  <span class="note" aria-live="polite" data-in-cart="{product_id}">{note}</span>\n'
        "</form>"
    )


def listing_rows(rows: Iterable[CatalogRow], words: RowWords) -> str:
    before, after = words.product_url
    html = []
    for row in rows:
        name, sku = _html(row.name), _html(row.sku)
        unit = words.units.get(row.unit) or _html(row.unit)
        # A quantity and an amount are digits, separators and a currency: nothing to escape.
        pack = format_quantity(row.pack_multiple)
        buy = _form(row.id, name, pack, words, "") if row.price is not None \
            else f'<p class="muted">{words.on_request}</p>'
        html.append(
            f'<li class="product" data-sku="{sku}">\n'
            f'  <div class="name"><a href="{before}{row.id}{after}">{name}</a></div>\n'
            f'  <div class="meta">{words.sku} {sku} · {unit} · {words.pack} {pack}</div>\n'
            '  <div class="row">\n'
            f'    <span class="price">{format_money(row.price, words.language)}</span><span class="muted">/ {unit}</span>\n'
            '    <span class="spacer"></span>\n'
            f'    <span class="avail-{row.availability}">{words.availability[row.availability]}</span>\n'
            "  </div>\n"
            f"  {buy}\n"
            "</li>\n"
        )
    return "".join(html)


def products_html(rows: list[CatalogRow], csrf_token: str) -> str:
    if not rows:
        nothing = gettext("Нічого не знайдено. Спробуйте іншу назву, артикул або штрихкод.")
        return f'<li class="card">{escape(nothing)}</li>'
    return listing_rows(rows, RowWords.for_page(csrf_token))


def pager_html(listing: CatalogPage, query: str, category_id: int | None) -> str:
    """Links as url_for writes them, built without it (a route build took longer than the pager)."""
    base = _catalog_url(current_app._get_current_object(), request.script_root)

    def link(page: int, label: str) -> str:
        args = [(key, value) for key, value in (("q", query or None), ("c", category_id), ("page", page))
                if value is not None]
        href = escape(f"{base}?{urlencode(args, safe=URL_SAFE)}")
        return f'<a class="button secondary" href="{href}">{escape(label)}</a>'

    back = link(listing.page - 1, "← " + gettext("Назад")) if listing.page > 1 else "<span></span>"
    onward = link(listing.page + 1, gettext("Далі") + " →") if listing.has_next else ""
    return f'<div class="pager">\n  {back}\n  {onward}\n</div>'


@lru_cache(maxsize=16)
def _catalog_url(_app: Any, _script_root: str) -> str:
    return url_for("portal.catalog")
