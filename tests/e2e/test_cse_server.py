"""The server's side of client-side encryption: the inspection API recognises S3 Encryption Client objects by their
metadata (or instruction file) and describes them without decrypting; a plain object shows no envelope."""

from __future__ import annotations

import io
import os

import pytest

from helpers import inspect_object
from test_cse_interop import MIB, Cse, KmsKey, official_kms, require_cse_cli  # noqa: F401  (fixtures below)


@pytest.fixture
def cse(ep, tmp_path):
    require_cse_cli()
    return Cse(ep, tmp_path)


@pytest.fixture
def key(ep) -> KmsKey:
    return KmsKey(ep)


def test_official_v3_object_is_shown_as_client_side(ep, bucket, key):
    official_kms(ep, key.arn).put_object(Bucket=bucket, Key="doc", Body=b"client secret", EncryptionContext={"tenant": "acme"})
    info = inspect_object(ep, bucket, "doc")
    cs = info["client_side"]
    assert cs["format"] == "V3" and cs["content_algorithm"] == "115" and cs["key_committing"] is True
    assert cs["wrap_algorithm"] == "kms+context" and cs["wrap_code"] == "12"
    assert cs["key_id"] == key.id, "the emulator's KMS blob names its key"
    assert cs["context"] == {"tenant": "acme", "aws:x-amz-cek-alg": "115"}
    assert cs["instruction_file"] is False
    assert set(cs["metadata"]) == {"x-amz-3", "x-amz-c", "x-amz-d", "x-amz-i", "x-amz-t", "x-amz-w"}
    # Server-side encryption still applies underneath (the default, SSE-S3), and what it stores is the client's
    # ciphertext: plaintext + the 16-byte tag.
    assert info["mode"] == "SSE-S3"
    assert info["plaintext_size"] == len(b"client secret") + 16


def test_plain_object_has_no_envelope(ep, bucket):
    ep.s3.put_object(Bucket=bucket, Key="plain", Body=b"hello", Metadata={"color": "blue"})
    assert inspect_object(ep, bucket, "plain")["client_side"] is None


def test_instruction_file_envelope_is_found(ep, bucket, cse, tmp_path):
    wrap = tmp_path / "wrap.key"
    wrap.write_bytes(os.urandom(32))
    src = tmp_path / "a.txt"
    src.write_bytes(b"a" * 100)
    cse.ok("put", src, f"s3://{bucket}/inst", "--aes-key-file", wrap, "--instruction-file", "--context", "owner=qa")
    cs = inspect_object(ep, bucket, "inst")["client_side"]
    assert cs["instruction_file"] is True and cs["format"] == "V3"
    assert cs["wrap_algorithm"] == "AES/GCM" and cs["wrap_code"] == "02" and cs["key_id"] is None
    assert cs["context"] == {"owner": "qa"}
    # The instruction file itself is an ordinary object with the marker, and no envelope of its own.
    inst = inspect_object(ep, bucket, "inst.instruction")
    assert inst["client_side"] is None
    assert ep.s3.head_object(Bucket=bucket, Key="inst.instruction")["Metadata"] == {"x-amz-crypto-instr-file": ""}


def test_broken_envelope_is_reported_not_fatal(ep, bucket):
    ep.s3.put_object(Bucket=bucket, Key="broken", Body=b"x" * 20,
                     Metadata={"x-amz-key-v2": "AAAA", "x-amz-3": "AAAA", "x-amz-c": "115"})
    cs = inspect_object(ep, bucket, "broken")["client_side"]
    assert cs == {"error": "malformed encryption metadata: the object carries wrapped keys of more than one format"}


@pytest.mark.parametrize("scheme", ["http"])
def test_multipart_and_copies_keep_the_envelope(ep, bucket, key):
    data = os.urandom(12 * MIB + 5)
    official_kms(ep, key.arn).upload_fileobj(io.BytesIO(data), bucket, "mp")
    info = inspect_object(ep, bucket, "mp")
    assert len(info["parts"]) >= 2 and info["client_side"]["format"] == "V3"
    ep.s3.copy_object(Bucket=bucket, Key="mp-copy", CopySource={"Bucket": bucket, "Key": "mp"})
    copied = inspect_object(ep, bucket, "mp-copy")["client_side"]
    assert copied["metadata"] == info["client_side"]["metadata"]
    a = ep.s3.get_object(Bucket=bucket, Key="mp")["Body"].read()
    b = ep.s3.get_object(Bucket=bucket, Key="mp-copy")["Body"].read()
    assert a == b and len(a) == len(data) + 16
