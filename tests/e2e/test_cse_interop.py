"""Client-side encryption interop: ``s3emu cse`` against the official AWS S3 Encryption Client.

The official client is the Python ``amazon-s3-encryption-client-python`` 4.0.0 (``import
s3_encryption``), reaching the emulator's S3 *and* KMS API on the same endpoint
(``KmsKeyring(boto3 kms client with endpoint_url=…)``). Raw ciphertext and metadata are always read
with a separate plain boto3 client (``ep.s3``): wrapping a client in ``S3EncryptionClient``
installs hooks on that client object (doc §0 fact 9).

Reference: /work/shared/docs/kms-and-client-side.md §0 and §8–§10 (formats, wrapping, instruction
files, what the server must do). The CLI contract tested here:

    s3emu cse put <file|-> s3://bucket/key [--kms-key K | --aes-key-file F | --rsa-key PEM]
                  [--context k=v]... [--format v3|v2] [--instruction-file] [--part-size MiB]
    s3emu cse get s3://bucket/key <file|-> [key option] [--context k=v]... [--range A-B]
                  [--legacy] [--require-commitment] [--instruction-suffix S]
    s3emu cse inspect s3://bucket/key [--json]
    connection: --endpoint --kms-endpoint --ca-bundle --access-key --secret-key --region
    errors: exit 1, stderr "s3emu cse: error: …"; a failed get leaves no output file.

Raw-key objects: Python 4.0.0 has no raw AES/RSA keyring; ``cse_keyrings.py`` supplies test
keyrings that make the official pipeline read Java-style ``02``/``22`` objects. The known-answer
objects come from ``tests/tools/make_cse_vectors.py`` (imported, not parsed from Swift).

Tests that need the ``cse`` subcommand skip (with the reason) when the binary has none; the rest
(official client against the server) always run. Cheap round trips run over HTTP and HTTPS, the
rest over HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytest.importorskip("s3_encryption", reason="pip install -r tests/requirements.txt (amazon-s3-encryption-client-python)")

from helpers import (ACCESS_KEY, MIB, REGION, SECRET_KEY, clean_env, encode_key, kms_client,
                     server_binary)

from s3_encryption import S3EncryptionClient, S3EncryptionClientConfig
from s3_encryption.exceptions import S3EncryptionClientError, S3EncryptionClientSecurityError
from s3_encryption.key_derivation import derive_keys
from s3_encryption.materials.kms_keyring import KmsKeyring
from s3_encryption.materials.materials import AlgorithmSuite, CommitmentPolicy

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cse_keyrings import RawAesGcmKeyring, RawRsaOaepKeyring, relabel_as_java

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import make_cse_vectors as kat  # noqa: E402

OFFICIAL_ERRORS = (S3EncryptionClientError, S3EncryptionClientSecurityError)
V2_SUITE = AlgorithmSuite.ALG_AES_256_GCM_IV12_TAG16_NO_KDF
V3_SUITE = AlgorithmSuite.ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY
ERR_PREFIX = "s3emu cse: error: "
V3_KEYS = {"x-amz-c", "x-amz-3", "x-amz-w", "x-amz-d", "x-amz-i", "x-amz-t", "x-amz-m"}
V2_KEYS = {"x-amz-key-v2", "x-amz-iv", "x-amz-cek-alg", "x-amz-wrap-alg", "x-amz-matdesc", "x-amz-tag-len"}
V1_KEYS = {"x-amz-key", "x-amz-iv", "x-amz-matdesc", "x-amz-unencrypted-content-length"}
ENVELOPE_KEYS = V3_KEYS | V2_KEYS | V1_KEYS
AES_KEY = bytes(range(32))
AES_KEY_2 = bytes(range(100, 132))
HELLO = b"hello, client-side encryption!"


# ------------------------------------------------------------------------------------ CLI

_CSE_HELP: dict = {}


def cse_help() -> subprocess.CompletedProcess | None:
    """``s3emu cse --help`` of the binary under test (cached), or None if it cannot run."""
    if "proc" not in _CSE_HELP:
        binary = server_binary()
        proc = None
        if binary.exists():
            try:
                proc = subprocess.run([str(binary), "cse", "--help"], capture_output=True, timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                proc = None
        _CSE_HELP["proc"] = proc
    return _CSE_HELP["proc"]


def require_cse_cli():
    proc = cse_help()
    # A binary without the subcommand prints `serve`'s help (exit 0), so look for the usage line.
    if proc is None or proc.returncode != 0 or b"s3emu cse" not in proc.stdout + proc.stderr:
        pytest.fail(f"{server_binary()} has no working `cse` subcommand", pytrace=False)


@pytest.fixture
def cse(ep, tmp_path):
    require_cse_cli()
    return Cse(ep, tmp_path)


class Cse:
    """``s3emu cse …`` against one endpoint, with explicit connection options."""

    def __init__(self, ep, tmp_path: Path):
        self.ep, self.tmp = ep, tmp_path
        self.env = clean_env()       # no AWS_* from the outer environment

    def conn(self) -> list[str]:
        args = ["--endpoint", self.ep.url, "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY,
                "--region", REGION]
        if self.ep.scheme == "https":
            args += ["--ca-bundle", self.ep.ca_cert]
        return args

    def run(self, sub: str, *args, conn=True, input: bytes | None = None, env=None,
            timeout=600) -> subprocess.CompletedProcess:
        cmd = [str(server_binary()), "cse", sub, *map(str, args)]
        if conn:
            cmd += self.conn()
        return subprocess.run(cmd, input=input, capture_output=True, timeout=timeout,
                              env=self.env if env is None else env,
                              stdin=None if input is not None else subprocess.DEVNULL)

    @staticmethod
    def describe(proc) -> str:
        return (f"command: {' '.join(map(str, proc.args))}\nexit {proc.returncode}\n"
                f"stdout: {proc.stdout[:2000]!r}\nstderr: {proc.stderr.decode(errors='replace')[-3000:]}")

    def ok(self, sub, *args, **kw) -> subprocess.CompletedProcess:
        proc = self.run(sub, *args, **kw)
        assert proc.returncode == 0, "expected success\n" + self.describe(proc)
        return proc

    def put(self, data: bytes | Path, bucket, key, *opts) -> subprocess.CompletedProcess:
        if isinstance(data, Path):
            return self.ok("put", data, f"s3://{bucket}/{key}", *opts)
        src = self.tmp / f"put-{uuid.uuid4().hex[:8]}.bin"
        src.write_bytes(data)
        return self.ok("put", src, f"s3://{bucket}/{key}", *opts)

    def get(self, bucket, key, *opts) -> bytes:
        return self.ok("get", f"s3://{bucket}/{key}", "-", *opts).stdout

    def get_file(self, bucket, key, *opts) -> Path:
        out = self.tmp / f"get-{uuid.uuid4().hex[:8]}.bin"
        self.ok("get", f"s3://{bucket}/{key}", out, *opts)
        assert out.exists()
        return out

    def fails(self, sub, *args, contains: str | None = None, **kw) -> str:
        """Run, expect exit 1 with an ``s3emu cse: error:`` line; returns stderr."""
        proc = self.run(sub, *args, **kw)
        err = proc.stderr.decode(errors="replace")
        assert proc.returncode == 1, "expected exit 1\n" + self.describe(proc)
        assert any(line.startswith(ERR_PREFIX) for line in err.splitlines()), (
            f"no line starting with {ERR_PREFIX!r} on stderr\n" + self.describe(proc))
        if contains is not None:
            assert contains in err, f"expected {contains!r} in stderr\n" + self.describe(proc)
        return err

    def get_fails(self, bucket, key, *opts, contains: str | None = None) -> str:
        """A failing ``get`` into a file: exit 1, message, and no output file (nor any temp file) left."""
        outdir = self.tmp / f"out-{uuid.uuid4().hex[:8]}"
        outdir.mkdir()
        out = outdir / "plain.bin"
        err = self.fails("get", f"s3://{bucket}/{key}", out, *opts, contains=contains)
        assert not out.exists(), f"failed get left {out} ({out.stat().st_size} bytes)"
        assert list(outdir.iterdir()) == [], f"failed get left files: {list(outdir.iterdir())}"
        return err

    def inspect(self, bucket, key, *opts) -> dict:
        proc = self.ok("inspect", f"s3://{bucket}/{key}", "--json", *opts)
        try:
            return json.loads(proc.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"inspect --json did not print one JSON object: {exc}\n" + self.describe(proc))

    def key_file(self, key: bytes, form: str = "raw") -> Path:
        path = self.tmp / f"aes-{uuid.uuid4().hex[:8]}.key"
        path.write_bytes(key if form == "raw" else key.hex().encode() + (b"\n" if form == "hex-nl" else b""))
        return path

    def pem_file(self, pem: str) -> Path:
        path = self.tmp / f"rsa-{uuid.uuid4().hex[:8]}.pem"
        path.write_text(pem)
        return path


# ------------------------------------------------------------------------------------ official client

_CLIENTS: list = []


@pytest.fixture(scope="module", autouse=True)
def _close_clients():
    yield
    for c in _CLIENTS:
        try:
            c.close()
        except Exception:
            pass
    _CLIENTS.clear()


def _track(client):
    _CLIENTS.append(client)
    return client


def kms_for(ep):
    return _track(kms_client(ep))


def official(ep, keyring, **config) -> S3EncryptionClient:
    """An official S3EC on a fresh boto3 S3 client (the hooks stay on that client)."""
    return S3EncryptionClient(_track(ep.client()), S3EncryptionClientConfig(keyring=keyring, **config))


def official_kms(ep, key_ref: str, **config) -> S3EncryptionClient:
    return official(ep, KmsKeyring(kms_for(ep), key_ref), **config)


def official_v2_writer(ep, key_ref):
    return official_kms(ep, key_ref, encryption_algorithm=V2_SUITE,
                        commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT)


def allow_v2(**config):
    return dict(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT, **config)


def read_official(client, bucket, key, **kw) -> bytes:
    return client.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()


class KmsKey:
    def __init__(self, ep):
        kms = kms_for(ep)
        meta = kms.create_key(Description="cse interop")["KeyMetadata"]
        self.id, self.arn = meta["KeyId"], meta["Arn"]
        self.alias = f"alias/cse-{uuid.uuid4().hex[:12]}"
        kms.create_alias(AliasName=self.alias, TargetKeyId=self.id)

    def ref(self, form: str) -> str:
        return {"id": self.id, "arn": self.arn, "alias": self.alias}[form]


@pytest.fixture
def key(ep) -> KmsKey:
    return KmsKey(ep)


@pytest.fixture
def other_key(ep) -> KmsKey:
    return KmsKey(ep)


# ------------------------------------------------------------------------------------ raw helpers

def raw_get(ep, bucket, key) -> tuple[bytes, dict]:
    r = ep.s3.get_object(Bucket=bucket, Key=key)
    return r["Body"].read(), r["Metadata"]


def raw_put(ep, bucket, key, body: bytes, metadata: dict):
    ep.s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata=metadata)


def envelope(md: dict) -> dict:
    return {k: v for k, v in md.items() if k in ENVELOPE_KEYS}


def flip_b64_byte(value: str, index: int = 0) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(MIB), b""):
            h.update(chunk)
    return h.hexdigest()


def kms_unwrap_and_decrypt(ep, key_ref: str, md: dict, body: bytes) -> bytes:
    """Decrypt a KMS-wrapped V3/V2 object with direct KMS + crypto calls (no S3EC code path)."""
    kms = kms_for(ep)
    if "x-amz-3" in md:
        ctx = json.loads(md.get("x-amz-t", "{}"))
        dk = kms.decrypt(KeyId=key_ref, CiphertextBlob=base64.b64decode(md["x-amz-3"]),
                         EncryptionContext=ctx)["Plaintext"]
        mid = base64.b64decode(md["x-amz-i"])
        dek, ck = derive_keys(dk, mid, V3_SUITE)
        assert ck == base64.b64decode(md["x-amz-d"]), "x-amz-d is not the key commitment of the data key"
        return AESGCM(dek).decrypt(b"\x01" * 12, body, b"\x00\x73")
    ctx = json.loads(md["x-amz-matdesc"])
    dk = kms.decrypt(KeyId=key_ref, CiphertextBlob=base64.b64decode(md["x-amz-key-v2"]),
                     EncryptionContext=ctx)["Plaintext"]
    return AESGCM(dk).decrypt(base64.b64decode(md["x-amz-iv"]), body, None)


def ctx_args(ctx: dict) -> list[str]:
    out = []
    for k, v in ctx.items():
        out += ["--context", f"{k}={v}"]
    return out


# ====================================================================================== official → CLI

@pytest.mark.parametrize("ref_form", ["id", "arn", "alias"])
@pytest.mark.parametrize("ctx", [{}, {"tenant": "acme", "purpose": "interop"}], ids=["no-ctx", "ctx"])
def test_official_v3_is_read_by_cli(ep, bucket, key, cse, ref_form, ctx):
    ref = key.ref(ref_form)
    pt = os.urandom(1000) + HELLO
    s3ec = official_kms(ep, ref)
    kw = {"EncryptionContext": ctx} if ctx else {}
    s3ec.put_object(Bucket=bucket, Key="obj", Body=pt, **kw)
    body, md = raw_get(ep, bucket, "obj")
    assert md["x-amz-c"] == "115" and md["x-amz-w"] == "12" and len(body) == len(pt) + 16

    assert cse.get(bucket, "obj", "--kms-key", ref, *ctx_args(ctx)) == pt
    assert cse.get(bucket, "obj", "--kms-key", ref, *ctx_args(ctx), "--require-commitment") == pt

    info = cse.inspect(bucket, "obj")
    assert info["format"] == "V3"
    assert info["content_algorithm"] == "115"
    assert info["wrap_algorithm"] == "kms+context"
    assert info["instruction_file"] is False
    assert info["key_id"] is None or key.id in info["key_id"], info
    assert isinstance(info["context"], dict) and ctx.items() <= info["context"].items(), info
    assert info["metadata"] == envelope(md), info
    text = cse.ok("inspect", f"s3://{bucket}/obj").stdout.decode()
    assert "V3" in text, text


def test_official_v3_alias_written_is_read_by_bare_key_id(ep, bucket, key, cse):
    s3ec = official_kms(ep, key.alias)
    s3ec.put_object(Bucket=bucket, Key="obj", Body=HELLO, EncryptionContext={"a": "b"})
    assert cse.get(bucket, "obj", "--kms-key", key.id, "--context", "a=b") == HELLO
    assert cse.get(bucket, "obj", "--kms-key", key.arn, "--context", "a=b") == HELLO


def test_official_v3_empty_object(ep, bucket, key, cse):
    official_kms(ep, key.arn).put_object(Bucket=bucket, Key="empty", Body=b"")
    body, _ = raw_get(ep, bucket, "empty")
    assert len(body) == 16
    assert cse.get(bucket, "empty", "--kms-key", key.arn) == b""
    out = cse.get_file(bucket, "empty", "--kms-key", key.arn)
    assert out.read_bytes() == b""


def test_official_v2_is_read_by_cli_but_not_with_require_commitment(ep, bucket, key, cse):
    pt = os.urandom(3000)
    official_v2_writer(ep, key.arn).put_object(Bucket=bucket, Key="v2", Body=pt, EncryptionContext={"t": "x"})
    body, md = raw_get(ep, bucket, "v2")
    assert md["x-amz-wrap-alg"] == "kms+context" and md["x-amz-cek-alg"] == "AES/GCM/NoPadding"
    assert len(body) == len(pt) + 16

    assert cse.get(bucket, "v2", "--kms-key", key.arn, "--context", "t=x") == pt
    cse.get_fails(bucket, "v2", "--kms-key", key.arn, "--context", "t=x", "--require-commitment",
                  contains="commitment")

    info = cse.inspect(bucket, "v2")
    assert info["format"] == "V2"
    assert info["content_algorithm"] == "AES/GCM/NoPadding"
    assert info["wrap_algorithm"] == "kms+context"
    assert {"t": "x"}.items() <= info["context"].items(), info
    assert info["metadata"] == envelope(md), info


# upload_file runs over HTTP only (same code path as upload_fileobj over HTTPS)
@pytest.mark.parametrize("scheme,method", [("http", "upload_fileobj"), ("https", "upload_fileobj"), ("http", "upload_file")])
def test_official_multipart_is_read_by_cli(ep, bucket, key, cse, method, tmp_path):
    data = os.urandom(20 * MIB + 12345)
    s3ec = official_kms(ep, key.arn)
    if method == "upload_fileobj":
        s3ec.upload_fileobj(io.BytesIO(data), bucket, "big", EncryptionContext={"mp": "yes"})
    else:
        src = tmp_path / "big.src"
        src.write_bytes(data)
        s3ec.upload_file(str(src), bucket, "big", EncryptionContext={"mp": "yes"})
    head = ep.s3.head_object(Bucket=bucket, Key="big")
    assert head["ContentLength"] == len(data) + 16
    assert "-" in head["ETag"], f"expected a multipart ETag, got {head['ETag']}"
    out = cse.get_file(bucket, "big", "--kms-key", key.arn, "--context", "mp=yes")
    assert out.stat().st_size == len(data)
    assert file_sha256(out) == sha256(data)


# ====================================================================================== CLI → official

@pytest.mark.parametrize("ctx", [{}, {"dept": "eng", "case": "x-1"}], ids=["no-ctx", "ctx"])
def test_cli_v3_kms_is_read_by_official(ep, bucket, key, cse, ctx):
    pt = os.urandom(4096) + HELLO
    cse.put(pt, bucket, "obj", "--kms-key", key.arn, *ctx_args(ctx))
    body, md = raw_get(ep, bucket, "obj")
    assert md["x-amz-c"] == "115" and md["x-amz-w"] == "12", md
    assert {"x-amz-3", "x-amz-d", "x-amz-i"} <= md.keys() and not (V2_KEYS | V1_KEYS) & md.keys(), md
    assert len(base64.b64decode(md["x-amz-d"])) == 28 and len(base64.b64decode(md["x-amz-i"])) == 28
    stored_ctx = json.loads(md["x-amz-t"])
    assert stored_ctx == {**ctx, "aws:x-amz-cek-alg": "115"}, stored_ctx
    assert len(body) == len(pt) + 16 and pt not in body

    kw = {"EncryptionContext": ctx} if ctx else {}
    assert read_official(official_kms(ep, key.arn), bucket, "obj", **kw) == pt
    assert read_official(official_kms(ep, key.alias), bucket, "obj", **kw) == pt
    assert kms_unwrap_and_decrypt(ep, key.arn, md, body) == pt


@pytest.mark.parametrize("ctx", [{}, {"dept": "eng"}], ids=["no-ctx", "ctx"])
def test_cli_v2_kms_is_read_by_official(ep, bucket, key, cse, ctx):
    pt = os.urandom(777)
    cse.put(pt, bucket, "v2", "--kms-key", key.arn, "--format", "v2", *ctx_args(ctx))
    body, md = raw_get(ep, bucket, "v2")
    assert md["x-amz-wrap-alg"] == "kms+context" and md["x-amz-cek-alg"] == "AES/GCM/NoPadding", md
    assert md.get("x-amz-tag-len") == "128", md
    assert len(base64.b64decode(md["x-amz-iv"])) == 12
    assert not (V3_KEYS | {"x-amz-key"}) & md.keys(), md
    assert json.loads(md["x-amz-matdesc"]) == {**ctx, "aws:x-amz-cek-alg": "AES/GCM/NoPadding"}
    assert len(body) == len(pt) + 16

    kw = {"EncryptionContext": ctx} if ctx else {}
    assert read_official(official_kms(ep, key.arn, **allow_v2()), bucket, "v2", **kw) == pt
    with pytest.raises(OFFICIAL_ERRORS, match="non-key-committing"):
        read_official(official_kms(ep, key.arn), bucket, "v2", **kw)
    assert kms_unwrap_and_decrypt(ep, key.arn, md, body) == pt


# V2 multipart runs over HTTP only
@pytest.mark.parametrize("scheme,fmt", [("http", "v3"), ("https", "v3"), ("http", "v2")])
def test_cli_multipart_is_read_by_official(ep, bucket, key, cse, fmt, tmp_path):
    data = os.urandom(20 * MIB + 777)
    src = tmp_path / "big.src"
    src.write_bytes(data)
    cse.put(src, bucket, "big", "--kms-key", key.arn, "--part-size", "5", "--format", fmt,
            "--context", "mp=cli")
    head = ep.s3.head_object(Bucket=bucket, Key="big")
    assert head["ContentLength"] == len(data) + 16
    assert "-" in head["ETag"], f"a {len(data)}-byte put with --part-size 5 was not multipart: {head['ETag']}"
    cfg = allow_v2() if fmt == "v2" else {}
    got = read_official(official_kms(ep, key.arn, **cfg), bucket, "big", EncryptionContext={"mp": "cli"})
    assert sha256(got) == sha256(data)
    out = cse.get_file(bucket, "big", "--kms-key", key.arn, "--context", "mp=cli")
    assert file_sha256(out) == sha256(data)


def test_cli_stdin_to_stdout_round_trip(ep, bucket, key, cse):
    pt = os.urandom(70000)
    cse.ok("put", "-", f"s3://{bucket}/piped", "--kms-key", key.arn, input=pt)
    assert read_official(official_kms(ep, key.arn), bucket, "piped") == pt
    assert cse.get(bucket, "piped", "--kms-key", key.arn) == pt


def test_cli_empty_file_is_read_by_official(ep, bucket, key, cse):
    cse.put(b"", bucket, "empty", "--kms-key", key.arn)
    body, _ = raw_get(ep, bucket, "empty")
    assert len(body) == 16
    assert read_official(official_kms(ep, key.arn), bucket, "empty") == b""


# ====================================================================================== raw keys

# key-file forms are checked over HTTP only
@pytest.mark.parametrize("scheme,key_form", [("http", "raw"), ("http", "hex"), ("http", "hex-nl"), ("https", "raw")])
@pytest.mark.parametrize("fmt", ["v3", "v2"])
def test_cli_aes_key_is_read_by_official_with_raw_aes_keyring(ep, bucket, cse, fmt, key_form):
    pt = os.urandom(2048)
    kf = cse.key_file(AES_KEY, "raw" if key_form == "raw" else key_form)
    cse.put(pt, bucket, "aes", "--aes-key-file", kf, "--format", fmt)
    body, md = raw_get(ep, bucket, "aes")
    assert len(body) == len(pt) + 16
    if fmt == "v3":
        assert md["x-amz-w"] == "02" and md["x-amz-c"] == "115", md
        assert len(base64.b64decode(md["x-amz-3"])) == 60
        assert "x-amz-t" not in md, md
        keyring, cfg = RawAesGcmKeyring(AES_KEY), {}
    else:
        assert md["x-amz-wrap-alg"] == "AES/GCM" and md["x-amz-cek-alg"] == "AES/GCM/NoPadding", md
        assert len(base64.b64decode(md["x-amz-key-v2"])) == 60
        keyring, cfg = RawAesGcmKeyring(AES_KEY), allow_v2()
    assert read_official(official(ep, keyring, **cfg), bucket, "aes") == pt
    assert keyring.seen_key_provider_info == ["AES/GCM"]
    assert cse.get(bucket, "aes", "--aes-key-file", kf) == pt
    info = cse.inspect(bucket, "aes")
    assert info["format"] == fmt.upper() and info["wrap_algorithm"] == "AES/GCM" and info["key_id"] is None


def test_cli_aes_key_material_description(ep, bucket, cse):
    kf = cse.key_file(AES_KEY)
    cse.put(HELLO, bucket, "md", "--aes-key-file", kf, "--context", "owner=team-a")
    _, md = raw_get(ep, bucket, "md")
    assert json.loads(md["x-amz-m"]) == {"owner": "team-a"}, md
    assert "x-amz-t" not in md
    keyring = RawAesGcmKeyring(AES_KEY, material_description={"owner": "team-a"})
    assert read_official(official(ep, keyring), bucket, "md") == HELLO
    assert cse.get(bucket, "md", "--aes-key-file", kf, "--context", "owner=team-a") == HELLO


# public-key puts are checked over HTTP only
@pytest.mark.parametrize("fmt", ["v3", "v2"])
@pytest.mark.parametrize("scheme,put_key", [("http", "private"), ("https", "private"), ("http", "public")])
def test_cli_rsa_key_is_read_by_official_with_raw_rsa_keyring(ep, bucket, cse, fmt, put_key):
    pt = os.urandom(999)
    priv = cse.pem_file(kat.RSA_PRIVATE_KEY_PEM)
    pub = cse.pem_file(kat.RSA_PUBLIC_KEY_PEM)
    cse.put(pt, bucket, "rsa", "--rsa-key", priv if put_key == "private" else pub, "--format", fmt)
    body, md = raw_get(ep, bucket, "rsa")
    assert len(body) == len(pt) + 16
    if fmt == "v3":
        assert md["x-amz-w"] == "22" and len(base64.b64decode(md["x-amz-3"])) == 256, md
        cfg = {}
    else:
        assert md["x-amz-wrap-alg"] == "RSA-OAEP-SHA1" and len(base64.b64decode(md["x-amz-key-v2"])) == 256, md
        cfg = allow_v2()
    keyring = RawRsaOaepKeyring(kat.RSA_PRIVATE_KEY_PEM)
    assert read_official(official(ep, keyring, **cfg), bucket, "rsa") == pt
    assert keyring.seen_key_provider_info == ["RSA-OAEP-SHA1"]
    assert cse.get(bucket, "rsa", "--rsa-key", priv) == pt
    cse.get_fails(bucket, "rsa", "--rsa-key", pub)        # a public key cannot unwrap


@pytest.mark.parametrize("wrap", ["AES/GCM", "RSA-OAEP-SHA1"])
@pytest.mark.parametrize("scheme,fmt", [("http", "v3"), ("https", "v3"), ("http", "v2")])
def test_official_pipeline_raw_key_objects_relabelled_java_style_are_read_by_cli(ep, bucket, cse, wrap, fmt):
    """The official pipeline encrypts the content; the test keyring wraps as Java does; relabel → CLI.
    (V2 relabelled objects are checked over HTTP only.)"""
    pt = os.urandom(1500)
    if wrap == "AES/GCM":
        keyring, key_args = RawAesGcmKeyring(AES_KEY), ["--aes-key-file", cse.key_file(AES_KEY)]
    else:
        keyring = RawRsaOaepKeyring(kat.RSA_PRIVATE_KEY_PEM)
        key_args = ["--rsa-key", cse.pem_file(kat.RSA_PRIVATE_KEY_PEM)]
    cfg = {} if fmt == "v3" else dict(encryption_algorithm=V2_SUITE,
                                      commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT)
    official(ep, keyring, **cfg).put_object(Bucket=bucket, Key="pipe", Body=pt)
    body, md = raw_get(ep, bucket, "pipe")
    java_md = relabel_as_java(md, wrap)
    raw_put(ep, bucket, "java", body, java_md)
    assert cse.get(bucket, "java", *key_args) == pt
    # and the relabelled object still reads with the official pipeline + test keyring
    reader = RawAesGcmKeyring(AES_KEY) if wrap == "AES/GCM" else RawRsaOaepKeyring(kat.RSA_PRIVATE_KEY_PEM)
    assert read_official(official(ep, reader, **allow_v2()), bucket, "java") == pt


# ====================================================================================== instruction files

def test_cli_v3_instruction_file_layout_and_official_read(ep, bucket, key, cse):
    pt = os.urandom(5000)
    cse.put(pt, bucket, "inst", "--kms-key", key.arn, "--context", "k=v", "--instruction-file")
    body, md = raw_get(ep, bucket, "inst")
    assert envelope(md).keys() == {"x-amz-c", "x-amz-d", "x-amz-i"}, md
    assert md["x-amz-c"] == "115"
    ibody, imd = raw_get(ep, bucket, "inst.instruction")
    assert imd == {"x-amz-crypto-instr-file": ""}, imd
    raw = ep.request("HEAD", f"/{bucket}/{encode_key('inst.instruction')}")
    assert raw.status_code == 200 and raw.headers.get("x-amz-meta-x-amz-crypto-instr-file") == "", raw.headers
    inst = json.loads(ibody)
    assert inst.keys() <= {"x-amz-3", "x-amz-w", "x-amz-t", "x-amz-m"} and {"x-amz-3", "x-amz-w"} <= inst.keys(), inst
    assert inst["x-amz-w"] == "12"
    assert json.loads(inst["x-amz-t"]) == {"k": "v", "aws:x-amz-cek-alg": "115"}
    assert len(body) == len(pt) + 16

    assert read_official(official_kms(ep, key.arn), bucket, "inst", EncryptionContext={"k": "v"}) == pt
    assert cse.get(bucket, "inst", "--kms-key", key.arn, "--context", "k=v") == pt
    info = cse.inspect(bucket, "inst")
    assert info["format"] == "V3" and info["instruction_file"] is True, info


def test_cli_v2_instruction_file_layout_and_official_read(ep, bucket, key, cse):
    pt = os.urandom(100)
    cse.put(pt, bucket, "inst2", "--kms-key", key.arn, "--format", "v2", "--instruction-file")
    _, md = raw_get(ep, bucket, "inst2")
    assert envelope(md) == {}, md
    ibody, imd = raw_get(ep, bucket, "inst2.instruction")
    assert imd == {"x-amz-crypto-instr-file": ""}, imd
    inst = json.loads(ibody)
    assert {"x-amz-key-v2", "x-amz-iv", "x-amz-cek-alg", "x-amz-wrap-alg", "x-amz-matdesc"} <= inst.keys(), inst
    assert inst.keys() <= V2_KEYS, inst
    assert read_official(official_kms(ep, key.arn, **allow_v2()), bucket, "inst2") == pt
    assert cse.get(bucket, "inst2", "--kms-key", key.arn) == pt
    assert cse.inspect(bucket, "inst2")["instruction_file"] is True


def test_cli_aes_instruction_file_is_read_by_official(ep, bucket, cse):
    kf = cse.key_file(AES_KEY)
    cse.put(HELLO, bucket, "ai", "--aes-key-file", kf, "--instruction-file")
    inst = json.loads(raw_get(ep, bucket, "ai.instruction")[0])
    assert inst["x-amz-w"] == "02", inst
    assert read_official(official(ep, RawAesGcmKeyring(AES_KEY)), bucket, "ai") == HELLO


@pytest.mark.parametrize("suffix", [".instruction", ".custom-inst"])
def test_official_v3_relaid_into_instruction_file_is_read_by_cli(ep, bucket, key, cse, suffix):
    pt = os.urandom(300)
    official_kms(ep, key.arn).put_object(Bucket=bucket, Key="src", Body=pt, EncryptionContext={"f": "g"})
    body, md = raw_get(ep, bucket, "src")
    obj_md = {k: md[k] for k in ("x-amz-c", "x-amz-d", "x-amz-i")}
    inst = {k: md[k] for k in ("x-amz-3", "x-amz-w", "x-amz-t")}
    raw_put(ep, bucket, "relaid", body, obj_md)
    raw_put(ep, bucket, "relaid" + suffix, json.dumps(inst).encode(), {"x-amz-crypto-instr-file": ""})
    opts = [] if suffix == ".instruction" else ["--instruction-suffix", suffix]
    assert cse.get(bucket, "relaid", "--kms-key", key.arn, "--context", "f=g", *opts) == pt
    kw = {} if suffix == ".instruction" else {"InstructionFileSuffix": suffix}
    assert read_official(official_kms(ep, key.arn), bucket, "relaid", EncryptionContext={"f": "g"}, **kw) == pt
    if suffix != ".instruction":
        cse.get_fails(bucket, "relaid", "--kms-key", key.arn, "--context", "f=g")   # default suffix: no file


def test_official_v2_relaid_into_instruction_file_is_read_by_cli(ep, bucket, key, cse):
    pt = os.urandom(300)
    official_v2_writer(ep, key.arn).put_object(Bucket=bucket, Key="src", Body=pt)
    body, md = raw_get(ep, bucket, "src")
    raw_put(ep, bucket, "relaid", body, {})
    raw_put(ep, bucket, "relaid.instruction", json.dumps(envelope(md)).encode(), {"x-amz-crypto-instr-file": ""})
    assert cse.get(bucket, "relaid", "--kms-key", key.arn) == pt
    assert read_official(official_kms(ep, key.arn, **allow_v2()), bucket, "relaid") == pt


# ====================================================================================== failures

def test_wrong_encryption_context(ep, bucket, key, cse):
    official_kms(ep, key.arn).put_object(Bucket=bucket, Key="o", Body=HELLO, EncryptionContext={"tenant": "acme"})
    cse.get_fails(bucket, "o", "--kms-key", key.arn, "--context", "tenant=other",
                  contains="encryption context does not match")
    cse.get_fails(bucket, "o", "--kms-key", key.arn, contains="encryption context does not match")
    cse.get_fails(bucket, "o", "--kms-key", key.arn, "--context", "tenant=acme", "--context", "x=y",
                  contains="encryption context does not match")

    cse.put(HELLO, bucket, "c", "--kms-key", key.arn, "--context", "tenant=acme")
    with pytest.raises(OFFICIAL_ERRORS, match="encryption context does not match"):
        read_official(official_kms(ep, key.arn), bucket, "c", EncryptionContext={"tenant": "other"})
    with pytest.raises(OFFICIAL_ERRORS, match="encryption context does not match"):
        read_official(official_kms(ep, key.arn), bucket, "c")


def test_reserved_context_key_is_refused(ep, bucket, key, cse):
    src = cse.tmp / "r.bin"
    src.write_bytes(HELLO)
    err = cse.fails("put", src, f"s3://{bucket}/r", "--kms-key", key.arn, "--context", "aws:x-amz-cek-alg=115")
    assert "aws:x-amz-cek-alg" in err, err


def test_wrong_kms_key(ep, bucket, key, other_key, cse):
    official_kms(ep, key.arn).put_object(Bucket=bucket, Key="o", Body=HELLO)
    cse.get_fails(bucket, "o", "--kms-key", other_key.arn, contains="could not unwrap the data key")
    cse.get_fails(bucket, "o", "--kms-key", other_key.alias, contains="could not unwrap the data key")
    cse.put(HELLO, bucket, "c", "--kms-key", key.arn)
    with pytest.raises(OFFICIAL_ERRORS):
        read_official(official_kms(ep, other_key.arn), bucket, "c")


def test_wrong_raw_keys(ep, bucket, cse):
    cse.put(HELLO, bucket, "aes", "--aes-key-file", cse.key_file(AES_KEY))
    cse.get_fails(bucket, "aes", "--aes-key-file", cse.key_file(AES_KEY_2))
    cse.get_fails(bucket, "aes", "--rsa-key", cse.pem_file(kat.RSA_PRIVATE_KEY_PEM))
    with pytest.raises(OFFICIAL_ERRORS):
        read_official(official(ep, RawAesGcmKeyring(AES_KEY_2)), bucket, "aes")


# V2 tampering is checked over HTTP only
@pytest.mark.parametrize("scheme,writer", [("http", w) for w in ("official-v3", "official-v2", "cli-v3", "cli-v2")]
                         + [("https", "official-v3"), ("https", "cli-v3")])
def test_flipped_body_byte_fails_authentication(ep, bucket, key, cse, writer):
    pt = os.urandom(2000)
    if writer == "official-v3":
        official_kms(ep, key.arn).put_object(Bucket=bucket, Key="o", Body=pt)
    elif writer == "official-v2":
        official_v2_writer(ep, key.arn).put_object(Bucket=bucket, Key="o", Body=pt)
    else:
        cse.put(pt, bucket, "o", "--kms-key", key.arn, "--format", writer[-2:])
    body, md = raw_get(ep, bucket, "o")
    for offset in (0, len(body) // 2, len(body) - 1):        # first byte, middle, last tag byte
        tampered = bytearray(body)
        tampered[offset] ^= 0x01
        raw_put(ep, bucket, "o", bytes(tampered), md)
        assert raw_get(ep, bucket, "o")[1] == md
        cse.get_fails(bucket, "o", "--kms-key", key.arn, contains="authentication failed")
        with pytest.raises(OFFICIAL_ERRORS):
            read_official(official_kms(ep, key.arn, **allow_v2()), bucket, "o")
    raw_put(ep, bucket, "o", body, md)
    assert cse.get(bucket, "o", "--kms-key", key.arn) == pt


def test_truncated_body_fails(ep, bucket, key, cse):
    official_kms(ep, key.arn).put_object(Bucket=bucket, Key="o", Body=os.urandom(100))
    body, md = raw_get(ep, bucket, "o")
    raw_put(ep, bucket, "o", body[:-1], md)
    cse.get_fails(bucket, "o", "--kms-key", key.arn)
    raw_put(ep, bucket, "o", body[:10], md)
    cse.get_fails(bucket, "o", "--kms-key", key.arn)


@pytest.mark.parametrize("writer", ["official", "cli"])
def test_tampered_key_commitment(ep, bucket, key, cse, writer):
    if writer == "official":
        official_kms(ep, key.arn).put_object(Bucket=bucket, Key="o", Body=HELLO)
    else:
        cse.put(HELLO, bucket, "o", "--kms-key", key.arn)
    body, md = raw_get(ep, bucket, "o")
    raw_put(ep, bucket, "o", body, {**md, "x-amz-d": flip_b64_byte(md["x-amz-d"], 5)})
    cse.get_fails(bucket, "o", "--kms-key", key.arn, contains="key commitment check failed")
    with pytest.raises(OFFICIAL_ERRORS, match="(?i)commitment"):
        read_official(official_kms(ep, key.arn), bucket, "o")
    # a different message ID derives a different commitment too
    raw_put(ep, bucket, "o", body, {**md, "x-amz-i": flip_b64_byte(md["x-amz-i"], 0)})
    cse.get_fails(bucket, "o", "--kms-key", key.arn, contains="key commitment check failed")


def test_plain_object_is_not_client_side_encrypted(ep, bucket, key, cse):
    ep.s3.put_object(Bucket=bucket, Key="plain", Body=b"just bytes", Metadata={"color": "blue"})
    cse.get_fails(bucket, "plain", "--kms-key", key.arn, contains="not a client-side-encrypted object")
    cse.fails("inspect", f"s3://{bucket}/plain", "--json", contains="not a client-side-encrypted object")
    with pytest.raises(OFFICIAL_ERRORS):
        read_official(official_kms(ep, key.arn), bucket, "plain")


def test_failed_get_leaves_an_existing_output_file_untouched(ep, bucket, key, cse):
    official_kms(ep, key.arn).put_object(Bucket=bucket, Key="o", Body=HELLO, EncryptionContext={"a": "b"})
    out = cse.tmp / "existing.bin"
    out.write_bytes(b"previous content")
    cse.fails("get", f"s3://{bucket}/o", out, "--kms-key", key.arn, contains="encryption context does not match")
    assert out.read_bytes() == b"previous content"
    cse.ok("get", f"s3://{bucket}/o", out, "--kms-key", key.arn, "--context", "a=b")
    assert out.read_bytes() == HELLO
    assert [p.name for p in cse.tmp.iterdir() if p.name.startswith(".")] == [], "temporary files left behind"


def test_missing_object_fails(ep, bucket, key, cse):
    cse.get_fails(bucket, "nope", "--kms-key", key.arn)


def test_mixed_format_metadata_is_refused(ep, bucket, key, cse):
    """Keys from two formats on one object (a downgrade attempt) must be refused by both clients."""
    official_kms(ep, key.arn).put_object(Bucket=bucket, Key="v3", Body=HELLO)
    official_v2_writer(ep, key.arn).put_object(Bucket=bucket, Key="v2", Body=HELLO)
    b3, m3 = raw_get(ep, bucket, "v3")
    _, m2 = raw_get(ep, bucket, "v2")
    raw_put(ep, bucket, "mixed", b3, {**m3, **m2})
    cse.get_fails(bucket, "mixed", "--kms-key", key.arn)
    with pytest.raises(OFFICIAL_ERRORS):
        read_official(official_kms(ep, key.arn, **allow_v2()), bucket, "mixed")


def test_cli_option_errors(ep, bucket, key, cse):
    src = cse.tmp / "x.bin"
    src.write_bytes(b"x")
    url = f"s3://{bucket}/x"
    for args in (["put", src, url],                                                   # no key
                 ["put", src, url, "--kms-key", key.arn, "--aes-key-file", cse.key_file(AES_KEY)],
                 ["put", src, url, "--kms-key", key.arn, "--part-size", "4"],
                 ["put", src, url, "--kms-key", key.arn, "--format", "v1"],
                 ["get", url, "-"]):
        proc = cse.run(*args)
        assert proc.returncode != 0 and proc.stderr.strip(), Cse.describe(proc)
    with pytest.raises(Exception):
        ep.s3.head_object(Bucket=bucket, Key="x")


@pytest.mark.parametrize("scheme", ["http"])
@pytest.mark.parametrize("content", [b"\x01" * 16, b"zz" * 32, b"\x01" * 33], ids=["16-bytes", "bad-hex", "33-bytes"])
def test_bad_aes_key_file_is_an_error(ep, bucket, cse, content):
    """Contract: errors exit 1 with an ``s3emu cse: error:`` line (a bad key file is not a usage error)."""
    src = cse.tmp / "x.bin"
    src.write_bytes(b"x")
    bad = cse.tmp / "bad.key"
    bad.write_bytes(content)
    cse.fails("put", src, f"s3://{bucket}/x", "--aes-key-file", bad)


# ====================================================================================== server never decrypts

def _capture_put(s3ec) -> dict:
    """What the official client hands to botocore for PutObject: its x-amz-meta-* headers and the body.

    Registered after the S3EC's own before-call hook, so it sees the encrypted body (reading it in
    before-send would consume the aws-chunked stream botocore uses over HTTPS).
    """
    sent: dict = {}

    def before_call(params, **_):
        sent["headers"] = {k.lower(): v for k, v in params["headers"].items()}
        sent["body"] = params["body"]
    s3ec.wrapped_s3_client.meta.events.register("before-call.s3.PutObject", before_call)
    return sent


def test_server_returns_ciphertext_and_metadata_byte_for_byte(ep, bucket, key):
    pt = os.urandom(1234)
    s3ec = official_kms(ep, key.alias)
    sent = _capture_put(s3ec)
    s3ec.put_object(Bucket=bucket, Key="o", Body=pt, EncryptionContext={"tenant": "acme", "p": "a b+c/=d"})
    sent_meta = {k: v for k, v in sent["headers"].items() if k.startswith("x-amz-meta-")}
    assert {"x-amz-meta-x-amz-3", "x-amz-meta-x-amz-t", "x-amz-meta-x-amz-d"} <= sent_meta.keys(), sent_meta

    for method in ("GET", "HEAD"):
        resp = ep.request(method, f"/{bucket}/o")
        assert resp.status_code == 200, resp.text
        got_meta = {k.lower(): v for k, v in resp.headers.items() if k.lower().startswith("x-amz-meta-")}
        assert got_meta == sent_meta
        assert resp.headers.get("Content-Length") == str(len(pt) + 16), dict(resp.headers)
        assert "Content-Encoding" not in resp.headers or resp.headers["Content-Encoding"] in ("", "identity")
        if method == "GET":
            assert resp.content == sent["body"] and len(resp.content) == len(pt) + 16
            assert pt not in resp.content

    body, md = raw_get(ep, bucket, "o")
    assert kms_unwrap_and_decrypt(ep, key.arn, md, body) == pt       # stored bytes are the official ciphertext
    assert read_official(official_kms(ep, key.alias), bucket, "o",
                         EncryptionContext={"tenant": "acme", "p": "a b+c/=d"}) == pt


def test_ranged_raw_get_of_cse_object_returns_ciphertext_slice(ep, bucket, key):
    official_kms(ep, key.arn).put_object(Bucket=bucket, Key="o", Body=os.urandom(500))
    body, _ = raw_get(ep, bucket, "o")
    r = ep.s3.get_object(Bucket=bucket, Key="o", Range="bytes=100-199")
    assert r["Body"].read() == body[100:200]
    assert r["ContentRange"] == f"bytes 100-199/{len(body)}"
    with pytest.raises(OFFICIAL_ERRORS, match="Ranged gets"):
        official_kms(ep, key.arn).get_object(Bucket=bucket, Key="o", Range="bytes=0-9")


@pytest.mark.parametrize("writer", ["cli", "official"])
def test_copy_object_keeps_it_readable_replace_destroys_it(ep, bucket, key, cse, writer):
    pt = os.urandom(4000)
    if writer == "official":
        official_kms(ep, key.arn).put_object(Bucket=bucket, Key="src", Body=pt, EncryptionContext={"c": "d"})
    else:
        cse.put(pt, bucket, "src", "--kms-key", key.arn, "--context", "c=d")
    ep.s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "src"})
    assert raw_get(ep, bucket, "copy") == raw_get(ep, bucket, "src")
    assert read_official(official_kms(ep, key.arn), bucket, "copy", EncryptionContext={"c": "d"}) == pt
    assert cse.get(bucket, "copy", "--kms-key", key.arn, "--context", "c=d") == pt

    ep.s3.copy_object(Bucket=bucket, Key="replaced", CopySource={"Bucket": bucket, "Key": "src"},
                      MetadataDirective="REPLACE", Metadata={"other": "x"})
    cse.get_fails(bucket, "replaced", "--kms-key", key.arn, "--context", "c=d",
                  contains="not a client-side-encrypted object")


@pytest.mark.parametrize("scheme", ["https"])  # S3 (and s3emu) accept SSE-KMS requests only over HTTPS
def test_sse_kms_layered_under_client_side_encryption(ep, bucket, key, cse):
    pt = os.urandom(600)
    official_kms(ep, key.arn).put_object(Bucket=bucket, Key="o", Body=pt, ServerSideEncryption="aws:kms",
                                         SSEKMSKeyId=key.arn)
    head = ep.s3.head_object(Bucket=bucket, Key="o")
    assert head.get("ServerSideEncryption") == "aws:kms"
    body, md = raw_get(ep, bucket, "o")
    assert len(body) == len(pt) + 16
    assert cse.get(bucket, "o", "--kms-key", key.arn) == pt


# ====================================================================================== ranges

@pytest.mark.parametrize("fmt", ["v3", "v2"])
def test_cli_range_read(ep, bucket, key, cse, fmt):
    pt = os.urandom(5000)
    writer = official_kms(ep, key.arn) if fmt == "v3" else official_v2_writer(ep, key.arn)
    writer.put_object(Bucket=bucket, Key="o", Body=pt)
    for a, b in ((0, 0), (0, 15), (15, 16), (17, 4000), (4990, 4999), (1000, 1000), (4990, 99999)):
        proc = cse.ok("get", f"s3://{bucket}/o", "-", "--kms-key", key.arn, "--range", f"{a}-{b}")
        assert proc.stdout == pt[a:b + 1], f"--range {a}-{b}: got {len(proc.stdout)} bytes"
        assert proc.stderr.strip(), "an unauthenticated range read must warn on stderr"
    cse.fails("get", f"s3://{bucket}/o", "-", "--kms-key", key.arn, "--range", "6000-6001")   # past the end


# ====================================================================================== known-answer objects

def _kat_key_args(cse, obj) -> list:
    if obj["key_kind"] == "aes":
        return ["--aes-key-file", cse.key_file(bytes.fromhex(obj["wrappingKey"]))]
    return ["--rsa-key", cse.pem_file(obj["wrappingKey"])]


@pytest.mark.parametrize("obj", kat.OBJECTS, ids=[o["name"] for o in kat.OBJECTS])
def test_known_answer_objects_uploaded_raw_are_read_by_cli(ep, bucket, cse, obj):
    raw_put(ep, bucket, obj["name"], obj["body"], obj["metadata"])
    assert raw_get(ep, bucket, obj["name"]) == (obj["body"], obj["metadata"])
    key_args = _kat_key_args(cse, obj)
    ctx = ctx_args(obj["context"])
    legacy = ["--legacy"] if obj["legacy"] else []
    assert cse.get(bucket, obj["name"], *key_args, *ctx, *legacy) == obj["plaintext"]
    out = cse.get_file(bucket, obj["name"], *key_args, *ctx, *legacy)
    assert out.read_bytes() == obj["plaintext"]
    if obj["legacy"]:
        err = cse.get_fails(bucket, obj["name"], *key_args, *ctx)
        assert "legacy" in err.lower(), err
    if obj["format"] != "V3":
        cse.get_fails(bucket, obj["name"], *key_args, *ctx, *legacy, "--require-commitment", contains="commitment")

    info = cse.inspect(bucket, obj["name"])
    assert info["format"] == obj["format"], info
    expected_cek = {"V3": "115", "V1": "AES/CBC/PKCS5Padding"}.get(obj["format"]) or obj["metadata"]["x-amz-cek-alg"]
    assert info["content_algorithm"] == expected_cek, info
    if obj["wrap"] is not None:
        assert info["wrap_algorithm"] == obj["wrap"], info
    assert info["key_id"] is None, info
    assert info["instruction_file"] is False
    for k, v in info["metadata"].items():
        assert obj["metadata"].get(k) == v, (k, info["metadata"])
    core = {"V3": {"x-amz-c", "x-amz-3", "x-amz-w", "x-amz-d", "x-amz-i"},
            "V2": {"x-amz-key-v2", "x-amz-iv", "x-amz-cek-alg", "x-amz-wrap-alg"},
            "V1": {"x-amz-key", "x-amz-iv", "x-amz-matdesc"}}[obj["format"]]
    assert core <= info["metadata"].keys(), info


@pytest.mark.parametrize("scheme", ["http"])
@pytest.mark.parametrize("obj", kat.OBJECTS, ids=[o["name"] for o in kat.OBJECTS])
def test_known_answer_objects_are_read_by_official_client_through_the_server(ep, bucket, obj):
    """The same objects, stored on the emulator and read back by the official client (+ test keyrings)."""
    raw_put(ep, bucket, obj["name"], obj["body"], obj["metadata"])
    keyring = kat.keyring_for(obj, material_description=obj["context"])
    client = official(ep, keyring, **allow_v2(enable_legacy_unauthenticated_modes=obj["legacy"]))
    assert read_official(client, bucket, obj["name"]) == obj["plaintext"]
    if obj["legacy"]:
        strict = official(ep, kat.keyring_for(obj, legacy=False), **allow_v2())
        with pytest.raises(OFFICIAL_ERRORS):
            read_official(strict, bucket, obj["name"])


def test_known_answer_vectors_file_is_current():
    assert kat.render_swift() == kat.SWIFT_OUT.read_text(), (
        f"{kat.SWIFT_OUT} is stale: run python3 tests/tools/make_cse_vectors.py")


# ====================================================================================== connection options

def test_connection_defaults_from_environment(ep, bucket, key, cse):
    env = clean_env(AWS_ENDPOINT_URL=ep.url, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
                    AWS_REGION=REGION)
    if ep.scheme == "https":
        env["AWS_CA_BUNDLE"] = ep.ca_cert
    src = cse.tmp / "env.bin"
    src.write_bytes(HELLO)
    proc = cse.run("put", src, f"s3://{bucket}/env", "--kms-key", key.arn, conn=False, env=env)
    assert proc.returncode == 0, Cse.describe(proc)
    proc = cse.run("get", f"s3://{bucket}/env", "-", "--kms-key", key.arn, conn=False, env=env)
    assert proc.returncode == 0 and proc.stdout == HELLO, Cse.describe(proc)
    assert read_official(official_kms(ep, key.arn), bucket, "env") == HELLO
    bad = dict(env, AWS_SECRET_ACCESS_KEY="wrong-secret")
    proc = cse.run("get", f"s3://{bucket}/env", "-", "--kms-key", key.arn, conn=False, env=bad)
    assert proc.returncode == 1 and proc.stdout == b"", Cse.describe(proc)


def test_separate_kms_endpoint(server, tmp_path):
    require_cse_cli()
    http, https = server.endpoint("http"), server.endpoint("https")
    key = KmsKey(https)
    bucket = http.create_bucket()
    cse = Cse(http, tmp_path)
    src = tmp_path / "k.bin"
    src.write_bytes(HELLO)
    extra = ["--kms-endpoint", https.url, "--ca-bundle", https.ca_cert]
    cse.ok("put", src, f"s3://{bucket}/k", "--kms-key", key.arn, *extra)
    assert cse.get(bucket, "k", "--kms-key", key.arn, *extra) == HELLO
    assert read_official(official_kms(http, key.arn), bucket, "k") == HELLO
