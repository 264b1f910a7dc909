"""The keys that sign what the app trusts later, checked before anything starts.

`SECRET_KEY` signs the session and remember-me cookies and the one-time password links
(resets, invitations); a feature declares its own (`Feature.secrets`: payments' LiqPay
keys sign its callbacks). A key anyone can read in the code lets anyone log in as an
admin or mark an invoice paid, so no key has a default in the code:
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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.features import Secret

SECRET_KEY = Secret(
    "SECRET_KEY",
    demo_value=lambda: secrets.token_hex(32),
    # A value that once shipped in the code: anyone who has read it can sign with it.
    published=frozenset({"dev-only-secret-change-me"}),
    min_length=32,
)
DEMO_KEYS_FILE = "signing-keys.json"
HOW_TO_SET = (
    "Set them in the environment or in .env (README, «Production secrets»), e.g. "
    "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))'); "
    "the LiqPay keys are the shop's own, from LiqPay's merchant cabinet. "
    "The embedded demo runs with EMBEDDED_DEMO=1 (`make demo` sets it) and keeps keys of its own in instance/."
)


class SigningKeyError(RuntimeError):
    """A signing key is missing or public: the app must not start with it."""


def ensure_signing_keys(app: Any, feature_secrets: Iterable[Secret]) -> None:
    """Fill the demo's keys from its instance folder, then refuse to go on without real ones."""
    config = app.config
    if config.get("TESTING"):
        return
    required = [SECRET_KEY, *feature_secrets]
    if config.get("EMBEDDED_DEMO"):
        _fill_demo_keys(config, Path(app.instance_path), required)
    problems = [problem for problem in (_problem(config, secret) for secret in required) if problem]
    if problems:
        raise SigningKeyError("; ".join(problems) + ". " + HOW_TO_SET)


def _problem(config: Any, secret: Secret) -> str:
    value = config.get(secret.name) or ""
    if not value:
        return f"{secret.name} is not set"
    if value in secret.published:
        return f"{secret.name} is the development value published in the code: anyone can sign with it"
    if len(value) < secret.min_length:
        return f"{secret.name} is shorter than {secret.min_length} characters: too easy to guess"
    return ""


def _fill_demo_keys(config: Any, instance: Path, required: list[Secret]) -> None:
    """Keys given in the environment win; the rest come from (or go to) the instance's file."""
    wanted = [secret for secret in required if not config.get(secret.name) and secret.demo_value]
    if not wanted:
        return
    kept = _read_or_create(instance / DEMO_KEYS_FILE, wanted)
    for secret in wanted:
        config[secret.name] = kept[secret.name]


def _read_or_create(path: Path, wanted: list[Secret]) -> dict[str, str]:
    """The instance's kept keys, with any key a newly enabled feature needs added once."""
    kept = _read(path)
    missing = [secret for secret in wanted if secret.name not in kept]
    if missing:
        kept = _write({**kept, **{secret.name: secret.demo_value() for secret in missing if secret.demo_value}}, path)
    return kept


def _read(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)
    return json.loads(path.read_text())


def _write(keys: dict[str, str], path: Path) -> dict[str, str]:
    """Readable by its owner only, never world-readable for an instant."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another demo command made it meanwhile: use theirs
            return _read(path)
        with os.fdopen(descriptor, "w") as file:
            json.dump(keys, file)
        return keys
    # A feature enabled since the file was made adds its key: replaced whole, atomically.
    spare = path.with_name(path.name + ".new")
    descriptor = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(keys, file)
    os.replace(spare, path)
    return keys
