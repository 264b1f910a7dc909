"""Every Ukrainian message in the code has its English translation."""
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.config import ROOT

PACKAGES = ("core", "notify", "payments", "portal", "backoffice")
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
