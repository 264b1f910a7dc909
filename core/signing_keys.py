"""The keys that sign what the app trusts later, checked before anything starts.

`SECRET_KEY` signs the session and remember-me cookies and the one-time password links
(resets, invitations); `LIQPAY_PRIVATE_KEY` signs LiqPay's callbacks. A key anyone can
read in the code lets anyone log in as an admin or mark an invoice paid, so no key has a
default in the code:
- production sets each in the environment (or `.env`), or the app refuses to start and
  names the variable;
- the embedded demo (`EMBEDDED_DEMO=1`, set by `make demo`) makes its own keys once per
  instance and keeps them in `instance/signing-keys.json` (mode 0600) for later runs;
- the tests (`TESTING`) bring their own.
Pay links need no key: each invoice has a random token of its own in the database.
"""
from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

MIN_SECRET_KEY_LENGTH = 32
# Values that once shipped in the code: anyone who has read it can sign with them.
PUBLISHED_VALUES = {
    "SECRET_KEY": frozenset({"dev-only-secret-change-me"}),
    "LIQPAY_PRIVATE_KEY": frozenset({"sandbox_demo-private-key"}),
}
REQUIRED = ("SECRET_KEY", "LIQPAY_PUBLIC_KEY", "LIQPAY_PRIVATE_KEY")
DEMO_KEYS_FILE = "signing-keys.json"
# The demo pays through the local LiqPay emulator; a `sandbox_` key makes its test
# payments count as paid. A public key is no secret.
DEMO_LIQPAY_PUBLIC_KEY = "sandbox_i00000000001"
HOW_TO_SET = (
    "Set them in the environment or in .env (README, «Production secrets»), e.g. "
    "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))'); "
    "the LiqPay keys are the shop's own, from LiqPay's merchant cabinet. "
    "The embedded demo runs with EMBEDDED_DEMO=1 (`make demo` sets it) and keeps keys of its own in instance/."
)


class SigningKeyError(RuntimeError):
    """A signing key is missing or public: the app must not start with it."""


def ensure_signing_keys(app: Any) -> None:
    """Fill the demo's keys from its instance folder, then refuse to go on without real ones."""
    config = app.config
    if config.get("TESTING"):
        return
    if config.get("EMBEDDED_DEMO"):
        _fill_demo_keys(config, Path(app.instance_path))
    problems = [problem for problem in (_problem(config, name) for name in REQUIRED) if problem]
    if problems:
        raise SigningKeyError("; ".join(problems) + ". " + HOW_TO_SET)


def _problem(config: Any, name: str) -> str:
    value = config.get(name) or ""
    if not value:
        return f"{name} is not set"
    if value in PUBLISHED_VALUES.get(name, ()):
        return f"{name} is the development value published in the code: anyone can sign with it"
    if name == "SECRET_KEY" and len(value) < MIN_SECRET_KEY_LENGTH:
        return f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters: too easy to guess"
    return ""


def _fill_demo_keys(config: Any, instance: Path) -> None:
    """Keys given in the environment win; the rest come from (or go to) the instance's file."""
    kept = _read_or_create(instance / DEMO_KEYS_FILE)
    for name, value in kept.items():
        if not config.get(name):
            config[name] = value
    if not config.get("LIQPAY_PUBLIC_KEY"):
        config["LIQPAY_PUBLIC_KEY"] = DEMO_LIQPAY_PUBLIC_KEY


def _read_or_create(path: Path) -> dict[str, str]:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = {"SECRET_KEY": secrets.token_hex(32), "LIQPAY_PRIVATE_KEY": "sandbox_" + secrets.token_urlsafe(24)}
        try:
            # Created readable by its owner only, never world-readable for an instant.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another demo command made it meanwhile: use theirs
            pass
        else:
            with os.fdopen(descriptor, "w") as file:
                json.dump(keys, file)
            return keys
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)
    return json.loads(path.read_text())
