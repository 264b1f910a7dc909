"""Forms of the money side of the backoffice: claims, collections, promotions, refunds."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from backoffice.forms import AllocateByNumberForm, DecimalTextField, _strip, options


class ReasonForm(FlaskForm):
    """A decision that needs a word on why (reject a claim, close a collection task)."""

    reason = TextAreaField(_l("Причина"), filters=[_strip],
                           validators=[DataRequired(_l("Вкажіть причину рішення.")), Length(max=1000)])


class ConfirmClaimForm(FlaskForm):
    payment_id = IntegerField(validators=[InputRequired()])


class PromotionForm(FlaskForm):
    name = StringField(_l("Назва"), filters=[_strip], validators=[DataRequired(_l("Вкажіть назву.")), Length(max=200)])
    kind = SelectField(
        _l("Вид"),
        choices=options([("online_order", _l("Знижка за замовлення онлайн")), ("online_payment", _l("Знижка за оплату онлайн"))]),
    )
    percent = DecimalTextField(_l("Знижка, %"), validators=[InputRequired(_l("Вкажіть відсоток."))])
    starts_on = DateField(_l("З"), validators=[InputRequired(_l("Вкажіть дату початку."))])
    ends_on = DateField(_l("По"), validators=[InputRequired(_l("Вкажіть дату завершення."))])
    is_active = BooleanField(_l("Діє"), default=True)

    def validate_percent(self, field: DecimalTextField) -> None:
        if field.data is not None and not (0 < field.data < 50):
            raise ValidationError(_l("Знижка має бути більше 0 і менше 50 %."))

    def validate_ends_on(self, field: DateField) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("Кінець дії раніше за початок."))


class RefundForm(FlaskForm):
    amount = DecimalTextField(_l("Сума, грн (порожньо — усе, що лишилося)"), validators=[Optional()])
    reason = TextAreaField(_l("Причина"), filters=[_strip],
                           validators=[DataRequired(_l("Вкажіть причину повернення.")), Length(max=1000)])


class AllocateByNumberWithReasonForm(AllocateByNumberForm):
    """Allocation to a typed invoice number; the reason is asked only when the invoice is
    another company's than the payer's (the service decides, and who may)."""

    reason = TextAreaField(_l("Чому на рахунок іншого клієнта"), filters=[_strip], validators=[Length(max=1000)])


def as_dict(form: FlaskForm) -> dict[str, Any]:
    return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
