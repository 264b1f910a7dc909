"""The customer portal's settings and their defaults (read from the environment)."""
from __future__ import annotations

import os


class PortalSettings:
    # An order form of 2,000 lines is ~0.1 MB; the upload page states this limit.
    ORDER_FORM_MAX_MB = int(os.environ.get("ORDER_FORM_MAX_MB", "5"))
    # A whole number of rows in the one-, two- and three-column layouts, and half the
    # phone's scroll (and HTML) of the 50 it was.
    CATALOG_PAGE_SIZE = int(os.environ.get("CATALOG_PAGE_SIZE", "24"))
    # How long a worker reuses a rendered catalog listing (per price type, language,
    # category, search and page). The cart and checkout always price live.
    CATALOG_CACHE_SECONDS = float(os.environ.get("CATALOG_CACHE_SECONDS", "15"))
    # How long a worker reuses the frame of a catalog page (the layout, the categories, when
    # prices last arrived) around the rows every search writes afresh: a new category or
    # sync shows within this many seconds.
    CATALOG_FRAME_SECONDS = float(os.environ.get("CATALOG_FRAME_SECONDS", "30"))
    # Stock below this many packs shows as "low".
    LOW_STOCK_PACKS = int(os.environ.get("LOW_STOCK_PACKS", "5"))
