"""The emulated S3 REST API as a Flask app; objects are kept in memory."""
from __future__ import annotations

import hashlib
import hmac
import re
import threading
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, unquote

from flask import Flask, Response, request

MAX_SKEW = timedelta(minutes=15)
AUTH_PATTERN = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<access>[^/]+)/(?P<day>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r"\s*SignedHeaders=(?P<signed>[a-z0-9;-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(refusal: Refusal) -> Response:
    if request.method == "HEAD":
        return Response(status=refusal.status)
    body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{refusal.code}</Code>'
            f"<Message>{refusal.message}</Message></Error>")
    return Response(body, status=refusal.status, mimetype="application/xml")


def _uri_encode(text: str, keep_slash: bool) -> str:
    # RFC 3986 unreserved characters stay; everything else is %XX in upper case.
    return quote(text, safe="-_.~" + ("/" if keep_slash else ""))


def _canonical_request(signed_headers: list[str], payload_hash: str) -> str:
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path
    raw_path, _, raw_query = raw.partition("?")
    path = _uri_encode(unquote(raw_path), keep_slash=True)
    pairs = sorted(
        (_uri_encode(unquote(name), False), _uri_encode(unquote(value), False))
        for name, _, value in (part.partition("=") for part in raw_query.split("&") if part)
    )
    query = "&".join(f"{name}={value}" for name, value in pairs)
    header_lines = "".join(
        f"{name}:{' '.join(request.headers.get(name, '').split())}\n" for name in signed_headers
    )
    return "\n".join([request.method, path, query, header_lines, ";".join(signed_headers), payload_hash])


def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def create_app(access_key: str, secret_key: str, *, bucket: str = "portal-files", region: str = "us-east-1") -> Flask:
    app = Flask(__name__)
    credentials = {access_key: secret_key}
    buckets: dict[str, dict[str, bytes]] = {bucket: {}}
    lock = threading.Lock()

    def authenticate(body: bytes) -> None:
        header = request.headers.get("Authorization")
        if not header:
            raise Refusal(403, "AccessDenied", "Anonymous access is not allowed")
        parsed = AUTH_PATTERN.match(header.strip())
        if parsed is None:
            raise Refusal(400, "AuthorizationHeaderMalformed", "The authorization header is malformed")
        if parsed["access"] not in credentials:
            raise Refusal(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
        if parsed["region"] != region or parsed["service"] != "s3":
            raise Refusal(400, "AuthorizationHeaderMalformed", f"the region must be {region!r}, the service 's3'")
        signed_headers = parsed["signed"].split(";")
        if "host" not in signed_headers or "x-amz-date" not in signed_headers:
            raise Refusal(403, "AccessDenied", "host and x-amz-date must be signed")
        amz_date = request.headers.get("x-amz-date", "")
        try:
            when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            raise Refusal(403, "AccessDenied", "x-amz-date is missing or malformed") from None
        if abs(datetime.now(timezone.utc) - when) > MAX_SKEW or amz_date[:8] != parsed["day"]:
            raise Refusal(403, "RequestTimeTooSkewed", "The difference between the request time and the server's time is too large.")
        payload_hash = request.headers.get("x-amz-content-sha256", "")
        if payload_hash != "UNSIGNED-PAYLOAD" and payload_hash != hashlib.sha256(body).hexdigest():
            raise Refusal(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
        canonical = _canonical_request(signed_headers, payload_hash)
        string_to_sign = "\n".join([
            "AWS4-HMAC-SHA256", amz_date, f"{parsed['day']}/{region}/s3/aws4_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ])
        key = _signing_key(credentials[parsed["access"]], parsed["day"], region, "s3")
        expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parsed["signature"]):
            raise Refusal(403, "SignatureDoesNotMatch",
                          "The request signature we calculated does not match the signature you provided.")

    @app.route("/<bucket_name>/<path:key>", methods=["GET", "PUT", "HEAD", "DELETE"])
    def object_(bucket_name: str, key: str) -> Any:
        body = request.get_data()
        try:
            authenticate(body)
            if bucket_name not in buckets:
                raise Refusal(404, "NoSuchBucket", "The specified bucket does not exist")
            objects = buckets[bucket_name]
            with lock:
                if request.method == "PUT":
                    objects[key] = body
                    return Response(status=200, headers={"ETag": f'"{hashlib.md5(body).hexdigest()}"'})
                if request.method == "DELETE":
                    objects.pop(key, None)
                    return Response(status=204)
                if key not in objects:
                    raise Refusal(404, "NoSuchKey", "The specified key does not exist.")
                data = objects[key]
        except Refusal as refusal:
            return _error(refusal)
        headers = {"ETag": f'"{hashlib.md5(data).hexdigest()}"', "Content-Length": str(len(data))}
        if request.method == "HEAD":
            return Response(status=200, headers=headers, mimetype="application/octet-stream")
        return Response(data, headers=headers, mimetype="application/octet-stream")

    @app.get("/_emulator/objects")
    def objects_list() -> Any:
        with lock:
            lines = [f"{name}/{key} {len(data)}" for name, objects in buckets.items() for key, data in sorted(objects.items())]
        return Response("\n".join(lines) + "\n", mimetype="text/plain")

    return app
