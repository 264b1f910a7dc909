"""What several browser tests do the same way: the phone they hold, logging in, emptying the cart."""
from __future__ import annotations

import re
from typing import Any

# The logins the demo seed always creates (demo/well_known.py, demo/staff.py).
CUSTOMER_LOGIN = "+380671234567"  # buyer@cafe.demo's phone: on a phone, people type their number
CUSTOMER_COMPANY = "ТОВ «Кафе Демо»"
STAFF_LOGIN = "manager1@distributor.demo"  # the manager the seed assigns to the cafe
DEMO_PASSWORD = "demo12345"

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Mobile Safari/537.36"
    ),
}
COMMON = {"locale": "uk-UA", "timezone_id": "Europe/Kyiv"}
TIMEOUT_MS = 10_000


def log_in(page: Any, login: str, *, staff: bool = False) -> None:
    from playwright.sync_api import expect

    page.goto("/staff/login" if staff else "/login")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Увійти").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def empty_cart(page: Any) -> None:
    """The way a customer does it (quantity 0, "Змінити"): the seed and earlier tests leave lines."""
    from playwright.sync_api import expect

    badge = page.locator("[data-cart-count]")
    expect(badge).to_have_text(re.compile(r"^\d+$"))
    if badge.inner_text() == "0":
        return
    page.locator("[data-test=cart-link]").click()
    rows = page.locator("tr[data-sku]")
    for left in range(rows.count(), 0, -1):
        expect(rows).to_have_count(left)
        rows.first.locator("input[name=quantity]").fill("0")
        rows.first.get_by_role("button", name="Змінити").click()
        expect(page.get_by_role("status").filter(has_text="Товар прибрано з кошика.")).to_be_visible()
    expect(page.get_by_text("Кошик порожній.")).to_be_visible()
    expect(badge).to_have_text("0")


# Everything a finger taps, except links inside running text (WCAG 2.5.8 exempts those).
SMALL_TARGETS_JS = """() => {
  const taps = 'button, a.button, summary, select, textarea, input:not([type=hidden]):not([type=checkbox]):not([type=radio]),'
             + ' .topbar a, .categories a, .pager a, .skip-link';
  return [...document.querySelectorAll(taps)].filter((el) => {
    const box = el.getBoundingClientRect();
    const shown = box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden'
                  && !el.closest('.visually-hidden') && !el.matches('.skip-link:not(:focus)');
    return shown && (box.height < 43.5 || box.width < 43.5);
  }).map((el) => `${el.tagName.toLowerCase()} «${(el.innerText || el.name || '').trim().slice(0, 30)}» `
                 + `${Math.round(el.getBoundingClientRect().width)}x${Math.round(el.getBoundingClientRect().height)}`);
}"""


def small_tap_targets(page: Any) -> list[str]:
    # Sizes are only the page's once its stylesheet applies: a page reached by a click may
    # still be loading it on a busy machine, and unstyled links measure 17 px high.
    page.wait_for_load_state("load")
    return page.evaluate(SMALL_TARGETS_JS)
