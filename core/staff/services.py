"""Staff accounts as an admin keeps them: switching a member's access off and on."""
from __future__ import annotations

from flask_babel import gettext
from sqlalchemy.orm import Session

from core.auth import end_sessions
from core.errors import DomainError
from core.staff.models import StaffUser


def set_staff_user_active(session: Session, staff: StaffUser, active: bool, *, by: StaffUser) -> None:
    """An admin switches a staff member's access off (every open session ends with it) or
    back on. Not their own: an admin locked out by a slip would need the database to return."""
    if staff.id == by.id:
        raise DomainError(gettext("Власний доступ вимкнути не можна."))
    staff.is_active_flag = active
    if not active:
        end_sessions(staff)  # switched back on later, the old cookies still open nothing
    session.flush()
