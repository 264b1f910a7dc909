"""A contract's `last_error` told to staff in their language: why an approved contract has
not gone to the customer yet, or why Vchasno's answer about a sent one was not taken, and
whether it will be by itself."""
from __future__ import annotations

from flask_babel import gettext, lazy_gettext as _l

from edo.sending import WAITING_REGISTRATION

# The codes of edo/vchasno/interface.py that say something to staff.
_WORDS = {
    WAITING_REGISTRATION: _l("Клієнт ще не зареєстрований у Вчасно: йому надіслано запрошення. "
                             "Договір буде надіслано автоматично, щойно він зареєструється."),
    "vchasno no_tariff": _l("Вчасно відмовив: у нашої компанії немає тарифу «Інтеграція». "
                            "Договір не надіслано; після підключення тарифу повторіть надсилання."),
    "vchasno auth": _l("Вчасно не прийняв токен API (VCHASNO_TOKEN). Договір не надіслано; "
                       "після заміни токена повторіть надсилання."),
    "vchasno rate_limited": _l("Вчасно просить зачекати (ліміт запитів). Надсилання повториться автоматично."),
}
# Not Vchasno refusing: it was away, and the relay tries again.
_AWAY = ("vchasno timeout", "vchasno unreachable", "vchasno http_5")


def last_error_text(last_error: str) -> str:
    """"" when nothing stands in the way."""
    if not last_error:
        return ""
    code, _, detail = last_error.partition(":")
    if code.startswith("poll "):
        return gettext("Вчасно змінив статус договору, але портал не зміг його прийняти (%(detail)s). "
                       "Спроба повториться під час наступного опитування.", detail=detail.strip())
    if code in _WORDS:
        return str(_WORDS[code])
    if code.startswith(_AWAY):
        return gettext("Вчасно зараз недоступний. Надсилання повториться автоматично.")
    return gettext("Вчасно відмовив: %(detail)s", detail=(detail or code).strip())
