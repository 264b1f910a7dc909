"""What every response tells the browser, and whom we believe about the client's address.

The Content-Security-Policy allows scripts and styles from our own static files only:
no template carries an inline script, a <style> block, an on* handler or a style
attribute (tests/core/test_headers.py reads every template to keep it so). The one
exception is the e-mail preview: an e-mail must carry its styles inline (mail clients
drop <style>), and an iframe's srcdoc inherits the page's policy, so the layout's few
fixed style attributes are allowed by their hashes ('unsafe-hashes'), nothing else.
Forms may post where a feature says they must (Feature.form_targets: payments' LiqPay
checkout, where the pay page hands the browser a signed form).
"""
from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

_style_attribute_hashes: set[str] = set()


def allow_style_attribute(value: str) -> str:
    """Let a fixed style attribute (exactly this text) through the policy; returns it."""
    digest = base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()
    _style_attribute_hashes.add(f"'sha256-{digest}'")
    _policy.cache_clear()
    return value


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=8)
def _policy(form_targets: tuple[str, ...]) -> str:
    style_src = " ".join(["'self'", *(["'unsafe-hashes'", *sorted(_style_attribute_hashes)] if _style_attribute_hashes else [])])
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        f"style-src {style_src}",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        " ".join(["form-action 'self'", *sorted({_origin(url) for url in form_targets})]),
        "frame-ancestors 'none'",
    ])


def content_security_policy() -> str:
    # The targets are read per response: the demo server points them at its emulators
    # after the app is built.
    config = current_app.config
    return _policy(tuple(config[name] for name in current_app.extensions["features"].form_targets()))


def _secure(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Pay, reset and invitation links carry their secret in the path: never send it away.
    headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        # Only pages: a PDF shown inline must stay viewable.
        headers.setdefault("Content-Security-Policy", content_security_policy())
    return response


def init_headers(app: Any) -> None:
    app.after_request(_secure)
    proxies = app.config["PROXY_COUNT"]
    if proxies:
        # Behind that many proxies of ours, the client's address (and scheme) is the one
        # the outermost proxy saw; without a proxy X-Forwarded-* is whatever the client
        # wrote, and the rate limits would key on it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
