"""How long a contract has waited, the way the lawyer's queue says it: "2 год 15 хв"."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext


def waited(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return gettext("%(d)s дн %(h)s год", d=days, h=hours)
    if hours:
        return gettext("%(h)s год %(m)s хв", h=hours, m=minutes)
    return gettext("%(m)s хв", m=minutes)
