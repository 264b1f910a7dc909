"""The exchange's sessions: checkauth checks 1C's credentials and gives a cookie; every
later request must bring it back before its expiry. Only the cookie's hash is stored."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app, request
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.config import ROOT
from core.db import db_session
from onec.exchange.answers import Refused
from onec.models import ExchangeSession

COOKIE = "portal_1c_exchange"
# Expired sessions removed (rows and folders) per checkauth: the cleanup's cost stays bounded.
SWEEP = 50
_FOLDER = re.compile(r"session-(\d+)")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_credentials(config: Any) -> None:
    """HTTP Basic against the configured user and password: both compared in constant
    time and always both, so the answer's time tells nothing of which one was wrong."""
    auth = request.authorization
    given_user = auth.username or "" if auth is not None and auth.type == "basic" else ""
    given_password = auth.password or "" if auth is not None and auth.type == "basic" else ""
    user_ok = hmac.compare_digest(given_user.encode(), str(config["ONEC_EXCHANGE_USER"]).encode())
    password_ok = hmac.compare_digest(given_password.encode(), str(config["ONEC_EXCHANGE_PASSWORD"]).encode())
    if not given_user:
        raise Refused("no_credentials", gettext("Вкажіть користувача і пароль обміну (HTTP Basic)."), 401)
    if not (user_ok & password_ok):
        raise Refused("bad_credentials", gettext("Невірний користувач або пароль обміну."), 401)


def open_session(config: Any) -> str:
    """A new session; its cookie's value (only its hash is kept)."""
    sweep_expired(db_session)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db_session.add(ExchangeSession(token_hash=token_hash(token), created_at=now, received_bytes=0,
                                   expires_at=now + timedelta(minutes=config["ONEC_EXCHANGE_SESSION_MINUTES"])))
    return token


def current_session() -> ExchangeSession:
    """The session the request's cookie names, locked for the request (1C's requests of one
    exchange come one after another; a second at once waits rather than miscounting)."""
    token = request.cookies.get(COOKIE, "")
    if not token:
        raise Refused("no_cookie", gettext("Немає cookie сеансу обміну: спершу mode=checkauth."), 401)
    found = db_session.scalar(
        select(ExchangeSession).where(ExchangeSession.token_hash == token_hash(token)).with_for_update())
    if found is None:
        raise Refused("unknown_cookie", gettext("Сеанс обміну не знайдено: почніть з mode=checkauth."), 401)
    if found.expires_at <= utcnow():
        raise Refused("expired_cookie", gettext("Сеанс обміну закінчився: почніть знову з mode=checkauth."), 401)
    return found


def exchange_root() -> Path:
    folder = Path(current_app.config["ONEC_EXCHANGE_DIR"])
    return folder if folder.is_absolute() else ROOT / folder


def folder_of(session: ExchangeSession) -> Path:
    """One folder per session: what one exchange sent, and nothing of another's."""
    return exchange_root() / f"session-{session.id}"


def sweep_expired(session: Session, limit: int = SWEEP) -> int:
    """Up to `limit` expired sessions removed with their folders; how many were."""
    expired = list(session.scalars(
        select(ExchangeSession).where(ExchangeSession.expires_at <= utcnow()).order_by(ExchangeSession.id).limit(limit)))
    for found in expired:
        shutil.rmtree(folder_of(found), ignore_errors=True)
        session.delete(found)
    return len(expired)


def sweep_orphan_folders(session: Session) -> int:
    """Session folders no session row owns any more (a sweep whose folder removal failed, a
    restored database): removed. Only `session-<id>` folders are touched, nothing else of
    the directory."""
    root = exchange_root()
    if not root.is_dir():
        return 0
    live = set(session.scalars(select(ExchangeSession.id)))
    orphans = [folder for folder in root.iterdir() if folder.is_dir() and not folder.is_symlink()
               and (found := _FOLDER.fullmatch(folder.name)) and int(found.group(1)) not in live]
    for folder in orphans:
        shutil.rmtree(folder, ignore_errors=True)
    return len(orphans)
