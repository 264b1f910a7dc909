"""What a person who logs in is to Flask-Login and to our links, customer or staff alike."""
from __future__ import annotations

from flask_login import UserMixin


class Account(UserMixin):
    ref_kind = ""  # "c" a customer, "s" staff: core.auth.load_user reads it back

    @property
    def ref(self) -> str:
        """Names the account in links and events (core.auth.load_user)."""
        return f"{self.ref_kind}:{self.id}"

    def get_id(self) -> str:
        """Flask-Login's id in the session and remember-me cookies: it carries the session
        version, so `core.auth.end_sessions` ends every copy (core.auth.load_session_user)."""
        return f"{self.ref}:{self.session_version or 0}"

    @property
    def is_active(self) -> bool:
        return self.is_active_flag
