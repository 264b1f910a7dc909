"""Rendered catalog pages, shared by every customer on the same price type, and the
frame around them, shared by every search.

A catalog page (layout, categories, products with prices and stock, pager) is the
same for all users of a price type and language. Only a few parts are the user's own:
the CSRF token, the cart badge and the "in the cart" notes, the company name, the
language link's way back and flashed messages. The cached HTML holds markers there,
filled in per request with plain string replacement. Entries live
`CATALOG_CACHE_SECONDS` in each worker: prices and stock on screen may be that many
seconds old, while the cart and checkout always price from the database.

The frame (the layout, the search form, the categories, when prices last arrived) is
the same for every search of a category: the query, the products and the pager are
markers in it (`frame_holes`), filled by `fill` in one pass. Frames and the categories
they show live `CATALOG_FRAME_SECONDS`, so a search with the page cache off still runs its
own query and writes its own rows, but not the layout, the category tree and the last
sync around them.
"""
from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Hashable, TypeVar
from urllib.parse import quote, quote_plus

from markupsafe import Markup, escape

# Markers carry a secret of the process: a product name, a category, a query or a company
# name that reads like a marker is never taken for one (none can guess it, and no marker
# leaves unfilled), so filling them one after another is safe.
_SECRET = secrets.token_hex(8)
CSRF_MARKER = f"__{_SECRET}_CSRF__"
_CART_COUNT = f"__{_SECRET}_CART__"
_COMPANY = f"__{_SECRET}_COMPANY__"
_RETURN_PATH = f"__{_SECRET}_RETURN__"
_FLASHES = f"__{_SECRET}_FLASHES__"
# Escaped text never holds a bare quote, so only our own rows match.
IN_CART = re.compile(r'data-in-cart="(\d+)"></span>')
_QUERY = f"__{_SECRET}_QUERY__"
_PRODUCTS = f"__{_SECRET}_PRODUCTS__"
_PAGER = f"__{_SECRET}_PAGER__"
# In a URL url_for wrote (q=<marker>) the query goes URL-encoded, elsewhere HTML-escaped.
_FRAME_MARKERS = re.compile(f"q={_QUERY}|{_QUERY}|{_PRODUCTS}|{_PAGER}")
# werkzeug's own characters left unencoded in a query string (url_for).
URL_SAFE = "!$'()*,/:;?@"

# Template variables that leave markers where the layout would put per-user values.
HOLES: dict[str, Any] = {
    "csrf_token": lambda: CSRF_MARKER,
    "cart_count": lambda: _CART_COUNT,
    "company_name": _COMPANY,
    "lang_next": _RETURN_PATH,
    "flashes_html": Markup(_FLASHES),
}


def frame_holes(query: str) -> dict[str, Any]:
    """Template variables for a frame: markers where the query (when there is one), the
    products and the pager go."""
    return {"query": _QUERY if query else "", "products": Markup(_PRODUCTS), "pager": Markup(_PAGER)}


def fill(frame: str, query: str, products: str, pager: str) -> str:
    """A frame with this search's own query, products and pager. One pass: text put in is
    never searched for markers again (a product or a query may read like one)."""
    values = {
        f"q={_QUERY}": "q=" + str(escape(quote_plus(query, safe=URL_SAFE))),
        _QUERY: str(escape(query)),
        _PRODUCTS: products,
        _PAGER: pager,
    }
    return _FRAME_MARKERS.sub(lambda match: values[match.group(0)], frame)


Value = TypeVar("Value")


class TTLCache:
    """A small LRU with a time limit, safe for threaded workers."""

    def __init__(self, max_entries: int = 512) -> None:
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get_or_render(self, key: Hashable, ttl: float, render: Callable[[], Value]) -> Value:
        if ttl <= 0:
            return render()
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] > now:
                self._entries.move_to_end(key)
                return found[1]
        html = render()
        with self._lock:
            self._entries[key] = (now + ttl, html)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return html

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


pages = TTLCache()
frames = TTLCache(max_entries=256)
navigation = TTLCache(max_entries=1)  # the category tree and the last sync, for every frame and search


@dataclass(frozen=True)
class Personal:
    csrf_token: str
    cart: dict[int, Decimal]
    company_name: str
    return_path: str
    flashes_html: str


def personalize(html: str, personal: Personal, in_cart_note: Callable[[Decimal], str]) -> str:
    """Fill one customer's own values into a shared page."""
    html = (
        html.replace(CSRF_MARKER, personal.csrf_token)
        .replace(_CART_COUNT, str(len(personal.cart)))
        .replace(_COMPANY, str(escape(personal.company_name)))
        .replace(_RETURN_PATH, quote(personal.return_path, safe="/"))
        .replace(_FLASHES, personal.flashes_html)
    )
    if not personal.cart:
        return html

    def in_cart(match: re.Match[str]) -> str:
        quantity = personal.cart.get(int(match.group(1)))
        if not quantity:
            return match.group(0)
        return f'data-in-cart="{match.group(1)}">{escape(in_cart_note(quantity))}</span>'

    return IN_CART.sub(in_cart, html)
