"""What the exchange tests share: an app with the onec feature and a folder of its own, and
a client that talks to /1c/exchange the way 1C does."""
from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.apps import separate_app
from tests.config import TestConfig
from tests.onec.conftest import EXCHANGE_PASSWORD, FEATURES

USER = "1c-exchange"
FILE_LIMIT = 64 * 1024


def exchange_config(folder: Path, **overrides: Any) -> type:
    return type("WithExchange", (TestConfig,), {
        "FEATURES": FEATURES, "ONEC_EXCHANGE_PASSWORD": EXCHANGE_PASSWORD, "ONEC_EXCHANGE_USER": USER,
        "ONEC_EXCHANGE_DIR": str(folder), "ONEC_EXCHANGE_FILE_LIMIT": FILE_LIMIT,
        # The refusal tests would use up a real limit; the throttling test sets its own.
        "ONEC_EXCHANGE_RATE_LIMIT": "10000 per minute", "ONEC_EXCHANGE_REFUSAL_LOG_LIMIT": "10000 per minute",
        **overrides})


@pytest.fixture
def exchange_app(app: Flask, db: Any, tmp_path: Path) -> Iterator[Flask]:
    with separate_app(app, exchange_config(tmp_path / "exchange"), own_sessions=False) as onec:
        yield onec


def basic(user: str = USER, password: str = EXCHANGE_PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


class OneC:
    """1C's side of the conversation over a Flask test client or an httpx client: both
    take `get`/`post` with a URL, params, headers and a body."""

    def __init__(self, http: Any, base: str = "") -> None:
        self.http, self.base, self.cookie = http, base, None

    def call(self, exchange_type: str, mode: str, *, body: bytes | None = None, headers: dict | None = None,
             **params: str) -> tuple[int, list[str]]:
        query = {"type": exchange_type, "mode": mode, **params}
        sent = dict(headers or {})
        if self.cookie:
            sent["Cookie"] = f"{self.cookie[0]}={self.cookie[1]}"
        url = f"{self.base}/1c/exchange"
        if body is None:
            response = self.http.get(url, query_string=query, headers=sent) if self.base == "" \
                else self.http.get(url, params=query, headers=sent)
        else:
            response = self.http.post(url, query_string=query, headers=sent, data=body) if self.base == "" \
                else self.http.post(url, params=query, headers=sent, content=body)
        text = response.get_data(as_text=True) if self.base == "" else response.text
        return response.status_code, text.split("\n")

    def raw(self, exchange_type: str, mode: str, **params: str) -> Any:
        sent = {"Cookie": f"{self.cookie[0]}={self.cookie[1]}"} if self.cookie else {}
        return self.http.get("/1c/exchange", query_string={"type": exchange_type, "mode": mode, **params}, headers=sent)

    def checkauth(self, exchange_type: str = "catalog", **auth: str) -> list[str]:
        status, answer = self.call(exchange_type, "checkauth", headers=basic(**auth))
        assert status == 200 and answer[0] == "success", answer
        self.cookie = (answer[1], answer[2])
        return answer

    def init(self, exchange_type: str = "catalog", **params: str) -> dict[str, str]:
        status, answer = self.call(exchange_type, "init", **params)
        assert status == 200, answer
        return dict(line.split("=", 1) for line in answer if line)

    def send(self, path: Path, filename: str | None = None, exchange_type: str = "catalog",
             limit: int = FILE_LIMIT) -> int:
        """The file in parts of at most `limit` bytes, as 1C splits it; the number of POSTs."""
        data, parts = path.read_bytes(), 0
        for start in range(0, len(data), limit):
            status, answer = self.call(exchange_type, "file", body=data[start:start + limit],
                                       filename=filename or path.name)
            assert (status, answer[0]) == (200, "success"), answer
            parts += 1
        return parts

    def import_until_done(self, filename: str, limit: int = 10, pause: float = 0.0) -> tuple[list[str], int]:
        """import until 1C hears success or failure; the answer and how many progress came first."""
        for progress in range(limit):
            status, answer = self.call("catalog", "import", filename=filename)
            assert status == 200, answer
            if answer[0] != "progress":
                return answer, progress
            time.sleep(pause)
        raise AssertionError("import never finished")
