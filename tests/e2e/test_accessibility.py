"""Issue 10, items 18 and 20, with a keyboard and a finger on a phone (390x844), in Chromium:
errors take the focus and say what is wrong, a skip link, nothing focused under the sticky
header, fields and buttons named by their product, the focus kept after "В кошик", 44 px tap
targets, a checkout error where the customer looks, cancel that asks first, focusable
scrolling tables. axe-core audits every page on the way (conftest.AccessibilityAudit)."""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, AccessibilityAudit, LiveServer
from tests.e2e.steps import COMMON, PHONE, STAFF_LOGIN, TIMEOUT_MS, empty_cart, log_in, small_tap_targets

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (`make browser` installs it)"),
]

# The other demo customer (prepayment), so the cafe's cart of the other tests is left alone.
CUSTOMER_LOGIN = "owner@fop.demo"


def _top_of(locator: Any) -> float:
    return locator.evaluate("el => el.getBoundingClientRect().top")


def test_a_keyboard_and_a_finger_get_around_on_a_phone(browser: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    phone = browser.new_context(base_url=live_server.url, **PHONE, **COMMON)
    try:
        phone.set_default_timeout(TIMEOUT_MS)
        page = phone.new_page()

        # A failed login: the focus lands on the first field in error, which carries its error text.
        page.goto("/login")
        assert small_tap_targets(page) == []
        login_field = page.locator("input[name=login]")
        expect(login_field).to_have_attribute("type", "text")  # a phone number or an e-mail: no e-mail keyboard
        page.get_by_role("button", name="Увійти").click()
        expect(login_field).to_be_focused()
        expect(login_field).to_have_attribute("aria-invalid", "true")
        expect(login_field).to_have_accessible_description("Вкажіть телефон або e-mail.")
        expect(page.locator("input[name=password]")).to_have_accessible_description("Вкажіть пароль.")

        log_in(page, CUSTOMER_LOGIN)
        empty_cart(page)
        page.goto("/")

        # The first Tab stop skips to the content, and the focus goes there too.
        page.keyboard.press("Tab")
        skip = page.locator(":focus")
        expect(skip).to_have_text("Перейти до змісту")
        expect(skip).to_be_in_viewport()
        page.keyboard.press("Enter")
        expect(page.locator("main#content")).to_be_focused()

        # The catalog: an h1, every field and button named by its product, 44 px to tap.
        expect(page.get_by_role("heading", level=1)).to_have_text("Каталог")
        assert small_tap_targets(page) == []
        orderable = page.locator("li.product").filter(has=page.locator(".avail-in_stock")).filter(
            has=page.locator("form[data-async]")
        )
        expect(orderable.nth(8)).to_be_attached()
        first = orderable.first
        name = first.locator(".name").inner_text()
        expect(first.locator("input[name=quantity]")).to_have_accessible_name(f"Кількість: {name}")
        add = first.get_by_role("button", name=f"В кошик: {name}", exact=True)
        expect(add).to_be_visible()

        # "В кошик" from the keyboard: the product goes in, the focus stays on the button.
        add.focus()
        page.keyboard.press("Enter")
        expect(first.locator("form[data-async]")).to_have_attribute("data-state", "ok")
        expect(page.locator("[data-cart-count]")).to_have_text("1")
        expect(add).to_be_focused()

        # The header stays on screen, and a field reached by Shift+Tab from below is not under it.
        topbar = page.locator("header.topbar")
        # Before a product's quantity field comes its name, a link to the product's page.
        target, after = orderable.nth(7).locator(".name a"), orderable.nth(7).locator("input[name=quantity]")
        page.evaluate("y => window.scrollTo(0, y)", _top_of(after) + page.evaluate("window.scrollY") - 20)
        after.evaluate("el => el.focus({preventScroll: true})")
        assert _top_of(target) < 0  # scrolled out above the screen
        page.keyboard.press("Shift+Tab")
        expect(target).to_be_focused()
        expect(topbar).to_be_in_viewport()
        bar_bottom = topbar.evaluate("el => el.getBoundingClientRect().bottom")
        assert _top_of(topbar) == 0 and _top_of(target) >= bar_bottom, (_top_of(target), bar_bottom)

        # A checkout error is shown by the button and takes the focus.
        page.locator("[data-test=cart-link]").click()
        expect(page).to_have_url(re.compile(r"/cart$"))
        assert small_tap_targets(page) == []
        page.locator("input[name=idempotency_key]").evaluate("el => { el.value = '' }")  # a form gone stale
        page.locator("[data-test=submit-order]").click()
        errors = page.locator("[data-test=checkout-errors]")
        expect(errors).to_be_focused()
        expect(errors).to_be_in_viewport()
        expect(page.locator("[data-test=submit-order]")).to_be_in_viewport()

        # Checkout for real, then cancel: it asks first.
        page.goto("/cart")
        delivery = page.locator("select[name=delivery_point]")
        if not delivery.input_value():
            delivery.select_option(index=0)
        page.locator("[data-test=submit-order]").click()
        expect(page).to_have_url(re.compile(r"/orders/\d+$"))
        assert small_tap_targets(page) == []
        confirm = page.get_by_role("button", name="Так, скасувати")
        expect(confirm).to_be_hidden()
        page.locator("[data-test=cancel-order] summary").click()
        expect(page.get_by_text(re.compile(r"Скасувати замовлення №\d+\?"))).to_be_visible()
        confirm.click()
        expect(page.locator("[data-test=order-status]")).to_have_text("Скасоване")

        # Staff tables wider than a phone scroll inside a wrapper a keyboard can focus and scroll.
        office = phone.new_page()
        log_in(office, STAFF_LOGIN, staff=True)
        office.goto("/staff/orders")
        unfocusable = office.evaluate("""() => [...document.querySelectorAll('.table-wrap')]
            .filter((w) => w.scrollWidth > w.clientWidth + 1)
            .filter((w) => w.tabIndex !== 0 || w.getAttribute('role') !== 'region' || !w.getAttribute('aria-label'))
            .length""")
        assert unfocusable == 0
    finally:
        phone.close()



ADMIN_LOGIN = "admin@distributor.demo"  # sees every backoffice page
# After the menu's pages, the first detail page of these kinds that they link to.
CUSTOMER_DETAILS = (r"^/orders/\d+$",)
STAFF_DETAILS = (
    r"^/staff/orders/\d+$", r"^/staff/companies/\d+$", r"^/staff/catalog/products/\d+$", r"^/staff/payments/\d+$",
    r"^/staff/notify/templates/[^/]+/sms/uk$",
)
FIRST_LINK_JS = """pattern => [...document.querySelectorAll('main a[href]')]
    .map((a) => a.getAttribute('href')).find((href) => new RegExp(pattern).test(href)) || null"""


def _tour(page: Any, audit: AccessibilityAudit, details: tuple[str, ...]) -> None:
    """The menu's pages and a detail page of each kind, each audited before the next."""
    from playwright.sync_api import expect

    menu = page.locator("header nav a")
    expect(menu.first).to_be_attached()
    wanted = list(details)
    for href in dict.fromkeys(menu.evaluate_all("links => links.map((a) => a.getAttribute('href'))")):
        page.goto(href)
        audit.wait_for(page)
        for pattern in list(wanted):
            found = page.evaluate(FIRST_LINK_JS, pattern)
            if found:
                wanted.remove(pattern)
                page.goto(found)
                audit.wait_for(page)
                page.goto(href)
    assert not wanted, f"no page of the menu links to {wanted}"


@pytest.mark.parametrize("viewport", [PHONE["viewport"], {"width": 1280, "height": 900}], ids=["phone", "desktop"])
def test_every_menu_page_passes_axe(
    browser: Any, live_server: LiveServer, accessibility_audit: AccessibilityAudit, viewport: dict[str, int]
) -> None:
    customer = browser.new_context(base_url=live_server.url, **(PHONE | {"viewport": viewport}), **COMMON)
    try:
        customer.set_default_timeout(TIMEOUT_MS)
        page = customer.new_page()
        log_in(page, CUSTOMER_LOGIN)
        _tour(page, accessibility_audit, CUSTOMER_DETAILS)
        for extra in ("/statement", "/no-such-page"):  # not in the menu; an error page is a page too
            page.goto(extra)
            accessibility_audit.wait_for(page)
        office = customer.new_page()
        log_in(office, ADMIN_LOGIN, staff=True)
        _tour(office, accessibility_audit, STAFF_DETAILS)
    finally:
        customer.close()
