"""The catalog's product rows and the add-to-cart form, written as HTML in Python.

A search page shows up to 50 products. The same markup from Jinja (a macro call, two
`url_for`s, money and quantity filters and a gettext lookup of the reader's language per
row) took about three times as long, and at 50,000 products it was most of a search
request's time (bench/search.py). Here everything that does not depend on the product
(the labels, the language, the URLs) is worked out once per page, and each value is
escaped as Jinja escapes it. The templates call `row_words`, `listing_rows` and
`add_form`, the portal's Jinja globals.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import get_locale, gettext, lazy_gettext as _l
from markupsafe import Markup, escape

from core.catalog.services import CatalogRow
from core.money import format_money, format_quantity
from core.web import unit_labels
from portal.blueprint import bp

# An id no product has, so the product page's URL is built once and the id put in its place.
_ANY_ID = 2_147_483_647
# Availability codes (core.catalog.services.availability) and what a row says of each.
_AVAILABILITY = {"in_stock": _l("В наявності"), "low": _l("Закінчується"), "out": _l("Немає")}


@dataclass(frozen=True)
class RowWords:
    """What every row of one page shares, in the reader's language, escaped once."""

    language: str
    sku: Markup
    pack: Markup
    quantity: Markup
    add: Markup
    on_request: Markup
    offline_attrs: Markup
    availability: dict[str, Markup]
    units: dict[str, Markup]
    add_url: Markup
    product_url: tuple[Markup, Markup]  # before and after the id
    csrf_token: Markup

    @classmethod
    def for_page(cls, csrf_token: str) -> RowWords:
        before, _, after = url_for("portal.product", product_id=_ANY_ID).partition(str(_ANY_ID))
        locale = get_locale()
        return cls(
            language=locale.language if locale is not None else "uk",
            sku=escape(gettext("Арт.")), pack=escape(gettext("упаковка")), quantity=escape(gettext("Кількість")),
            add=escape(gettext("В кошик")), on_request=escape(gettext("Ціна за запитом у менеджера")),
            offline_attrs=Markup('data-async data-offline="%s"') % gettext("Немає зʼєднання. Спробуйте ще раз."),
            availability={code: escape(str(label)) for code, label in _AVAILABILITY.items()},
            units={unit: escape(label) for unit, label in unit_labels().items()},
            add_url=escape(url_for("portal.cart_add")), product_url=(escape(before), escape(after)),
            csrf_token=escape(csrf_token),
        )


@bp.app_template_global()
def row_words(csrf_token: str) -> RowWords:
    return RowWords.for_page(csrf_token)


@bp.app_template_global()
def add_form(product: Any, words: RowWords, in_cart: str = "", pack: str | None = None) -> Markup:
    """The form that puts `pack` (the product's pack size unless given) into the cart; the
    note after it says what the cart holds (page_cache fills it per customer)."""
    name = escape(product.name)
    quantity = escape(pack if pack is not None else format_quantity(product.pack_multiple))
    return Markup(
        f'<form class="add-form" method="post" action="{words.add_url}" {words.offline_attrs}>\n'
        f'  <input type="hidden" name="csrf_token" value="{words.csrf_token}">\n'
        f'  <input type="hidden" name="product_id" value="{product.id}">\n'
        f'  <input type="text" name="quantity" value="{quantity}" inputmode="decimal" autocomplete="off"'
        f' aria-label="{words.quantity}: {name}">\n'
        f'  <button type="submit" aria-label="{words.add}: {name}">{words.add}</button>\n'
        f'  <span class="note" aria-live="polite" data-in-cart="{product.id}">{escape(in_cart)}</span>\n'
        "</form>"
    )


@bp.app_template_global()
def listing_rows(rows: Iterable[CatalogRow], words: RowWords) -> Markup:
    before, after = words.product_url
    html = []
    for row in rows:
        unit = words.units.get(row.unit) or escape(row.unit)
        # A quantity and an amount are digits, separators and a currency: nothing to escape.
        pack = format_quantity(row.pack_multiple)
        sku = escape(row.sku)
        buy = add_form(row, words, pack=pack) if row.price is not None else f'<p class="muted">{words.on_request}</p>'
        html.append(
            f'<li class="product" data-sku="{sku}">\n'
            f'  <div class="name"><a href="{before}{row.id}{after}">{escape(row.name)}</a></div>\n'
            f'  <div class="meta">{words.sku} {sku} · {unit} · {words.pack} {pack}</div>\n'
            '  <div class="row">\n'
            f'    <span class="price">{format_money(row.price, words.language)}</span><span class="muted">/ {unit}</span>\n'
            '    <span class="spacer"></span>\n'
            f'    <span class="avail-{row.availability}">{words.availability[row.availability]}</span>\n'
            "  </div>\n"
            f"  {buy}\n"
            "</li>\n"
        )
    return Markup("".join(html))
