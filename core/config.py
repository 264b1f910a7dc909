"""Configuration from the environment (and a .env file beside wsgi.py)."""
from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
load_dotenv(ROOT / ".env")


def sqlalchemy_url(raw: str | None) -> str:
    """Accept the usual `postgresql://` form and route it to psycopg 3."""
    url = raw or f"sqlite:///{ROOT / 'instance' / 'portal.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    # The feature packages this app runs (core/features.py), in this order.
    FEATURES = os.environ.get("FEATURES", "payments notify portal backoffice onec edo demo")
    # Signing keys have no defaults here: production sets them, the embedded demo
    # (EMBEDDED_DEMO=1, set by `make demo`) makes its own in instance/ (core/signing_keys.py).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    EMBEDDED_DEMO = env_flag("EMBEDDED_DEMO", False)
    SQLALCHEMY_DATABASE_URI = sqlalchemy_url(os.environ.get("DATABASE_URL"))
    SQL_ECHO = env_flag("SQL_ECHO", False)
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Where outbox events go after a commit: "celery" needs a broker and a worker;
    # "inline" delivers them in the same process (the embedded default).
    OUTBOX_DISPATCH = os.environ.get("OUTBOX_DISPATCH") or ("celery" if REDIS_URL else "inline")
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "10"))
    # Inline only: a thread of the web process delivering what a request may not (handlers
    # that call an outside service) and retries. The embedded demo server turns it on.
    OUTBOX_RELAY_THREAD = env_flag("OUTBOX_RELAY_THREAD", False)
    OUTBOX_RELAY_SECONDS = float(os.environ.get("OUTBOX_RELAY_SECONDS", "5"))
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # How many proxies of ours stand in front of the app (nginx: 1). Only then is the
    # client's address taken from X-Forwarded-For; 0 believes no such header.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

    BABEL_DEFAULT_LOCALE = "uk"
    BABEL_DEFAULT_TIMEZONE = "Europe/Kyiv"
    LANGUAGES = ("uk", "en")

    WTF_CSRF_TIME_LIMIT = None  # a form left open over lunch must still submit
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Upload limits are the features' settings (each form refuses a larger file, and its
    # page states the same number); the whole request may be the largest of them plus one
    # MB for the other fields and the multipart framing. Larger bodies are refused unread.
    # create_app computes MAX_CONTENT_LENGTH from the enabled features' `upload_limits`.
    # An uploaded .xlsx is refused before it is parsed when its archive declares more than
    # this much data, a member packed tighter than this ratio, or this many members; and
    # reading stops with a refusal after this many rows (empty ones count) or columns.
    XLSX_MAX_UNPACKED_MB = int(os.environ.get("XLSX_MAX_UNPACKED_MB", "50"))
    XLSX_MAX_RATIO = int(os.environ.get("XLSX_MAX_RATIO", "100"))
    XLSX_MAX_MEMBERS = 200
    XLSX_MAX_ROWS = int(os.environ.get("XLSX_MAX_ROWS", "10000"))
    XLSX_MAX_COLUMNS = 64

    RATELIMIT_ENABLED = env_flag("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    # Redis down must not lock everyone out: the limits are then counted in each process's
    # memory (per gunicorn worker) until Redis answers again, and a dead Redis costs a
    # request half a second at most.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    # Login and reset POSTs per address, and per account whatever the address. The
    # account's windows are short: an attacker can keep one customer out only while
    # attacking, and 15 minutes at most after.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;60 per hour")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute;20 per 15 minutes")
    PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", str(24 * 3600)))
    # A reset request answers this long after it arrives, for a real account or nobody's
    # alike (longer than sending the link takes), so its timing tells no one which it was.
    PASSWORD_RESET_ANSWER_SECONDS = float(os.environ.get("PASSWORD_RESET_ANSWER_SECONDS", "0.25"))

    # Files (uploads, documents) live in a file store, not in the database (core/files):
    # "local", a directory on this host, or "s3", any S3-compatible storage, which every
    # host of a multi-host deployment shares and which needs all five FILES_S3_* settings.
    FILES_STORE = os.environ.get("FILES_STORE", "local").strip().lower()
    FILES_DIR = os.environ.get("FILES_DIR") or str(ROOT / "instance" / "files")
    FILES_S3_ENDPOINT = os.environ.get("FILES_S3_ENDPOINT") or None  # https://s3.eu-central-1.amazonaws.com
    FILES_S3_BUCKET = os.environ.get("FILES_S3_BUCKET") or None
    FILES_S3_REGION = os.environ.get("FILES_S3_REGION") or "us-east-1"
    FILES_S3_ACCESS_KEY = os.environ.get("FILES_S3_ACCESS_KEY") or None
    FILES_S3_SECRET_KEY = os.environ.get("FILES_S3_SECRET_KEY") or None

    # An invitation's set-password link lives longer than a reset link.
    INVITATION_MAX_AGE = int(os.environ.get("INVITATION_MAX_AGE", str(14 * 24 * 3600)))


class ConfigError(RuntimeError):
    """A setting the app must not start with; the message names the variable to fix."""
