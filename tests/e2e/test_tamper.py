"""Tampering with what s3emu stores, in every mode: no altered byte is ever served.

For each mode (SSE-S3, SSE-KMS, DSSE-KMS, SSE-C) and layout (a single-part object of 6 segments; a multipart
object of 5 MiB + 5 MiB + 4 segments) the stored bytes and the metadata record are altered on disk — one byte of a
segment flipped (ciphertext and tag), the last segment cut short or dropped, two segments swapped, two objects'
blobs swapped, two parts of one object swapped, an older version's bytes put back under the same key, the sealed
data key(s), the salt and the plaintext size in the object's record corrupted, bytes appended — and every GET, a
range GET of the touched segment and (multipart) a partNumber GET must fail, each altered state restored afterwards
(and the object checked to read back intact, so nothing is cached).

What the emulator answers (Sources/EmulatorServer/S3Service+Objects.swift, S3Service+Encryption.swift): a read
whose span is at most 1 MiB is decrypted before the answer starts, so an authentication failure
(`AtRestCryptoError.authenticationFailed`), a short blob (`invalidStoredSize`) or a sealed key the key provider
refuses (`InvalidCiphertextException`) is `500 InternalError`, and so is an SSE-C sealed key that no longer opens
with the right customer key (its salted MAC still matches); an SSE-C envelope whose MAC or MAC salt was altered no
longer recognises the key and answers `403 AccessDenied` (the wrong-key answer). A larger read streams: `200` is sent before the failing segment is
reached and the connection is cut there, so the client sees a prefix of the original bytes and a broken stream,
never an altered byte. Bytes appended after the last segment are never read: GET returns the original object.

The blobs are found from the object record itself (DATA/store/metadata.sqlite, table ``object``, the binary record of
Sources/Storage/ObjectRecord+Binary.swift; blob files DATA/store/blobs/<2 hex>/<id>); the envelope is the ``sse``
attribute of each part (Sources/AtRestCrypto/EncryptionEnvelope.swift). Each test uses its own server
(``server_factory``) so the session server is never tampered with. test_sse.py has the first tampering tests
(a flipped byte per mode, an inline body, the final tag, a swap, one multipart part); this module covers the rest.
"""

from __future__ import annotations

import base64
import os
import sqlite3
import struct
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from helpers import (MIB, allow_ssec, assert_s3_error, encode_key, flip_stored_byte, inspect_object, kms_client,
                     random_bytes, read_stored_bytes, stored_part_location)
from test_sse import SEG, TAG, _read_all, mode_setup, read_args, write_args

MODES = ["SSE-S3", "SSE-KMS", "DSSE-KMS", "SSE-C"]
READ_CHUNK = 1 * MIB                   # S3Service.readChunk: larger reads stream
SINGLE = 5 * SEG + 1000                # 6 segments, one blob file, one read buffer
MP_PARTS = (5 * MIB, 5 * MIB, 3 * SEG + 777)


# ---------------------------------------------------------------- the object record

def _varint(b: bytes, i: int) -> tuple[int, int]:
    u, shift = 0, 0
    while True:
        c = b[i]
        i += 1
        u |= (c & 0x7F) << shift
        if c < 0x80:
            return (u - (1 << 64) if u >= 1 << 63 else u), i
        shift += 7


def _string(b: bytes, i: int) -> tuple[int, int, int]:
    """(start, end, next) of a varint-length-prefixed string."""
    n, i = _varint(b, i)
    return i, i + n, i + n


def _skip_map(b: bytes, i: int) -> tuple[dict, int]:
    n, i = _varint(b, i)
    out = {}
    for _ in range(n):
        ks, ke, i = _string(b, i)
        vs, ve, i = _string(b, i)
        out[b[ks:ke].decode()] = (vs, ve)
    return out, i


def _skip_checksum(b: bytes, i: int) -> int:
    present = b[i]
    i += 1
    if present == 1:
        for _ in range(3):
            _, _, i = _string(b, i)
    return i


@dataclass
class StoredPart:
    number: int
    blob_id: str
    blob_size: int
    inline: bool
    attributes: dict          # name -> (start, end) of the value in the record


def encode_varint(v: int) -> bytes:
    u = v & ((1 << 64) - 1)
    out = bytearray()
    while u >= 0x80:
        out.append((u & 0x7F) | 0x80)
        u >>= 7
    out.append(u)
    return bytes(out)


def record_size_span(rec: bytes) -> tuple[int, int, int]:
    """(start, end, value) of the object's plaintext size in a binary record."""
    i = 2
    for _ in range(2):
        _, _, i = _string(rec, i)
    value, end = _varint(rec, i)
    return i, end, value


def parse_record(rec: bytes) -> list[StoredPart]:
    """The parts of a binary ObjectRecord (version 2), with where each attribute value sits in the record."""
    assert rec[0] == 0xB5 and rec[1] == 2, f"not a version-2 binary record: {rec[:2].hex()}"
    i = 2
    for _ in range(2):                      # bucket, key
        _, _, i = _string(rec, i)
    _, i = _varint(rec, i)                  # size
    _, _, i = _string(rec, i)               # etag
    _, i = _varint(rec, i)                  # last modified
    _, i = _skip_map(rec, i)                # headers
    _, i = _skip_map(rec, i)                # user metadata (pairs: same shape)
    i = _skip_checksum(rec, i)
    count, i = _varint(rec, i)
    parts = []
    for _ in range(count):
        number, i = _varint(rec, i)
        s, e, i = _string(rec, i)
        blob_id = rec[s:e].decode()
        blob_size, i = _varint(rec, i)
        inline = rec[i] == 1
        i += 1
        _, _, i = _string(rec, i)           # etag
        i = _skip_checksum(rec, i)
        attrs, i = _skip_map(rec, i)
        parts.append(StoredPart(number, blob_id, blob_size, inline, attrs))
    return parts


def envelope_fields(env: bytes) -> dict:
    """Offsets (start, end) of the salt, each sealed data key and the SSE-C MAC in an envelope (version 1)."""
    assert env[0] == 1, env[:1]
    i = 3                                              # version, format version, mode
    (n,) = struct.unpack(">I", env[i:i + 4])
    i += 4 + n + 4 + 1                                 # algorithm, segment size, layers

    def data(i):
        (n,) = struct.unpack(">I", env[i:i + 4])
        return (i + 4, i + 4 + n), i + 4 + n

    out = {}
    out["salt"], i = data(i)
    count = env[i]
    i += 1
    for k in range(count):
        out[f"sealed{k}"], i = data(i)
    for name in ("arn", "key version", "context"):
        _, i = data(i)
    i += 1                                             # flags
    _, i = data(i)                                     # customer key MD5
    out["customer salt"], i = data(i)
    out["mac"], i = data(i)
    assert i == len(env), "envelope not fully parsed"
    return out


class Stored:
    """One object as it lies in one server's data directory."""

    def __init__(self, server, bucket: str, key: str):
        self.server, self.bucket, self.key = server, bucket, key
        self.db_path = server.data_dir / "store" / "metadata.sqlite"

    def _db(self):
        return sqlite3.connect(str(self.db_path), timeout=30)

    def record(self) -> bytes:
        db = self._db()
        try:
            row = db.execute("SELECT record FROM object WHERE bucket = ? AND key = ?", (self.bucket, self.key)).fetchone()
        finally:
            db.close()
        assert row is not None, f"no record for {self.bucket}/{self.key}"
        return bytes(row[0])

    def write_record(self, rec: bytes) -> None:
        db = self._db()
        try:
            db.execute("UPDATE object SET record = ? WHERE bucket = ? AND key = ?", (rec, self.bucket, self.key))
            db.commit()
        finally:
            db.close()

    def parts(self) -> list[StoredPart]:
        return parse_record(self.record())

    def blob(self, part: int = 0) -> Path:
        p = self.parts()[part]
        assert not p.inline, f"{self.key} part {part} is inline; the tamper tests need blob files"
        return self.server.data_dir / "store" / "blobs" / p.blob_id[:2] / p.blob_id

    def envelope(self, part: int = 0) -> tuple[bytes, bytes, int, int]:
        """(record, envelope bytes, start, end of the base64 value in the record)."""
        rec = self.record()
        s, e = parse_record(rec)[part].attributes["sse"]
        return rec, base64.b64decode(rec[s:e]), s, e

    def edit_envelope(self, part: int, field: str, at: int = -1) -> None:
        """XOR one byte of an envelope field (default: its last byte) in the record, keeping every length."""
        rec, env, s, e = self.envelope(part)
        lo, hi = envelope_fields(env)[field]
        assert hi > lo, f"envelope field {field} is empty"
        env = bytearray(env)
        env[(hi + at) if at < 0 else (lo + at)] ^= 0x01
        text = base64.b64encode(bytes(env))
        assert len(text) == e - s
        self.write_record(rec[:s] + text + rec[e:])

    def set_attribute(self, part: int, name: str, value: bytes) -> None:
        rec = self.record()
        s, e = parse_record(rec)[part].attributes[name]
        assert len(value) == e - s, "same length only (the length prefix is not rewritten)"
        self.write_record(rec[:s] + value + rec[e:])

    def set_object_size(self, size: int) -> None:
        rec = self.record()
        s, e, _ = record_size_span(rec)
        text = encode_varint(size)
        assert len(text) == e - s, "same varint length only"
        self.write_record(rec[:s] + text + rec[e:])

    def attribute(self, part: int, name: str) -> bytes:
        rec = self.record()
        s, e = parse_record(rec)[part].attributes[name]
        return rec[s:e]


def write_file(path: Path, data: bytes) -> None:
    with open(path, "r+b" if path.exists() else "wb") as fh:
        fh.seek(0)
        fh.write(data)
        fh.truncate(len(data))
        fh.flush()
        os.fsync(fh.fileno())


def stored_segment(layers: int, s: int) -> tuple[int, int]:
    """Stored [start, end) of full segment ``s`` (every segment but the last is full)."""
    size = SEG + TAG * layers
    return s * size, (s + 1) * size


# ---------------------------------------------------------------- reading

@dataclass
class Fetched:
    status: int
    code: str | None
    body: bytes
    clean: bool
    length: int

    def __str__(self):
        if self.status >= 400:
            return f"{self.status} {self.code}"
        return f"{self.status} with {len(self.body)} of {self.length} bytes, stream {'complete' if self.clean else 'broken'}"


def fetch(ep, bucket: str, key: str, headers=None, params=None, read_timeout: float = 15) -> Fetched:
    path = f"/{bucket}/{encode_key(key)}"
    signed = ep.sign("GET", path, params=params, headers=headers or {})
    try:
        resp = requests.get(signed.url, headers=signed.headers, verify=ep.verify, stream=True, timeout=(10, read_timeout))
    except requests.exceptions.ConnectionError as e:
        return Fetched(0, f"connection error {e}", b"", False, -1)
    body, clean = _read_all(resp)
    code = None
    if resp.status_code >= 400:
        resp._content = body
        code, _, _ = assert_s3_error(resp, resp.status_code)
    return Fetched(resp.status_code, code, body, clean, int(resp.headers.get("Content-Length", -1)))


class Checker:
    """Collects every refusal that did not happen as expected (so one test reports all its cases)."""

    def __init__(self, ep, bucket: str, mode: str, ckey: bytes | None, read_timeout: float = 15):
        self.ep, self.bucket, self.mode, self.ckey = ep, bucket, mode, ckey
        self.read_timeout = read_timeout
        self.problems: list[str] = []
        self.cases = 0
        self.outcomes: dict[str, int] = {}

    def rh(self, extra=None) -> dict:
        from helpers import ssec_headers
        h = ssec_headers(self.ckey) if self.mode == "SSE-C" else {}
        return {**h, **(extra or {})}

    def refused(self, what: str, key: str, original: bytes, *, lo: int = 0, rng: tuple[int, int] | None = None,
                part: int | None = None, expect=(500, "InternalError")) -> None:
        """GET (whole, ``rng`` = inclusive byte range, or ``part``) must fail: ``expect`` before any byte when the
        read is at most 1 MiB; for a larger (streamed) read, ``expect`` or a broken stream carrying only a strict
        prefix of the original bytes."""
        self.cases += 1
        headers, params = self.rh(), None
        want = original
        if rng is not None:
            headers["Range"] = f"bytes={rng[0]}-{rng[1]}"
            want = original[rng[0]:rng[1] + 1]
        elif part is not None:
            params = {"partNumber": str(part)}
            want = original[lo:lo + MP_PARTS[part - 1]]
        f = fetch(self.ep, self.bucket, key, headers, params, self.read_timeout)
        outcome = f"{f.status} {f.code}" if f.status >= 400 or f.status == 0 else f"{f.status} + broken stream"
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        label = f"{self.mode} {what}: GET {key}" + (f" {headers.get('Range')}" if rng else "") + \
            (f" partNumber={part}" if part else "")
        if f.status >= 400 or f.status == 0:
            if (f.status, f.code) != expect:
                self.problems.append(f"{label}: expected {expect[0]} {expect[1]}, got {f}")
            return
        streamed = len(want) > READ_CHUNK
        if streamed and not f.clean and len(f.body) < len(want) and f.body == want[:len(f.body)]:
            return                                          # cut before the altered segment: allowed
        if f.body == want:
            what = "the original bytes (the tampering went unnoticed)"
        elif f.clean and len(f.body) < len(want) and f.body == want[:len(f.body)]:
            what = "a TRUNCATED object (a strict prefix of the original) as if complete"
        elif not f.clean and f.body == want[:len(f.body)]:
            what = "a body shorter than its Content-Length on a read that is not streamed"
        else:
            what = "ALTERED bytes"
        self.problems.append(f"BUG {label}: answered {f} of a tampered object: {what} (streamed read: {streamed})")

    def intact(self, what: str, key: str, original: bytes, *, rng=None, part=None, lo: int = 0) -> None:
        """GET must return exactly the original bytes (an untouched range, or after restoring)."""
        self.cases += 1
        headers, params, want, status = self.rh(), None, original, 200
        if rng is not None:
            headers["Range"] = f"bytes={rng[0]}-{rng[1]}"
            want, status = original[rng[0]:rng[1] + 1], 206
        elif part is not None:
            params, want, status = {"partNumber": str(part)}, original[lo:lo + MP_PARTS[part - 1]], 206
        f = fetch(self.ep, self.bucket, key, headers, params, self.read_timeout)
        if not (f.status == status and f.clean and f.body == want):
            self.problems.append(f"{self.mode} {what}: GET {key} {headers.get('Range', '')} "
                                 f"{'partNumber=' + str(part) if part else ''} should read back intact, got {f}")

    def done(self) -> None:
        print(f"{self.mode}: {self.cases} checks; refusals seen: {self.outcomes}")
        assert not self.problems, f"{len(self.problems)} of {self.cases} checks failed:\n  " + "\n  ".join(self.problems)


# ---------------------------------------------------------------- set-up

@pytest.fixture
def tamper_env(server_factory):
    srv = server_factory()
    hs = srv.endpoint("https")
    kms = kms_client(hs)
    key = kms.create_key(Description="test_tamper")["KeyMetadata"]
    bucket = hs.create_bucket("tamper")
    allow_ssec(hs.s3, bucket)
    yield srv, hs, {"id": key["KeyId"], "arn": key["Arn"]}, bucket
    hs.s3.close()
    kms.close()


def put(hs, bucket, key, data, mode, arn, ckey) -> None:
    hs.s3.put_object(Bucket=bucket, Key=key, Body=data, **write_args(mode, arn, ckey))


def put_multipart(hs, bucket, key, parts, mode, arn, ckey) -> None:
    s3 = hs.s3
    uid = s3.create_multipart_upload(Bucket=bucket, Key=key, **write_args(mode, arn, ckey))["UploadId"]
    etags = [s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=n + 1, Body=body,
                            **read_args(mode, ckey))["ETag"] for n, body in enumerate(parts)]
    extra = read_args(mode, ckey)
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid, **extra, MultipartUpload={
        "Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]})


class Restore:
    """Saves a blob file's bytes or an object's record and puts them back."""

    def __init__(self, *items):
        self.saved = []
        for item in items:
            if isinstance(item, Stored):
                self.saved.append((item, item.record()))
            else:
                self.saved.append((item, item.read_bytes()))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for item, data in self.saved:
            if isinstance(item, Stored):
                item.write_record(data)
            else:
                write_file(item, data)
        return False


# ---------------------------------------------------------------- single-part objects

@pytest.mark.parametrize("mode", MODES)
def test_tampered_single_part_object_is_never_served(tamper_env, mode):
    srv, hs, kms_key, bucket = tamper_env
    arn, ckey = mode_setup(mode, kms_key)
    layers = 2 if mode == "DSSE-KMS" else 1
    a, b, old = random_bytes(SINGLE), random_bytes(SINGLE), random_bytes(SINGLE)
    put(hs, bucket, "b", b, mode, arn, ckey)
    put(hs, bucket, "a", old, mode, arn, ckey)
    sa, sb = Stored(srv, bucket, "a"), Stored(srv, bucket, "b")
    old_blob = sa.blob().read_bytes()                    # an older version of "a", replayed below
    put(hs, bucket, "a", a, mode, arn, ckey)
    c = Checker(hs, bucket, mode, ckey)
    info = inspect_object(hs, bucket, "a")
    assert info["mode"] == mode and info["segments"] == 6, info
    blob = sa.blob()
    assert ("file", blob) == stored_part_location(srv, info["stored_prefix_hex"])
    stored = read_stored_bytes(srv, ("file", blob))
    assert len(stored) == info["stored_size"] == SINGLE + 6 * TAG * layers
    seg = lambda s: (s * SEG, min((s + 1) * SEG, SINGLE) - 1)          # plaintext range of segment s
    c.intact("before tampering", "a", a)

    for name, offset in (("flipped ciphertext byte in segment 2", 2 * (SEG + TAG * layers) + 1000),
                         ("flipped tag byte of segment 2", stored_segment(layers, 2)[1] - 1),
                         ("flipped first byte of segment 0", 0)):
        with Restore(blob):
            flip_stored_byte(srv, ("file", blob), offset)
            s = 0 if "segment 0" in name else 2
            c.refused(name, "a", a)
            c.refused(name, "a", a, rng=seg(s))
            c.refused(name, "a", a, rng=(seg(s)[0] + 10, seg(s)[0] + 20))
            c.intact(f"{name}, untouched segment", "a", a, rng=seg(4))
        c.intact(f"restored after {name}", "a", a)

    last = len(stored) - (SINGLE - 5 * SEG + TAG * layers)            # where the final segment starts
    for name, keep in (("last segment cut short by 10 bytes", len(stored) - 10),
                       ("last segment cut to its first byte", last + 1),
                       ("last segment dropped", last)):
        with Restore(blob):
            write_file(blob, stored[:keep])
            c.refused(name, "a", a)
            c.refused(name, "a", a, rng=seg(5))
            c.refused(name, "a", a, rng=(SINGLE - 1, SINGLE - 1))
        c.intact(f"restored after {name}", "a", a)

    with Restore(blob):
        (s1, e1), (s2, e2) = stored_segment(layers, 1), stored_segment(layers, 2)
        write_file(blob, stored[:s1] + stored[s2:e2] + stored[s1:e1] + stored[e2:])
        c.refused("segments 1 and 2 swapped", "a", a)
        c.refused("segments 1 and 2 swapped", "a", a, rng=seg(1))
        c.refused("segments 1 and 2 swapped", "a", a, rng=seg(2))
        c.intact("segments 1 and 2 swapped, untouched segment", "a", a, rng=seg(0))
    with Restore(blob):
        (s0, e0), (s4, e4) = stored_segment(layers, 0), stored_segment(layers, 4)
        write_file(blob, stored[:s4] + stored[s0:e0] + stored[e4:])     # segment 0 again in place of segment 4
        c.refused("segment 0 replayed in place of segment 4", "a", a)
        c.refused("segment 0 replayed in place of segment 4", "a", a, rng=seg(4))
        c.intact("segment 0 replayed in place of segment 4, untouched segment", "a", a, rng=seg(3))
    c.intact("restored after swapping segments", "a", a)

    blob_b = sb.blob()
    with Restore(blob, blob_b):
        bytes_b = blob_b.read_bytes()
        write_file(blob_b, stored)
        write_file(blob, bytes_b)
        c.refused("blobs of two objects swapped", "a", a)
        c.refused("blobs of two objects swapped", "b", b)
        c.refused("blobs of two objects swapped", "a", a, rng=seg(3))
    c.intact("restored after swapping objects", "a", a)
    c.intact("restored after swapping objects", "b", b)

    with Restore(blob):
        write_file(blob, old_blob)
        c.refused("an older version's bytes under the same key", "a", a)
        c.refused("an older version's bytes under the same key", "a", a, rng=seg(0))
    c.intact("restored after replaying an older version", "a", a)

    with Restore(blob):
        with open(blob, "ab") as fh:
            fh.write(os.urandom(SEG + TAG * layers))
        c.intact("bytes appended after the final segment (never read)", "a", a)

    # the metadata record: sealed data key(s), salt, plaintext size
    sealed_expect = (500, "InternalError")
    fields = ["sealed0"] + (["sealed1"] if layers == 2 else [])
    for field in fields:
        for at in (-1, 0, 20):
            with Restore(sa):
                sa.edit_envelope(0, field, at)
                c.refused(f"{field} byte {at} of the envelope flipped", "a", a, expect=sealed_expect)
                c.refused(f"{field} byte {at} of the envelope flipped", "a", a, rng=seg(0), expect=sealed_expect)
            c.intact(f"restored after {field} {at}", "a", a)
    with Restore(sa):
        sa.edit_envelope(0, "salt")
        c.refused("envelope salt flipped", "a", a)
        c.refused("envelope salt flipped", "a", a, rng=seg(0))
    if mode == "SSE-C":
        with Restore(sa):
            sa.edit_envelope(0, "mac")
            c.refused("SSE-C key MAC flipped", "a", a, expect=(403, "AccessDenied"))
        with Restore(sa):
            sa.edit_envelope(0, "customer salt")
            c.refused("SSE-C key salt flipped", "a", a, expect=(403, "AccessDenied"))
    size = sa.attribute(0, "size")
    assert size == str(SINGLE).encode()
    for other in (SINGLE - 1, SINGLE + 1):
        text = str(other).encode()
        if len(text) != len(size):
            continue
        with Restore(sa):
            sa.set_attribute(0, "size", text)
            c.refused(f"plaintext size {SINGLE} -> {other} in the record", "a", a)
            c.refused(f"plaintext size {SINGLE} -> {other} in the record", "a", a, rng=seg(5))
        c.intact(f"restored after size {other}", "a", a)
    c.intact("restored at the end", "b", b)
    assert srv.proc.poll() is None, "the server died"
    c.done()


# ---------------------------------------------------------------- multipart objects

@pytest.mark.parametrize("mode", MODES)
def test_tampered_multipart_object_is_never_served(tamper_env, mode):
    srv, hs, kms_key, bucket = tamper_env
    arn, ckey = mode_setup(mode, kms_key)
    layers = 2 if mode == "DSSE-KMS" else 1
    parts_a = [random_bytes(n) for n in MP_PARTS]
    parts_b = [random_bytes(n) for n in MP_PARTS]
    a, b = b"".join(parts_a), b"".join(parts_b)
    put_multipart(hs, bucket, "a", parts_a, mode, arn, ckey)
    put_multipart(hs, bucket, "b", parts_b, mode, arn, ckey)
    sa, sb = Stored(srv, bucket, "a"), Stored(srv, bucket, "b")
    info = inspect_object(hs, bucket, "a")
    assert info["mode"] == mode and len(info["parts"]) == 3, info
    c = Checker(hs, bucket, mode, ckey)
    p3 = sum(MP_PARTS[:2])                                   # plaintext offset of part 3
    seg3 = lambda s: (p3 + s * SEG, min(p3 + (s + 1) * SEG, len(a)) - 1)
    c.intact("before tampering", "a", a)
    blob1, blob2, blob3 = sa.blob(0), sa.blob(1), sa.blob(2)
    assert len({blob1, blob2, blob3}) == 3
    stored3 = blob3.read_bytes()
    assert len(stored3) == info["parts"][2]["stored_size"] == MP_PARTS[2] + 4 * TAG * layers

    with Restore(blob3):
        flip_stored_byte(srv, ("file", blob3), stored_segment(layers, 1)[0] + 77)
        what = "flipped byte in segment 1 of part 3"
        c.refused(what, "a", a)
        c.refused(what, "a", a, part=3, lo=p3)
        c.refused(what, "a", a, rng=seg3(1))
        c.intact(f"{what}, part 1", "a", a, part=1)
        c.intact(f"{what}, untouched segment", "a", a, rng=seg3(0))
    with Restore(blob1):
        flip_stored_byte(srv, ("file", blob1), stored_segment(layers, 40)[0] + 5)
        what = "flipped byte in segment 40 of part 1"
        c.refused(what, "a", a)                              # streamed: cut at segment 40 at the latest
        c.refused(what, "a", a, part=1)
        c.refused(what, "a", a, rng=(40 * SEG, 41 * SEG - 1))
        c.intact(f"{what}, part 3", "a", a, part=3, lo=p3)
    c.intact("restored after flips", "a", a)

    for name, keep in (("last segment of part 3 cut short", len(stored3) - 3),
                       ("last segment of part 3 dropped", 3 * (SEG + TAG * layers))):
        with Restore(blob3):
            write_file(blob3, stored3[:keep])
            c.refused(name, "a", a)
            c.refused(name, "a", a, part=3, lo=p3)
            c.refused(name, "a", a, rng=seg3(3))
    with Restore(blob1):
        stored1 = blob1.read_bytes()
        write_file(blob1, stored1[:-(SEG + TAG * layers)])
        c.refused("last segment of part 1 dropped", "a", a, part=1)
        c.refused("last segment of part 1 dropped", "a", a, rng=(5 * MIB - 10, 5 * MIB + 10))
    c.intact("restored after truncations", "a", a)

    with Restore(blob3):
        (s0, e0), (s1, e1) = stored_segment(layers, 0), stored_segment(layers, 1)
        write_file(blob3, stored3[s1:e1] + stored3[s0:e0] + stored3[e1:])
        c.refused("segments 0 and 1 of part 3 swapped", "a", a, part=3, lo=p3)
        c.refused("segments 0 and 1 of part 3 swapped", "a", a, rng=seg3(0))
        c.refused("segments 0 and 1 of part 3 swapped", "a", a)
    with Restore(blob1, blob2):
        s1b, s2b = blob1.read_bytes(), blob2.read_bytes()
        write_file(blob1, s2b)
        write_file(blob2, s1b)
        c.refused("parts 1 and 2 swapped", "a", a, part=1)
        c.refused("parts 1 and 2 swapped", "a", a, part=2, lo=MP_PARTS[0])
        c.refused("parts 1 and 2 swapped", "a", a, rng=(0, 99))
        c.refused("parts 1 and 2 swapped", "a", a, rng=(MP_PARTS[0], MP_PARTS[0] + 99))
        c.refused("parts 1 and 2 swapped", "a", a)
        c.intact("parts 1 and 2 swapped, part 3", "a", a, part=3, lo=p3)
    c.intact("restored after swaps", "a", a)

    b3 = sb.blob(2)
    with Restore(blob3, b3):
        other = b3.read_bytes()
        write_file(b3, stored3)
        write_file(blob3, other)
        c.refused("part 3 blobs of two objects swapped", "a", a, part=3, lo=p3)
        c.refused("part 3 blobs of two objects swapped", "b", b, part=3, lo=p3)
        c.refused("part 3 blobs of two objects swapped", "a", a)
    c.intact("restored after swapping objects", "a", a)
    c.intact("restored after swapping objects", "b", b)

    sealed_expect = (500, "InternalError")
    for part_index in (0, 2):
        for field in ["sealed0"] + (["sealed1"] if layers == 2 else []):
            with Restore(sa):
                sa.edit_envelope(part_index, field)
                what = f"{field} of part {part_index + 1} flipped in the record"
                c.refused(what, "a", a, expect=sealed_expect)
                c.refused(what, "a", a, part=part_index + 1, lo=(0 if part_index == 0 else p3),
                          expect=sealed_expect)
            c.intact(f"restored after {field} of part {part_index + 1}", "a", a, part=3, lo=p3)
    with Restore(sa):
        sa.edit_envelope(2, "salt")
        c.refused("salt of part 3 flipped in the record", "a", a, part=3, lo=p3)
        c.refused("salt of part 3 flipped in the record", "a", a, rng=seg3(0))
    with Restore(sa):
        upload = sa.attribute(2, "upload")
        other_upload = sb.attribute(2, "upload")
        assert upload != other_upload and len(upload) == len(other_upload)
        sa.set_attribute(2, "upload", other_upload)
        c.refused("upload id of part 3 replaced by another upload's", "a", a, part=3, lo=p3)
    c.intact("restored at the end", "a", a)
    c.intact("restored at the end", "b", b)
    assert srv.proc.poll() is None, "the server died"
    c.done()


# ---------------------------------------------------------------- sizes in the record

@pytest.mark.parametrize("mode", ["SSE-S3", "SSE-KMS"])
def test_record_sizes_that_disagree_fail_get(tamper_env, mode):
    """The plaintext sizes in the object record are not covered by the segment tags themselves: the part's size is
    (it fixes where the final segment ends), the object's total size is not. A record whose sizes disagree must
    fail GET like any other damage, never answer a shorter object or a body shorter than its Content-Length."""
    srv, hs, kms_key, bucket = tamper_env
    arn, ckey = mode_setup(mode, kms_key)
    a = random_bytes(SINGLE)
    put(hs, bucket, "a", a, mode, arn, ckey)
    sa = Stored(srv, bucket, "a")
    c = Checker(hs, bucket, mode, ckey, read_timeout=4)
    assert record_size_span(sa.record())[2] == SINGLE
    last = (5 * SEG, SINGLE - 1)
    with Restore(sa):
        sa.set_object_size(SINGLE - 1)                  # object size one byte short of its part
        c.refused("object size one byte smaller than its part", "a", a)
    with Restore(sa):
        sa.set_object_size(SINGLE - SEG)                # object size a segment short of its part
        c.refused("object size a segment smaller than its part", "a", a)
    with Restore(sa):
        sa.set_attribute(0, "size", str(SINGLE - SEG).encode())   # part a segment short of the object size
        c.refused("part size a segment smaller than the object size", "a", a)
        c.refused("part size a segment smaller than the object size", "a", a, rng=last)
    c.intact("restored", "a", a)
    assert srv.proc.poll() is None, "the server died"
    c.done()
