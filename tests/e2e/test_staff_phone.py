"""Staff pages on a 390 px phone: a wide table scrolls inside its wrapper, the page never
scrolls sideways, and the wrapper takes the keyboard focus."""
from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, LiveServer
from tests.e2e.test_phone_order import COMMON, DEMO_PASSWORD, PHONE, TIMEOUT_MS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (`make browser` installs it)"),
]

ADMIN_LOGIN = "admin@distributor.demo"  # demo/staff.py: the admin sees every staff page
LIST_PAGES = (
    "/staff/orders", "/staff/holds", "/staff/claims", "/staff/collections", "/staff/companies", "/staff/catalog/products",
    "/staff/catalog/price-types", "/staff/payments/queue", "/staff/payments/import", "/staff/outbox", "/staff/messages",
    "/staff/notify/templates", "/staff/invitations", "/staff/promotions", "/staff/staff-users",
)
# On a phone a page wider than the screen is zoomed out, so innerWidth grows with it:
# compare with the device's width instead.
PAGE_WIDTH = "document.documentElement.scrollWidth"


def test_staff_pages_never_scroll_sideways_on_a_phone(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(base_url=live_server.url, **PHONE, **COMMON)
    try:
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.goto("/staff/login")
        page.locator("input[name=login]").fill(ADMIN_LOGIN)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("main form button").first.click()
        page.wait_for_url("**/staff/")
        width = PHONE["viewport"]["width"]
        page.goto("/staff/orders")
        order_url = page.locator("table a[href^='/staff/orders/']").first.get_attribute("href")
        page.goto("/staff/companies")
        company_url = page.locator("table a[href^='/staff/companies/']").first.get_attribute("href")
        wide = []
        for url in (*LIST_PAGES, order_url, company_url):
            assert page.goto(url).status == 200, url
            if page.evaluate(PAGE_WIDTH) > width + 1:
                wide.append((url, page.evaluate(PAGE_WIDTH)))
        assert wide == []

        # The order page's lines are wider than the phone: they scroll inside their region,
        # which the keyboard reaches.
        page.goto(order_url)
        region = page.locator(".table-wrap").first
        assert region.evaluate("el => el.scrollWidth > el.clientWidth")
        region.focus()
        assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
    finally:
        context.close()
