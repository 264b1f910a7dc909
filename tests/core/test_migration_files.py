"""Migrations that move data, up and back, on SQLite (batch mode) and PostgreSQL: 0015
takes the claims' payment orders out of the database into the file store; 0016 renames
the outbox's recorded deliveries from module paths to declared handler names."""
from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import inspect, text

from core.cli import alembic_config
from core.db import make_engine
from tests.own_database import own_database, seed_customers  # noqa: F401  (a fixture)

PROOF = b"%PDF-1.4 payment order kept in a database column"


def test_claim_files_move_to_the_store_and_back(app: Any, own_database: str) -> None:  # noqa: F811
    seed_customers(own_database, 1, Decimal("1"))
    config = alembic_config(own_database)
    command.downgrade(config, "0014")
    engine = make_engine(own_database)
    with engine.begin() as conn:
        company_id = conn.scalar(text("SELECT id FROM company"))
        conn.execute(text(
            "INSERT INTO payment_claim (company_id, paid_on, amount, note, file_name, file_type, file_data, status,"
            " decided_by, created_at) VALUES (:company, '2026-12-01', 300.00, '', 'доручення.pdf', 'application/pdf',"
            " :data, 'open', '', '2026-12-01 10:00:00+00:00')"
        ), {"company": company_id, "data": PROOF})

    with app.app_context():  # the migration writes to the app's store (FILES_DIR)
        command.upgrade(config, "head")
    with engine.connect() as conn:
        name, content_type, size, sha256, key = conn.execute(text(
            "SELECT f.name, f.content_type, f.size, f.sha256, f.key FROM payment_claim c"
            " JOIN stored_file f ON f.id = c.file_id"
        )).one()
        columns = {column["name"] for column in inspect(conn).get_columns("payment_claim")}
    assert (name, content_type, size, sha256) == ("доручення.pdf", "application/pdf", len(PROOF),
                                                  hashlib.sha256(PROOF).hexdigest())
    assert (Path(app.config["FILES_DIR"]) / key).read_bytes() == PROOF
    assert "file_data" not in columns and "file_name" not in columns

    with app.app_context():
        command.downgrade(config, "0014")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT file_name, file_type, file_data FROM payment_claim")).one() == (
            "доручення.pdf", "application/pdf", PROOF)
        assert "stored_file" not in inspect(conn).get_table_names()
    engine.dispose()


def test_deliveries_recorded_under_module_paths_keep_their_handlers_delivered(app: Any, own_database: str) -> None:  # noqa: F811
    """Migration 0016: an event a handler took before the upgrade, under its module path,
    is not handled again by the same handler under its declared name."""
    config = alembic_config(own_database)
    command.downgrade(config, "0015")
    engine = make_engine(own_database)
    old_names = ["payments.handlers.apply_liqpay_notice", "payments.handlers.refund_through_liqpay",
                 "notify.handlers._plan", "tests.kept"]
    with engine.begin() as conn:
        event_id = conn.scalar(text(
            "INSERT INTO outbox_event (topic, payload, status, attempts, last_error, created_at, next_attempt_at)"
            " VALUES ('payment.received', '{}', 'pending', 1, '', '2026-12-01 10:00:00+00:00',"
            " '2026-12-01 10:00:00+00:00') RETURNING id"
        ))
        for name in old_names:
            conn.execute(text("INSERT INTO outbox_delivery (event_id, handler, delivered_at)"
                              " VALUES (:event, :name, '2026-12-01 10:00:00+00:00')"), {"event": event_id, "name": name})

    def handlers() -> set[str]:
        with engine.connect() as conn:
            return set(conn.scalars(text("SELECT handler FROM outbox_delivery")))

    command.upgrade(config, "head")
    assert handlers() == {"payments.apply_card_notice", "payments.carry_out_refund", "notify.plan_messages",
                          "tests.kept"}
    command.downgrade(config, "0015")
    assert handlers() == set(old_names)
    engine.dispose()
