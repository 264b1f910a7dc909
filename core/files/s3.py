"""Any S3-compatible storage (AWS S3, MinIO, Ceph, Hetzner, ...) over its REST API,
signed with AWS Signature Version 4, path-style URLs (`endpoint/bucket/key`), which every
S3-compatible server accepts. Plain httpx: one small client instead of boto3.

Failures come out as `core.providers.ProviderError("s3", ...)`: unreachable, timeouts,
5xx and throttling are worth a retry; a refused key or signature, a missing bucket or
object are not.
"""
from __future__ import annotations

import hashlib
import hmac
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

import httpx

from core.providers import ProviderError

PROVIDER = "s3"
CHUNK = 64 * 1024
# Connecting is quick or the server is away; a large file may take a while to move.
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
RETRYABLE_CODES = {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout"}


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


class S3Store:
    def __init__(self, endpoint: str, bucket: str, region: str, access_key: str, secret_key: str,
                 *, timeout: httpx.Timeout = TIMEOUT):
        self.endpoint = endpoint.rstrip("/")
        self.host = urlsplit(self.endpoint).netloc
        self.bucket = bucket
        self.region = region
        self.access_key = access_key
        self.secret_key = secret_key
        self.http = httpx.Client(timeout=timeout)

    def put(self, key: str, data: bytes) -> None:
        self._send("PUT", key, data)

    def open(self, key: str) -> Iterator[bytes]:
        request = self._request("GET", key)
        return self._chunks(request)

    def exists(self, key: str) -> bool:
        try:
            self._send("HEAD", key)
        except ProviderError as error:
            if error.code == "http_404":  # a HEAD answer has no body to name the error
                return False
            raise
        return True

    def _chunks(self, request: httpx.Request) -> Iterator[bytes]:
        try:
            response = self.http.send(request, stream=True)
        except httpx.HTTPError as error:
            raise self._unreachable(error) from None
        try:
            if response.status_code >= 300:
                response.read()
                raise self._refusal(response)
            yield from response.iter_bytes(CHUNK)
        except httpx.HTTPError as error:
            raise self._unreachable(error) from None
        finally:
            response.close()

    def _send(self, method: str, key: str, body: bytes = b"") -> httpx.Response:
        try:
            response = self.http.send(self._request(method, key, body))
        except httpx.HTTPError as error:
            raise self._unreachable(error) from None
        if response.status_code >= 300:
            raise self._refusal(response)
        return response

    def _request(self, method: str, key: str, body: bytes = b"") -> httpx.Request:
        path = "/" + quote(f"{self.bucket}/{key}", safe="/~")
        now = datetime.now(timezone.utc)
        amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        payload_hash = hashlib.sha256(body).hexdigest()
        headers = {"host": self.host, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
        signed = ";".join(sorted(headers))
        canonical = "\n".join([
            method, path, "",
            *(f"{name}:{headers[name]}" for name in sorted(headers)), "",
            signed, payload_hash,
        ])
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key_bytes = ("AWS4" + self.secret_key).encode()
        for part in (day, self.region, "s3", "aws4_request"):
            key_bytes = _hmac(key_bytes, part)
        signature = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, SignedHeaders={signed}, Signature={signature}"
        )
        return self.http.build_request(method, self.endpoint + path, headers=headers, content=body or None)

    @staticmethod
    def _unreachable(error: httpx.HTTPError) -> ProviderError:
        code = "timeout" if isinstance(error, httpx.TimeoutException) else "unreachable"
        return ProviderError(PROVIDER, code, str(error) or type(error).__name__, retryable=True)

    @staticmethod
    def _refusal(response: httpx.Response) -> ProviderError:
        code, message = f"http_{response.status_code}", ""
        if response.content:
            try:
                root = ET.fromstring(response.content)
                code, message = root.findtext("Code") or code, root.findtext("Message") or ""
            except ET.ParseError:
                message = response.text[:200]
        retryable = response.status_code >= 500 or response.status_code == 429 or code in RETRYABLE_CODES
        return ProviderError(PROVIDER, code, message, retryable=retryable)
