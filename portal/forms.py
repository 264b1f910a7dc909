from __future__ import annotations

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
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from core.errors import DomainError
from core.money import parse_decimal, read_quantity
from core.uploads import WithinUploadLimit


class LoginForm(FlaskForm):
    login = StringField(_l("Телефон або e-mail"), validators=[DataRequired(_l("Вкажіть телефон або e-mail."))])
    password = PasswordField(_l("Пароль"), validators=[DataRequired(_l("Вкажіть пароль."))])
    remember = BooleanField(_l("Запам'ятати мене"))


class ForgotPasswordForm(FlaskForm):
    login = StringField(_l("Телефон або e-mail"), validators=[DataRequired(_l("Вкажіть телефон або e-mail."))])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("Новий пароль"), validators=[DataRequired(_l("Вкажіть пароль."))])
    confirm = PasswordField(_l("Повторіть пароль"), validators=[DataRequired(_l("Повторіть пароль."))])


class QuantityField(StringField):
    """A quantity typed with a comma or a dot ("0,5" kg); zero means "remove from the cart"."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if valuelist:
            self.raw = valuelist[0]
            try:
                self.data = read_quantity(valuelist[0], allow_zero=True)
            except DomainError as exc:
                raise ValueError(exc.message) from None


class CartLineForm(FlaskForm):
    product_id = IntegerField(validators=[InputRequired()])
    quantity = QuantityField(_l("Кількість"), validators=[InputRequired(_l("Вкажіть кількість."))])


class CheckoutForm(FlaskForm):
    idempotency_key = HiddenField(
        validators=[DataRequired(_l("Форма застаріла. Оновіть сторінку і спробуйте ще раз.")), Length(max=64)]
    )
    delivery_point = SelectField(
        _l("Точка доставки"), coerce=int, validate_choice=False, validators=[InputRequired(_l("Оберіть точку доставки."))]
    )
    desired_date = DateField(_l("Бажана дата доставки"), validators=[Optional()])
    comment = TextAreaField(_l("Коментар"), validators=[Optional(), Length(max=2000)])


class QuickOrderTextForm(FlaskForm):
    lines = TextAreaField(
        _l("Рядки «артикул кількість»"), validators=[DataRequired(_l("Вставте хоча б один рядок.")), Length(max=100_000)]
    )


class QuickOrderUploadForm(FlaskForm):
    file = FileField(
        _l("Файл Excel (.xlsx)"),
        validators=[FileRequired(_l("Оберіть файл.")), WithinUploadLimit("ORDER_FORM_MAX_MB")],
    )


class QuickOrderConfirmForm(FlaskForm):
    items = HiddenField(validators=[DataRequired()])  # "product_id:quantity" pairs, re-checked on confirm
    # The uploaded Excel form the items came from, if any (core/orders/order_forms.py).
    upload = HiddenField()


class OrderPageForm(FlaskForm):
    """CSRF-only form for one-button actions (repeat, cancel)."""


class PayLinkForm(FlaskForm):
    """The pay link's one button: CSRF only."""


class PayInvoicesForm(FlaskForm):
    """Ticked invoices to pay together; ids the company does not own are a 404 in the view."""

    invoice = SelectMultipleField(coerce=int, validate_choice=False)

    def validate_invoice(self, field: SelectMultipleField) -> None:
        if not field.data:
            raise ValidationError(_l("Оберіть хоча б один рахунок."))

    def invoice_ids(self) -> list[int]:
        return list(self.invoice.data)


class MoneyField(StringField):
    """An amount typed with a comma or a dot and spaces; kept as Decimal."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if valuelist and valuelist[0].strip():
            self.data = parse_decimal(valuelist[0])
            if self.data is None or self.data.as_tuple().exponent < -2:
                self.data = None
                raise ValueError(_l("Вкажіть суму числом, наприклад 1250,50."))


class PaymentClaimForm(FlaskForm):
    paid_on = DateField(_l("Дата оплати"), validators=[InputRequired(_l("Вкажіть дату оплати."))])
    amount = MoneyField(_l("Сума, грн"), validators=[InputRequired(_l("Вкажіть суму платежу."))])
    invoice = SelectField(_l("За рахунком"), coerce=int, validate_choice=False)
    proof = FileField(_l("Платіжне доручення (PDF або фото)"), validators=[FileRequired(_l("Додайте файл."))])
    note = TextAreaField(_l("Коментар"), validators=[Optional(), Length(max=1000)])


class StatementForm(FlaskForm):
    """GET form: no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    date_from = DateField(_l("З"), validators=[InputRequired(_l("Вкажіть початок періоду."))])
    date_to = DateField(_l("По"), validators=[InputRequired(_l("Вкажіть кінець періоду."))])
    fmt = SelectField(_l("Формат"), choices=[SelectChoice("pdf", "PDF"), SelectChoice("xlsx", "Excel (XLSX)")], default="pdf")

    def validate_date_to(self, field: DateField) -> None:
        if self.date_from.data and field.data and field.data < self.date_from.data:
            raise ValidationError(_l("Кінець періоду раніше за початок."))
        if self.date_from.data and field.data and (field.data - self.date_from.data).days > 731:
            raise ValidationError(_l("Період — не довше двох років."))
