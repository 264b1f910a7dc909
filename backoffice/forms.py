"""Staff forms. Field names match the `field` of the services' DomainErrors, so a rule
broken deep in a service lands under the input that caused it."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from backoffice.labels import (
    COMPANY_KIND_LABELS,
    CUSTOMER_ROLE_LABELS,
    PAYMENT_TERMS_LABELS,
    STAFF_ORDER_CHANNELS,
)
from core.catalog.services import VAT_RATES
from core.clock import kyiv_today
from core.customers import services as customer_rules
from core.customers.models import Company
from core.errors import DomainError
from core.money import parse_decimal
from core.orders.states import STATUSES
from core.phones import normalize_phone
from core.uploads import WithinUploadLimit

# Good enough to catch typos; the real proof is the password link arriving.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def options(pairs: Any) -> list[SelectChoice]:
    """(value, label) pairs as WTForms wants them (bare tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def optional_int(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


def decimal_choice(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(value) from None


def _raise_if_about(field_name: str, check: Callable[[], Any]) -> None:
    """Run a core rule; report only what it says about this field (other fields report their own)."""
    try:
        check()
    except DomainError as exc:
        if exc.field == field_name:
            raise ValidationError(exc.message) from None


class DecimalTextField(StringField):
    """A number typed with a comma or a dot and spaces as grouping; Decimal, or None when empty."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if valuelist and valuelist[0].strip():
            self.data = parse_decimal(valuelist[0])
            if self.data is None:
                raise ValueError(_l("Вкажіть число, наприклад 1250,50."))

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format(self.data, "f")


class NotNegative:
    def __call__(self, form: FlaskForm, field: DecimalTextField) -> None:
        if field.data is not None and field.data < 0:
            raise ValidationError(_l("Значення не може бути від'ємним."))


# --- auth -----------------------------------------------------------------------------


class LoginForm(FlaskForm):
    login = StringField(_l("E-mail"), filters=[_strip], validators=[DataRequired(_l("Вкажіть e-mail."))])
    password = PasswordField(_l("Пароль"), validators=[DataRequired(_l("Вкажіть пароль."))])
    remember = BooleanField(_l("Запам'ятати мене"))


class ForgotPasswordForm(FlaskForm):
    login = StringField(_l("E-mail"), filters=[_strip], validators=[DataRequired(_l("Вкажіть e-mail."))])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("Новий пароль"), validators=[DataRequired(_l("Вкажіть пароль."))])
    confirm = PasswordField(_l("Повторіть пароль"), validators=[DataRequired(_l("Повторіть пароль."))])


class ActionForm(FlaskForm):
    """CSRF only: for one-button posts (deactivate, retry, send link, log out)."""


# --- lists ----------------------------------------------------------------------------


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET query, bookmarkable

    q = StringField(_l("Пошук"), filters=[_strip], validators=[Optional(), Length(max=100)])


class OrderFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Статус"), default="")
    manager = SelectField(_l("Менеджер"), coerce=optional_int, default=None)
    company = StringField(_l("Контрагент"), filters=[_strip], validators=[Optional(), Length(max=100)])
    company_id = IntegerField(validators=[Optional()])
    channel = SelectField(_l("Канал"), default="")
    date_from = DateField(_l("Дата від"), validators=[Optional()])
    date_to = DateField(_l("Дата до"), validators=[Optional()])
    mine = BooleanField(_l("Лише мої"))

    def __init__(self, *args: Any, managers: list[tuple[int, str]], status_label: Any, channel_label: Any, **kw: Any):
        super().__init__(*args, **kw)
        everything = ("", _l("Усі"))
        self.status.choices = options([everything, *((s, status_label(s)) for s in STATUSES)])
        self.manager.choices = options([everything, *managers])
        self.channel.choices = options([everything, *((c, channel_label(c)) for c in ("portal", *STAFF_ORDER_CHANNELS, "1c"))])

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("Кінцева дата раніша за початкову."))


# --- orders ---------------------------------------------------------------------------


class StatusChangeForm(FlaskForm):
    target = HiddenField(validators=[DataRequired()])
    note = StringField(_l("Примітка"), filters=[_strip], validators=[Optional(), Length(max=500)])


class PhoneOrderForm(FlaskForm):
    """An order a manager takes by phone, Viber or e-mail on behalf of one company."""

    delivery_point = SelectField(_l("Точка доставки"), coerce=optional_int, validate_choice=False)
    channel = SelectField(
        _l("Канал"),
        choices=options([("phone", _l("Телефон")), ("viber", _l("Viber")), ("email", _l("E-mail"))]),
        default="phone",
    )
    desired_date = DateField(_l("Бажана дата доставки"), validators=[Optional()])
    comment = TextAreaField(_l("Коментар"), filters=[_strip], validators=[Optional(), Length(max=2000)])
    lines = TextAreaField(
        _l("Товари: рядки «артикул кількість»"),
        validators=[DataRequired(_l("Вставте хоча б один рядок «артикул кількість».")), Length(max=100_000)],
    )
    # Made when the form is first shown; a resent form carries the same key -> one order.
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=64)])
    accept_good_only = BooleanField(_l("Створити замовлення лише з правильних рядків"))

    def __init__(self, company: Company, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.company = company
        self.delivery_point.choices = options((p.id, f"{p.name} — {p.address}") for p in company.delivery_points if p.is_active)

    def validate_delivery_point(self, field: SelectField) -> None:
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Оберіть точку доставки цього контрагента."))

    def validate_desired_date(self, field: DateField) -> None:
        if field.data and field.data < kyiv_today():
            raise ValidationError(_l("Бажана дата доставки не може бути в минулому."))


# --- companies and their users --------------------------------------------------------


class CompanyForm(FlaskForm):
    name = StringField(
        _l("Назва"), filters=[_strip], validators=[DataRequired(_l("Вкажіть назву.")), Length(max=300)]
    )
    kind = SelectField(_l("Тип"), choices=options(COMPANY_KIND_LABELS.items()), default="legal")
    tax_id = StringField(
        _l("ЄДРПОУ / РНОКПП"), filters=[_strip], validators=[DataRequired(_l("Вкажіть код ЄДРПОУ або РНОКПП."))]
    )
    price_type_id = SelectField(_l("Тип ціни"), coerce=int)
    payment_terms = SelectField(_l("Умови оплати"), choices=options(PAYMENT_TERMS_LABELS.items()), default="prepayment")
    deferral_days = IntegerField(_l("Відстрочка, днів"), validators=[Optional()])
    advance_percent = IntegerField(_l("Аванс, %"), validators=[Optional()])
    credit_limit = DecimalTextField(_l("Кредитний ліміт, грн"), validators=[NotNegative()])
    manager_id = SelectField(_l("Менеджер"), coerce=optional_int, default=None)
    phone = StringField(_l("Телефон"), filters=[_strip], validators=[Optional(), Length(max=30)])
    email = StringField(_l("E-mail"), filters=[_strip], validators=[Optional(), Length(max=254)])
    pay_oldest_first = BooleanField(
        _l("Банківський платіж без номера рахунку гасить найстаріші рахунки першими"), default=True
    )
    # Requisites: what a contract is made from (a contract is refused while one it needs is empty).
    legal_address = StringField(_l("Юридична адреса"), filters=[_strip], validators=[Length(max=500)])
    iban = StringField(_l("IBAN"), filters=[_strip], validators=[Length(max=40)])
    bank_name = StringField(_l("Банк"), filters=[_strip], validators=[Length(max=200)])
    signer_name = StringField(_l("Підписант (ПІБ)"), filters=[_strip], validators=[Length(max=200)])
    signer_position = StringField(_l("Посада підписанта"), filters=[_strip], validators=[Length(max=200)])
    signing_basis = StringField(_l("Діє на підставі"), filters=[_strip], validators=[Length(max=300)])

    def __init__(self, *args: Any, price_types: list[tuple[int, str]], managers: list[tuple[int, str]], **kw: Any):
        super().__init__(*args, **kw)
        self.price_type_id.choices = options(price_types)
        self.manager_id.choices = options([("", "—"), *managers])

    def validate_tax_id(self, field: StringField) -> None:
        _raise_if_about("tax_id", lambda: customer_rules.validate_tax_id(self.kind.data, field.data or ""))

    def validate_deferral_days(self, field: IntegerField) -> None:
        _raise_if_about("deferral_days", self._check_terms)

    def validate_advance_percent(self, field: IntegerField) -> None:
        _raise_if_about("advance_percent", self._check_terms)

    def _check_terms(self) -> None:
        customer_rules.validate_terms(self.payment_terms.data, self.deferral_days.data or 0, self.advance_percent.data or 0)

    def validate_phone(self, field: StringField) -> None:
        if field.data and normalize_phone(field.data) is None:
            raise ValidationError(_l("Невірний номер телефону."))

    def validate_email(self, field: StringField) -> None:
        if field.data and not EMAIL_RE.match(field.data):
            raise ValidationError(_l("Невірна адреса e-mail."))

    def validate_iban(self, field: StringField) -> None:
        _raise_if_about("iban", lambda: customer_rules.validate_iban(field.data or ""))

    def values(self) -> dict[str, Any]:
        """Keyword arguments for core.customers.services.save_company."""
        return {
            "name": self.name.data,
            "kind": self.kind.data,
            "tax_id": self.tax_id.data,
            "price_type_id": self.price_type_id.data,
            "payment_terms": self.payment_terms.data,
            "deferral_days": self.deferral_days.data or 0,
            "advance_percent": self.advance_percent.data or 0,
            "credit_limit": self.credit_limit.data if self.credit_limit.data is not None else Decimal("0.00"),
            "manager_id": self.manager_id.data,
            "phone": self.phone.data or "",
            "email": self.email.data or "",
            "pay_oldest_first": self.pay_oldest_first.data,
            "requisites": customer_rules.Requisites(**{
                requisite.name: getattr(self, requisite.name).data or "" for requisite in fields(customer_rules.Requisites)
            }),
        }


class DeliveryPointForm(FlaskForm):
    name = StringField(
        _l("Назва точки"), filters=[_strip], validators=[DataRequired(_l("Вкажіть назву.")), Length(max=200)]
    )
    address = StringField(
        _l("Адреса"), filters=[_strip], validators=[DataRequired(_l("Вкажіть адресу.")), Length(max=500)]
    )


class CustomerUserForm(FlaskForm):
    full_name = StringField(
        _l("Ім'я та прізвище"), filters=[_strip], validators=[DataRequired(_l("Вкажіть ім'я.")), Length(max=200)]
    )
    role = SelectField(_l("Роль"), choices=options(CUSTOMER_ROLE_LABELS.items()), default="buyer")
    email = StringField(_l("E-mail"), filters=[_strip], validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Телефон"), filters=[_strip], validators=[Optional(), Length(max=30)])
    password = PasswordField(_l("Початковий пароль (необов'язково)"), validators=[Optional()])

    def validate_email(self, field: StringField) -> None:
        if field.data and not EMAIL_RE.match(field.data):
            raise ValidationError(_l("Невірна адреса e-mail."))
        if not field.data and not self.phone.data:
            raise ValidationError(_l("Потрібен e-mail або телефон для входу."))

    def validate_phone(self, field: StringField) -> None:
        if field.data and normalize_phone(field.data) is None:
            raise ValidationError(_l("Невірний номер телефону."))

    def validate_password(self, field: PasswordField) -> None:
        if field.data and len(field.data) < customer_rules.MIN_PASSWORD_LENGTH:
            raise ValidationError(_l("Пароль має містити щонайменше %(n)s символів.", n=customer_rules.MIN_PASSWORD_LENGTH))


# --- catalog --------------------------------------------------------------------------


class ProductForm(FlaskForm):
    sku = StringField(_l("Артикул"), filters=[_strip], validators=[DataRequired(_l("Вкажіть артикул.")), Length(max=40)])
    name = StringField(_l("Назва"), filters=[_strip], validators=[DataRequired(_l("Вкажіть назву.")), Length(max=300)])
    barcode = StringField(_l("Штрихкод"), filters=[_strip], validators=[Optional(), Length(max=20)])
    unit = StringField(
        _l("Одиниця виміру"), filters=[_strip], default="шт", validators=[DataRequired(_l("Вкажіть одиницю.")), Length(max=10)]
    )
    pack_multiple = DecimalTextField(_l("Кратність упаковки"), default=Decimal("1"))
    vat_rate = SelectField(
        _l("Ставка ПДВ, %"), choices=options((str(rate), str(rate)) for rate in VAT_RATES), coerce=decimal_choice, default="20.00"
    )
    category_id = SelectField(_l("Категорія"), coerce=int)
    is_active = BooleanField(_l("Продається"), default=True)

    def __init__(self, *args: Any, categories: list[tuple[int, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.category_id.choices = options(categories)

    def validate_pack_multiple(self, field: DecimalTextField) -> None:
        if field.data is None or field.data <= 0:
            raise ValidationError(_l("Кратність упаковки має бути більшою за нуль."))


def product_numbers_form(price_types: list[Any], warehouses: list[Any], **kw: Any) -> FlaskForm:
    """Prices per price type and stock per warehouse: one field each, named price_<id> / stock_<id>
    like the fields of set_product_prices/set_product_stock errors."""

    class ProductNumbersForm(FlaskForm):
        pass

    for price_type in price_types:
        setattr(ProductNumbersForm, f"price_{price_type.id}", DecimalTextField(price_type.name, validators=[NotNegative()]))
    for warehouse in warehouses:
        setattr(ProductNumbersForm, f"stock_{warehouse.id}", DecimalTextField(warehouse.name, validators=[NotNegative()]))
    return ProductNumbersForm(**kw)


class PriceTypeForm(FlaskForm):
    code = StringField(_l("Код"), filters=[_strip], validators=[DataRequired(_l("Вкажіть код.")), Length(max=20)])
    name = StringField(_l("Назва"), filters=[_strip], validators=[DataRequired(_l("Вкажіть назву.")), Length(max=100)])


# --- bank statements and the payments queue ---------------------------------------------


class StatementUploadForm(FlaskForm):
    file = FileField(
        _l("Файл виписки (1С «Клієнт-банк» .txt або CSV)"),
        validators=[FileRequired(_l("Оберіть файл виписки.")), WithinUploadLimit("BANK_STATEMENT_MAX_MB")],
    )


class PaymentQueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET query, bookmarkable

    mine = BooleanField(_l("Лише мої контрагенти"))


class AllocateToInvoiceForm(FlaskForm):
    """One click on a suggested invoice: the whole unallocated part goes to it."""

    invoice_id = IntegerField(validators=[DataRequired()])


class AllocateByNumberForm(FlaskForm):
    number = StringField(
        _l("Номер рахунку"), filters=[_strip],
        validators=[DataRequired(_l("Вкажіть номер рахунку, наприклад 2026-00042.")), Length(max=40)],
    )
    amount = DecimalTextField(_l("Сума, грн (порожньо — усе нерозподілене)"))

    def validate_amount(self, field: DecimalTextField) -> None:
        if field.data is not None and field.data <= 0:
            raise ValidationError(_l("Сума має бути більшою за нуль."))


class PaymentHandledForm(FlaskForm):
    note = TextAreaField(
        _l("Що зроблено з платежем"), filters=[_strip],
        validators=[DataRequired(_l("Напишіть, що зроблено з цим платежем.")), Length(max=1000)],
    )
