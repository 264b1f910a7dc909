"""Forms of the notification side: templates, a message's resend, a company's channels."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from backoffice.forms import _strip


class TemplateForm(FlaskForm):
    subject = StringField(_l("Тема листа"), filters=[_strip], validators=[Length(max=300)])
    body = TextAreaField(_l("Текст"), filters=[_strip],
                         validators=[DataRequired(_l("Текст повідомлення не може бути порожнім.")), Length(max=5000)])


class ResendForm(FlaskForm):
    recipient = StringField(_l("Кому (телефон або e-mail)"), filters=[_strip],
                            validators=[DataRequired(_l("Вкажіть, кому надіслати.")), Length(max=254)])


class CompanyChannelsForm(FlaskForm):
    sms = BooleanField(_l("SMS"))
    email = BooleanField(_l("E-mail"))
    marketing = BooleanField(_l("Маркетингові повідомлення (зміна цін)"))

    def validate_email(self, field: BooleanField) -> None:
        if not field.data and not self.sms.data:
            raise ValidationError(_l("Залиште хоча б один канал: рахунки й квитанції не вимикаються."))
