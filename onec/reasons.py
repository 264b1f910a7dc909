"""What a skipped item's reason code means, in the reader's language (the run keeps the code)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

SKIP_REASONS = {
    # The CommerceML reader's (onec/commerceml).
    "missing_id": _l("немає Ид"),
    "bad_number": _l("не число або нуль там, де потрібне число"),
    "negative_stock": _l("відʼємний залишок"),
    "negative_price": _l("відʼємна ціна"),
    "currency_not_accepted": _l("ціна в іншій валюті"),
    "missing_price_type": _l("невідомий тип ціни"),
    # The importer's (onec/importer).
    "characteristic": _l("характеристика (варіант товару): каталог їх не має"),
    "unknown_product": _l("товару з таким Ид немає в каталозі"),
    "unknown_warehouse": _l("невідомий склад"),
    "duplicate_sku": _l("артикул уже має інший товар з 1С"),
    "missing_name": _l("немає назви"),
    "bad_id": _l("Ид довший за GUID"),
    "price_too_large": _l("завелика ціна"),
    "stock_too_large": _l("завеликий залишок"),
    # The web service's pull (onec/pull) and the sale file (onec/exchange).
    "bad_amount": _l("сума не число або поза межами"),
    "unknown_kind": _l("невідомий вид документа"),
    "unknown_company": _l("контрагента з таким Ид немає на порталі"),
    "unknown_price_type": _l("невідомий вид цін"),
    "unknown_order": _l("такого замовлення порталу немає"),
    "unknown_portal_payment": _l("такого платежу порталу немає"),
    "other_company_order": _l("замовлення іншого клієнта"),
    "invalid_tax_id": _l("недійсний ЄДРПОУ/РНОКПП"),
    "duplicate_tax_id": _l("ЄДРПОУ/РНОКПП уже має інший клієнт"),
    "invalid_kind": _l("невідомий вид контрагента"),
    "invalid_terms": _l("недійсні умови оплати"),
    "invalid_credit_limit": _l("недійсний кредитний ліміт"),
    "invalid": _l("недійсні дані"),
    "not_invited": _l("запрошення не надіслано"),
    "order_on_hold": _l("замовлення чекає рішення менеджера"),
    "status_not_allowed": _l("такий перехід статусу заборонено"),
    "order_not_released": _l("замовлення ще не можна рухати далі (умови оплати)"),
    "payment_not_booked": _l("оплата з 1С: платежі з 1С надходять через веб-сервіс"),
}


def skip_reason(code: str) -> str:
    """The code's words; a code this list does not know yet is shown as it is."""
    label = SKIP_REASONS.get(code)
    return str(label) if label is not None else code
