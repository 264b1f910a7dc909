"""The sync page's filter and its one-button posts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from onec.sync import DIRECTIONS, STATUSES


def direction_label(direction: str) -> str:
    return str({"in": _l("з 1С"), "out": _l("до 1С")}.get(direction, direction))


def status_label(status: str) -> str:
    return str({"running": _l("триває"), "success": _l("успішно"), "failed": _l("помилка")}.get(status, status))


class RunFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET query, bookmarkable

    direction = SelectField(_l("Напрям"), default="")
    entity = SelectField(_l("Що"), default="")
    status = SelectField(_l("Статус"), default="")

    def fill(self, entities: list[str]) -> RunFilterForm:
        everything = ("", _l("Усі"))
        self.direction.choices = [everything, *((d, direction_label(d)) for d in DIRECTIONS)]
        self.status.choices = [everything, *((s, status_label(s)) for s in STATUSES)]
        self.entity.choices = [everything, *((e, e) for e in entities)]
        return self


class RetryForm(FlaskForm):
    """CSRF only: a retry button."""
