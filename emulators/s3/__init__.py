"""A local S3-compatible object store: a real HTTP server speaking the S3 REST API with
path-style URLs (`/<bucket>/<key>`), written from AWS's public documentation of the
protocol and of Signature Version 4 (it shares no code with our client).

Protocol (as S3):
- `PUT /<bucket>/<key>` stores the body (200, `ETag`: the body's MD5 in quotes);
  `GET` answers it; `HEAD` answers the headers only (404 without a body when absent);
  `DELETE` removes it (204, also when absent).
- Every request is signed (`Authorization: AWS4-HMAC-SHA256 Credential=<access key>/
  <yyyymmdd>/<region>/s3/aws4_request, SignedHeaders=..., Signature=...`), with
  `x-amz-date` within 15 minutes of now and `x-amz-content-sha256` the hex SHA-256 of the
  body (or `UNSIGNED-PAYLOAD`). The signature is recomputed here from the request as
  received (canonical request, string to sign, the signing key derived from the secret).
- Errors are S3's XML `<Error><Code>...</Code><Message>...</Message></Error>`:
  403 InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed, AccessDenied
  (no signature); 400 XAmzContentSHA256Mismatch, AuthorizationHeaderMalformed;
  404 NoSuchBucket, NoSuchKey.

Test control (not S3's): `GET /_emulator/objects` lists `bucket/key size` lines.
"""
from emulators.s3.app import create_app

__all__ = ["create_app"]
