"""#12.1 `flask onec-import`: files from disk, the run's counts and skipped reasons printed."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from core.catalog.models import Product
from tests.apps import separate_app
from tests.config import TestConfig
from tests.onec.test_importer import P_JUICE, catalog, offers


def test_the_command_imports_files_and_prints_each_run(onec_app: Flask, db: Any, tmp_path: Path) -> None:
    result = onec_app.test_cli_runner().invoke(args=["onec-import", str(offers(tmp_path)), str(catalog(tmp_path))])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("import.xml (catalog): success in ")
    assert lines[1] == "  created 4, updated 0, unchanged 0, skipped 1"
    assert lines[2] == "  skipped БЕЗ-ИД: missing_id (a product without Ид)"
    assert lines[3].startswith("offers.xml (offers): success in ")
    assert db.scalar(select(Product.name).where(Product.onec_guid == P_JUICE)) == "Сік яблучний 1 л"


def test_a_file_that_cannot_be_read_fails_the_command(onec_app: Flask, db: Any, tmp_path: Path) -> None:
    broken = tmp_path / "offers.xml"
    broken.write_bytes(offers(tmp_path).read_bytes()[:300])

    result = onec_app.test_cli_runner().invoke(args=["onec-import", str(broken)])

    assert result.exit_code == 1
    assert "nothing imported: truncated: " in result.output


def test_without_the_feature_there_is_no_command(app: Flask, db: Any) -> None:
    config = type("WithoutOnec", (TestConfig,), {"FEATURES": "payments notify portal backoffice demo"})
    with separate_app(app, config, own_sessions=False) as without:
        assert "onec" not in without.extensions["features"].names
        for command in ("onec-import", "onec-pull", "onec-push"):
            result = without.test_cli_runner().invoke(args=[command])
            assert result.exit_code == 2 and f"No such command '{command}'" in result.output
