"""Why a message did not go: our stable error codes in words staff read."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

REASONS = {
    "invalid_phone": _l("Некоректний номер телефону"),
    "invalid_email": _l("Некоректна адреса e-mail"),
    "template_error": _l("Шаблон не вдалося заповнити"),
    "outcome_unknown": _l("Відправлення перервано: невідомо, чи прийняв його провайдер. Портал питає провайдера"),
    "outcome_unresolved": _l("Відправлення перервано, і провайдер не дав певної відповіді, чи отримав його. "
                             "Перевірте з клієнтом і надішліть ще раз, якщо треба"),
    "undelivered": _l("Оператор не доставив SMS"),
    "bad_sum": _l("Atompark відхилив контрольну суму: перевірте ключі"),
    "bad_key": _l("Atompark не знає цього ключа API"),
    "no_money": _l("На рахунку Atompark закінчилися кошти"),
    "bad_sender": _l("Atompark не прийняв ім'я відправника"),
    "bad_text": _l("Atompark не прийняв текст повідомлення"),
    "unknown_campaign": _l("Atompark не знає такої розсилки"),
    "provider_error": _l("Помилка на боці провайдера"),
    "timeout": _l("Провайдер не відповів вчасно"),
    "unreachable": _l("Не вдалося з'єднатися з провайдером"),
    "lookup_incomplete": _l("Провайдер має забагато розсилок, щоб знайти серед них це повідомлення"),
    "recipient_refused": _l("Поштовий сервер відмовився прийняти адресу"),
    "mailbox_busy": _l("Поштовий сервер тимчасово не приймає лист"),
    "auth_failed": _l("Поштовий сервер не прийняв логін або пароль"),
    "tls_failed": _l("Не вдалося встановити захищене з'єднання з поштовим сервером"),
    "smtp_error": _l("Поштовий сервер повернув помилку"),
    "attachment_missing": _l("Не знайдено документ для вкладення"),
    "already_sent_there": _l("Це повідомлення вже надіслано на цю адресу"),
    "unknown_channel": _l("Невідомий канал"),
    "internal_error": _l("Збій у порталі під час відправлення; спробуємо ще раз"),
    "secret_elsewhere": _l("Повідомлення з посиланням для входу чи оплати надсилається лише на адресу, куди його "
                           "адресовано. Виправте контакт у картці, і клієнт отримає нове посилання."),
}


def reason(code: str) -> str:
    return str(REASONS.get(code, code))
