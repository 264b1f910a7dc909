"""The file store: the local directory, S3 over real HTTP against the emulator, and the
records the database keeps."""
from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from core.app import create_app
from core.config import ConfigError
from core.errors import DomainError
from core.files.interface import key_for
from core.files.models import StoredFile
from core.files.local import LocalDirectoryStore
from core.files.s3 import S3Store
from core.files.services import read_file, store_file
from core.providers import ProviderError
from emulators.http import serve_in_thread
from emulators.s3 import create_app as create_s3
from tests.apps import separate_app
from tests.config import TestConfig

ACCESS, SECRET, BUCKET, REGION = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "portal-files", "eu-central-1"
DATA = "Виписка за грудень\n".encode() * 1000
KEY = key_for(hashlib.sha256(DATA).hexdigest())


def test_local_round_trip_and_atomic_layout(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path)
    assert not store.exists(KEY)
    store.put(KEY, DATA)
    assert store.exists(KEY)
    assert b"".join(store.open(KEY)) == DATA
    assert (tmp_path / KEY).read_bytes() == DATA
    assert not list(tmp_path.rglob(".incoming-*"))  # no temporary file left behind


@pytest.mark.parametrize("key", ["../outside", "ab/../../outside", "/etc/passwd", "", "."])
def test_local_refuses_keys_outside_the_directory(tmp_path: Path, key: str) -> None:
    store = LocalDirectoryStore(tmp_path / "files")
    for action in (lambda: store.put(key, b"x"), lambda: store.open(key), lambda: store.exists(key)):
        with pytest.raises(ValueError, match="outside the file store"):
            action()
    assert not (tmp_path / "outside").exists()


def test_same_content_is_stored_once_with_a_row_per_upload(app: Any, db: Any) -> None:
    with app.app_context():
        first = store_file(db, DATA, "statement.txt", "text/plain")
        second = store_file(db, DATA, "copy of statement.txt", "text/plain")
        assert (first.id != second.id, first.key, first.size) == (True, second.key, len(DATA))
        assert (first.name, second.name, first.sha256) == ("statement.txt", "copy of statement.txt",
                                                          hashlib.sha256(DATA).hexdigest())
        files = [p for p in Path(app.config["FILES_DIR"]).rglob("*") if p.is_file() and p.name == first.sha256]
        assert len(files) == 1
        assert read_file(second) == DATA


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    url, stop = serve_in_thread(create_s3(ACCESS, SECRET, bucket=BUCKET, region=REGION))
    yield url
    stop()


def s3(url: str, secret: str = SECRET, **kwargs: Any) -> S3Store:
    return S3Store(url, BUCKET, REGION, ACCESS, secret, **kwargs)


def test_s3_round_trip_against_the_emulator(s3_url: str) -> None:
    store = s3(s3_url)
    assert not store.exists(KEY)
    store.put(KEY, DATA)
    assert store.exists(KEY)
    assert b"".join(store.open(KEY)) == DATA
    odd_key = "ab/cd/назва з пробілом+plus.txt"  # the signature covers an encoded path
    store.put(odd_key, b"odd")
    assert b"".join(store.open(odd_key)) == b"odd"
    assert f"{BUCKET}/{KEY} {len(DATA)}" in httpx.get(f"{s3_url}/_emulator/objects").text


def test_s3_missing_object_is_a_permanent_error(s3_url: str) -> None:
    with pytest.raises(ProviderError) as caught:
        b"".join(s3(s3_url).open("no/such/key"))
    assert (caught.value.provider, caught.value.code, caught.value.permanent) == ("s3", "NoSuchKey", True)


def test_s3_wrong_secret_is_refused_by_the_emulator(s3_url: str) -> None:
    store = s3(s3_url, secret="not-the-secret")
    with pytest.raises(ProviderError) as caught:
        store.put("ab/cd/refused", b"x")
    assert (caught.value.code, caught.value.permanent) == ("SignatureDoesNotMatch", True)
    assert "refused" not in httpx.get(f"{s3_url}/_emulator/objects").text


def test_s3_tampered_body_is_refused(s3_url: str) -> None:
    # The emulator checks the body against the signed hash, not only the signature.
    store = s3(s3_url)
    request = store._request("PUT", "ab/cd/tampered", b"original")
    answer = httpx.put(str(request.url), headers=dict(request.headers), content=b"tampered")
    assert answer.status_code == 400 and "XAmzContentSHA256Mismatch" in answer.text


def nobody_listening() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_s3_unreachable_is_retryable() -> None:
    store = s3(nobody_listening(), timeout=httpx.Timeout(1.0))
    for action in (lambda: store.put(KEY, DATA), lambda: b"".join(store.open(KEY)), lambda: store.exists(KEY)):
        with pytest.raises(ProviderError) as caught:
            action()
        assert (caught.value.code, caught.value.retryable) == ("unreachable", True)


def test_app_stores_through_s3_when_configured(app: Any, s3_url: str, db: Any) -> None:
    class S3Config(TestConfig):
        FILES_STORE = "s3"
        FILES_S3_ENDPOINT, FILES_S3_BUCKET, FILES_S3_REGION = s3_url, BUCKET, REGION
        FILES_S3_ACCESS_KEY, FILES_S3_SECRET_KEY = ACCESS, SECRET

    with separate_app(app, S3Config, own_sessions=False) as other, other.app_context():
        stored = store_file(db, b"%PDF-1.4 contract", "contract.pdf", "application/pdf")
        assert read_file(stored) == b"%PDF-1.4 contract"
    assert f"{BUCKET}/{stored.key} " in httpx.get(f"{s3_url}/_emulator/objects").text


@pytest.mark.parametrize("settings, named", [
    ({"FILES_STORE": "s3", "FILES_S3_ENDPOINT": "http://127.0.0.1:9", "FILES_S3_BUCKET": "b",
      "FILES_S3_ACCESS_KEY": "a"}, "FILES_S3_SECRET_KEY"),
    ({"FILES_STORE": "s3"}, "FILES_S3_ENDPOINT"),
    ({"FILES_STORE": "ftp"}, "FILES_STORE='ftp'"),
])
def test_incomplete_store_settings_stop_the_start(settings: dict[str, str], named: str) -> None:
    config = type("Incomplete", (TestConfig,), settings)
    with pytest.raises(ConfigError, match="Refusing to start") as caught:
        create_app(config)
    assert named in str(caught.value)


def test_a_store_that_cannot_keep_the_file_refuses_the_upload_and_writes_no_row(app: Any, db: Any) -> None:
    class DeadS3(TestConfig):
        FILES_STORE = "s3"
        FILES_S3_ENDPOINT, FILES_S3_BUCKET, FILES_S3_REGION = nobody_listening(), BUCKET, REGION
        FILES_S3_ACCESS_KEY, FILES_S3_SECRET_KEY = ACCESS, SECRET

    before = db.scalar(select(func.count()).select_from(StoredFile))
    with separate_app(app, DeadS3, own_sessions=False) as other, other.test_request_context():
        with pytest.raises(DomainError, match="сховище файлів зараз недоступне"):
            store_file(db, DATA, "statement.txt", "text/plain")
    assert db.scalar(select(func.count()).select_from(StoredFile)) == before
