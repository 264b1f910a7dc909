"""The Content-Security-Policy breaks no page: a customer logs in, adds to the cart in
place, opens the cart and pays by card (the form goes to LiqPay, here its emulator); an
admin opens the dashboard and an e-mail template whose preview keeps its styles. The
browser reports not one refusal."""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, LiveServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (`make browser` installs it)"),
]

CUSTOMER_LOGIN = "buyer@cafe.demo"  # the seed always gives this cafe an overdue invoice to pay
ADMIN_LOGIN = "admin@distributor.demo"
DEMO_PASSWORD = "demo12345"
TIMEOUT_MS = 10_000


def _watch_refusals(page: Any, refusals: list[str]) -> None:
    # Chromium reports every refusal on the console ("Refused to ... because it violates
    # the following Content Security Policy directive ...").
    page.on("console", lambda message: "Content Security Policy" in message.text and refusals.append(
        f"{page.url}: {message.text}"
    ))


def _log_in(page: Any, url: str, login: str) -> None:
    page.goto(url)
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button").last.click()


def test_no_page_is_refused_by_its_policy(browser: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    base = live_server.url
    refusals: list[str] = []
    customer = browser.new_context(base_url=base, locale="uk-UA")
    staff = browser.new_context(base_url=base, locale="uk-UA")
    try:
        page = customer.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        _watch_refusals(page, refusals)
        _log_in(page, "/login", CUSTOMER_LOGIN)
        expect(page).to_have_url(f"{base}/")

        # The in-page "add to cart" is our script: it must run.
        product = page.locator("li.product").filter(has=page.locator("form[data-async]")).first
        product.get_by_role("button", name="В кошик").click()
        expect(product.locator("form[data-async]")).to_have_attribute("data-state", "ok")
        page.goto("/cart")
        expect(page.locator("tr[data-sku]").first).to_be_visible()

        # Paying: our page hands the browser a signed form for LiqPay, sent on by our script.
        page.goto("/invoices")
        pay_form = page.locator("[data-test=pay-form]")
        pay_form.locator("input[name=invoice]").first.check()  # the overdue ones come ticked; one is enough
        page.locator("[data-test=paybar]").get_by_role("button", name="Сплатити обрані", exact=True).click()
        page.wait_for_url(lambda url: not url.startswith(base), timeout=TIMEOUT_MS)
        expect(page.locator("body")).to_contain_text("4242424242424242")

        admin = staff.new_page()
        admin.set_default_timeout(TIMEOUT_MS)
        _watch_refusals(admin, refusals)
        _log_in(admin, "/staff/login", ADMIN_LOGIN)
        expect(admin).to_have_url(re.compile(r"/staff/?$"))
        admin.goto("/staff/notify/templates/order_confirmed/email/uk")
        preview = admin.frame_locator("#preview-html").locator("body")
        expect(preview).to_be_visible()
        # The e-mail layout's own inline styles are allowed, by their hashes.
        assert "Arial" in preview.evaluate("body => getComputedStyle(body).fontFamily")
        # The live preview (our script) still answers typing.
        admin.locator("textarea[name=body]").fill("Перевірка попереднього перегляду")
        expect(preview).to_contain_text("Перевірка попереднього перегляду")
        # The backoffice's own stylesheet replaced its inline <style>.
        assert admin.locator(".email-preview").evaluate("el => getComputedStyle(el).minHeight") == "360px"
    finally:
        customer.close()
        staff.close()
    assert not refusals, "\n".join(refusals)
