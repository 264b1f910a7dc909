"""Typed SQLAlchemy 2 base, the request/task-scoped session and column types.

Service functions only `flush()`; views and tasks own the commit.
"""
from __future__ import annotations

import threading
import warnings
import weakref
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from functools import wraps
from select import select as select_sockets
from typing import Any

from flask import current_app, has_app_context, has_request_context, request
from flask.globals import app_ctx, request_ctx
from sqlalchemy import (
    DateTime,
    MetaData,
    Numeric,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite keeps NUMERIC as REAL; values are re-quantized on the way out, and the
# production database (PostgreSQL) stores them exactly.
warnings.filterwarnings("ignore", category=sa_exc.SAWarning, message=".*does \\*not\\* support Decimal.*")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, also on SQLite which drops the zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


Money = Numeric(14, 2)
Quantity = Numeric(12, 3)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Money}


def _session_scope() -> int:
    """One session per request, else per app context (CLI, task), else per thread.

    Per request rather than per app context: a test that holds an app context open
    gets its own session, and a view's rollback cannot undo the test's fixtures.
    """
    if has_request_context():
        return id(request_ctx._get_current_object())
    if has_app_context():
        return id(app_ctx._get_current_object())
    return threading.get_ident()


db_session = scoped_session(sessionmaker(expire_on_commit=False), scopefunc=_session_scope)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; take it over (SQLAlchemy docs).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


# Requests of these methods only read (a GET that wrote would be a bug of its own).
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _sqlite_begin(conn: Any) -> None:
    # A deferred BEGIN that reads and then writes cannot wait for the write lock: if
    # another writer committed after its read, SQLite answers SQLITE_BUSY at once
    # (its snapshot is stale; busy_timeout does not apply), and 200 concurrent "add to
    # cart" failed 146 times. Work that may write takes the lock at BEGIN instead and
    # queues behind busy_timeout; readers keep the deferred BEGIN and never wait (WAL).
    reading = has_request_context() and request.method in READING_METHODS
    conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # Recycling keeps idle connections from going stale in the first place. No parallel
    # workers: each request is one short query among many at once, and a worker costs
    # more than it saves. Past about 1,000 pages a table's scan is planned parallel: at
    # 50,000 products a catalog search that reads 34 rows took 21 ms instead of 0.5 ms.
    engine = create_engine(url, echo=echo, pool_recycle=1800, pool_size=5, max_overflow=10,
                           connect_args={"options": "-c max_parallel_workers_per_gather=0"})
    event.listen(engine, "checkout", _refuse_if_closed_by_server)
    return engine


def _refuse_if_closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A connection the server dropped (a restart, a failover, an idle timeout) is
    replaced before a request uses it. An idle connection has nothing to read unless the
    server said goodbye (its FATAL notice, then EOF), so a look at the socket finds it
    without pool_pre_ping's round trip on every checkout, which cost the cached catalog
    page a tenth of its throughput. DisconnectionError makes the pool reconnect."""
    try:
        readable, _, _ = select_sockets([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError) as exc:
        raise sa_exc.DisconnectionError("the connection's socket is gone") from exc
    if readable:
        raise sa_exc.DisconnectionError("the server closed the connection")


# Each engine's app, for code that holds a session but no app context (a test's session,
# a script's): what that app wired (its declared topics, its features' hooks) applies.
_app_of_engine: weakref.WeakKeyDictionary[Engine, weakref.ref[Any]] = weakref.WeakKeyDictionary()


def init_db(app: Any) -> Engine:
    engine = make_engine(app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQL_ECHO", False))
    db_session.configure(bind=engine)
    app.extensions["db_engine"] = engine
    _app_of_engine[engine] = weakref.ref(app)

    # Registered first, so it runs after every other teardown (the outbox dispatch included).
    @app.teardown_request
    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        db_session.remove()

    return engine


def app_of(session: Any) -> Any:
    """The app whose wiring applies to work in this session: the current one, else the
    one that made the session's engine."""
    if has_app_context():
        return current_app._get_current_object()
    bind = session.get_bind()
    app = _app_of_engine.get(bind.engine)
    found = app() if app is not None else None
    if found is None:
        raise RuntimeError("no app made this session's engine: create the app first")
    return found


def is_postgres() -> bool:
    return db_session.get_bind().dialect.name == "postgresql"


def reserve_ids(session: Any, column: Any, count: int) -> list[int]:
    """`count` new ids of a table's integer key, for rows inserted with their ids."""
    table = column.table.name
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(
            text("SELECT nextval(pg_get_serial_sequence(:table, :column)) FROM generate_series(1, :n)"),
            {"table": table, "column": column.name, "n": count},
        ))
    last = session.scalar(select(func.coalesce(func.max(column), 0)))
    return list(range(last + 1, last + 1 + count))


def autocommit(view: Callable[..., Any]) -> Callable[..., Any]:
    """For hot views that only read, or whose one write is a single statement (a
    provider's callback stored as one outbox event): run the request's statements in
    autocommit, each its own transaction.

    A transaction costs two extra round trips (BEGIN before the first statement,
    COMMIT or ROLLBACK at the end) for nothing such a view needs.
    Only on PostgreSQL with the session bound to the engine: a session bound to a
    connection (the tests' rolled-back transaction) keeps the transaction it is in.
    Outer decorator of the view, so it runs before the login loader's query.
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        bind = db_session.get_bind()
        if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
            db_session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return view(*args, **kwargs)

    return wrapped
