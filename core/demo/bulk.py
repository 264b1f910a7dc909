"""Bulk inserts: a few statements for thousands of rows instead of one flush per object.

Core inserts on the table, not ORM bulk inserts: the ORM splits a batch wherever a
row leaves a different set of columns None, which here means thousands of statements.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session


def insert_returning_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows` and return their new ids in the same order as the rows."""
    if not rows:
        return []
    table = model.__table__
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def insert_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(model.__table__), rows)
