"""Shared helpers for the s3emu end-to-end tests.

Everything here talks to a real ``s3emu serve`` process over HTTP/HTTPS:
process management, boto3 client construction, raw SigV4-signed requests
(botocore's signer, so tests can send odd headers and bodies), S3 XML error
parsing, checksum implementations and aws-chunked body builders.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import signal
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable
from urllib.parse import quote

import boto3
import pytest
import requests
import urllib3
from botocore.auth import SIGV4_TIMESTAMP, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from secrets_registry import REGISTRY as SECRETS_REGISTRY, regular_files

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MIB = 1024 * 1024
STARTUP_TIMEOUT = 30.0

urllib3.disable_warnings()


def server_binary() -> Path:
    env = os.environ.get("S3EMU_BIN")
    return Path(env) if env else REPO_ROOT / ".build" / "debug" / "s3emu"


def unique_bucket(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def quoted_md5(data: bytes) -> str:
    return f'"{md5_hex(data)}"'


def multipart_etag(parts: Iterable[bytes]) -> str:
    parts = list(parts)
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def random_bytes(n: int) -> bytes:
    return os.urandom(n)


# --------------------------------------------------------------------------
# Checksums (pure Python so that no awscrt is needed)
# --------------------------------------------------------------------------

def _reflected_table(poly: int, width: int) -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc & ((1 << width) - 1))
    return table


_CRC32C_TABLE = _reflected_table(0x82F63B78, 32)
_CRC64NVME_TABLE = _reflected_table(0x9A6C9329AC4BC9B5, 64)


def _crc_reflected(data: bytes, table: list[int], width: int) -> int:
    mask = (1 << width) - 1
    crc = mask
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ mask


def checksum_b64(algorithm: str, data: bytes) -> str:
    """Base64 of the big-endian checksum, as in x-amz-checksum-* headers."""
    algorithm = algorithm.upper()
    if algorithm == "CRC32":
        raw = (zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")
    elif algorithm == "CRC32C":
        raw = _crc_reflected(data, _CRC32C_TABLE, 32).to_bytes(4, "big")
    elif algorithm == "CRC64NVME":
        raw = _crc_reflected(data, _CRC64NVME_TABLE, 64).to_bytes(8, "big")
    elif algorithm == "SHA1":
        raw = hashlib.sha1(data).digest()
    elif algorithm == "SHA256":
        raw = hashlib.sha256(data).digest()
    else:
        raise ValueError(algorithm)
    return base64.b64encode(raw).decode()


# Sanity of the pure-Python CRCs against the published check values.
assert _crc_reflected(b"123456789", _CRC32C_TABLE, 32) == 0xE3069283
assert _crc_reflected(b"123456789", _CRC64NVME_TABLE, 64) == 0xAE8B14860A799888


# --------------------------------------------------------------------------
# XML
# --------------------------------------------------------------------------

def strip_ns(elem: ET.Element) -> ET.Element:
    for e in elem.iter():
        if isinstance(e.tag, str) and "}" in e.tag:
            e.tag = e.tag.split("}", 1)[1]
    return elem


def parse_xml(body: bytes) -> ET.Element:
    assert body, "expected an XML body, got an empty one"
    return strip_ns(ET.fromstring(body))


def assert_s3_error(resp: requests.Response, status: int, code: str | None = None):
    """Assert an S3 XML error response; returns (Code, Message, root element)."""
    assert resp.status_code == status, (
        f"expected HTTP {status}, got {resp.status_code}: {resp.text[:500]}"
    )
    request_id = resp.headers.get("x-amz-request-id")
    assert request_id, f"x-amz-request-id header missing: {dict(resp.headers)}"
    if resp.request.method == "HEAD" or status == 304:
        assert resp.content == b""
        return None, None, None
    root = parse_xml(resp.content)
    assert root.tag == "Error", resp.text
    got_code = root.findtext("Code")
    message = root.findtext("Message")
    body_request_id = root.findtext("RequestId")
    assert body_request_id, f"RequestId missing in error body: {resp.text}"
    assert body_request_id == request_id, (body_request_id, request_id)
    if code is not None:
        assert got_code == code, f"expected Code {code}, got {got_code}: {resp.text}"
    return got_code, message, root


@contextlib.contextmanager
def expect_client_error(status: int, code: str | None = None):
    """Context manager asserting that a boto3 call fails with status/code."""
    holder: dict = {}
    with pytest.raises(ClientError) as excinfo:
        yield holder
    resp = excinfo.value.response
    meta = resp["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == status, resp
    assert meta.get("RequestId") or meta["HTTPHeaders"].get("x-amz-request-id"), resp
    if code is not None:
        assert resp["Error"]["Code"] == code, resp
    holder.update(resp)


def http_status(resp: dict) -> int:
    return resp["ResponseMetadata"]["HTTPStatusCode"]


def headers_of(resp: dict) -> dict:
    return resp["ResponseMetadata"]["HTTPHeaders"]


# --------------------------------------------------------------------------
# SigV4 signing for raw requests
# --------------------------------------------------------------------------

def signing_key(secret: str, date: str, region: str, service: str = "s3") -> bytes:
    k = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


class RawSigV4(S3SigV4Auth):
    """botocore's S3 SigV4 signer with an overridable payload hash and clock."""

    def __init__(self, credentials, region, payload_hash=None, when=None):
        super().__init__(credentials, "s3", region)
        self._payload_hash = payload_hash
        self._when = when
        self.last_signature = None

    def payload(self, request):
        if self._payload_hash is not None:
            return self._payload_hash
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        return hashlib.sha256(body).hexdigest()

    def add_auth(self, request):
        now = self._when or dt.datetime.now(dt.timezone.utc)
        request.context["timestamp"] = now.strftime(SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        canonical_request = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical_request)
        signature = self.signature(string_to_sign, request)
        self._inject_signature_to_request(request, signature)
        self.last_signature = signature


def encode_key(key: str) -> str:
    return quote(key, safe="/~")


def encode_query(params: dict | None) -> str:
    if not params:
        return ""
    parts = []
    for k, v in params.items():
        if v is None:
            parts.append(quote(k, safe="-_.~"))
        else:
            parts.append(f"{quote(k, safe='-_.~')}={quote(str(v), safe='-_.~')}")
    return "?" + "&".join(parts)


@dataclass
class Signed:
    url: str
    headers: dict
    signature: str
    timestamp: str


@dataclass
class Endpoint:
    """One server reached over one scheme."""

    server: "Server"
    scheme: str
    _client: object = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.server.endpoints[self.scheme]

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def verify(self):
        return self.server.ca_cert if self.scheme == "https" else True

    @property
    def ca_cert(self) -> str:
        return self.server.ca_cert

    @property
    def s3(self):
        if self._client is None:
            self._client = self.client()
        return self._client

    def client(self, access_key=ACCESS_KEY, secret_key=SECRET_KEY, region=REGION, **config):
        settings = dict(signature_version="s3v4", s3={"addressing_style": "path"},
                        retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60)
        settings.update(config)
        cfg = Config(**settings)
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=region,
            verify=self.verify,
            config=cfg,
        )
        SECRETS_REGISTRY.attach_s3(client)      # SSE-C keys and body prefixes for the end-of-session scan
        return client

    def create_bucket(self, prefix: str = "t", **kwargs) -> str:
        name = unique_bucket(prefix)
        self.s3.create_bucket(Bucket=name, **kwargs)
        return name

    # --- raw requests -----------------------------------------------------

    def sign(self, method, path, *, params=None, headers=None, body=b"",
             payload_hash=None, when=None, access_key=ACCESS_KEY,
             secret_key=SECRET_KEY, region=REGION) -> Signed:
        url = self.url + path + encode_query(params)
        SECRETS_REGISTRY.note_headers(headers, f"raw {method}")
        req = AWSRequest(method=method, url=url, headers=dict(headers or {}), data=body)
        signer = RawSigV4(Credentials(access_key, secret_key), region,
                          payload_hash=payload_hash, when=when)
        signer.add_auth(req)
        return Signed(url, dict(req.headers.items()), signer.last_signature,
                      req.context["timestamp"])

    def request(self, method, path, *, params=None, headers=None, body=b"",
                sign=True, payload_hash=None, when=None, access_key=ACCESS_KEY,
                secret_key=SECRET_KEY, region=REGION, timeout=60) -> requests.Response:
        """Send a raw (optionally SigV4-signed) request; path must be URL-encoded."""
        if sign:
            s = self.sign(method, path, params=params, headers=headers, body=body,
                          payload_hash=payload_hash, when=when, access_key=access_key,
                          secret_key=secret_key, region=region)
            url, hdrs = s.url, s.headers
        else:
            url, hdrs = self.url + path + encode_query(params), dict(headers or {})
            SECRETS_REGISTRY.note_headers(hdrs, f"raw unsigned {method}")
        return requests.request(method, url, headers=hdrs, data=body, verify=self.verify,
                                allow_redirects=False, timeout=timeout)

    def send_signed(self, method, signed: Signed, body) -> requests.Response:
        return requests.request(method, signed.url, headers=signed.headers, data=body,
                                verify=self.verify, allow_redirects=False, timeout=60)


# --------------------------------------------------------------------------
# aws-chunked bodies
# --------------------------------------------------------------------------

STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


def split_chunks(data: bytes, chunk_size: int) -> list[bytes]:
    return [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)]


def signed_chunked_put(ep: Endpoint, bucket: str, key: str, data: bytes,
                       chunk_size: int = 64 * 1024, corrupt_chunk: int | None = None,
                       extra_headers: dict | None = None,
                       params: dict | None = None) -> requests.Response:
    """PUT using aws-chunked STREAMING-AWS4-HMAC-SHA256-PAYLOAD (signed chunks)."""
    chunks = split_chunks(data, chunk_size) + [b""]
    sig_len = 64
    encoded_len = sum(
        len(f"{len(c):x}") + len(";chunk-signature=") + sig_len + 2 + len(c) + 2
        for c in chunks
    )
    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "Content-Length": str(encoded_len),
        **(extra_headers or {}),
    }
    path = f"/{bucket}/{encode_key(key)}"
    signed = ep.sign("PUT", path, params=params, headers=headers,
                     payload_hash=STREAMING_SIGNED)
    date = signed.timestamp[:8]
    scope = f"{date}/{REGION}/s3/aws4_request"
    key_bytes = signing_key(SECRET_KEY, date, REGION)
    prev = signed.signature
    body = bytearray()
    for i, chunk in enumerate(chunks):
        sts = "\n".join([
            "AWS4-HMAC-SHA256-PAYLOAD", signed.timestamp, scope, prev,
            EMPTY_SHA256, hashlib.sha256(chunk).hexdigest(),
        ])
        sig = hmac.new(key_bytes, sts.encode(), hashlib.sha256).hexdigest()
        prev = sig
        if corrupt_chunk is not None and i == corrupt_chunk:
            sig = ("0" if sig[0] != "0" else "1") + sig[1:]
        body += f"{len(chunk):x};chunk-signature={sig}\r\n".encode() + chunk + b"\r\n"
    assert len(body) == encoded_len
    return ep.send_signed("PUT", signed, bytes(body))


def unsigned_trailer_put(ep: Endpoint, bucket: str, key: str, data: bytes,
                         algorithm: str = "CRC32", checksum: str | None = None,
                         chunk_size: int = 64 * 1024) -> requests.Response:
    """PUT using aws-chunked STREAMING-UNSIGNED-PAYLOAD-TRAILER with a checksum trailer."""
    trailer_name = f"x-amz-checksum-{algorithm.lower()}"
    checksum = checksum if checksum is not None else checksum_b64(algorithm, data)
    body = bytearray()
    for chunk in split_chunks(data, chunk_size):
        body += f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    body += b"0\r\n" + f"{trailer_name}:{checksum}\r\n\r\n".encode()
    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "x-amz-trailer": trailer_name,
        "x-amz-sdk-checksum-algorithm": algorithm.upper(),
        "Content-Length": str(len(body)),
    }
    return ep.request("PUT", f"/{bucket}/{encode_key(key)}", headers=headers,
                      body=bytes(body), payload_hash=STREAMING_UNSIGNED_TRAILER)


# --------------------------------------------------------------------------
# Server process
# --------------------------------------------------------------------------

class Server:
    def __init__(self, data_dir: Path, log_path: Path, extra_args: Iterable[str] = ()):
        self.data_dir = Path(data_dir)
        self.log_path = Path(log_path)
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen | None = None
        self.endpoints: dict = {}
        self._log = None
        self._log_start = 0

    @property
    def ca_cert(self) -> str:
        return self.endpoints["ca_cert"]

    def endpoint(self, scheme: str) -> Endpoint:
        return Endpoint(self, scheme)

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def crash_summary(self, n: int = 40) -> str:
        """The crash message and first stack frames if the log has them, else its tail."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        start = self._log_start
        markers = ("Fatal error", "Assertion failed", "Precondition failed", "crashed",
                   "Segmentation fault", "panic")
        for i in range(start, len(lines)):
            if any(m in lines[i] for m in markers):
                picked = lines[i:i + n]
                crashed = [j for j, l in enumerate(lines) if j >= i and " crashed:" in l]
                if crashed:
                    picked += ["..."] + lines[crashed[0]:crashed[0] + 16]
                return "\n".join(picked)
        return "\n".join(lines[-n:])

    def start(self, timeout: float = STARTUP_TIMEOUT) -> "Server":
        binary = server_binary()
        if not binary.exists():
            pytest.fail(f"s3emu binary not found at {binary} (set S3EMU_BIN or build it)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        endpoints_file = self.data_dir / "endpoints.json"
        with contextlib.suppress(FileNotFoundError):
            endpoints_file.unlink()
        cmd = [
            str(binary), "serve",
            "--data-dir", str(self.data_dir),
            "--http-port", "0", "--https-port", "0",
            "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY,
            "--region", REGION, *self.extra_args,
        ]
        try:
            self._log_start = len(self.log_path.read_text(errors="replace").splitlines())
        except OSError:
            self._log_start = 0
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n==== starting: {' '.join(cmd)}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._close_log()
                pytest.fail(f"s3emu exited with {self.proc.returncode} during startup; "
                            f"log tail ({self.log_path}):\n{self.log_tail()}")
            if endpoints_file.exists():
                try:
                    self.endpoints = json.loads(endpoints_file.read_text())
                    break
                except (json.JSONDecodeError, OSError):
                    pass  # being written; the server writes atomically, but be tolerant
            time.sleep(0.05)
        else:
            self.stop()
            pytest.fail(f"s3emu did not write {endpoints_file} within {timeout}s; "
                        f"log tail ({self.log_path}):\n{self.log_tail()}")
        # Wait until the health endpoint answers on both listeners.
        for scheme in ("http", "https"):
            url = self.endpoints[scheme] + "/_s3emu/health"
            verify = self.ca_cert if scheme == "https" else True
            last = None
            while time.monotonic() < deadline:
                try:
                    last = requests.get(url, verify=verify, timeout=5)
                    if last.status_code == 200:
                        break
                except requests.RequestException as exc:
                    last = exc
                time.sleep(0.1)
            else:
                self.stop()
                pytest.fail(f"health check {url} failed: {last!r}; log tail:\n{self.log_tail()}")
        if getattr(self, "secrets_scanned", False):
            SECRETS_REGISTRY.note_server(self)      # the session server: its listeners (ports change on restart)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        rc = self.proc.returncode
        self.proc = None
        self._close_log()
        return rc

    def _close_log(self):
        if self._log is not None:
            self._log.close()
            self._log = None


# --------------------------------------------------------------------------
# Subprocess helpers for real clients
# --------------------------------------------------------------------------

def run(cmd, env=None, timeout=180, check=True, cwd=None) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n"
            f"stdout:\n{proc.stdout.decode(errors='replace')[-3000:]}\n"
            f"stderr:\n{proc.stderr.decode(errors='replace')[-3000:]}"
        )
    return proc


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "RCLONE_", "S3CMD"))}
    env.update({k: str(v) for k, v in extra.items()})
    return env


# ==========================================================================
# KMS helpers (used by test_kms.py, test_kms_cli.py, test_keymodule.py)
# ==========================================================================

KMS_ACCOUNT = "123456789012"
KMS_JSON = "application/x-amz-json-1.1"


def kms_client(ep: Endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, region=REGION,
               validate=True, **config):
    """A boto3 KMS client for ``ep`` that never retries (so 5xx answers are seen)."""
    settings = dict(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60,
                    parameter_validation=validate)
    settings.update(config)
    client = boto3.session.Session().client(
        "kms", endpoint_url=ep.url, aws_access_key_id=access_key,
        aws_secret_access_key=secret_key, region_name=region, verify=ep.verify,
        config=Config(**settings))
    SECRETS_REGISTRY.attach_kms(client)         # plaintext data keys for the end-of-session scan
    return client


def kms_raw(ep: Endpoint, operation: str | None, body, *, access_key=ACCESS_KEY,
            secret_key=SECRET_KEY, region=REGION, service="kms", sign=True,
            content_type=KMS_JSON, target_prefix="TrentService.") -> requests.Response:
    """POST a raw KMS JSON 1.1 request (SigV4 with service ``kms``)."""
    from botocore.auth import SigV4Auth

    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    headers = {"Content-Type": content_type}
    if operation is not None:
        headers["X-Amz-Target"] = target_prefix + operation
    req = AWSRequest(method="POST", url=ep.url + "/", data=body, headers=headers)
    if sign:
        SigV4Auth(Credentials(access_key, secret_key), service, region).add_auth(req)
    resp = requests.post(ep.url + "/", data=body, headers=dict(req.headers.items()),
                         verify=ep.verify, allow_redirects=False, timeout=60)
    if operation in ("GenerateDataKey", "GenerateDataKeyWithoutPlaintext") and resp.status_code == 200:
        SECRETS_REGISTRY.note_kms_json(resp.content, f"raw {operation}")
    return resp


def assert_kms_raw_error(resp: requests.Response, code: str, status: int = 400) -> str:
    """Assert a KMS JSON error answer; returns its message."""
    assert resp.status_code == status, f"expected HTTP {status}, got {resp.status_code}: {resp.text}"
    assert resp.headers.get("x-amzn-RequestId"), dict(resp.headers)
    assert resp.headers.get("Content-Type", "").startswith(KMS_JSON), dict(resp.headers)
    body = resp.json()
    got = body.get("__type", "").split("#")[-1]
    assert got == code, f"expected __type {code}, got {body}"
    message = body.get("message", body.get("Message"))
    assert isinstance(message, str), body
    return message


@contextlib.contextmanager
def expect_kms_error(code: str, status: int = 400, message: str | None = None,
                     message_contains: str | None = None):
    """Like expect_client_error, for KMS: checks the code, status and (optionally) message."""
    holder: dict = {}
    with pytest.raises(ClientError) as excinfo:
        yield holder
    resp = excinfo.value.response
    meta = resp["ResponseMetadata"]
    assert resp["Error"]["Code"] == code, resp
    assert meta["HTTPStatusCode"] == status, resp
    assert meta.get("RequestId"), resp
    got = resp["Error"].get("Message", "")
    if message is not None:
        assert got == message, f"expected message {message!r}, got {got!r}"
    if message_contains is not None:
        assert message_contains in got, f"expected {message_contains!r} in message {got!r}"
    holder.update(resp)


def kms_key_arn(key_id: str, region=REGION) -> str:
    return f"arn:aws:kms:{region}:{KMS_ACCOUNT}:key/{key_id}"


def kms_alias_arn(alias: str, region=REGION) -> str:
    return f"arn:aws:kms:{region}:{KMS_ACCOUNT}:{alias}"


def advance_clock(ep: Endpoint, seconds: int) -> requests.Response:
    """Move the key module's clock forward (needs ``serve --test-clock``)."""
    return ep.request("POST", "/_s3emu/clock", params={"advance_seconds": int(seconds)})


def health(ep: Endpoint) -> dict:
    resp = requests.get(ep.url + "/_s3emu/health", verify=ep.verify, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def secret_needles(secret: bytes) -> dict[str, bytes]:
    """Byte patterns under which ``secret`` could be stored or logged.

    Raw bytes, lower/upper hex, and base64 (standard and URL-safe) at all three
    alignments inside a longer base64 text, with ``/`` also in its JSON-escaped
    form ``\\/``.
    """
    needles = {"raw": secret, "hex": secret.hex().encode(), "HEX": secret.hex().upper().encode()}
    n = len(secret)
    for pad in range(3):
        for name, enc in (("b64", base64.b64encode), ("b64url", base64.urlsafe_b64encode)):
            text = enc(bytes(pad) + secret)
            start = -(-8 * pad // 6)            # first character made of secret bits only
            end = (8 * (pad + n)) // 6          # characters fully inside the secret
            core = text[start:end]
            needles[f"{name}@{pad}"] = core
            if b"/" in core:
                needles[f"{name}@{pad}-json"] = core.replace(b"/", b"\\/")
    return needles


def _secret_needle_list(secrets: dict[str, bytes], min_len: int) -> list[tuple[str, str, bytes]]:
    """(label, form, bytes) for every form of every secret at least ``min_len`` bytes long."""
    return [(label, form, pat) for label, s in secrets.items() if len(s) >= min_len
            for form, pat in secret_needles(s).items()]


def find_secret_leaks(paths: Iterable[Path], secrets: dict[str, bytes],
                      min_len: int = 12) -> list[str]:
    """Grep every regular file under ``paths`` for every form of every secret.

    ``secrets`` maps a label (where the secret came from) to its bytes; secrets
    shorter than ``min_len`` are skipped (they would match by chance).
    Returns human-readable findings (empty when nothing leaked).
    """
    files = regular_files(paths)
    needles = _secret_needle_list(secrets, min_len)
    findings = []
    for f in files:
        try:
            data = f.read_bytes()
        except OSError:
            continue
        for label, form, pat in needles:
            idx = data.find(pat)
            if idx >= 0:
                findings.append(f"{label} found as {form} in {f} at offset {idx}")
    return findings


# ==========================================================================
# SSE helpers (used by test_sse.py, test_sse_errors.py, test_bucket_encryption_policy.py)
# Reference: /work/shared/docs/s3-sse-semantics.md
# ==========================================================================

SSE_H = "x-amz-server-side-encryption"
SSE_KMS_KEY_H = "x-amz-server-side-encryption-aws-kms-key-id"
SSE_CONTEXT_H = "x-amz-server-side-encryption-context"
SSE_BUCKET_KEY_H = "x-amz-server-side-encryption-bucket-key-enabled"
SSEC_ALG_H = "x-amz-server-side-encryption-customer-algorithm"
SSEC_KEY_H = "x-amz-server-side-encryption-customer-key"
SSEC_MD5_H = "x-amz-server-side-encryption-customer-key-MD5"
COPY_SSEC_ALG_H = "x-amz-copy-source-server-side-encryption-customer-algorithm"
COPY_SSEC_KEY_H = "x-amz-copy-source-server-side-encryption-customer-key"
COPY_SSEC_MD5_H = "x-amz-copy-source-server-side-encryption-customer-key-MD5"
RANDOM_ETAG_RE = r'^"[0-9a-f]{32}"$'

# Every SSE-C key and marker plaintext an SSE test used; the secrets tests grep the
# data dir and the server log for all of them (raw, hex, base64).
SSE_SECRETS: dict[str, bytes] = {}


def new_customer_key(label: str = "SSE-C key", size: int = 32) -> bytes:
    """A fresh random SSE-C key, remembered for the secrets grep."""
    key = os.urandom(size)
    SSE_SECRETS[f"{label}#{len(SSE_SECRETS)}"] = key
    return key


def remember_secret(label: str, value: bytes) -> bytes:
    SSE_SECRETS[f"{label}#{len(SSE_SECRETS)}"] = value
    return value


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def ssec_headers(key: bytes | None, *, algorithm: str | None = "AES256", md5: str | None = "auto",
                 copy_source: bool = False) -> dict:
    """The SSE-C trio as raw headers; ``None`` leaves a member out, ``md5="auto"`` computes it."""
    names = ((COPY_SSEC_ALG_H, COPY_SSEC_KEY_H, COPY_SSEC_MD5_H) if copy_source
             else (SSEC_ALG_H, SSEC_KEY_H, SSEC_MD5_H))
    h = {}
    if algorithm is not None:
        h[names[0]] = algorithm
    if key is not None:
        h[names[1]] = b64(key)
    if md5 == "auto":
        md5 = md5_b64(key) if key is not None else None
    if md5 is not None:
        h[names[2]] = md5
    return h


def ssec_args(key: bytes, copy_source: bool = False, algorithm: str = "AES256") -> dict:
    """boto3 keyword arguments for SSE-C."""
    # Key and MD5 are passed ready-made: botocore only fills them in for some operations
    # (not GetObjectAttributes, ListParts, CompleteMultipartUpload).
    if copy_source:
        return {"CopySourceSSECustomerAlgorithm": algorithm, "CopySourceSSECustomerKey": b64(key),
                "CopySourceSSECustomerKeyMD5": md5_b64(key)}
    return {"SSECustomerAlgorithm": algorithm, "SSECustomerKey": b64(key), "SSECustomerKeyMD5": md5_b64(key)}


def allow_ssec(s3, bucket: str, algorithm: str = "AES256", **default) -> None:
    """Lift the April 2026 SSE-C block of a bucket (PutBucketEncryption with EncryptionType NONE)."""
    by_default = {"SSEAlgorithm": algorithm, **default}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": by_default,
        "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]}}]})


def inspect_object(ep: Endpoint, bucket: str, key: str) -> dict:
    """``GET /_s3emu/inspect/{bucket}/{key}`` (SigV4-signed)."""
    resp = ep.request("GET", f"/_s3emu/inspect/{bucket}/{encode_key(key)}")
    assert resp.status_code == 200, f"inspect {bucket}/{key}: {resp.status_code} {resp.text}"
    return resp.json()


def sse_response_headers(headers) -> dict:
    """The ``x-amz-server-side-encryption*`` response headers, lowercased names."""
    return {k.lower(): v for k, v in dict(headers).items()
            if k.lower().startswith("x-amz-server-side-encryption")}


def _error_children(root: ET.Element) -> dict:
    return {c.tag: (c.text or "") for c in root}


def assert_exact_error(resp: requests.Response, status: int, code: str, message: str,
                       **extra: str) -> ET.Element | None:
    """A raw S3 error: status, Code, Message byte for byte and exactly the extra elements given.

    HEAD answers are checked for the status and an empty body only.
    """
    got_code, got_message, root = assert_s3_error(resp, status, code)
    if root is None:
        return None
    assert got_message == message, f"Message:\n  expected {message!r}\n  got      {got_message!r}"
    children = _error_children(root)
    extras = {k: v for k, v in children.items() if k not in ("Code", "Message", "RequestId", "HostId")}
    assert extras == extra, f"extra elements: expected {extra}, got {extras} in {resp.text}"
    return root


@contextlib.contextmanager
def expect_exact_error(status: int, code: str, message: str | None, **extra: str):
    """boto3 call failing with status, Code, Message (byte for byte) and exactly these extra elements.

    ``message=None`` is for HEAD, which has no body (botocore then synthesizes the code).
    """
    holder: dict = {}
    with pytest.raises(ClientError) as excinfo:
        yield holder
    resp = excinfo.value.response
    meta = resp["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == status, resp
    assert meta.get("RequestId") or meta["HTTPHeaders"].get("x-amz-request-id"), resp
    err = dict(resp["Error"])
    if message is None:                       # HEAD: no body, botocore makes the code up
        assert err.get("Code") == str(status), resp
    else:
        assert err.get("Code") == code, resp
        assert err.get("Message") == message, (
            f"Message:\n  expected {message!r}\n  got      {err.get('Message')!r}")
        extras = {k: v for k, v in err.items() if k not in ("Code", "Message")}
        assert extras == extra, f"extra elements: expected {extra}, got {extras}"
    holder.update(resp)


def stored_part_location(server: "Server", stored_prefix_hex: str):
    """Where the store keeps the bytes whose first bytes are ``stored_prefix_hex``.

    Returns ``("file", Path)`` for a blob file under DATA/store/blobs, or ``("inline", id)``
    for a body kept in the ``inline_blob`` table of DATA/store/metadata.sqlite.
    """
    import sqlite3

    prefix = bytes.fromhex(stored_prefix_hex)
    assert len(prefix) >= 16, "prefix too short to identify a blob"
    hits = []
    for f in (server.data_dir / "store" / "blobs").rglob("*"):
        if f.is_file():
            with open(f, "rb") as fh:
                if fh.read(len(prefix)) == prefix:
                    hits.append(("file", f))
    db = sqlite3.connect(str(server.data_dir / "store" / "metadata.sqlite"), timeout=30)
    try:
        for blob_id, data in db.execute("SELECT id, data FROM inline_blob"):
            if bytes(data[:len(prefix)]) == prefix:
                hits.append(("inline", blob_id))
    finally:
        db.close()
    assert len(hits) == 1, f"expected one stored body starting with {stored_prefix_hex}, got {hits}"
    return hits[0]


def flip_stored_byte(server: "Server", location, offset: int) -> None:
    """XOR one byte of a stored body (blob file or inline row) with 0x01."""
    import sqlite3

    kind, where = location
    if kind == "file":
        with open(where, "r+b") as fh:
            fh.seek(offset)
            b = fh.read(1)
            assert len(b) == 1, f"offset {offset} past the end of {where}"
            fh.seek(offset)
            fh.write(bytes([b[0] ^ 1]))
            fh.flush()
            os.fsync(fh.fileno())
        return
    db = sqlite3.connect(str(server.data_dir / "store" / "metadata.sqlite"), timeout=30)
    try:
        (data,) = db.execute("SELECT data FROM inline_blob WHERE id = ?", (where,)).fetchone()
        data = bytearray(data)
        data[offset] ^= 1
        db.execute("UPDATE inline_blob SET data = ? WHERE id = ?", (bytes(data), where))
        db.commit()
    finally:
        db.close()


def read_stored_bytes(server: "Server", location) -> bytes:
    import sqlite3

    kind, where = location
    if kind == "file":
        return Path(where).read_bytes()
    db = sqlite3.connect(str(server.data_dir / "store" / "metadata.sqlite"), timeout=30)
    try:
        return bytes(db.execute("SELECT data FROM inline_blob WHERE id = ?", (where,)).fetchone()[0])
    finally:
        db.close()


_SHARED_EPS: dict = {}


def shared_endpoint(server: "Server", scheme: str) -> Endpoint:
    """One Endpoint (and so one boto3 client) per server listener, reused across tests."""
    key = (id(server), server.endpoints.get(scheme), scheme)
    ep = _SHARED_EPS.get(key)
    if ep is None:
        ep = _SHARED_EPS[key] = server.endpoint(scheme)
    return ep


def close_shared_endpoints() -> None:
    """Close the shared clients (idle keep-alive connections slow a server's shutdown)."""
    for ep in _SHARED_EPS.values():
        if ep._client is not None:
            ep._client.close()
    _SHARED_EPS.clear()


def audit_trail(server: "Server") -> list[dict]:
    path = server.data_dir / "keymodule" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def find_secret_leaks_fast(paths: Iterable[Path], secrets: dict[str, bytes], min_len: int = 12) -> list[str]:
    """``find_secret_leaks`` for many secrets over large data dirs (same needles, same findings).

    Every needle is at least 11 bytes long, so any occurrence covers a 6-byte block that starts at
    a multiple of 6: the data is scanned once at stride 6 against an index of all 6-byte substrings
    of all needles, and candidates are confirmed with ``bytes.find``.
    """
    k = 6
    needles = _secret_needle_list(secrets, min_len)
    short = [n for n in needles if len(n[2]) < 2 * k - 1]
    index: dict[bytes, set[int]] = {}
    for i, (_, _, pat) in enumerate(needles):
        if len(pat) >= 2 * k - 1:
            for j in range(len(pat) - k + 1):
                index.setdefault(pat[j:j + k], set()).add(i)
    files = regular_files(paths)
    findings = []
    for f in files:
        try:
            data = f.read_bytes()
        except OSError:
            continue
        candidates: set[int] = set()
        get = index.get
        for pos in range(0, len(data) - k + 1, k):
            ids = get(data[pos:pos + k])
            if ids:
                candidates |= ids
        for i in sorted(candidates):
            label, form, pat = needles[i]
            idx = data.find(pat)
            if idx >= 0:
                findings.append(f"{label} found as {form} in {f} at offset {idx}")
        for label, form, pat in short:
            idx = data.find(pat)
            if idx >= 0:
                findings.append(f"{label} found as {form} in {f} at offset {idx}")
    return findings
