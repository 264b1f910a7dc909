"""#10.2: no signing key ships in the code. Production refuses to start without real keys,
the embedded demo makes its own once per instance, and a cookie forged with the old
development key opens nothing."""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from core.app import create_app
from core.config import Config
from core.signing_keys import DEMO_KEYS_FILE, SigningKeyError, ensure_signing_keys
from payments.feature import FEATURE as PAYMENTS
from payments.settings import PaymentsSettings

OLD_DEV_KEY = "dev-only-secret-change-me"
GOOD_KEY = "k" * 64


def _production(**keys: Any) -> type[Config]:
    values = {"SECRET_KEY": GOOD_KEY, "LIQPAY_PUBLIC_KEY": "i000001", "LIQPAY_PRIVATE_KEY": "live-private", **keys}
    return type("ProductionConfig", (Config,), {"TESTING": False, "EMBEDDED_DEMO": False, **values})


@pytest.mark.parametrize(("keys", "named"), [
    ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
    ({"SECRET_KEY": OLD_DEV_KEY}, "SECRET_KEY is the development value"),
    ({"SECRET_KEY": "short-key"}, "SECRET_KEY is shorter than 32"),
    ({"LIQPAY_PRIVATE_KEY": None}, "LIQPAY_PRIVATE_KEY is not set"),
    ({"LIQPAY_PRIVATE_KEY": "sandbox_demo-private-key"}, "LIQPAY_PRIVATE_KEY is the development value"),
    ({"LIQPAY_PUBLIC_KEY": ""}, "LIQPAY_PUBLIC_KEY is not set"),
])
def test_production_refuses_to_start_without_a_real_key_and_names_it(keys: dict, named: str) -> None:
    with pytest.raises(SigningKeyError, match=named) as raised:
        create_app(_production(**keys))
    assert "EMBEDDED_DEMO=1" in str(raised.value)  # and says how the demo runs instead


def test_the_config_has_no_key_of_its_own() -> None:
    assert Config.SECRET_KEY == (os.environ.get("SECRET_KEY") or None)
    for name in ("LIQPAY_PUBLIC_KEY", "LIQPAY_PRIVATE_KEY"):
        assert getattr(PaymentsSettings, name) == (os.environ.get(name) or None)


def test_a_feature_declares_its_own_keys() -> None:
    """The kernel knows SECRET_KEY; payments brings LiqPay's, so an app without payments
    needs (and invents) no LiqPay key."""
    assert [secret.name for secret in PAYMENTS.secrets] == ["LIQPAY_PUBLIC_KEY", "LIQPAY_PRIVATE_KEY"]
    app = create_app(type("NoPayments", (Config,), {"TESTING": False, "EMBEDDED_DEMO": False,
                                                    "SECRET_KEY": GOOD_KEY, "FEATURES": ""}))
    assert "LIQPAY_PRIVATE_KEY" not in app.config


def _demo_app(instance: Path, **config: Any) -> Flask:
    app = Flask("demo", instance_path=str(instance))
    app.config.update({"TESTING": False, "EMBEDDED_DEMO": True, "SECRET_KEY": None, "LIQPAY_PUBLIC_KEY": None,
                       "LIQPAY_PRIVATE_KEY": None, **config})
    return app


def test_the_demo_makes_its_keys_once_per_instance_and_keeps_them_private(tmp_path: Path) -> None:
    first = _demo_app(tmp_path / "one")
    ensure_signing_keys(first, PAYMENTS.secrets)
    kept = tmp_path / "one" / DEMO_KEYS_FILE
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 32 and first.config["SECRET_KEY"] != OLD_DEV_KEY
    assert first.config["LIQPAY_PRIVATE_KEY"].startswith("sandbox_")  # the emulator's payments count as paid

    again = _demo_app(tmp_path / "one")
    ensure_signing_keys(again, PAYMENTS.secrets)  # the next `make demo`: the same keys, so sessions and links survive
    assert (again.config["SECRET_KEY"], again.config["LIQPAY_PRIVATE_KEY"]) == (
        first.config["SECRET_KEY"], first.config["LIQPAY_PRIVATE_KEY"])

    other = _demo_app(tmp_path / "two")
    ensure_signing_keys(other, PAYMENTS.secrets)
    assert other.config["SECRET_KEY"] != first.config["SECRET_KEY"]


def test_the_demo_takes_a_key_given_in_the_environment(tmp_path: Path) -> None:
    app = _demo_app(tmp_path, SECRET_KEY=GOOD_KEY)
    ensure_signing_keys(app, PAYMENTS.secrets)
    assert app.config["SECRET_KEY"] == GOOD_KEY


def test_a_key_file_left_readable_by_others_is_closed(tmp_path: Path) -> None:
    ensure_signing_keys(_demo_app(tmp_path), PAYMENTS.secrets)
    kept = tmp_path / DEMO_KEYS_FILE
    kept.chmod(0o644)
    ensure_signing_keys(_demo_app(tmp_path), PAYMENTS.secrets)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def _forged_session(secret: str, user_id: str) -> str:
    forger = Flask("forger")
    forger.secret_key = secret
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    return serializer.dumps({"_user_id": user_id, "_fresh": True})


def test_a_session_forged_with_the_old_development_key_is_refused(client, db, make_staff) -> None:
    admin = make_staff("admin")
    for user_id in (f"s:{admin.id}", admin.get_id()):
        client.set_cookie("session", _forged_session(OLD_DEV_KEY, user_id))
        response = client.get("/staff/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
