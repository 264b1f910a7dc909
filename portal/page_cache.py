"""Rendered catalog pages, shared by every customer on the same price type.

A catalog page (layout, categories, products with prices and stock, pager) is the
same for all users of a price type and language. Only a few parts are the user's own:
the CSRF token, the cart badge and the "in the cart" notes, the company name, the
language link's way back and flashed messages. The cached HTML holds markers there,
filled in per request with plain string replacement. Entries live
`CATALOG_CACHE_SECONDS` in each worker: prices and stock on screen may be that many
seconds old, while the cart and checkout always price from the database.
"""
from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Hashable
from urllib.parse import quote

from markupsafe import Markup, escape

CSRF_MARKER = "__CSRF_TOKEN__"
_CART_COUNT = "__CART_COUNT__"
_COMPANY = "__COMPANY_NAME__"
_RETURN_PATH = "__RETURN_PATH__"
_FLASHES = "__FLASHES__"
IN_CART = re.compile(r'data-in-cart="(\d+)"></span>')

# Template variables that leave markers where the layout would put per-user values.
HOLES: dict[str, Any] = {
    "csrf_token": lambda: CSRF_MARKER,
    "cart_count": lambda: _CART_COUNT,
    "company_name": _COMPANY,
    "lang_next": _RETURN_PATH,
    "flashes_html": Markup(_FLASHES),
}


class TTLCache:
    """A small LRU with a time limit, safe for threaded workers."""

    def __init__(self, max_entries: int = 512) -> None:
        self._entries: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get_or_render(self, key: Hashable, ttl: float, render: Callable[[], str]) -> str:
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
        text = escape(in_cart_note(quantity)) if quantity else ""
        return f'data-in-cart="{match.group(1)}">{text}</span>'

    return IN_CART.sub(in_cart, html)
