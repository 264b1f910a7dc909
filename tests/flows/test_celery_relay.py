"""The outbox over a real Celery worker and Redis: a worker killed with SIGKILL in the
middle of the run loses no event and delivers none twice. Runs when REDIS_URL is set."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.app import create_app
from core.auth import hash_password
from core.config import ROOT, TestConfig, sqlalchemy_url
from core.customers.models import Company, User
from core.catalog.models import PriceType
from core.customers.services import request_password_reset
from core.db import db_session
from core import outbox
from core.outbox import OutboxEvent
from notify.models import Message
from tests.conftest import reset_schema, valid_edrpou

REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (a real broker)")
EVENTS = 300


def _separate_database(tmp_path: Path) -> tuple[str, callable]:
    base = os.environ.get("DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path}/celery.db", lambda: None
    import psycopg

    admin_url = base.replace("postgresql+psycopg://", "postgresql://")
    name = admin_url.rsplit("/", 1)[1] + "_celery"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return sqlalchemy_url(admin_url.rsplit("/", 1)[0] + "/" + name), drop


def _start_worker(url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "OUTBOX_DISPATCH": "celery"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "wsgi:celery", "worker", "--concurrency", "2", "--pool", "prefork",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "-Q", "celery"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )


def _kill(worker: subprocess.Popen) -> None:
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    worker.wait(timeout=10)


def test_killed_worker_loses_nothing_and_repeats_nothing(tmp_path):
    url, drop = _separate_database(tmp_path)
    reset_schema(url)

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        REDIS_URL = globals()["REDIS_URL"]
        OUTBOX_DISPATCH = "celery"

    app = create_app(Config)
    app.extensions["celery"].connection_for_write().default_channel.client.flushdb()
    worker = _start_worker(url)
    try:
        with app.test_request_context():
            session = db_session()
            price_type = PriceType(code="w", name="w")
            session.add(price_type)
            session.flush()
            company = Company(name="ТОВ «Тест»", kind="legal", tax_id=valid_edrpou(), price_type_id=price_type.id)
            session.add(company)
            session.flush()
            user = User(company_id=company.id, full_name="Тест", email="t@t.ua", password_hash=hash_password("x" * 10))
            session.add(user)
            session.flush()
            for _ in range(EVENTS):
                request_password_reset(session, user)
            session.commit()
            outbox.dispatch_committed(app)
        # Kill the worker while it is delivering, then start a new one.
        deadline = time.monotonic() + 60
        with app.app_context():
            while db_session.scalar(select(func.count()).select_from(Message)) < EVENTS // 5:
                assert time.monotonic() < deadline, "the worker delivered nothing"
                time.sleep(0.05)
                db_session.remove()
        _kill(worker)
        with app.app_context():
            delivered_before_kill = db_session.scalar(select(func.count()).select_from(Message))
            db_session.remove()
        assert delivered_before_kill < EVENTS, "the kill came too late to test anything"
        worker = _start_worker(url)
        # Messages the killed worker had taken and not acknowledged come back; the
        # sweep (beat's job in production) picks up whatever is still pending.
        deadline = time.monotonic() + 90
        with app.app_context():
            while True:
                db_session.remove()
                pending = db_session.scalar(
                    select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status != "done")
                )
                if pending == 0:
                    break
                assert time.monotonic() < deadline, f"{pending} events never delivered"
                app.extensions["celery"].send_task("outbox.sweep")
                time.sleep(1)
            db_session.remove()
            per_event = db_session.execute(
                select(Message.event_id, func.count()).group_by(Message.event_id)
            ).all()
        assert len(per_event) == EVENTS
        assert {count for _, count in per_event} == {1}
    finally:
        _kill(worker)
        app.extensions["db_engine"].dispose()
        drop()
