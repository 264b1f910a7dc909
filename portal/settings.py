"""The customer portal's settings and their defaults (read from the environment)."""
from __future__ import annotations

import os


class PortalSettings:
    # An order form of 2,000 lines is ~0.1 MB; the upload page states this limit.
    ORDER_FORM_MAX_MB = int(os.environ.get("ORDER_FORM_MAX_MB", "5"))
    CATALOG_PAGE_SIZE = 50
    # How long a worker reuses a rendered catalog listing (per price type, language,
    # category, search and page). The cart and checkout always price live.
    CATALOG_CACHE_SECONDS = float(os.environ.get("CATALOG_CACHE_SECONDS", "15"))
    # Stock below this many packs shows as "low".
    LOW_STOCK_PACKS = int(os.environ.get("LOW_STOCK_PACKS", "5"))
