"""Rendered catalog listings, shared by every customer on the same price type.

The listing (categories, products with prices and stock, pager) is the same for all
users of a price type; only the CSRF token and the "in the cart" notes differ. Those
are left as markers in the cached HTML and filled in per request. Entries live
`CATALOG_CACHE_SECONDS` in each worker: prices and stock on screen may be that many
seconds old, while the cart and checkout always price from the database.
"""
from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from decimal import Decimal
from typing import Hashable

from markupsafe import escape

CSRF_MARKER = "__CSRF_TOKEN__"
IN_CART = re.compile(r'data-in-cart="(\d+)"></span>')


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


listings = TTLCache()


def personalize(html: str, csrf_token: str, cart: dict[int, Decimal], note: Callable[[Decimal], str]) -> str:
    """Fill one customer's CSRF token and in-cart quantities into a shared listing."""

    def in_cart(match: re.Match[str]) -> str:
        quantity = cart.get(int(match.group(1)))
        text = escape(note(quantity)) if quantity else ""
        return f'data-in-cart="{match.group(1)}">{text}</span>'

    return IN_CART.sub(in_cart, html.replace(CSRF_MARKER, csrf_token))
