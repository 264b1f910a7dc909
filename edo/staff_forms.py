"""The forms of the contracts pages in the backoffice."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from core.uploads import WithinUploadLimit
from edo.review import MAX_COMMENT

STATUS_LABELS = {
    "review": _l("На візі в юриста"),
    "returned": _l("Повернуто менеджеру"),
    "approved": _l("Погоджено"),
    "sent": _l("На підписі в клієнта"),
    "signed": _l("Підписано"),
    "rejected": _l("Відхилено клієнтом"),
    "annulled": _l("Анульовано"),
    "superseded": _l("Замінено новим"),
}
ACTION_LABELS = {
    "generated": _l("Сформовано"),
    "edited": _l("Завантажено змінений текст"),
    "approved": _l("Погоджено юристом"),
    "returned": _l("Повернуто на доопрацювання"),
    "uploaded": _l("Завантажено у «Вчасно»"),
    "sent": _l("Надіслано на підпис"),
    "signed": _l("Підписано"),
    "rejected": _l("Відхилено клієнтом"),
    "annulled": _l("Анульовано"),
    "superseded": _l("Замінено новим"),
    "upload_failed": _l("Не вдалося надіслати"),
}


def _file_field(label: str) -> FileField:
    return FileField(label, validators=[FileRequired(_l("Оберіть файл .docx.")), WithinUploadLimit("EDO_TEMPLATE_MAX_MB")])


class ActionForm(FlaskForm):
    """A one-button form: only its CSRF token."""


class ApproveForm(FlaskForm):
    """The approval names the text the lawyer read (the manager's edit, or none), so an
    edit uploaded while the page was open is not approved unread."""

    seen_edit = HiddenField()


class TemplateUploadForm(FlaskForm):
    file = _file_field(_l("Шаблон (.docx)"))
    comment = StringField(_l("Що змінилося (необов'язково)"), validators=[Length(max=500)])


class EditUploadForm(FlaskForm):
    file = _file_field(_l("Змінений договір (.docx)"))
    comment = StringField(_l("Що змінено (необов'язково)"), validators=[Length(max=MAX_COMMENT)])


class ReturnForm(FlaskForm):
    comment = TextAreaField(_l("Що виправити"), validators=[
        DataRequired(_l("Напишіть, що виправити: без коментаря договір не повертають.")), Length(max=MAX_COMMENT)])


class StatusFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Статус"), default="review")

    def __init__(self, *args: Any, statuses: tuple[str, ...], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.status.choices = [("all", str(_l("Усі")))] + [(name, str(STATUS_LABELS[name])) for name in statuses]
