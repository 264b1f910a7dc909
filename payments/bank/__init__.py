"""Bank statement import: file formats here; matching lives beside them."""
from payments.bank.formats import Statement, StatementFormatError, StatementLine, parse_statement

__all__ = ["Statement", "StatementFormatError", "StatementLine", "parse_statement"]
