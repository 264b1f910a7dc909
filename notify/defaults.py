"""The shipped wording of every message: (event, channel, language) -> (subject, body).

Staff override any of them in the backoffice (`MessageTemplate`); deleting the
override brings these back. SMS texts stay short: Cyrillic costs a part per 67 letters.
"""
from __future__ import annotations

_EMAIL_SIGNATURE_UK = "\n\nЗ повагою,\n{{ supplier }}, {{ supplier_phone }}"
_EMAIL_SIGNATURE_EN = "\n\nKind regards,\n{{ supplier }}, {{ supplier_phone }}"

DEFAULTS: dict[tuple[str, str, str], tuple[str, str]] = {
    ("invitation", "sms", "uk"): ("", "{{ supplier }}: для вас створено кабінет замовлень. Встановіть пароль: {{ link }}"),
    ("invitation", "sms", "en"): ("", "{{ supplier }}: your ordering account is ready. Set a password: {{ link }}"),
    ("invitation", "email", "uk"): (
        "Ваш кабінет замовлень у {{ supplier }}",
        "Вітаємо, {{ name }}!\n\nДля {{ company }} створено кабінет: замовлення 24/7, рахунки, оплата карткою, "
        "борг і документи.\n\nВаш логін: {{ login }}\nВстановіть пароль за посиланням (діє {{ valid_days }} дн.):\n"
        "{{ link }}" + _EMAIL_SIGNATURE_UK),
    ("invitation", "email", "en"): (
        "Your ordering account at {{ supplier }}",
        "Hello {{ name }},\n\nAn account has been created for {{ company }}: order 24/7, see invoices, pay by card, "
        "check your balance and documents.\n\nYour login: {{ login }}\nSet your password here (valid for "
        "{{ valid_days }} days):\n{{ link }}" + _EMAIL_SIGNATURE_EN),
    ("password_reset", "sms", "uk"): ("", "Новий пароль до кабінету: {{ link }} (діє {{ valid_hours }} год.)"),
    ("password_reset", "sms", "en"): ("", "Set a new password: {{ link }} (valid {{ valid_hours }} h)"),
    ("password_reset", "email", "uk"): (
        "Відновлення пароля",
        "Щоб встановити новий пароль, відкрийте посилання (діє {{ valid_hours }} год.):\n{{ link }}\n\n"
        "Якщо ви не просили змінити пароль, нічого не робіть." + _EMAIL_SIGNATURE_UK),
    ("password_reset", "email", "en"): (
        "Password reset",
        "To set a new password, open this link (valid for {{ valid_hours }} hours):\n{{ link }}\n\n"
        "If you did not ask for it, ignore this message." + _EMAIL_SIGNATURE_EN),
    ("order_confirmed", "sms", "uk"): ("", "Замовлення {{ order_number }} на {{ total }} підтверджено. {{ supplier }}"),
    ("order_confirmed", "sms", "en"): ("", "Order {{ order_number }} for {{ total }} is confirmed. {{ supplier }}"),
    ("order_confirmed", "email", "uk"): (
        "Замовлення {{ order_number }} підтверджено",
        "Замовлення {{ order_number }} компанії {{ company }} на суму {{ total }} підтверджено."
        "{% if delivery_date %}\nБажана дата доставки: {{ delivery_date }}.{% endif %}\n\n"
        "Деталі замовлення: {{ order_url }}" + _EMAIL_SIGNATURE_UK),
    ("order_confirmed", "email", "en"): (
        "Order {{ order_number }} confirmed",
        "Order {{ order_number }} of {{ company }} for {{ total }} is confirmed."
        "{% if delivery_date %}\nRequested delivery date: {{ delivery_date }}.{% endif %}\n\n"
        "Order details: {{ order_url }}" + _EMAIL_SIGNATURE_EN),
    ("invoice_issued", "sms", "uk"): ("", "Рахунок {{ invoice_number }} на {{ amount }} до {{ due_date }}. Оплата: {{ pay_link }}"),
    ("invoice_issued", "sms", "en"): ("", "Invoice {{ invoice_number }}, {{ amount }}, due {{ due_date }}. Pay: {{ pay_link }}"),
    ("invoice_issued", "email", "uk"): (
        "Рахунок {{ invoice_number }} на {{ amount }}",
        "Для {{ company }} виставлено рахунок {{ invoice_number }} на суму {{ amount }}.\n"
        "Сплатити до {{ due_date }}.\n\nОплатити карткою: {{ pay_link }}\n\n"
        "Рахунок у PDF — у вкладенні." + _EMAIL_SIGNATURE_UK),
    ("invoice_issued", "email", "en"): (
        "Invoice {{ invoice_number }} for {{ amount }}",
        "Invoice {{ invoice_number }} for {{ amount }} has been issued to {{ company }}.\n"
        "Due by {{ due_date }}.\n\nPay by card: {{ pay_link }}\n\nThe invoice PDF is attached." + _EMAIL_SIGNATURE_EN),
    ("payment_received", "sms", "uk"): ("", "Отримано {{ amount }} за рахунок {{ invoice_number }}. Дякуємо! {{ supplier }}"),
    ("payment_received", "sms", "en"): ("", "Received {{ amount }} for invoice {{ invoice_number }}. Thank you! {{ supplier }}"),
    ("payment_received", "email", "uk"): (
        "Оплату {{ amount }} отримано",
        "Ми отримали {{ amount }} за рахунок {{ invoice_number }}."
        "{% if invoice_paid %} Рахунок сплачено повністю.{% endif %}\n\nДякуємо!" + _EMAIL_SIGNATURE_UK),
    ("payment_received", "email", "en"): (
        "Payment of {{ amount }} received",
        "We have received {{ amount }} for invoice {{ invoice_number }}."
        "{% if invoice_paid %} The invoice is paid in full.{% endif %}\n\nThank you!" + _EMAIL_SIGNATURE_EN),
    ("payment_failed", "sms", "uk"): ("", "Оплата {{ amount }} не пройшла. Спробуйте ще раз: {{ pay_link }}"),
    ("payment_failed", "sms", "en"): ("", "Payment of {{ amount }} failed. Try again: {{ pay_link }}"),
    ("payment_failed", "email", "uk"): (
        "Оплата не пройшла",
        "Оплата {{ amount }} за рахунок {{ invoice_numbers }} не пройшла.{% if reason %} Причина: {{ reason }}.{% endif %}"
        "\n\nСпробуйте ще раз: {{ pay_link }}" + _EMAIL_SIGNATURE_UK),
    ("payment_failed", "email", "en"): (
        "Payment failed",
        "The payment of {{ amount }} for invoice {{ invoice_numbers }} failed.{% if reason %} Reason: {{ reason }}.{% endif %}"
        "\n\nTry again: {{ pay_link }}" + _EMAIL_SIGNATURE_EN),
    ("invoice_due_soon", "sms", "uk"): ("", "Через {{ days }} дн. строк оплати рахунку {{ invoice_number }}: {{ outstanding }}. {{ pay_link }}"),
    ("invoice_due_soon", "sms", "en"): ("", "Invoice {{ invoice_number }} ({{ outstanding }}) is due in {{ days }} days. {{ pay_link }}"),
    ("invoice_due_soon", "email", "uk"): (
        "Нагадування: рахунок {{ invoice_number }} до {{ due_date }}",
        "Нагадуємо: рахунок {{ invoice_number }} на {{ outstanding }} треба сплатити до {{ due_date }}.\n\n"
        "Оплатити карткою: {{ pay_link }}" + _EMAIL_SIGNATURE_UK),
    ("invoice_due_soon", "email", "en"): (
        "Reminder: invoice {{ invoice_number }} due {{ due_date }}",
        "A reminder: invoice {{ invoice_number }} for {{ outstanding }} is due on {{ due_date }}.\n\n"
        "Pay by card: {{ pay_link }}" + _EMAIL_SIGNATURE_EN),
    ("invoice_due_today", "sms", "uk"): ("", "Сьогодні строк оплати рахунку {{ invoice_number }}: {{ outstanding }}. {{ pay_link }}"),
    ("invoice_due_today", "sms", "en"): ("", "Invoice {{ invoice_number }} ({{ outstanding }}) is due today. {{ pay_link }}"),
    ("invoice_due_today", "email", "uk"): (
        "Сьогодні строк оплати рахунку {{ invoice_number }}",
        "Сьогодні останній день оплати рахунку {{ invoice_number }}: до сплати {{ outstanding }}.\n\n"
        "Оплатити карткою: {{ pay_link }}" + _EMAIL_SIGNATURE_UK),
    ("invoice_due_today", "email", "en"): (
        "Invoice {{ invoice_number }} is due today",
        "Today is the last day to pay invoice {{ invoice_number }}: {{ outstanding }} outstanding.\n\n"
        "Pay by card: {{ pay_link }}" + _EMAIL_SIGNATURE_EN),
    ("invoice_overdue", "sms", "uk"): ("", "Рахунок {{ invoice_number }} прострочено на {{ days }} дн.: {{ outstanding }}. {{ pay_link }}"),
    ("invoice_overdue", "sms", "en"): ("", "Invoice {{ invoice_number }} is {{ days }} days overdue: {{ outstanding }}. {{ pay_link }}"),
    ("invoice_overdue", "email", "uk"): (
        "Рахунок {{ invoice_number }} прострочено",
        "Рахунок {{ invoice_number }} прострочено на {{ days }} дн. (строк був {{ due_date }}). "
        "До сплати: {{ outstanding }}.\n\nОплатити карткою: {{ pay_link }}\n\n"
        "Якщо ви вже сплатили, не зважайте на цей лист." + _EMAIL_SIGNATURE_UK),
    ("invoice_overdue", "email", "en"): (
        "Invoice {{ invoice_number }} is overdue",
        "Invoice {{ invoice_number }} is {{ days }} days overdue (it was due {{ due_date }}). "
        "Outstanding: {{ outstanding }}.\n\nPay by card: {{ pay_link }}\n\n"
        "If you have already paid, please ignore this message." + _EMAIL_SIGNATURE_EN),
    ("prices_changed", "sms", "uk"): ("", "{{ supplier }}: змінилися ціни на {{ count }} товарів, які ви купуєте. {{ portal_url }}"),
    ("prices_changed", "sms", "en"): ("", "{{ supplier }}: prices changed for {{ count }} products you buy. {{ portal_url }}"),
    ("prices_changed", "email", "uk"): (
        "Зміна цін на товари, які ви купуєте",
        "Змінилися ціни на товари, які {{ company }} купувала останні 90 днів:\n\n"
        "{% for line in lines %}{{ line.name }} ({{ line.sku }}): {{ line.old }} → {{ line.new }}\n{% endfor %}\n"
        "Каталог з вашими цінами: {{ portal_url }}" + _EMAIL_SIGNATURE_UK),
    ("prices_changed", "email", "en"): (
        "Price changes on products you buy",
        "Prices changed on products {{ company }} bought in the last 90 days:\n\n"
        "{% for line in lines %}{{ line.name }} ({{ line.sku }}): {{ line.old }} → {{ line.new }}\n{% endfor %}\n"
        "The catalog at your prices: {{ portal_url }}" + _EMAIL_SIGNATURE_EN),
    ("quote_sent", "sms", "uk"): ("", "{{ supplier }}: комерційна пропозиція {{ quote_number }} на {{ amount }}: {{ link }}"),
    ("quote_sent", "sms", "en"): ("", "{{ supplier }}: quote {{ quote_number }} for {{ amount }}: {{ link }}"),
    ("quote_sent", "email", "uk"): (
        "Комерційна пропозиція {{ quote_number }}",
        "Для {{ company }} підготовлено комерційну пропозицію {{ quote_number }} на {{ amount }}, "
        "діє до {{ valid_until }}.\n\nПереглянути: {{ link }}" + _EMAIL_SIGNATURE_UK),
    ("quote_sent", "email", "en"): (
        "Quote {{ quote_number }}",
        "Quote {{ quote_number }} for {{ amount }} has been prepared for {{ company }}, valid until "
        "{{ valid_until }}.\n\nView it: {{ link }}" + _EMAIL_SIGNATURE_EN),
    ("contract_sent", "sms", "uk"): ("", "{{ supplier }}: «{{ contract }}» чекає на ваш підпис у Вчасно: {{ sign_link }}"),
    ("contract_sent", "sms", "en"): ("", "{{ supplier }}: \"{{ contract }}\" awaits your signature in Vchasno: {{ sign_link }}"),
    ("contract_sent", "email", "uk"): (
        "Договір на підпис: {{ contract }}",
        "«{{ contract }}» надіслано на підпис кваліфікованим електронним підписом у сервісі Вчасно.\n\n"
        "Підписати: {{ sign_link }}" + _EMAIL_SIGNATURE_UK),
    ("contract_sent", "email", "en"): (
        "Contract to sign: {{ contract }}",
        "\"{{ contract }}\" has been sent for your qualified e-signature in Vchasno.\n\n"
        "Sign it here: {{ sign_link }}" + _EMAIL_SIGNATURE_EN),
    ("contract_signed", "sms", "uk"): ("", "«{{ contract }}» підписано {{ signed_on }}. Дякуємо! {{ supplier }}"),
    ("contract_signed", "sms", "en"): ("", "\"{{ contract }}\" was signed on {{ signed_on }}. Thank you! {{ supplier }}"),
    ("contract_signed", "email", "uk"): (
        "Договір підписано: {{ contract }}",
        "«{{ contract }}» підписано обома сторонами {{ signed_on }}. Копія — у вашому кабінеті Вчасно."
        + _EMAIL_SIGNATURE_UK),
    ("contract_signed", "email", "en"): (
        "Contract signed: {{ contract }}",
        "\"{{ contract }}\" was signed by both parties on {{ signed_on }}. Your copy is in your Vchasno account."
        + _EMAIL_SIGNATURE_EN),
    ("contract_returned", "email", "uk"): (
        "Договір {{ contract }} повернуто на доопрацювання",
        "Юрист повернув договір {{ contract }} з {{ company }} з коментарем:\n\n{{ comment }}\n\n"
        "Виправте картку контрагента й сформуйте договір знову або завантажте змінений текст."
        "{% if contract_url %}\n\nДоговір: {{ contract_url }}{% endif %}"),
    ("contract_returned", "email", "en"): (
        "Contract {{ contract }} returned for rework",
        "The lawyer returned contract {{ contract }} with {{ company }} with the comment:\n\n{{ comment }}\n\n"
        "Correct the company card and generate the contract again, or upload an edited text."
        "{% if contract_url %}\n\nThe contract: {{ contract_url }}{% endif %}"),
    ("contract_signed_manager", "email", "uk"): (
        "{{ company }} підписав договір: {{ contract }}",
        "{{ company }} підписав «{{ contract }}» у Вчасно {{ signed_on }}. Підписаний примірник і файл підпису — "
        "у картці договору.{% if contract_url %}\n\n{{ contract_url }}{% endif %}"),
    ("contract_signed_manager", "email", "en"): (
        "{{ company }} signed the contract: {{ contract }}",
        "{{ company }} signed \"{{ contract }}\" in Vchasno on {{ signed_on }}. The signed copy and the signature file "
        "are on the contract's page.{% if contract_url %}\n\n{{ contract_url }}{% endif %}"),
    ("contract_rejected", "email", "uk"): (
        "{{ company }} відхилив договір: {{ contract }}",
        "{{ company }} відхилив «{{ contract }}» у Вчасно.\n\nПричина: {{ reason }}"
        "{% if contract_url %}\n\n{{ contract_url }}{% endif %}"),
    ("contract_rejected", "email", "en"): (
        "{{ company }} rejected the contract: {{ contract }}",
        "{{ company }} rejected \"{{ contract }}\" in Vchasno.\n\nReason: {{ reason }}"
        "{% if contract_url %}\n\n{{ contract_url }}{% endif %}"),
    ("vchasno_invitation", "sms", "uk"): ("", "{{ supplier }}: договір чекає на вас у Вчасно. Зареєструйтеся: "
                                              "{{ register_url }}{% if discount %} — і отримайте {{ percent }}% знижки на наступне замовлення{% endif %}"),
    ("vchasno_invitation", "sms", "en"): ("", "{{ supplier }}: a contract awaits you in Vchasno. Register: "
                                              "{{ register_url }}{% if discount %} and get {{ percent }}% off your next order{% endif %}"),
    ("vchasno_invitation", "email", "uk"): (
        "Зареєструйтеся у Вчасно, щоб підписати договір",
        "Ми підготували для {{ company }} договір і надішлемо його на підпис кваліфікованим електронним підписом "
        "у сервісі Вчасно. Компанія ще не зареєстрована у Вчасно: зареєструйтеся безкоштовно за посиланням "
        "{{ register_url }}, і договір надійде автоматично."
        "{% if discount %}\n\nПісля реєстрації ваше наступне замовлення отримає знижку {{ percent }}%.{% endif %}"
        + _EMAIL_SIGNATURE_UK),
    ("vchasno_invitation", "email", "en"): (
        "Register in Vchasno to sign the contract",
        "We have prepared a contract for {{ company }} and will send it for your qualified e-signature in "
        "Vchasno. The company is not registered in Vchasno yet: register free of charge at {{ register_url }} and "
        "the contract will arrive automatically."
        "{% if discount %}\n\nOnce you have registered, your next order gets {{ percent }}% off.{% endif %}"
        + _EMAIL_SIGNATURE_EN),
    ("exchange_stalled", "email", "uk"): (
        "Обмін з 1С зупинився",
        "Від 1С не надходило жодного успішного обміну понад {{ minutes }} хв."
        "{% if never %} Успішних обмінів ще не було.{% else %} Остання успішна синхронізація: {{ last_success }}.{% endif %}\n\n"
        "Ціни й залишки на порталі можуть бути застарілими; замовлення й оплати чекають у черзі до 1С."
        "{% if sync_url %}\n\nСторінка обміну: {{ sync_url }}{% endif %}"),
    ("exchange_stalled", "email", "en"): (
        "The 1C exchange has stalled",
        "No successful exchange has come from 1C for over {{ minutes }} min."
        "{% if never %} There has been no successful exchange yet.{% else %} Last successful sync: {{ last_success }}.{% endif %}\n\n"
        "Prices and stock on the portal may be out of date; orders and payments wait in the queue to 1C."
        "{% if sync_url %}\n\nThe exchange page: {{ sync_url }}{% endif %}"),
}
