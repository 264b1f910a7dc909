"""A tiny keep-alive HTTP client with a cookie jar (stdlib only: requests is not installed).

One `Client` is one browser: its own connection, its own cookies, the same
User-Agent every time (Flask-Login's "strong" session protection ties the session
to the address and the User-Agent, and wrk sends the same one).
"""
from __future__ import annotations

import http.client
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

USER_AGENT = "portal-bench/1"
_CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float  # from sending the request to the last byte of the body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class BenchError(RuntimeError):
    """A scenario could not run as planned (wrong status, missing data...)."""


class Client:
    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def _remember_cookies(self, raw: list[str]) -> None:
        for header in raw:
            pair = header.split(";", 1)[0]
            name, _, value = pair.partition("=")
            name, value = name.strip(), value.strip()
            deleted = not value or "expires=thu, 01 jan 1970" in header.lower() or "max-age=0" in header.lower()
            if deleted:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        all_headers = {"User-Agent": USER_AGENT, "Accept": "text/html"}
        if self.cookies:
            all_headers["Cookie"] = self.cookie_header()
        all_headers.update(headers or {})
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            started = time.perf_counter()
            try:
                self._conn.request(method, path, body=body, headers=all_headers)
                raw = self._conn.getresponse()
                data = raw.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: nothing was processed, retry once.
                self.close()
                if attempt == 2:
                    raise
                continue
            seconds = time.perf_counter() - started
            self._remember_cookies(raw.headers.get_all("Set-Cookie") or [])
            if raw.will_close:
                self.close()
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data, seconds)
        raise AssertionError("unreachable")

    def get(self, path: str, **headers: str) -> Response:
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, fields: dict[str, Any], **headers: str) -> Response:
        body = urlencode(fields).encode()
        return self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded", **headers}
        )

    def post_multipart(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> Response:
        boundary = f"----bench{uuid.uuid4().hex}"
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        for name, (filename, content, content_type) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode()
                + content
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    # --- the portal's login and CSRF token ---------------------------------------------------

    @staticmethod
    def find_csrf(html: str) -> str:
        match = _CSRF_META.search(html) or _CSRF_INPUT.search(html)
        if not match:
            raise BenchError("no csrf_token in the page")
        return next(group for group in match.groups() if group)

    def login(self, login: str, password: str) -> None:
        page = self.get("/login")
        if page.status != 200:
            raise BenchError(f"GET /login answered {page.status}")
        token = self.find_csrf(page.text)
        answer = self.post_form("/login", {"csrf_token": token, "login": login, "password": password})
        if answer.status != 302 or "session" not in self.cookies:
            raise BenchError(f"login as {login} failed: {answer.status} {answer.location}")
        # The token is bound to the session, which login kept; read it from a logged-in page.
        catalog = self.get("/")
        if catalog.status != 200:
            raise BenchError(f"GET / after login answered {catalog.status} {catalog.location}")
        self.csrf_token = self.find_csrf(catalog.text)
