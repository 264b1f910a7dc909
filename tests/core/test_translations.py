"""Every Ukrainian message in the code has its English translation."""
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.config import ROOT

PACKAGES = ("core", "notify", "payments", "portal", "backoffice", "onec", "edo")
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _english() -> dict[str, str]:
    translations = {}
    for po in ROOT.glob("*/translations/en/LC_MESSAGES/messages.po"):
        with po.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string:
                    translations[message.id] = message.string
    return translations


def test_every_message_has_an_english_translation():
    english = _english()
    missing = set()
    for package in PACKAGES:
        for filename, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
        ):
            ids = message if isinstance(message, tuple) else (message,)
            missing.update(f"{package}/{filename}: {m}" for m in ids if m and m not in english)
    assert sorted(missing) == []


def test_bank_matching_reasons_are_codes_told_in_the_readers_language(app):
    from datetime import date
    from decimal import Decimal

    from flask_babel import force_locale

    from core.reasons import reason_text
    from payments.bank.matching import InvoiceFacts, Matcher

    invoice = InvoiceFacts(1, 2026, 42, 7, date(2026, 11, 1), Decimal("100.00"))
    match = Matcher({"12345678": 7, "87654321": 8}, [invoice], oldest_first=set()).match(Decimal("150.00"), "87654321", "№ 2026-00042")
    assert match.review_columns == {"review_code": "bank.other_payer",
                                    "review_params": {"tax_id": "87654321", "numbers": "2026-00042"}}
    assert match.review_reason == "Платник (ЄДРПОУ 87654321) — інший контрагент, ніж у рахунку № 2026-00042"
    with app.test_request_context(), force_locale("en"):
        english = reason_text(match.review.code, match.review.params, match.review_reason)
        assert english == "The payer (EDRPOU 87654321) is not the customer of invoice No. 2026-00042"
        # Rows from before the codes, and codes nobody knows, show what was stored.
        assert reason_text("", None, "Стара причина") == "Стара причина"
        assert reason_text("no.such_code", {}, "Стара причина") == "Стара причина"
        assert reason_text("bank.other_payer", {"tax_id": "1"}, "Стара причина") == "Стара причина"  # params of another shape


def test_every_english_catalogue_compiles_with_no_fuzzy_entries():
    """pybabel skips a catalogue marked fuzzy, and leaves out fuzzy entries: either way
    English pages would show Ukrainian."""
    from io import BytesIO

    from babel.messages.mofile import read_mo, write_mo

    for package in PACKAGES:
        with (ROOT / package / "translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
            catalog = read_po(handle)
        assert not catalog.fuzzy, f"{package}: the catalogue's header is marked fuzzy"
        assert [m.id for m in catalog if m.id and m.fuzzy] == [], package
        assert [(m.id, errors) for m, errors in catalog.check()] == [], package
        compiled = BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        assert len([m for m in read_mo(compiled) if m.id]) == len([m for m in catalog if m.id and m.string]), package


def test_an_english_page_shows_the_notification_strings_in_english(client, make_staff):
    from tests.conftest import login

    editor = make_staff("head_of_sales")
    login(client, editor.email, staff=True)
    client.get("/lang/en")
    page = client.get("/staff/notify/templates").get_data(as_text=True)
    assert "Invoice issued" in page and "Виставлено рахунок" not in page
