"""A pooled PostgreSQL connection the server has dropped (a restart, a failover, an idle
timeout) is noticed before use: the next request succeeds."""
from __future__ import annotations

import os
import time
from typing import Any

import psycopg
import pytest

DATABASE_URL = os.environ.get("DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgresql", "postgres:")), reason="PostgreSQL only (SQLite has no server to drop us)"
)


def _terminate_the_apps_connections() -> int:
    """Like a restart: the app's backends are gone (not merely signalled) when this returns."""
    admin_url = DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")
    others = " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        terminated = len(conn.execute("SELECT pg_terminate_backend(pid)" + others).fetchall())
        deadline = time.monotonic() + 10
        while conn.execute("SELECT count(*)" + others).fetchone()[0] and time.monotonic() < deadline:
            time.sleep(0.05)
    return terminated


def test_a_request_after_the_server_dropped_the_pooled_connections_succeeds(app: Any) -> None:
    client = app.test_client()  # no `db` fixture: requests take connections from the app's pool
    assert client.get("/healthz").get_json()["database"]["ok"] is True
    assert _terminate_the_apps_connections() >= 1  # the idle connection in the pool, at least
    answer = client.get("/healthz")
    assert answer.get_json()["database"]["ok"] is True, answer.get_json()
