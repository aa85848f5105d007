"""Every secret the e2e suite handed to the session server, and a scan of what the server left behind.

While the suite runs, the clients ``helpers.py`` makes report to ``REGISTRY`` (botocore event handlers, so no test
needs to know):

- ``before-call.s3.*``: the SSE-C customer key and copy-source key of every S3 request (botocore has already put
  them in the headers, base64); for ``PutObject`` and ``UploadPart`` a prefix of the plaintext body (the session
  server encrypts every object, so no body may ever be found on its disk);
- ``after-call.kms.GenerateDataKey``: the plaintext data key KMS returned;
- ``Endpoint.sign`` / ``Endpoint.request`` (raw requests): SSE-C keys in the headers.

At the end of the session ``conftest.py`` calls ``scan_server``: every regular file of the session server's data
directory (blobs, SQLite database, WAL and shared memory, TLS material, the key module's sealed key store and audit
trail), once while it is still running (so the WAL is seen as written) and again after it stopped (files that
changed, e.g. by the final checkpoint), plus its log, are searched for every registered needle. Findings name the
kind of secret, which test registered it, the form it was found in, the file and the offset — never the secret.

Needles: customer keys and data keys in every form ``helpers.secret_needles`` knows (raw, hex, HEX, base64 and
base64url at the three alignments, JSON-escaped ``/``); body prefixes raw (32 bytes, at least 24). Low-entropy
values (repeated bytes, all-zero keys, text bodies) are skipped: they occur by chance in SQLite pages, PEM files and
logs, so they prove nothing.

The scan reads each file once and looks at it 8 bytes at a time: every needle is at least 15 bytes long, so any
occurrence contains an 8-byte block starting at a multiple of 8 in the file. The file's aligned blocks are looked up
in the set of all 8-byte substrings of all needles (with numpy: a vectorised hash filter, then an exact
``searchsorted``; without it: a C-level set intersection), and the few candidates are confirmed byte for byte.
Needles of 12–14 bytes are searched with ``bytes.find``.
"""

from __future__ import annotations

import base64
import binascii
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

BLOCK = 8
HASH_BITS = 24                        # numpy path: size of the block filter
CHUNK_BLOCKS = 1 << 22                # numpy path: blocks per vectorised step (32 MiB of file)
MIN_SECRET = 12                       # shorter secrets are skipped (they match by chance)
BODY_PREFIX = 32                      # bytes of each body kept as a needle
MIN_BODY_PREFIX = 24
SSEC_KEY_HEADERS = ("x-amz-server-side-encryption-customer-key",
                    "x-amz-copy-source-server-side-encryption-customer-key")
KIND_SSEC = "SSE-C customer key"
KIND_DATA_KEY = "KMS plaintext data key"
KIND_BODY = "plaintext body prefix"
KIND_MARKED = "secret remembered by a test (helpers.SSE_SECRETS)"


def _current_test() -> str:
    t = os.environ.get("PYTEST_CURRENT_TEST", "")
    return t.rsplit(" ", 1)[0] if t else "(outside a test)"


def random_looking(value: bytes) -> bool:
    """A key worth looking for: not repeated bytes, not a run of a few values."""
    return len(value) >= MIN_SECRET and len(set(value)) >= max(8, len(value) // 2)


def body_looks_random(prefix: bytes) -> bool:
    """A body prefix worth looking for: binary (not all printable ASCII) and high in distinct bytes.

    Text bodies (JSON, XML, PEM, prose) are skipped: their prefixes can legitimately occur elsewhere (a test
    that uploads ca.pem, a policy stored as a bucket setting, ...).
    """
    if len(prefix) < MIN_BODY_PREFIX:
        return False
    printable = all(32 <= b < 127 or b in (9, 10, 13) for b in prefix)
    return not printable and len(set(prefix)) >= (len(prefix) * 5) // 8


def _base_url(url: str) -> str:
    u = urlsplit(url)
    return f"{u.scheme}://{u.netloc}"


@dataclass
class Finding:
    kind: str
    label: str
    form: str
    file: str
    offset: int

    def __str__(self) -> str:
        return f"{self.kind} ({self.label}) found as {self.form} in {self.file} at offset {self.offset}"


@dataclass
class ScanReport:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    needles: int = 0
    secrets: dict = field(default_factory=dict)       # kind -> count
    rescanned: int = 0
    keystore_checked: bool = False
    engine: str = ""

    def summary(self) -> str:
        kinds = ", ".join(f"{k}: {n}" for k, n in self.secrets.items())
        return (f"secrets scan: {self.files} files, {self.bytes / 2**20:.1f} MiB ({self.rescanned} re-read after "
                f"shutdown) in {self.seconds:.2f} s [{self.engine}]; {self.needles} needles from ({kinds}); key store "
                f"{'checked' if self.keystore_checked else 'NOT FOUND'}; {len(self.findings)} findings")


class SecretsRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.keys: dict[bytes, tuple[str, str]] = {}        # raw secret -> (kind, label)
        self.bodies: dict[str, dict[bytes, str]] = {}       # base URL -> {prefix: label}
        self.session_urls: set[str] = set()
        self.skipped = {"low-entropy keys": 0, "short or text bodies": 0}

    # ------------------------------------------------------------ registering

    def add_key(self, kind: str, raw: bytes, how: str) -> None:
        raw = bytes(raw)
        if not random_looking(raw):
            self.skipped["low-entropy keys"] += 1
            return
        with self._lock:
            self.keys.setdefault(raw, (kind, f"#{len(self.keys)} {how} in {_current_test()}"))

    def add_customer_key_b64(self, text, how: str) -> None:
        if isinstance(text, bytes):
            text = text.decode("latin-1")
        try:
            raw = base64.b64decode(str(text).strip(), validate=True)
        except (binascii.Error, ValueError):
            return                                           # not base64: the server refuses it before use
        self.add_key(KIND_SSEC, raw, how)

    def add_body(self, url: str, body, how: str) -> None:
        prefix = _peek(body, BODY_PREFIX)
        if prefix is None or not body_looks_random(prefix):
            self.skipped["short or text bodies"] += 1
            return
        with self._lock:
            self.bodies.setdefault(_base_url(url), {}).setdefault(prefix, f"{how} in {_current_test()}")

    def note_server(self, server) -> None:
        """Remember the listeners of the session server (again after every restart: ports change)."""
        for scheme in ("http", "https"):
            if server.endpoints.get(scheme):
                self.session_urls.add(_base_url(server.endpoints[scheme]))

    def note_headers(self, headers, how: str) -> None:
        for name, value in (headers or {}).items():
            if str(name).lower() in SSEC_KEY_HEADERS and value:
                self.add_customer_key_b64(value, how)

    def note_kms_json(self, body: bytes, how: str) -> None:
        """A raw KMS answer: its base64 ``Plaintext``, if any."""
        try:
            import json
            plaintext = json.loads(body).get("Plaintext")
            if plaintext:
                self.add_key(KIND_DATA_KEY, base64.b64decode(plaintext), how)
        except Exception:
            pass

    # ------------------------------------------------------------ botocore hooks

    def attach_s3(self, client) -> None:
        client.meta.events.register("before-call.s3", self._before_s3_call)

    def attach_kms(self, client) -> None:
        client.meta.events.register("after-call.kms.GenerateDataKey", self._after_generate_data_key)

    def _before_s3_call(self, model=None, params=None, **_kwargs) -> None:
        try:
            op = model.name if model is not None else "?"
            self.note_headers(params.get("headers"), f"{op} header")
            if op in ("PutObject", "UploadPart") and params.get("body") is not None:
                self.add_body(params.get("url", ""), params["body"], op)
        except Exception:                                    # never break a test's request
            pass

    def _after_generate_data_key(self, parsed=None, **_kwargs) -> None:
        try:
            plaintext = (parsed or {}).get("Plaintext")
            if plaintext:
                self.add_key(KIND_DATA_KEY, plaintext, "GenerateDataKey")
        except Exception:
            pass

    # ------------------------------------------------------------ needles

    def needles(self, extra: dict[str, bytes] | None = None) -> tuple[list[tuple[str, str, str, bytes]], dict]:
        """(kind, label, form, bytes) for every needle that applies to the session server; counts per kind."""
        from helpers import secret_needles

        out: list[tuple[str, str, str, bytes]] = []
        counts: dict[str, int] = {}
        with self._lock:
            keys = dict(self.keys)
            bodies = [(p, lab) for url, d in self.bodies.items() if url in self.session_urls for p, lab in d.items()]
        for label, value in (extra or {}).items():
            if len(value) >= MIN_SECRET and len(set(value)) >= 8 and value not in keys:
                keys[value] = (KIND_MARKED, label)
        for raw, (kind, label) in keys.items():
            counts[kind] = counts.get(kind, 0) + 1
            out += [(kind, label, form, pat) for form, pat in secret_needles(raw).items()]
        for prefix, label in bodies:
            counts[KIND_BODY] = counts.get(KIND_BODY, 0) + 1
            out.append((KIND_BODY, label, "raw", prefix))
        return out, counts


def _peek(body, n: int) -> bytes | None:
    """The first ``n`` bytes of a request body (bytes, str or a seekable file), without consuming it."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body[:n])
    if isinstance(body, str):
        return body[:n].encode()
    raw = getattr(body, "_raw", None)                        # botocore's AwsChunkedWrapper
    if raw is not None and hasattr(raw, "read"):
        body = raw
    if hasattr(body, "read") and hasattr(body, "seek") and hasattr(body, "tell"):
        pos = body.tell()
        try:
            return body.read(n)
        finally:
            body.seek(pos)
    return None


# ---------------------------------------------------------------- the scan

class NeedleIndex:
    def __init__(self, needles: list[tuple[str, str, str, bytes]]):
        self.needles = needles
        self.short = [i for i, n in enumerate(needles) if MIN_SECRET <= len(n[3]) < 2 * BLOCK - 1]
        self.blocks: dict[int, list[tuple[int, int]]] = {}
        for i, (_, _, _, pat) in enumerate(needles):
            if len(pat) >= 2 * BLOCK - 1:
                for j in range(len(pat) - BLOCK + 1):
                    self.blocks.setdefault(int.from_bytes(pat[j:j + BLOCK], sys.byteorder), []).append((i, j))
        self.block_set = set(self.blocks)
        try:
            import numpy as np
            self._np = np
            self._sorted = np.array(sorted(self.block_set), dtype=np.uint64)
            # A 2^24-entry filter on a multiplicative hash of the block lets through every needle block and
            # about (distinct needle blocks / 2^24) of the others; those are then checked exactly.
            self._table = np.zeros(1 << HASH_BITS, dtype=bool)
            self._table[self._hash(self._sorted)] = True
            self.engine = "numpy hash filter"
        except ImportError:                                  # not pinned: fall back to a set intersection
            self._np = None
            self.engine = "set intersection"

    def _hash(self, values):
        np = self._np
        return ((values * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - HASH_BITS)).astype(np.intp)

    def candidates(self, data: bytes) -> list[tuple[int, int]]:
        """(file offset of an aligned block, block value) for the blocks that occur in some needle."""
        n = len(data) // BLOCK
        if n == 0 or not self.block_set:
            return []
        if self._np is not None:
            np = self._np
            arr = np.frombuffer(data, dtype=np.uint64, count=n)
            out = []
            for lo in range(0, n, CHUNK_BLOCKS):
                part = arr[lo:lo + CHUNK_BLOCKS]
                idx = np.nonzero(self._table[self._hash(part)])[0]
                if len(idx) == 0:
                    continue
                vals = part[idx]
                at = np.minimum(np.searchsorted(self._sorted, vals), len(self._sorted) - 1)
                for i in idx[self._sorted[at] == vals]:
                    out.append(((lo + int(i)) * BLOCK, int(part[i])))
            return out
        mv = memoryview(data)[:n * BLOCK].cast("Q")
        if self.block_set.isdisjoint(mv):
            return []
        out = []
        for v in self.block_set.intersection(mv):
            b = v.to_bytes(BLOCK, sys.byteorder)
            pos = data.find(b)
            while pos >= 0:
                if pos % BLOCK == 0:
                    out.append((pos, v))
                pos = data.find(b, pos + 1)
        return out

    def search(self, data: bytes) -> list[tuple[int, int]]:
        """(needle index, offset) of every needle found in ``data`` (first occurrence per needle)."""
        found: dict[int, int] = {}
        for pos, v in self.candidates(data):
            for i, j in self.blocks.get(v, ()):
                if i in found:
                    continue
                pat = self.needles[i][3]
                start = pos - j
                if start >= 0 and data[start:start + len(pat)] == pat:
                    found[i] = start
        for i in self.short:
            idx = data.find(self.needles[i][3])
            if idx >= 0:
                found.setdefault(i, idx)
        return sorted(found.items(), key=lambda t: (t[1], t[0]))


def regular_files(paths) -> list[Path]:
    """Every regular file at or under ``paths`` (symlinks skipped), in a stable order."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out += [f for f in sorted(p.rglob("*")) if f.is_file() and not f.is_symlink()]
    return out


def _stat(f: Path):
    try:
        st = f.stat()
        return (st.st_size, st.st_mtime_ns)
    except OSError:
        return None


def scan_files(index: NeedleIndex, paths, root: Path | None, report: ScanReport,
               only_changed: dict | None = None) -> dict:
    """Scans every regular file under ``paths`` (or only those whose size/mtime differ from ``only_changed``);
    returns the stat of each file scanned."""
    seen: dict = {}
    reported = {(f.kind, f.label, f.form, f.file) for f in report.findings}
    for f in regular_files(paths):
        st = _stat(f)
        if st is None:
            continue
        seen[f] = st
        if only_changed is not None and only_changed.get(f) == st:
            continue
        try:
            data = f.read_bytes()
        except OSError:
            continue
        report.files += 1 if only_changed is None else 0
        report.rescanned += 1 if only_changed is not None else 0
        report.bytes += len(data)
        if f.name == "keystore.sealed":
            report.keystore_checked = True
        shown = str(f.relative_to(root)) if root is not None and f.is_relative_to(root) else str(f)
        for i, off in index.search(data):
            kind, label, form, _ = index.needles[i]
            if (kind, label, form, shown) in reported:
                continue
            reported.add((kind, label, form, shown))
            report.findings.append(Finding(kind, label, form, shown, off))
    return seen


def self_check(index_cls=NeedleIndex) -> None:
    """The scan must find a needle at any alignment, in every form, at the start, middle and end of a file."""
    from helpers import secret_needles

    key = os.urandom(32)
    needles = [("self-check", "planted", form, pat) for form, pat in secret_needles(key).items()]
    index = index_cls(needles)
    for form, pat in secret_needles(key).items():
        for pad in (0, 1, 5, 7, 8, 13):
            for tail in (0, 3, 100):
                data = os.urandom(pad) + pat + os.urandom(tail)
                got = [index.needles[i][2] for i, _ in index.search(data)]
                assert form in got, f"secrets scan self-check: {form} at offset {pad} not found"
    assert not index.search(os.urandom(1 << 16)), "secrets scan self-check: a false positive in random data"


def scan_server(registry: SecretsRegistry, server, extra: dict[str, bytes] | None = None,
                stop=None) -> ScanReport:
    """Scan the session server's data dir and log (running, then again after ``stop()`` for changed files)."""
    t0 = time.perf_counter()
    self_check()
    needles, counts = registry.needles(extra)
    index = NeedleIndex(needles)
    report = ScanReport(needles=len(needles), secrets=counts, engine=index.engine)
    root = Path(server.data_dir).parent
    paths = [server.data_dir, server.log_path]
    before = scan_files(index, paths, root, report)
    if stop is not None:
        stop()
        scan_files(index, paths, root, report, only_changed=before)
    report.seconds = time.perf_counter() - t0
    return report


REGISTRY = SecretsRegistry()
