"""Issue 10, items 18 and 20, in the HTML the server sends: what a screen reader and a
keyboard get before any script runs (tests/e2e checks the same pages in Chromium)."""
from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from tests.conftest import login


class Tags(HTMLParser):
    """Every start tag with its attributes, in order; text by the id of its nearest element with one."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text_of: dict[str, str] = {}
        self._open_ids: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        self.tags.append((tag, found))
        if tag not in ("input", "br", "meta", "link", "img"):
            self._open_ids.append(found.get("id"))

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("input", "br", "meta", "link", "img") and self._open_ids:
            self._open_ids.pop()

    def handle_data(self, data: str) -> None:
        for element_id in reversed(self._open_ids):
            if element_id:
                self.text_of[element_id] = self.text_of.get(element_id, "") + data
                break

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def duplicate_ids(self) -> list[str]:
        return [i for i, n in Counter(a["id"] for _, a in self.tags if "id" in a).items() if n > 1]


def _page(client, url: str) -> Tags:
    response = client.get(url)
    assert response.status_code == 200, url
    return Tags(response.get_data(as_text=True))


def test_a_failed_login_ties_each_error_to_its_field(client, db):
    page = Tags(client.post("/login", data={"login": "", "password": ""}).get_data(as_text=True))
    for name in ("login", "password"):
        (field,) = page.find("input", name=name)
        assert field.get("aria-invalid") == "true", name
        described = field["aria-describedby"].split()
        assert any(page.text_of.get(i, "").strip().startswith("Вкажіть") for i in described), (name, described)
    assert page.duplicate_ids() == []


def test_the_login_field_takes_a_phone_without_an_email_keyboard(client, db, customer):
    (field,) = _page(client, "/login").find("input", name="login")
    assert field["type"] == "text" and field["autocomplete"] == "username" and "inputmode" not in field
    assert login(client, customer.phone).status_code == 302  # and a phone number does log in


def test_every_page_starts_with_a_skip_link_to_the_main_content(logged_in, client, db):
    for url in ("/", "/cart", "/orders", "/staff/login"):
        page = _page(client, url)
        first_link = page.find("a")[0]
        assert first_link["href"] == "#content" and first_link["class"] == "skip-link", url
        assert page.find("main", id="content"), url


def test_catalog_has_an_h1_and_names_each_quantity_and_button_by_its_product(logged_in, make_product, db):
    make_product("Кава зернова Арабіка 1 кг", sku="CF-A11")
    make_product("Чай чорний Ассам", sku="TE-A11")
    response = logged_in.get("/")
    html = response.get_data(as_text=True)
    page = Tags(html)
    assert page.find("h1")
    labels = [field["aria-label"] for field in page.find("input", name="quantity")]
    assert "Кількість: Кава зернова Арабіка 1 кг" in labels and "Кількість: Чай чорний Ассам" in labels
    assert len(set(labels)) == len(labels)
    buttons = [button.get("aria-label") for button in page.find("button", type="submit")]
    assert "В кошик: Кава зернова Арабіка 1 кг" in buttons and "В кошик: Чай чорний Ассам" in buttons
    assert page.duplicate_ids() == []


def test_a_checkout_error_stands_by_the_button_and_takes_the_focus(logged_in, customer, make_product, db):
    logged_in.post("/cart/add", data={"product_id": make_product().id, "quantity": "2"})
    point = customer.company.delivery_points[0].id
    html = logged_in.post("/checkout", data={"idempotency_key": "", "delivery_point": point}).get_data(as_text=True)
    errors_at = html.index('data-test="checkout-errors"')
    button_at = html.index('data-test="submit-order"')
    assert html.rindex("<form", 0, button_at) < errors_at < button_at  # inside the form, just before its button
    (errors,) = Tags(html).find("div", id="checkout-errors")
    assert errors["role"] == "alert" and errors["tabindex"] == "-1" and "data-focus-error" in errors


def test_cancelling_an_order_asks_first(logged_in, customer, make_product, db):
    logged_in.post("/cart/add", data={"product_id": make_product().id, "quantity": "2"})
    point = customer.company.delivery_points[0].id
    order_url = logged_in.post("/checkout", data={"idempotency_key": "k-a11y", "delivery_point": point}).headers["Location"]
    html = logged_in.get(order_url).get_data(as_text=True)
    cancel_form_at = html.index("/cancel")
    details_at = html.rindex('<details class="confirm"', 0, cancel_form_at)
    assert "</details>" not in html[details_at:cancel_form_at]  # the posting button sits in the question
    assert "Так, скасувати" in html[cancel_form_at:html.index("</details>", cancel_form_at)]
    assert Tags(html).duplicate_ids() == []


def test_quick_order_preview_repeats_no_id_and_its_confirm_still_works(logged_in, make_product, db):
    make_product("Цукор білий 1 кг", sku="DG-A11", pack="1")
    html = logged_in.post("/quick-order/text", data={"lines": "DG-A11 3"}).get_data(as_text=True)
    page = Tags(html)
    assert page.duplicate_ids() == []
    (items,) = page.find("input", name="items")
    answer = logged_in.post("/quick-order/confirm", data={"items": items["value"]})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/cart")
    assert 'data-sku="DG-A11"' in logged_in.get("/cart").get_data(as_text=True)


def test_an_error_flashed_after_a_redirect_takes_the_focus(logged_in, db):
    answer = logged_in.post("/quick-order/confirm", data={"items": "garbage"}, follow_redirects=True)
    (error,) = Tags(answer.get_data(as_text=True)).find("div", role="alert")
    assert error["tabindex"] == "-1" and "data-focus-error" in error
