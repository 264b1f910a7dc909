"""Bulk inserts: a few statements for thousands of rows instead of one flush per object
(the demo generator, a bank statement's payments and allocations, their outbox events).

Core inserts on the table, not ORM bulk inserts: the ORM splits a batch wherever a
row leaves a different set of columns None, which here means thousands of statements.
The big plain inserts go one step further down (`insert_rows`): SQLAlchemy's own bind
processors convert the values column by column, and then PostgreSQL takes the rows by COPY
(several times faster than INSERTs), SQLite by the driver's executemany of the INSERT that
SQLAlchemy compiled, without an ordinary executemany's per-row parameter handling (it was
a third of the seed's time on SQLite).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session


def insert_returning_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows` and return their new ids in the same order as the rows."""
    if not rows:
        return []
    table = model.__table__
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def insert_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all name the same columns; columns left out get their Python-side
    default (a callable one is called per row, as SQLAlchemy does), or their server default."""
    if not rows:
        return
    table = model.__table__
    connection = session.connection()
    dialect = connection.dialect
    given = list(rows[0])
    defaults = {
        column.key: column.default
        for column in table.columns
        if column.key not in rows[0] and column.default is not None and not column.default.is_sequence
    }
    names = given + list(defaults)
    compiled = insert(table).compile(dialect=dialect, column_keys=names)
    processors = {
        name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    }
    order = list(compiled.positiontup) if compiled.positional and compiled.positiontup else names
    # Column by column: one pass of each processor over its values, rows zipped at C speed.
    columns = []
    for name in order:
        if name in defaults:
            default = defaults[name]
            if default.is_callable:
                values = [default.arg(None) for _ in rows]  # type: ignore[operator]
            else:
                values = [default.arg] * len(rows)  # type: ignore[attr-defined]
        else:
            values = [row[name] for row in rows]
        processor = processors[name]
        columns.append(list(map(processor, values)) if processor is not None else values)
    if dialect.name == "postgresql":
        preparer = dialect.identifier_preparer
        names_sql = ", ".join(preparer.format_column(table.c[name]) for name in order)
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        statement = f"COPY {preparer.format_table(table)} ({names_sql}) FROM STDIN"
        try:
            with cursor.copy(statement) as copy:
                for values in zip(*columns):
                    copy.write_row(values)
        except dialect.dbapi.IntegrityError as exc:  # type: ignore[union-attr]
            # As SQLAlchemy would raise it, so callers handle a duplicate the same on both databases.
            raise sa_exc.IntegrityError(statement, None, exc) from exc
        return
    if compiled.positional:
        params: list[Any] = list(zip(*columns))
    else:
        params = [dict(zip(order, values)) for values in zip(*columns)]
    connection.exec_driver_sql(str(compiled), params)


def insert_keyed(session: Session, model: Any, rows: list[dict[str, Any]], key: tuple[str, ...]) -> list[int]:
    """Like insert_returning_ids, for rows with a unique natural key: one executemany and
    one SELECT. RETURNING in parameter order costs SQLite a statement per row."""
    if not rows:
        return []
    table = model.__table__
    before = session.scalar(select(func.max(table.c.id))) or 0
    insert_rows(session, model, rows)
    columns = [table.c[name] for name in key]
    new = session.execute(select(table.c.id, *columns).where(table.c.id > before))
    found = {tuple(row[1:]): row[0] for row in new}
    return [found[tuple(row[name] for name in key)] for row in rows]
