"""A throwaway TLS certificate for the mailbox, made with the openssl CLI."""
from __future__ import annotations

import ipaddress
import shutil
import subprocess
from pathlib import Path


def self_signed_cert(directory: str | Path, host: str = "127.0.0.1") -> tuple[str, str]:
    """(certificate file, key file) for `host`, valid for one day.

    The host goes into subjectAltName: certificate checks match IP addresses and host
    names only there, never against the CN. Trusting the certificate file (a client's
    cafile) is then enough for a fully verified connection to the mailbox.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise FileNotFoundError("the openssl command is not installed")
    try:
        ipaddress.ip_address(host)
        san = f"IP:{host}"
    except ValueError:
        san = f"DNS:{host}"
    cert, key = Path(directory) / f"{host}.crt", Path(directory) / f"{host}.key"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", f"/CN={host}", "-addext", f"subjectAltName={san}", "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)
