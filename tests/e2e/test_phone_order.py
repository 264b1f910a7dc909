"""On a phone, a customer logs in, searches, adds two products, submits the order,
and a manager sees it in the backoffice: real server, real database, headless Chromium."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, LiveServer
from tests.e2e.steps import (
    COMMON, CUSTOMER_COMPANY, CUSTOMER_LOGIN, DEMO_PASSWORD, PHONE, STAFF_LOGIN, TIMEOUT_MS, empty_cart,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (`make browser` installs it)"),
]

# Every demo catalog has coffee (demo/assortment.py: "Кава зернова ...", "Кава мелена ...").
SEARCH_TERM = "кава"


def _no_horizontal_overflow(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_phone_customer_orders_and_backoffice_sees_it(browser: Any, live_server: LiveServer, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    base = live_server.url
    phone = browser.new_context(base_url=base, **PHONE, **COMMON)
    staff = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900}, **COMMON)
    try:
        phone.set_default_timeout(TIMEOUT_MS)
        staff.set_default_timeout(TIMEOUT_MS)
        page = phone.new_page()

        # Log in.
        page.goto("/login")
        page.locator("input[name=login]").fill(CUSTOMER_LOGIN)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Увійти").click()
        expect(page).to_have_url(f"{base}/")
        badge = page.locator("[data-cart-count]")
        expect(badge).to_have_text(re.compile(r"^\d+$"))

        # The seed leaves a half-made order in this cart: clear it, so the order holds just what this test adds.
        empty_cart(page)
        page.get_by_role("link", name="Каталог", exact=True).click()
        expect(page).to_have_url(f"{base}/")

        # Search.
        search = page.get_by_role("searchbox", name="Пошук")
        search.fill(SEARCH_TERM)
        search.press("Enter")
        expect(page).to_have_url(re.compile(r"/\?q=%D0%BA%D0%B0%D0%B2%D0%B0$", re.IGNORECASE))
        expect(page.get_by_text(f"Результати пошуку «{SEARCH_TERM}»")).to_be_visible()
        orderable = page.locator("li.product").filter(has=page.locator(".avail-in_stock")).filter(
            has=page.locator("form[data-async]")
        )
        expect(orderable.first).to_be_visible()
        assert orderable.count() >= 2, "the seed has fewer than two orderable coffee products in stock"
        for name in page.locator("li.product .name").all_inner_texts():
            assert SEARCH_TERM in name.casefold(), f"«{name}» does not match the search"

        # Add two products in place: the form posts in the background, the page stays.
        search_url = page.url
        chosen: list[tuple[str, str]] = []
        for n in range(2):
            product = orderable.nth(n)
            chosen.append((product.get_attribute("data-sku") or "", product.locator(".name").inner_text()))
            product.get_by_role("button", name="В кошик").click()
            expect(product.locator(".note")).to_have_text(re.compile(r"У кошику: \d"))
            expect(product.locator("form[data-async]")).to_have_attribute("data-state", "ok")
            expect(badge).to_have_text(str(n + 1))
        assert page.url == search_url
        assert all(sku for sku, _ in chosen) and chosen[0][0] != chosen[1][0]
        page.screenshot(path=str(tmp_path / "catalog-phone.png"))
        assert _no_horizontal_overflow(page), "the catalog scrolls sideways at 390 px"

        # The cart, through the navigation link.
        page.locator("[data-test=cart-link]").click()
        expect(page).to_have_url(f"{base}/cart")
        rows = page.locator("tr[data-sku]")
        expect(rows).to_have_count(2)
        for sku, name in chosen:
            expect(page.locator(f'tr[data-sku="{sku}"]')).to_contain_text(name)
        page.screenshot(path=str(tmp_path / "cart-phone.png"))
        delivery = page.locator("select[name=delivery_point]")
        expect(delivery).to_be_visible()
        if not delivery.input_value():
            delivery.select_option(index=0)
        assert delivery.input_value()
        submit = page.locator("[data-test=submit-order]")
        submit.scroll_into_view_if_needed()
        expect(submit).to_be_visible()
        expect(submit).to_be_enabled()
        page.screenshot(path=str(tmp_path / "cart-checkout-phone.png"))
        assert _no_horizontal_overflow(page), "the cart scrolls sideways at 390 px"

        # Submit: the order page shows the new order.
        submit.click()
        expect(page).to_have_url(re.compile(r"/orders/\d+$"))
        # The demo cafe has an overdue invoice: its new order waits for a manager's credit decision.
        expect(page.locator("[data-test=order-status]")).to_have_text("Очікує рішення менеджера")
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text(re.compile(r"Замовлення №\d{6}"))
        number = re.search(r"№(\d{6})", heading.inner_text()).group(1)  # type: ignore[union-attr]
        expect(page.get_by_role("status").filter(has_text=f"№{number} прийнято")).to_be_visible()
        lines = page.locator("tbody tr")
        expect(lines).to_have_count(2)
        for sku, name in chosen:
            expect(lines.filter(has_text=sku)).to_contain_text(name)
        expect(badge).to_have_text("0")
        page.screenshot(path=str(tmp_path / "order-phone.png"))

        # The manager's browser: the order is in the backoffice list and opens.
        office = staff.new_page()
        office.goto("/staff/login")
        office.locator("input[name=login]").fill(STAFF_LOGIN)
        office.locator("input[name=password]").fill(DEMO_PASSWORD)
        office.get_by_role("button", name="Увійти").click()
        expect(office).not_to_have_url(re.compile(r"/staff/login"))
        office.goto("/staff/orders")
        link = office.get_by_role("link", name=number, exact=True)
        expect(link).to_be_visible()
        row = office.locator("tr").filter(has=link)
        expect(row).to_contain_text(CUSTOMER_COMPANY)
        expect(row).to_contain_text("Очікує рішення менеджера")
        expect(row).to_contain_text("Портал")
        link.click()
        expect(office).to_have_url(re.compile(r"/staff/orders/\d+$"))
        expect(office.get_by_role("heading", level=1)).to_have_text(f"Замовлення №{number}")
        expect(office.get_by_role("link", name=CUSTOMER_COMPANY)).to_be_visible()
        for sku, name in chosen:
            expect(office.locator("tr").filter(has_text=sku)).to_contain_text(name)
    finally:
        phone.close()
        staff.close()
