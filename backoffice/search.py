"""Case-insensitive "contains" for staff searches over Cyrillic names.

SQLite's lower()/LIKE fold only ASCII, so there a term is matched in the spellings
people actually type (as typed, lower, UPPER, Capitalized); PostgreSQL's ILIKE folds
Cyrillic itself. Products do not need this: they keep a case-folded search_text.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import or_
from sqlalchemy.sql.elements import ColumnElement

from core.db import is_postgres


def like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column: Any, term: str) -> ColumnElement[bool]:
    if is_postgres():
        return column.ilike(f"%{like_escape(term)}%", escape="\\")
    spellings = {term, term.lower(), term.upper(), term.capitalize(), term.title()}
    return or_(*(column.like(f"%{like_escape(s)}%", escape="\\") for s in sorted(spellings)))
