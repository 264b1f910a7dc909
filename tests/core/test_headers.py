"""Security headers on every kind of response, a policy that the templates keep to, no
server version, and X-Forwarded-For believed only behind a configured proxy."""
from __future__ import annotations

import base64
import hashlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask, request
from werkzeug.serving import make_server

from core.auth import limiter
from core.config import ROOT
from demo.serve import QuietRequestHandler
from notify.rendering import email_html
from tests.apps import SIGNING_ENV, separate_app
from tests.config import TestConfig
from tests.conftest import login

TEMPLATE_DIRS = [ROOT / "core" / "templates", ROOT / "portal" / "templates", ROOT / "backoffice" / "templates"]


def _assert_secured(response: Any, *, page: bool = True) -> None:
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    if page:
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy and "object-src 'none'" in policy


def test_every_kind_of_page_carries_the_headers(client: Any, customer: Any, make_staff: Any) -> None:
    _assert_secured(client.get("/login"))  # portal page, anonymous
    _assert_secured(client.get("/staff/login"))  # backoffice page
    _assert_secured(client.get("/no-such-page"))  # error page
    _assert_secured(client.get("/cart"), page=False)  # redirect to the login
    _assert_secured(client.get("/healthz"), page=False)  # JSON
    static = client.get("/static/app.css")
    _assert_secured(static, page=False)  # nosniff matters most on files
    static.close()
    login(client, customer.email)
    _assert_secured(client.get("/"))  # the catalog
    _assert_secured(client.get("/cart"))
    staff_client = client.application.test_client()
    login(staff_client, make_staff("admin").email, staff=True)
    _assert_secured(staff_client.get("/staff/"))


def test_forms_may_post_to_liqpay_wherever_it_is_configured(app: Flask, client: Any, monkeypatch: Any) -> None:
    assert "form-action 'self' https://www.liqpay.ua;" in client.get("/login").headers["Content-Security-Policy"] + ";"
    # The demo server points the app at its emulator after the app is built.
    monkeypatch.setitem(app.config, "LIQPAY_BASE_URL", "http://127.0.0.1:5999/")
    assert "form-action 'self' http://127.0.0.1:5999;" in client.get("/login").headers["Content-Security-Policy"] + ";"


def test_the_email_preview_styles_are_the_only_inline_ones_allowed(client: Any) -> None:
    policy = client.get("/login").headers["Content-Security-Policy"]
    style_src = next(part for part in policy.split("; ") if part.startswith("style-src"))
    allowed = set(re.findall(r"'sha256-[^']+'", style_src))
    used = set(re.findall(r'style="([^"]*)"', email_html("Текст", "Тема", "Підпис")))
    assert allowed == {f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in used}


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> block"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on* handler"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
]


@pytest.mark.parametrize("template", [p for d in TEMPLATE_DIRS for p in sorted(d.rglob("*.html"))], ids=lambda p: p.name)
def test_no_template_carries_what_the_policy_refuses(template: Path) -> None:
    text = template.read_text()
    found = [what for pattern, what in INLINE if pattern.search(text)]
    assert not found, f"{template.relative_to(ROOT)} has {', '.join(found)}: move it to core/static"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_demo_server_names_no_software(app: Flask, db: Any) -> None:
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        response = httpx.get(f"http://127.0.0.1:{server.port}/static/app.css", timeout=10)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    assert response.status_code == 200 and "date" in response.headers
    assert "server" not in response.headers


def test_gunicorn_with_our_config_names_no_software(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, **SIGNING_ENV, "DATABASE_URL": f"sqlite:///{tmp_path}/g.db"}
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/static/app.css", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not answer in 30 s"
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert response.status_code == 200
    assert response.headers.get("server", "") == ""
    _assert_secured(response, page=False)


@pytest.fixture
def proxied_app(app: Flask, db: Any) -> Iterator[Any]:
    """An app built with `PROXY_COUNT` proxies, and a route that says which address the
    app (and its rate limiter) takes for the client's."""

    def build(proxies: int) -> Any:
        class Config(TestConfig):
            SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
            REDIS_URL = None
            RATELIMIT_STORAGE_URI = "memory://"
            PROXY_COUNT = proxies

        return separate_app(app, Config, own_sessions=False)

    yield build


def _who_am_i(proxied: Flask) -> None:
    @limiter.limit("2 per minute")
    def who_am_i() -> str:
        return request.remote_addr or ""

    proxied.add_url_rule("/_test/who-am-i", "who_am_i", who_am_i)


def test_x_forwarded_for_is_ignored_without_a_proxy(proxied_app: Any) -> None:
    with proxied_app(0) as proxied:
        _who_am_i(proxied)
        client = proxied.test_client()
        answers = [client.get("/_test/who-am-i", headers={"X-Forwarded-For": f"203.0.113.{n}"}) for n in (1, 2, 3)]
    assert [a.status_code for a in answers] == [200, 200, 429]  # one client, however it calls itself
    assert answers[0].get_data(as_text=True) == "127.0.0.1"


def test_x_forwarded_for_names_the_client_behind_one_proxy(proxied_app: Any) -> None:
    with proxied_app(1) as proxied:
        _who_am_i(proxied)
        client = proxied.test_client()
        answers = [client.get("/_test/who-am-i", headers={"X-Forwarded-For": f"198.51.100.7, 203.0.113.{n}"})
                   for n in (1, 2, 3)]
    # The proxy appends the address it saw; what the client wrote before it is not believed.
    assert [a.get_data(as_text=True) for a in answers] == ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
