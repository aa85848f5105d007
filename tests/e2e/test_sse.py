"""Server-side encryption end to end: modes, response headers, ETags, ranges, multipart,
copy, KMS key states, rotation, restart, inspection, audit trail, tampering, curl, presigned
URLs and a final secrets grep.

Reference: /work/shared/docs/s3-sse-semantics.md (§ numbers below). Error cases with exact
messages live in test_sse_errors.py; bucket default encryption and bucket policies in
test_bucket_encryption_policy.py.

KMS-protected and SSE-C requests must use HTTPS (§1.7), so those tests use the ``hs``
(HTTPS) endpoint; mode-independent behaviour runs over both listeners through ``ep``.
The shared session server blocks SSE-C on new buckets (April 2026 default, §5.2), so
SSE-C buckets are unblocked with PutBucketEncryption ``BlockedEncryptionTypes=NONE``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time
import uuid

import pytest
import requests

from helpers import (ACCESS_KEY, KMS_ACCOUNT, RANDOM_ETAG_RE, REGION, SECRET_KEY, SSE_BUCKET_KEY_H,
                     SSE_CONTEXT_H, SSE_H, SSE_KMS_KEY_H, SSE_SECRETS, SSEC_ALG_H, SSEC_KEY_H, SSEC_MD5_H,
                     allow_ssec, assert_exact_error, audit_trail, b64, checksum_b64,
                     expect_client_error, expect_exact_error, find_secret_leaks, find_secret_leaks_fast,
                     flip_stored_byte, headers_of, http_status, inspect_object, kms_client, md5_b64,
                     multipart_etag, new_customer_key, parse_xml, quoted_md5, random_bytes, read_stored_bytes,
                     remember_secret, run, shared_endpoint, sse_response_headers, ssec_args, ssec_headers,
                     stored_part_location, unique_bucket)

MODES = ["SSE-S3", "SSE-KMS", "DSSE-KMS", "SSE-C"]
SEG = 64 * 1024                       # the emulator's segment size (algorithm AES256-GCM-SEG64K-HKDF)
TAG = 16                              # AES-GCM tag per segment and layer
AWS_MANAGED_DESCRIPTION = "Default key that protects my S3 objects when no other key is defined"
SELF_COPY_MESSAGE = ("This copy request is illegal because it is trying to copy an object to itself "
                     "without changing the object's metadata, storage class, website redirect "
                     "location or encryption attributes.")

# A marker plaintext written in every mode; the secrets test checks it never reaches the disk.
MARKER = remember_secret("marker plaintext", f"S3EMU-SSE-MARKER-{uuid.uuid4().hex}-END".encode())


# ---------------------------------------------------------------- fixtures and helpers

_KMS_CLIENTS: dict = {}


def kms_of(ep):
    key = (ep.server.endpoints.get("https"), ep.scheme)
    if key not in _KMS_CLIENTS:
        _KMS_CLIENTS[key] = kms_client(ep)
    return _KMS_CLIENTS[key]


@pytest.fixture(scope="module", autouse=True)
def _close_clients():
    """Shared boto3 clients are closed when the module ends (keep-alive connections slow shutdowns)."""
    yield
    for c in _KMS_CLIENTS.values():
        c.close()
    _KMS_CLIENTS.clear()


@pytest.fixture
def hs3(hs):
    return hs.s3


@pytest.fixture
def kms(hs):
    return kms_of(hs)


@pytest.fixture(scope="module")
def kms_key(server):
    """A customer managed key with an alias, shared by this module."""
    kms = kms_of(shared_endpoint(server, "https"))
    meta = kms.create_key(Description="test_sse shared key")["KeyMetadata"]
    alias = f"alias/sse-{uuid.uuid4().hex[:12]}"
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    return {"id": meta["KeyId"], "arn": meta["Arn"], "alias": alias,
            "alias_arn": f"arn:aws:kms:{REGION}:{KMS_ACCOUNT}:{alias}"}


def new_key(kms, description="test_sse") -> dict:
    meta = kms.create_key(Description=description)["KeyMetadata"]
    return {"id": meta["KeyId"], "arn": meta["Arn"]}


def ssec_bucket(ep) -> str:
    name = ep.create_bucket("ssec")
    allow_ssec(ep.s3, name)
    return name


@pytest.fixture
def sbucket(hs):
    """A bucket on the HTTPS endpoint that accepts SSE-C writes."""
    return ssec_bucket(hs)


def write_args(mode: str, kms_arn: str | None = None, ckey: bytes | None = None) -> dict:
    if mode == "SSE-S3":
        return {"ServerSideEncryption": "AES256"}
    if mode == "SSE-KMS":
        return {"ServerSideEncryption": "aws:kms", **({"SSEKMSKeyId": kms_arn} if kms_arn else {})}
    if mode == "DSSE-KMS":
        return {"ServerSideEncryption": "aws:kms:dsse", **({"SSEKMSKeyId": kms_arn} if kms_arn else {})}
    assert mode == "SSE-C"
    return ssec_args(ckey)


def read_args(mode: str, ckey: bytes | None) -> dict:
    return ssec_args(ckey) if mode == "SSE-C" else {}


def raw_write_headers(mode: str, kms_arn: str | None = None, ckey: bytes | None = None) -> dict:
    if mode == "SSE-S3":
        return {SSE_H: "AES256"}
    if mode == "SSE-KMS":
        return {SSE_H: "aws:kms", **({SSE_KMS_KEY_H: kms_arn} if kms_arn else {})}
    if mode == "DSSE-KMS":
        return {SSE_H: "aws:kms:dsse", **({SSE_KMS_KEY_H: kms_arn} if kms_arn else {})}
    return ssec_headers(ckey)


def expected_headers(mode: str, kms_arn: str | None = None, ckey: bytes | None = None,
                     bucket_key: bool = False) -> dict:
    """§2.1: the SSE response headers of a stored object (lowercase names)."""
    if mode == "SSE-S3":
        return {SSE_H: "AES256"}
    if mode == "SSE-KMS":
        h = {SSE_H: "aws:kms", SSE_KMS_KEY_H: kms_arn}
        if bucket_key:
            h[SSE_BUCKET_KEY_H] = "true"
        return h
    if mode == "DSSE-KMS":
        return {SSE_H: "aws:kms:dsse", SSE_KMS_KEY_H: kms_arn}
    return {SSEC_ALG_H.lower(): "AES256", SSEC_MD5_H.lower(): md5_b64(ckey)}


def sse_of(resp: dict) -> dict:
    return sse_response_headers(headers_of(resp))


def assert_etag_for(mode: str, etag: str, data: bytes):
    """§4.1: MD5 for SSE-S3, 32 random lowercase hex (not the MD5) for KMS, DSSE and SSE-C."""
    if mode == "SSE-S3":
        assert etag == quoted_md5(data), etag
    else:
        assert re.match(RANDOM_ETAG_RE, etag), etag
        assert etag != quoted_md5(data), f"{mode} ETag must not be the MD5 of the plaintext"


def mode_setup(mode: str, kms_key) -> tuple[str | None, bytes | None]:
    ckey = new_customer_key(f"{mode} object key") if mode == "SSE-C" else None
    arn = kms_key["arn"] if mode in ("SSE-KMS", "DSSE-KMS") else None
    return arn, ckey


def records_for(server, object_arn: str, since: int = 0) -> list[dict]:
    return [r for r in audit_trail(server)[since:]
            if (r.get("context") or {}).get("aws:s3:arn") == object_arn]


# ================================================================ §2.1 modes and headers

def test_default_put_is_sse_s3(ep, bucket):
    """§1.3 rule 4 / §2.3: no header ⇒ SSE-S3 (AES256), ETag = MD5, header on every read."""
    s3 = ep.s3
    data = MARKER + b" default " + random_bytes(100)
    put = s3.put_object(Bucket=bucket, Key="default", Body=data)
    assert sse_of(put) == {SSE_H: "AES256"}
    assert put["ServerSideEncryption"] == "AES256"
    assert put["ETag"] == quoted_md5(data)
    for resp in (s3.get_object(Bucket=bucket, Key="default"), s3.head_object(Bucket=bucket, Key="default")):
        assert sse_of(resp) == {SSE_H: "AES256"}
        assert resp["ETag"] == quoted_md5(data)
        assert resp["ContentLength"] == len(data)
    assert s3.get_object(Bucket=bucket, Key="default")["Body"].read() == data
    info = inspect_object(ep, bucket, "default")
    assert info["mode"] == "SSE-S3"
    assert info["kms_key_arn"] is None
    assert info["format_version"] == 1
    assert info["layers"] == 1
    assert info["plaintext_size"] == len(data)
    assert info["segments"] == 1
    assert info["stored_size"] >= len(data) + TAG
    assert info["plaintext_prefix_found_in_stored_bytes"] is False
    assert bytes.fromhex(info["stored_prefix_hex"]) != data[:32]


def test_explicit_aes256(ep, bucket):
    data = b"explicit AES256 " + MARKER
    put = ep.s3.put_object(Bucket=bucket, Key="aes", Body=data, ServerSideEncryption="AES256")
    assert sse_of(put) == {SSE_H: "AES256"}
    assert put["ETag"] == quoted_md5(data)
    raw = ep.request("GET", f"/{bucket}/aes")
    assert raw.status_code == 200 and raw.content == data
    assert raw.headers[SSE_H] == "AES256"
    assert SSE_KMS_KEY_H not in raw.headers and SSE_BUCKET_KEY_H not in raw.headers
    assert inspect_object(ep, bucket, "aes")["mode"] == "SSE-S3"


@pytest.mark.parametrize("form", ["id", "arn", "alias", "alias_arn"])
def test_sse_kms_key_forms_resolve_to_key_arn(hs, hs3, kms_key, form):
    """§1.5: key id, key ARN, alias and alias ARN are accepted; responses carry the key ARN."""
    bucket = hs.create_bucket("kms")
    data = MARKER + b" kms " + form.encode()
    put = hs3.put_object(Bucket=bucket, Key="k", Body=data, ServerSideEncryption="aws:kms",
                         SSEKMSKeyId=kms_key[form])
    assert sse_of(put) == {SSE_H: "aws:kms", SSE_KMS_KEY_H: kms_key["arn"]}
    assert put["SSEKMSKeyId"] == kms_key["arn"]
    assert_etag_for("SSE-KMS", put["ETag"], data)
    got = hs3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == data
    assert got["ETag"] == put["ETag"]
    assert sse_of(got) == {SSE_H: "aws:kms", SSE_KMS_KEY_H: kms_key["arn"]}
    assert sse_of(hs3.head_object(Bucket=bucket, Key="k")) == sse_of(got)
    info = inspect_object(hs, bucket, "k")
    assert info["mode"] == "SSE-KMS"
    assert info["kms_key_arn"] == kms_key["arn"]
    assert info["key_version"]
    assert info["plaintext_prefix_found_in_stored_bytes"] is False


def test_sse_kms_without_key_uses_aws_managed_key(hs, hs3, kms):
    """§1.3 rule 6 / §2.3: aws:kms without a key id ⇒ the AWS managed aws/s3 key, same for all buckets."""
    arns = []
    for _ in range(2):
        bucket = hs.create_bucket("awss3")
        put = hs3.put_object(Bucket=bucket, Key="k", Body=MARKER, ServerSideEncryption="aws:kms")
        assert put["ServerSideEncryption"] == "aws:kms"
        arns.append(put["SSEKMSKeyId"])
        assert inspect_object(hs, bucket, "k")["kms_key_arn"] == put["SSEKMSKeyId"]
    assert arns[0] == arns[1]
    meta = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert meta["Arn"] == arns[0]
    assert re.match(rf"^arn:aws:kms:{REGION}:{KMS_ACCOUNT}:key/[0-9a-f-]{{36}}$", arns[0])
    assert meta["KeyManager"] == "AWS"
    assert meta["Description"] == AWS_MANAGED_DESCRIPTION


def test_dsse_kms(hs, hs3, kms_key):
    """§2.1: DSSE-KMS answers aws:kms:dsse and the key ARN, never a bucket key; two layers stored."""
    bucket = hs.create_bucket("dsse")
    data = MARKER + random_bytes(3 * SEG + 5)
    put = hs3.put_object(Bucket=bucket, Key="d", Body=data, ServerSideEncryption="aws:kms:dsse",
                         SSEKMSKeyId=kms_key["alias"])
    assert sse_of(put) == {SSE_H: "aws:kms:dsse", SSE_KMS_KEY_H: kms_key["arn"]}
    assert_etag_for("DSSE-KMS", put["ETag"], data)
    got = hs3.get_object(Bucket=bucket, Key="d")
    assert got["Body"].read() == data
    assert sse_of(got) == {SSE_H: "aws:kms:dsse", SSE_KMS_KEY_H: kms_key["arn"]}
    info = inspect_object(hs, bucket, "d")
    assert info["mode"] == "DSSE-KMS"
    assert info["layers"] == 2
    assert info["kms_key_arn"] == kms_key["arn"]
    assert info["segments"] == 4
    assert info["stored_size"] >= len(data) + 2 * TAG * 4
    assert info["plaintext_prefix_found_in_stored_bytes"] is False


def test_dsse_kms_without_key_uses_aws_managed_key(hs, hs3, kms):
    bucket = hs.create_bucket("dsse")
    put = hs3.put_object(Bucket=bucket, Key="d", Body=b"dsse default key", ServerSideEncryption="aws:kms:dsse")
    assert put["ServerSideEncryption"] == "aws:kms:dsse"
    assert put["SSEKMSKeyId"] == kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]


def test_sse_c_round_trip(hs, hs3, sbucket):
    """§2.1: SSE-C echoes algorithm and key MD5 on Put/Get/Head, no x-amz-server-side-encryption."""
    key = new_customer_key()
    data = MARKER + random_bytes(2 * SEG)
    put = hs3.put_object(Bucket=sbucket, Key="c", Body=data, **ssec_args(key))
    expected = expected_headers("SSE-C", ckey=key)
    assert sse_of(put) == expected
    assert "ServerSideEncryption" not in put
    assert put["SSECustomerKeyMD5"] == md5_b64(key)
    assert_etag_for("SSE-C", put["ETag"], data)
    got = hs3.get_object(Bucket=sbucket, Key="c", **ssec_args(key))
    assert got["Body"].read() == data
    assert sse_of(got) == expected
    assert got["ETag"] == put["ETag"]
    head = hs3.head_object(Bucket=sbucket, Key="c", **ssec_args(key))
    assert sse_of(head) == expected
    assert head["ContentLength"] == len(data)
    info = inspect_object(hs, sbucket, "c")
    assert info["mode"] == "SSE-C"
    assert info["kms_key_arn"] is None
    assert info["plaintext_prefix_found_in_stored_bytes"] is None
    assert info["segments"] == 3
    stored = bytes.fromhex(info["stored_prefix_hex"])
    assert stored and stored != data[:len(stored)]


def test_sse_c_raw_headers_case_insensitive(hs, sbucket):
    """§1.1: header names are case-insensitive (…-key-md5 is …-key-MD5)."""
    key = new_customer_key()
    headers = {k.lower(): v for k, v in ssec_headers(key).items()}
    put = hs.request("PUT", f"/{sbucket}/lower", body=b"lower-case headers", headers=headers)
    assert put.status_code == 200, put.text
    assert put.headers[SSEC_MD5_H] == md5_b64(key)
    got = hs.request("GET", f"/{sbucket}/lower", headers=ssec_headers(key))
    assert got.status_code == 200 and got.content == b"lower-case headers"
    assert got.headers[SSEC_ALG_H] == "AES256"
    assert SSE_H not in got.headers


@pytest.mark.parametrize("mode", MODES)
def test_etag_random_per_write(hs, hs3, sbucket, kms_key, mode):
    """§4.1: identical data written twice: SSE-S3 ETag = MD5 both times; others random and different."""
    arn, ckey = mode_setup(mode, kms_key)
    data = b"identical bytes " * 10
    etags = [hs3.put_object(Bucket=sbucket, Key=f"e{i}", Body=data, **write_args(mode, arn, ckey))["ETag"]
             for i in range(2)]
    for etag in etags:
        assert_etag_for(mode, etag, data)
    if mode != "SSE-S3":
        assert etags[0] != etags[1]
    listed = {o["Key"]: o for o in hs3.list_objects_v2(Bucket=sbucket)["Contents"]}
    assert [listed["e0"]["ETag"], listed["e1"]["ETag"]] == etags
    assert listed["e0"]["Size"] == len(data)


def test_sse_kms_context_echoed_only_when_supplied(server, hs, hs3, kms_key):
    """§1.6 / §2.2: the context header is echoed by Put (as sent) only; KMS sees it plus aws:s3:arn."""
    bucket = hs.create_bucket("ctx")
    context = {"department": "e2e", "purpose": "sse-context"}
    header = b64(json.dumps(context).encode())
    since = len(audit_trail(server))
    put = hs.request("PUT", f"/{bucket}/c", body=b"with context",
                     headers={SSE_H: "aws:kms", SSE_KMS_KEY_H: kms_key["id"], SSE_CONTEXT_H: header})
    assert put.status_code == 200, put.text
    assert put.headers[SSE_CONTEXT_H] == header
    for method in ("GET", "HEAD"):
        r = hs.request(method, f"/{bucket}/c")
        assert r.status_code == 200
        assert SSE_CONTEXT_H not in r.headers, f"{method} must not echo the context"
        assert r.headers[SSE_H] == "aws:kms"
    plain = hs3.put_object(Bucket=bucket, Key="n", Body=b"no context", ServerSideEncryption="aws:kms",
                           SSEKMSKeyId=kms_key["id"])
    assert SSE_CONTEXT_H not in headers_of(plain)
    arn = f"arn:aws:s3:::{bucket}/c"
    recs = records_for(server, arn, since)
    assert [r["op"] for r in recs][0] == "GenerateDataKey", recs
    assert "Decrypt" in [r["op"] for r in recs][1:], recs
    for r in recs:
        assert r["context"] == {**context, "aws:s3:arn": arn}, r
        assert r["caller"] == ACCESS_KEY
        assert r["keyId"] == kms_key["id"]
        assert r["result"] == "ok"
    assert inspect_object(hs, bucket, "c")["encryption_context"] == header


@pytest.mark.parametrize("flag", [True, False])
def test_bucket_key_header(server, hs, hs3, kms_key, flag):
    """§2.1: bucket-key-enabled: true only when enabled (omitted, not false); KMS context = bucket ARN, and the
    reads use the bucket-level key this server just generated (cached: no Decrypt)."""
    bucket = hs.create_bucket("bk")
    since = len(audit_trail(server))
    put = hs3.put_object(Bucket=bucket, Key="o", Body=b"bucket key", ServerSideEncryption="aws:kms",
                         SSEKMSKeyId=kms_key["id"], BucketKeyEnabled=flag)
    expected = expected_headers("SSE-KMS", kms_key["arn"], bucket_key=flag)
    assert sse_of(put) == expected
    for resp in (hs3.get_object(Bucket=bucket, Key="o"), hs3.head_object(Bucket=bucket, Key="o")):
        assert sse_of(resp) == expected
    assert inspect_object(hs, bucket, "o")["bucket_key_enabled"] is flag
    wanted = f"arn:aws:s3:::{bucket}" if flag else f"arn:aws:s3:::{bucket}/o"
    ops = [r["op"] for r in records_for(server, wanted, since)]
    if flag:
        assert ops == ["GenerateDataKey"], audit_trail(server)[since:]
    else:
        assert ops[0] == "GenerateDataKey" and ops.count("Decrypt") >= 2, audit_trail(server)[since:]


@pytest.mark.parametrize("size", [70_000, 2 * 1024 * 1024 + 5])
def test_a_right_content_md5_is_accepted_in_every_mode(hs, hs3, sbucket, kms_key, size):
    """Content-MD5 is verified in every mode, also where the ETag is random and the MD5 is computed only because
    the header asks for it (small bodies inline, 1 MiB and more in the body pipeline)."""
    data = random_bytes(size)
    for mode in MODES:
        arn, ckey = mode_setup(mode, kms_key)
        hs3.put_object(Bucket=sbucket, Key=f"md5-{mode}", Body=data, ContentMD5=md5_b64(data), **write_args(mode, arn, ckey))
        assert hs3.get_object(Bucket=sbucket, Key=f"md5-{mode}", **read_args(mode, ckey))["Body"].read() == data, mode


@pytest.mark.parametrize("algorithm", ["CRC32", "SHA256"])
def test_checksums_are_over_plaintext_in_every_mode(hs, hs3, sbucket, kms_key, algorithm):
    """§4.2: x-amz-checksum-* are computed over the plaintext, the same in every mode."""
    data = random_bytes(70_000)
    want = checksum_b64(algorithm, data)
    for mode in MODES:
        arn, ckey = mode_setup(mode, kms_key)
        put = hs3.put_object(Bucket=sbucket, Key=f"sum-{mode}", Body=data, ChecksumAlgorithm=algorithm,
                             **write_args(mode, arn, ckey))
        assert put[f"Checksum{algorithm}"] == want, mode
        got = hs3.get_object(Bucket=sbucket, Key=f"sum-{mode}", ChecksumMode="ENABLED", **read_args(mode, ckey))
        assert got["Body"].read() == data
        assert got.get(f"Checksum{algorithm}") == want, (mode, got)


@pytest.mark.parametrize("mode", ["SSE-KMS", "SSE-C"])
def test_content_md5_checked_but_etag_stays_random(hs, sbucket, kms_key, mode):
    """§4.2: Content-MD5 is checked against the plaintext but never turns a KMS/SSE-C ETag into an MD5."""
    arn, ckey = mode_setup(mode, kms_key)
    data = b"content md5 " * 50
    put = hs.request("PUT", f"/{sbucket}/md5", body=data,
                     headers={"Content-MD5": md5_b64(data), **raw_write_headers(mode, arn, ckey)})
    assert put.status_code == 200, put.text
    assert_etag_for(mode, put.headers["ETag"], data)


def test_sizes_and_listings_use_plaintext(hs, hs3, sbucket, kms_key):
    """§4.3 / §4.1: Content-Length, ObjectSize and Size are plaintext sizes; listings show SSE-C ETags
    without the key; GetObjectAttributes gives the ETag unquoted and no SSE headers."""
    sizes = {"SSE-S3": 1, "SSE-KMS": SEG, "DSSE-KMS": SEG + 1, "SSE-C": 3 * SEG - 7}
    etags, keys = {}, {}
    for mode, size in sizes.items():
        arn, ckey = mode_setup(mode, kms_key)
        keys[mode] = ckey
        etags[mode] = hs3.put_object(Bucket=sbucket, Key=f"s/{mode}", Body=random_bytes(size),
                                     **write_args(mode, arn, ckey))["ETag"]
    listing = hs3.list_objects_v2(Bucket=sbucket, Prefix="s/")
    assert not sse_of(listing)
    got = {o["Key"]: (o["Size"], o["ETag"]) for o in listing["Contents"]}
    assert got == {f"s/{m}": (sizes[m], etags[m]) for m in MODES}
    v1 = hs3.list_objects(Bucket=sbucket, Prefix="s/")
    assert {o["Key"]: o["Size"] for o in v1["Contents"]} == {f"s/{m}": sizes[m] for m in MODES}
    for mode, size in sizes.items():
        head = hs3.head_object(Bucket=sbucket, Key=f"s/{mode}", **read_args(mode, keys[mode]))
        assert head["ContentLength"] == size
        attrs = hs3.get_object_attributes(Bucket=sbucket, Key=f"s/{mode}", ObjectAttributes=["ETag", "ObjectSize"],
                                          **read_args(mode, keys[mode]))
        assert attrs["ObjectSize"] == size
        assert attrs["ETag"] == etags[mode].strip('"')
        assert not sse_of(attrs), f"GetObjectAttributes must not carry SSE headers ({mode})"


@pytest.mark.parametrize("mode", MODES)
def test_empty_object(hs, hs3, sbucket, kms_key, mode):
    arn, ckey = mode_setup(mode, kms_key)
    put = hs3.put_object(Bucket=sbucket, Key="empty", Body=b"", **write_args(mode, arn, ckey))
    assert_etag_for(mode, put["ETag"], b"")
    got = hs3.get_object(Bucket=sbucket, Key="empty", **read_args(mode, ckey))
    assert got["Body"].read() == b""
    assert got["ContentLength"] == 0
    assert sse_of(got) == expected_headers(mode, arn, ckey)
    info = inspect_object(hs, sbucket, "empty")
    assert info["mode"] == mode and info["plaintext_size"] == 0


@pytest.mark.parametrize("mode", MODES)
def test_default_crc64nvme_checksum_without_one_sent(hs, sbucket, kms_key, mode):
    """§4.2 [R]: S3 stores a default CRC64NVME full-object checksum (of the plaintext) even for SSE-C uploads
    sent without any checksum."""
    arn, ckey = mode_setup(mode, kms_key)
    data = b"no checksum sent " * 30
    put = hs.request("PUT", f"/{sbucket}/nck", body=data, headers=raw_write_headers(mode, arn, ckey))
    assert put.status_code == 200, put.text
    rh = ssec_headers(ckey) if mode == "SSE-C" else {}
    got = hs.request("GET", f"/{sbucket}/nck", headers={**rh, "x-amz-checksum-mode": "ENABLED"})
    assert got.status_code == 200 and got.content == data
    assert got.headers.get("x-amz-checksum-crc64nvme") == checksum_b64("CRC64NVME", data), dict(got.headers)


# ================================================================ §2.2 headers per operation

@pytest.mark.parametrize("mode", MODES)
def test_response_headers_per_operation(hs, hs3, sbucket, kms_key, five_mib, mode):
    """§2.2: Put/Copy/CreateMPU/UploadPart/Complete/Get/Head carry the mode's headers (Complete: no
    SSE-C echo); GetObjectAttributes, ListParts and ListObjects carry none."""
    arn, ckey = mode_setup(mode, kms_key)
    expected = expected_headers(mode, arn, ckey)
    wargs, rargs = write_args(mode, arn, ckey), read_args(mode, ckey)
    assert sse_of(hs3.put_object(Bucket=sbucket, Key="src", Body=b"source", **wargs)) == expected
    copy_src = ssec_args(ckey, copy_source=True) if mode == "SSE-C" else {}
    copied = hs3.copy_object(Bucket=sbucket, Key="dst", CopySource={"Bucket": sbucket, "Key": "src"},
                             **wargs, **copy_src)
    assert sse_of(copied) == expected
    create = hs3.create_multipart_upload(Bucket=sbucket, Key="mpu", **wargs)
    assert sse_of(create) == expected
    uid = create["UploadId"]
    part = hs3.upload_part(Bucket=sbucket, Key="mpu", UploadId=uid, PartNumber=1, Body=five_mib, **rargs)
    assert sse_of(part) == expected
    pcopy = hs3.upload_part_copy(Bucket=sbucket, Key="mpu", UploadId=uid, PartNumber=2,
                                 CopySource={"Bucket": sbucket, "Key": "src"}, **rargs, **copy_src)
    assert sse_of(pcopy) == expected
    parts = hs3.list_parts(Bucket=sbucket, Key="mpu", UploadId=uid)
    assert not sse_of(parts), "ListParts carries no SSE data"
    assert [p["PartNumber"] for p in parts["Parts"]] == [1, 2]
    done = hs3.complete_multipart_upload(
        Bucket=sbucket, Key="mpu", UploadId=uid, **rargs,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]},
                                   {"PartNumber": 2, "ETag": pcopy["CopyPartResult"]["ETag"]}]})
    assert sse_of(done) == ({} if mode == "SSE-C" else expected)
    for key in ("src", "dst", "mpu"):
        assert sse_of(hs3.get_object(Bucket=sbucket, Key=key, Range="bytes=0-0", **rargs)) == expected
        assert sse_of(hs3.head_object(Bucket=sbucket, Key=key, **rargs)) == expected
        attrs = hs3.get_object_attributes(Bucket=sbucket, Key=key, ObjectAttributes=["ObjectSize"], **rargs)
        assert not sse_of(attrs)
    assert not sse_of(hs3.list_objects_v2(Bucket=sbucket))
    assert hs3.get_object(Bucket=sbucket, Key="mpu", **rargs)["Body"].read() == five_mib + b"source"


def test_context_echo_on_create_multipart_only(hs, kms_key):
    """§2.2: CreateMultipartUpload echoes a supplied context; UploadPart and Complete never do."""
    bucket = hs.create_bucket("mpuctx")
    ctx = b64(json.dumps({"upload": "ctx"}).encode())
    create = hs.request("POST", f"/{bucket}/m", params={"uploads": None},
                        headers={SSE_H: "aws:kms", SSE_KMS_KEY_H: kms_key["id"], SSE_CONTEXT_H: ctx})
    assert create.status_code == 200, create.text
    assert create.headers[SSE_CONTEXT_H] == ctx
    uid = parse_xml(create.content).findtext("UploadId")
    part = hs.request("PUT", f"/{bucket}/m", params={"partNumber": 1, "uploadId": uid}, body=b"p")
    assert part.status_code == 200 and SSE_CONTEXT_H not in part.headers
    assert sse_response_headers(part.headers) == {SSE_H: "aws:kms", SSE_KMS_KEY_H: kms_key["arn"]}
    xml = (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{part.headers['ETag']}</ETag>"
           "</Part></CompleteMultipartUpload>").encode()
    done = hs.request("POST", f"/{bucket}/m", params={"uploadId": uid}, body=xml)
    assert done.status_code == 200 and SSE_CONTEXT_H not in done.headers
    assert hs.s3.get_object(Bucket=bucket, Key="m")["Body"].read() == b"p"
    assert inspect_object(hs, bucket, "m")["encryption_context"] == ctx


# ================================================================ §4.3 ranges

RANGES = [("bytes=0-0", 0, 0), ("bytes=65530-65545", 65530, 65545), ("bytes=65536-131071", 65536, 131071),
          ("bytes=-10", None, 10), ("bytes=131072-", 131072, None), ("bytes=100-200000", 100, 200000),
          ("bytes=1000-2000", 1000, 2000)]


@pytest.mark.parametrize("mode", MODES)
def test_range_reads_decrypt_plaintext_offsets(hs, hs3, sbucket, kms_key, mode):
    """§4.3: Range addresses plaintext offsets (segment boundaries included); 206 + Content-Range."""
    arn, ckey = mode_setup(mode, kms_key)
    size = 3 * SEG + 1234
    data = random_bytes(size)
    hs3.put_object(Bucket=sbucket, Key="r", Body=data, **write_args(mode, arn, ckey))
    rheaders = ssec_headers(ckey) if mode == "SSE-C" else {}
    for header, start, end in RANGES:
        if start is None:
            start, end = size - end, size - 1
        end = size - 1 if end is None else min(end, size - 1)
        resp = hs.request("GET", f"/{sbucket}/r", headers={"Range": header, **rheaders})
        assert resp.status_code == 206, (header, resp.text)
        assert resp.content == data[start:end + 1], header
        assert resp.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
        assert resp.headers["Content-Length"] == str(end - start + 1)
        assert sse_response_headers(resp.headers) == expected_headers(mode, arn, ckey)
    head = hs.request("HEAD", f"/{sbucket}/r", headers={"Range": "bytes=70000-70009", **rheaders})
    assert head.status_code == 206
    assert head.headers["Content-Range"] == f"bytes 70000-70009/{size}"
    bad = hs.request("GET", f"/{sbucket}/r", headers={"Range": f"bytes={size}-", **rheaders})
    assert bad.status_code == 416, bad.text


# ================================================================ §7 multipart

@pytest.mark.parametrize("mode", MODES)
def test_multipart_round_trip(server, hs, hs3, sbucket, kms_key, five_mib, mode):
    """§7 / §4.1: part ETags (MD5 for SSE-S3, random otherwise), final ETag formula, partNumber and
    ranged reads across parts, each KMS part with its own data key(s)."""
    arn, ckey = mode_setup(mode, kms_key)
    rargs = read_args(mode, ckey)
    last = random_bytes(300_000)
    uid = hs3.create_multipart_upload(Bucket=sbucket, Key="m", **write_args(mode, arn, ckey))["UploadId"]
    object_arn = f"arn:aws:s3:::{sbucket}/m"
    etags = []
    for n, body in ((1, five_mib), (2, last)):
        since = len(audit_trail(server))
        resp = hs3.upload_part(Bucket=sbucket, Key="m", UploadId=uid, PartNumber=n, Body=body, **rargs)
        assert_etag_for(mode, resp["ETag"], body)
        etags.append(resp["ETag"])
        if mode in ("SSE-KMS", "DSSE-KMS"):
            gens = [r for r in records_for(server, object_arn, since) if r["op"] == "GenerateDataKey"]
            assert len(gens) == (2 if mode == "DSSE-KMS" else 1), f"part {n} must get its own data key: {gens}"
            assert all(r["caller"] == ACCESS_KEY and r["keyId"] == kms_key["id"] for r in gens)
    done = hs3.complete_multipart_upload(Bucket=sbucket, Key="m", UploadId=uid, **rargs, MultipartUpload={
        "Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]})
    digest = hashlib.md5(b"".join(bytes.fromhex(e.strip('"')) for e in etags)).hexdigest()
    assert done["ETag"] == f'"{digest}-2"'
    if mode == "SSE-S3":
        assert done["ETag"] == multipart_etag([five_mib, last])
    data = five_mib + last
    got = hs3.get_object(Bucket=sbucket, Key="m", **rargs)
    assert got["ContentLength"] == len(data)
    assert got["ETag"] == done["ETag"]
    assert hashlib.sha256(got["Body"].read()).digest() == hashlib.sha256(data).digest()
    p2 = hs3.get_object(Bucket=sbucket, Key="m", PartNumber=2, **rargs)
    assert p2["Body"].read() == last
    assert p2["ContentRange"] == f"bytes {len(five_mib)}-{len(data) - 1}/{len(data)}"
    assert p2["PartsCount"] == 2
    p1 = hs3.head_object(Bucket=sbucket, Key="m", PartNumber=1, **rargs)
    assert p1["ContentLength"] == len(five_mib)
    start = len(five_mib) - 100
    cross = hs3.get_object(Bucket=sbucket, Key="m", Range=f"bytes={start}-{start + 199}", **rargs)
    assert cross["Body"].read() == data[start:start + 200]
    info = inspect_object(hs, sbucket, "m")
    assert info["mode"] == mode
    assert info["plaintext_size"] == len(data)
    assert [(p["number"], p["mode"], p["plaintext_size"]) for p in info["parts"]] == \
        [(1, mode, len(five_mib)), (2, mode, len(last))]
    assert info["parts"][0]["segments"] == math.ceil(len(five_mib) / SEG)
    assert info["segments"] == sum(p["segments"] for p in info["parts"])


def _raw_mpu(hs, bucket, key, create_headers, parts, part_headers):
    r = hs.request("POST", f"/{bucket}/{key}", params={"uploads": None}, headers=create_headers)
    assert r.status_code == 200, r.text
    uid = parse_xml(r.content).findtext("UploadId")
    xml = "<CompleteMultipartUpload>"
    for n, body in enumerate(parts, 1):
        r = hs.request("PUT", f"/{bucket}/{key}", params={"partNumber": n, "uploadId": uid},
                       headers=part_headers, body=body)
        assert r.status_code == 200, r.text
        xml += f"<Part><PartNumber>{n}</PartNumber><ETag>{r.headers['ETag']}</ETag></Part>"
    return uid, (xml + "</CompleteMultipartUpload>").encode()


@pytest.mark.parametrize("with_key", [False, True], ids=["no-key", "with-key"])
def test_multipart_sse_c_complete_key_optional(hs, hs3, sbucket, with_key):
    """§7 / §1.2 [D, R]: Complete of an SSE-C upload (no checksum algorithm) succeeds without the key;
    with the trio it is validated like UploadPart (emulator rule). Either way the answer has no
    SSE-C headers (§2.2). Raw requests: no checksum headers at all."""
    key = new_customer_key()
    uid, body = _raw_mpu(hs, sbucket, "c", ssec_headers(key), [b"only part"], ssec_headers(key))
    lp = hs.request("GET", f"/{sbucket}/c", params={"uploadId": uid})       # ListParts: no key needed
    assert lp.status_code == 200 and not sse_response_headers(lp.headers)
    done = hs.request("POST", f"/{sbucket}/c", params={"uploadId": uid}, body=body,
                      headers=ssec_headers(key) if with_key else {})
    assert done.status_code == 200, done.text
    assert not sse_response_headers(done.headers), done.headers
    assert hs3.get_object(Bucket=sbucket, Key="c", **ssec_args(key))["Body"].read() == b"only part"


def test_abort_and_list_uploads_need_no_key(hs, hs3, sbucket):
    """§7 / §3.1: Abort, ListMultipartUploads and ListParts never need the SSE-C key."""
    key = new_customer_key()
    uid = hs3.create_multipart_upload(Bucket=sbucket, Key="a", **ssec_args(key))["UploadId"]
    hs3.upload_part(Bucket=sbucket, Key="a", UploadId=uid, PartNumber=1, Body=b"x", **ssec_args(key))
    uploads = hs3.list_multipart_uploads(Bucket=sbucket)["Uploads"]
    assert uid in [u["UploadId"] for u in uploads]
    assert hs3.list_parts(Bucket=sbucket, Key="a", UploadId=uid)["Parts"][0]["Size"] == 1
    assert http_status(hs3.abort_multipart_upload(Bucket=sbucket, Key="a", UploadId=uid)) == 204


@pytest.mark.parametrize("src_mode,dst_mode", [("SSE-C", "SSE-KMS"), ("SSE-KMS", "SSE-C"),
                                               ("DSSE-KMS", "SSE-S3"), ("SSE-C", "SSE-C")])
def test_upload_part_copy_reencrypts(hs, hs3, sbucket, kms_key, five_mib, src_mode, dst_mode):
    """§7 / §6: UploadPartCopy decrypts the source (copy-source trio for SSE-C) and encrypts the part
    in the upload's mode; a range of the source can be copied."""
    src_arn, src_key = mode_setup(src_mode, kms_key)
    dst_arn, dst_key = mode_setup(dst_mode, kms_key)
    hs3.put_object(Bucket=sbucket, Key="src", Body=five_mib, **write_args(src_mode, src_arn, src_key))
    uid = hs3.create_multipart_upload(Bucket=sbucket, Key="dst", **write_args(dst_mode, dst_arn, dst_key))["UploadId"]
    copy_src = ssec_args(src_key, copy_source=True) if src_mode == "SSE-C" else {}
    p1 = hs3.upload_part_copy(Bucket=sbucket, Key="dst", UploadId=uid, PartNumber=1,
                              CopySource={"Bucket": sbucket, "Key": "src"},
                              **read_args(dst_mode, dst_key), **copy_src)
    assert sse_of(p1) == expected_headers(dst_mode, dst_arn, dst_key)
    assert_etag_for(dst_mode, p1["CopyPartResult"]["ETag"], five_mib)
    p2 = hs3.upload_part_copy(Bucket=sbucket, Key="dst", UploadId=uid, PartNumber=2,
                              CopySource={"Bucket": sbucket, "Key": "src"}, CopySourceRange="bytes=10-99",
                              **read_args(dst_mode, dst_key), **copy_src)
    hs3.complete_multipart_upload(Bucket=sbucket, Key="dst", UploadId=uid, **read_args(dst_mode, dst_key),
                                  MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]},
        {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]}]})
    got = hs3.get_object(Bucket=sbucket, Key="dst", **read_args(dst_mode, dst_key))
    assert got["Body"].read() == five_mib + five_mib[10:100]
    info = inspect_object(hs, sbucket, "dst")
    assert info["mode"] == dst_mode and [p["mode"] for p in info["parts"]] == [dst_mode, dst_mode]


# ================================================================ §6 CopyObject

@pytest.mark.parametrize("dst_mode", ["default"] + MODES)
@pytest.mark.parametrize("src_mode", MODES)
def test_copy_reencrypts(hs, hs3, sbucket, kms_key, src_mode, dst_mode):
    """§6: the destination's encryption comes from the copy request, else the bucket default
    (SSE-S3); nothing is inherited; the answer has the destination's headers, copy-source SSE-C
    values are not echoed; the destination mode decides the ETag (§4.1)."""
    src_arn, src_key = mode_setup(src_mode, kms_key)
    dst_arn, dst_key = mode_setup(dst_mode, kms_key) if dst_mode != "default" else (None, None)
    data = MARKER + random_bytes(SEG + 17)
    hs3.put_object(Bucket=sbucket, Key="src", Body=data, **write_args(src_mode, src_arn, src_key))
    copy_src = ssec_args(src_key, copy_source=True) if src_mode == "SSE-C" else {}
    dargs = {} if dst_mode == "default" else write_args(dst_mode, dst_arn, dst_key)
    resp = hs3.copy_object(Bucket=sbucket, Key="dst", CopySource={"Bucket": sbucket, "Key": "src"},
                           **dargs, **copy_src)
    effective = "SSE-S3" if dst_mode == "default" else dst_mode
    assert sse_of(resp) == expected_headers(effective, dst_arn, dst_key)
    assert_etag_for(effective, resp["CopyObjectResult"]["ETag"], data)
    got = hs3.get_object(Bucket=sbucket, Key="dst", **read_args(effective, dst_key))
    assert got["Body"].read() == data
    assert got["ETag"] == resp["CopyObjectResult"]["ETag"]
    info = inspect_object(hs, sbucket, "dst")
    assert info["mode"] == effective
    assert info["kms_key_arn"] == dst_arn


def test_copy_does_not_carry_context_or_bucket_key(hs, hs3, kms_key):
    """§1.6 / §6: context and Bucket Key are not copied; a KMS source copied with only aws:kms keeps no context."""
    bucket = hs.create_bucket("ctxcopy")
    ctx = b64(json.dumps({"team": "copy"}).encode())
    put = hs.request("PUT", f"/{bucket}/src", body=b"ctx source", headers={
        SSE_H: "aws:kms", SSE_KMS_KEY_H: kms_key["arn"], SSE_CONTEXT_H: ctx, SSE_BUCKET_KEY_H: "true"})
    assert put.status_code == 200, put.text
    assert put.headers[SSE_BUCKET_KEY_H] == "true"
    resp = hs3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                           ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key["arn"])
    assert sse_of(resp) == {SSE_H: "aws:kms", SSE_KMS_KEY_H: kms_key["arn"]}
    info = inspect_object(hs, bucket, "dst")
    assert info["encryption_context"] is None
    assert info["bucket_key_enabled"] is False
    assert hs3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"ctx source"
    again = hs.request("PUT", f"/{bucket}/dst2", headers={
        "x-amz-copy-source": f"/{bucket}/src", SSE_H: "aws:kms", SSE_CONTEXT_H: ctx})
    assert again.status_code == 200, again.text
    assert again.headers[SSE_CONTEXT_H] == ctx, "a context supplied in the copy is echoed"


def test_copy_metadata_directive_independent_of_encryption(hs, hs3, kms_key):
    bucket = hs.create_bucket("dir")
    hs3.put_object(Bucket=bucket, Key="src", Body=b"m", Metadata={"a": "1"}, ContentType="text/x-a",
                   ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key["id"])
    hs3.copy_object(Bucket=bucket, Key="keep", CopySource={"Bucket": bucket, "Key": "src"})
    hs3.copy_object(Bucket=bucket, Key="repl", CopySource={"Bucket": bucket, "Key": "src"},
                    MetadataDirective="REPLACE", Metadata={"b": "2"}, ContentType="text/x-b",
                    ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key["id"])
    keep = hs3.head_object(Bucket=bucket, Key="keep")
    assert keep["Metadata"] == {"a": "1"} and keep["ContentType"] == "text/x-a"
    assert keep["ServerSideEncryption"] == "AES256"
    repl = hs3.head_object(Bucket=bucket, Key="repl")
    assert repl["Metadata"] == {"b": "2"} and repl["ContentType"] == "text/x-b"
    assert repl["ServerSideEncryption"] == "aws:kms"


# ---------------------------------------------------------------- copy onto itself (§6)

def test_copy_in_place_without_change_is_illegal(ep, bucket):
    ep.s3.put_object(Bucket=bucket, Key="self", Body=b"self", Metadata={"m": "v"})
    resp = ep.request("PUT", f"/{bucket}/self", headers={"x-amz-copy-source": f"/{bucket}/self"})
    assert_exact_error(resp, 400, "InvalidRequest", SELF_COPY_MESSAGE)
    # repeating identical metadata with the default COPY directive is not a change
    with expect_exact_error(400, "InvalidRequest", SELF_COPY_MESSAGE):
        ep.s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                          Metadata={"m": "v"})


def test_copy_in_place_with_same_sse_header_is_legal(ep, bucket):
    """§6: any x-amz-server-side-encryption header, even the value the object already has [R]."""
    etag = ep.s3.put_object(Bucket=bucket, Key="self", Body=b"same")["ETag"]
    resp = ep.s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                             ServerSideEncryption="AES256")
    assert resp["CopyObjectResult"]["ETag"] == etag
    assert resp["ServerSideEncryption"] == "AES256"


def test_copy_in_place_kms_source_without_headers_becomes_sse_s3(hs, hs3, kms_key):
    """§6: the source's encryption differs from what the default would give ⇒ legal; result AES256."""
    bucket = hs.create_bucket("selfkms")
    hs3.put_object(Bucket=bucket, Key="self", Body=b"test", ServerSideEncryption="aws:kms",
                   SSEKMSKeyId=kms_key["id"])
    resp = hs3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    assert resp["ServerSideEncryption"] == "AES256"
    assert resp["CopyObjectResult"]["ETag"] == quoted_md5(b"test")
    assert inspect_object(hs, bucket, "self")["mode"] == "SSE-S3"


def test_copy_in_place_kms_to_kms_gets_new_random_etag(hs, hs3, kms_key):
    """§4.1: an in-place SSE-KMS → SSE-KMS copy of `test` returned a non-MD5 ETag [R]."""
    bucket = hs.create_bucket("selfkms")
    first = hs3.put_object(Bucket=bucket, Key="self", Body=b"test", ServerSideEncryption="aws:kms",
                           SSEKMSKeyId=kms_key["id"])["ETag"]
    resp = hs3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                           ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key["id"])
    etag = resp["CopyObjectResult"]["ETag"]
    assert_etag_for("SSE-KMS", etag, b"test")
    assert etag != first


def test_copy_in_place_with_sse_c_destination_is_legal(hs, hs3, sbucket):
    """§6: SSE-C destination headers make an in-place copy legal ([P LocalStack] [I]: the emulator's choice).
    Re-keying an SSE-C object in place: old key no longer works, new key does."""
    old, new = new_customer_key(), new_customer_key()
    hs3.put_object(Bucket=sbucket, Key="self", Body=b"rekey me", **ssec_args(old))
    resp = hs3.copy_object(Bucket=sbucket, Key="self", CopySource={"Bucket": sbucket, "Key": "self"},
                           **ssec_args(old, copy_source=True), **ssec_args(new))
    assert resp["SSECustomerKeyMD5"] == md5_b64(new)
    assert hs3.get_object(Bucket=sbucket, Key="self", **ssec_args(new))["Body"].read() == b"rekey me"
    with expect_client_error(403, "AccessDenied"):
        hs3.get_object(Bucket=sbucket, Key="self", **ssec_args(old))


def test_copy_in_place_legal_when_bucket_has_explicit_default(ep, bucket):
    """§6: a bucket with an explicitly configured default (even AES256) allows in-place copies [R]."""
    ep.s3.put_object(Bucket=bucket, Key="self", Body=b"x")
    ep.s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    resp = ep.s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    assert http_status(resp) == 200
    assert resp["ServerSideEncryption"] == "AES256"


# ================================================================ §3.2 KMS key state (success paths and recovery)

def test_disabled_key_blocks_reads_and_writes_until_enabled(hs, hs3, kms):
    """E-K9: a disabled key fails PUT with it and GET of objects under it; enabling restores access.
    HEAD answers 400 without a body (whether AWS reports it on HEAD is [I])."""
    key = new_key(kms)
    bucket = hs.create_bucket("dis")
    hs3.put_object(Bucket=bucket, Key="o", Body=b"disabled later", ServerSideEncryption="aws:kms",
                   SSEKMSKeyId=key["id"])
    kms.disable_key(KeyId=key["id"])
    message = f"{key['arn']} is disabled."
    assert_exact_error(hs.request("GET", f"/{bucket}/o"), 400, "KMS.DisabledException", message)
    assert_exact_error(hs.request("HEAD", f"/{bucket}/o"), 400, "KMS.DisabledException", message)
    with expect_exact_error(400, "KMS.DisabledException", message):
        hs3.put_object(Bucket=bucket, Key="n", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["id"])
    with expect_exact_error(400, "KMS.DisabledException", message):
        hs3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "o"})
    kms.enable_key(KeyId=key["id"])
    assert hs3.get_object(Bucket=bucket, Key="o")["Body"].read() == b"disabled later"
    hs3.put_object(Bucket=bucket, Key="n", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["id"])


def test_pending_deletion_key_then_cancel(hs, hs3, kms):
    """E-K10: pending deletion fails GET (and PUT, [I]); after CancelKeyDeletion the key is Disabled
    (E-K9) until enabled again."""
    key = new_key(kms)
    bucket = hs.create_bucket("pend")
    hs3.put_object(Bucket=bucket, Key="o", Body=b"pending", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["arn"])
    kms.schedule_key_deletion(KeyId=key["id"], PendingWindowInDays=7)
    message = f"{key['arn']} is pending deletion."
    assert_exact_error(hs.request("GET", f"/{bucket}/o"), 400, "KMS.KMSInvalidStateException", message)
    with expect_exact_error(400, "KMS.KMSInvalidStateException", message):
        hs3.put_object(Bucket=bucket, Key="n", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["id"])
    kms.cancel_key_deletion(KeyId=key["id"])
    assert_exact_error(hs.request("GET", f"/{bucket}/o"), 400, "KMS.DisabledException", f"{key['arn']} is disabled.")
    kms.enable_key(KeyId=key["id"])
    assert hs3.get_object(Bucket=bucket, Key="o")["Body"].read() == b"pending"


# ================================================================ S3 Bucket Keys (§1.6: bucket ARN as context)

def test_bucket_key_makes_one_kms_call_per_bucket_not_per_object(server, hs, hs3, kms):
    """With a Bucket Key, S3 asks KMS for one bucket-level data key (context aws:s3:arn = the bucket ARN) and
    uses it for many objects; reads of those objects need no Decrypt while it is cached. Without a Bucket Key every
    object gets its own GenerateDataKey with its object ARN. Each object still decrypts to its own bytes and says
    bucket-key-enabled on every read."""
    key = new_key(kms)
    bucket = hs.create_bucket("bk")
    bucket_arn = f"arn:aws:s3:::{bucket}"
    since = len(audit_trail(server))
    bodies = {f"o{i}": MARKER + f" bucket key {i} ".encode() + random_bytes(3000 + i) for i in range(6)}
    for name, body in bodies.items():
        put = hs3.put_object(Bucket=bucket, Key=name, Body=body, ServerSideEncryption="aws:kms",
                             SSEKMSKeyId=key["id"], BucketKeyEnabled=True)
        assert put["BucketKeyEnabled"] is True and put["SSEKMSKeyId"] == key["arn"]
    for name, body in bodies.items():
        got = hs3.get_object(Bucket=bucket, Key=name)
        assert got["Body"].read() == body
        assert (got["ServerSideEncryption"], got["SSEKMSKeyId"], got["BucketKeyEnabled"]) == ("aws:kms", key["arn"], True)
    recs = [r for r in audit_trail(server)[since:] if r.get("keyId") == key["id"]]
    assert [(r["op"], r["context"], r["caller"]) for r in recs] == [
        ("GenerateDataKey", {"aws:s3:arn": bucket_arn}, ACCESS_KEY)], recs
    # Every object still has its own segment keys: same sealed key, different salts, stored bytes differ.
    infos = [inspect_object(hs, bucket, name) for name in bodies]
    assert all(i["bucket_key_enabled"] for i in infos)
    assert len({i["stored_prefix_hex"] for i in infos}) == len(infos)

    since = len(audit_trail(server))
    for i in range(3):
        hs3.put_object(Bucket=bucket, Key=f"plain{i}", Body=b"no bucket key", ServerSideEncryption="aws:kms",
                       SSEKMSKeyId=key["id"])
    recs = [r for r in audit_trail(server)[since:] if r.get("keyId") == key["id"]]
    assert [(r["op"], r["context"]) for r in recs] == [
        ("GenerateDataKey", {"aws:s3:arn": f"{bucket_arn}/plain{i}"}) for i in range(3)], recs


def test_bucket_key_follows_key_state_changes_at_once(hs, hs3, kms):
    """A key disabled or scheduled for deletion through the KMS API stops Bucket-Key writes and reads on the very
    next request, although the bucket-level key is cached; enabling restores both."""
    key = new_key(kms)
    bucket = hs.create_bucket("bkstate")
    args = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key["id"], "BucketKeyEnabled": True}
    hs3.put_object(Bucket=bucket, Key="o", Body=b"bucket key state", **args)
    assert hs3.get_object(Bucket=bucket, Key="o")["Body"].read() == b"bucket key state"
    kms.disable_key(KeyId=key["id"])
    message = f"{key['arn']} is disabled."
    assert_exact_error(hs.request("GET", f"/{bucket}/o"), 400, "KMS.DisabledException", message)
    with expect_exact_error(400, "KMS.DisabledException", message):
        hs3.put_object(Bucket=bucket, Key="n", Body=b"x", **args)
    kms.enable_key(KeyId=key["id"])
    assert hs3.get_object(Bucket=bucket, Key="o")["Body"].read() == b"bucket key state"
    hs3.put_object(Bucket=bucket, Key="n", Body=b"x", **args)
    kms.schedule_key_deletion(KeyId=key["id"], PendingWindowInDays=7)
    assert_exact_error(hs.request("GET", f"/{bucket}/n"), 400, "KMS.KMSInvalidStateException",
                       f"{key['arn']} is pending deletion.")


def test_disabled_key_fails_upload_part_of_existing_upload(hs, hs3, kms, five_mib):
    """§7: every part gets its own data key, so a key disabled after CreateMultipartUpload fails UploadPart."""
    key = new_key(kms)
    bucket = hs.create_bucket("mpdis")
    uid = hs3.create_multipart_upload(Bucket=bucket, Key="m", ServerSideEncryption="aws:kms",
                                      SSEKMSKeyId=key["id"])["UploadId"]
    kms.disable_key(KeyId=key["id"])
    with expect_exact_error(400, "KMS.DisabledException", f"{key['arn']} is disabled."):
        hs3.upload_part(Bucket=bucket, Key="m", UploadId=uid, PartNumber=1, Body=b"part")
    kms.enable_key(KeyId=key["id"])
    part = hs3.upload_part(Bucket=bucket, Key="m", UploadId=uid, PartNumber=1, Body=b"part")
    hs3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=uid,
                                  MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert hs3.get_object(Bucket=bucket, Key="m")["Body"].read() == b"part"


def test_rotation_on_demand_old_objects_still_decrypt(server, hs, hs3, kms):
    """Rotated keys still decrypt objects written before the rotation; new objects use the new version."""
    key = new_key(kms)
    bucket = hs.create_bucket("rot")
    hs3.put_object(Bucket=bucket, Key="before", Body=b"before rotation", ServerSideEncryption="aws:kms",
                   SSEKMSKeyId=key["id"])
    v1 = inspect_object(hs, bucket, "before")["key_version"]
    kms.rotate_key_on_demand(KeyId=key["id"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rotations = kms.list_key_rotations(KeyId=key["id"]).get("Rotations", [])
        if rotations:
            break
        time.sleep(0.1)
    hs3.put_object(Bucket=bucket, Key="after", Body=b"after rotation", ServerSideEncryption="aws:kms",
                   SSEKMSKeyId=key["id"])
    v2 = inspect_object(hs, bucket, "after")["key_version"]
    assert v1 and v2 and v1 != v2, (v1, v2)
    assert inspect_object(hs, bucket, "before")["key_version"] == v1
    assert hs3.get_object(Bucket=bucket, Key="before")["Body"].read() == b"before rotation"
    assert hs3.get_object(Bucket=bucket, Key="after")["Body"].read() == b"after rotation"
    assert hs3.get_object(Bucket=bucket, Key="before")["SSEKMSKeyId"] == key["arn"]
    copied = hs3.copy_object(Bucket=bucket, Key="re", CopySource={"Bucket": bucket, "Key": "before"},
                             ServerSideEncryption="aws:kms", SSEKMSKeyId=key["id"])
    assert copied["SSEKMSKeyId"] == key["arn"]
    assert inspect_object(hs, bucket, "re")["key_version"] == v2


# ================================================================ audit trail

@pytest.mark.parametrize("mode", ["SSE-KMS", "DSSE-KMS"])
def test_audit_records_object_key_operations(server, hs, hs3, kms_key, mode):
    """Every GenerateDataKey/Decrypt the object service makes for a KMS object is audited with
    caller = the access key, the key id and context aws:s3:arn = the object ARN; no plaintext field.
    (SSE-S3 uses S3-owned keys, not visible as per-object customer calls: not checked here.)"""
    bucket = hs.create_bucket("audit")
    since = len(audit_trail(server))
    hs3.put_object(Bucket=bucket, Key="a/b c", Body=b"audited", **write_args(mode, kms_key["arn"]))
    hs3.get_object(Bucket=bucket, Key="a/b c")["Body"].read()
    hs3.get_object(Bucket=bucket, Key="a/b c", Range="bytes=1-2")["Body"].read()
    recs = records_for(server, f"arn:aws:s3:::{bucket}/a/b c", since)
    layers = 2 if mode == "DSSE-KMS" else 1
    assert [r["op"] for r in recs][:layers] == ["GenerateDataKey"] * layers, recs
    assert [r["op"] for r in recs][layers:].count("Decrypt") >= 2 * layers, recs
    for r in recs:
        assert r["caller"] == ACCESS_KEY
        assert r["result"] == "ok"
        assert r["context"] == {"aws:s3:arn": f"arn:aws:s3:::{bucket}/a/b c"}
        assert r["keyId"] == kms_key["id"]
        assert not any("plaintext" in k.lower() for k in r), r
    foreign = [r for r in audit_trail(server)[since:] if r.get("caller") not in (ACCESS_KEY, "s3emu-sse-s3")
               and r["op"] in ("GenerateDataKey", "Decrypt")]
    assert not foreign, foreign


def test_sse_c_makes_no_kms_calls(server, hs, hs3, sbucket):
    key = new_customer_key()
    since = len(audit_trail(server))
    hs3.put_object(Bucket=sbucket, Key="c", Body=b"sse-c", **ssec_args(key))
    hs3.get_object(Bucket=sbucket, Key="c", **ssec_args(key))["Body"].read()
    assert records_for(server, f"arn:aws:s3:::{sbucket}/c", since) == []


def test_failed_kms_write_is_audited_with_error(server, hs, hs3, kms):
    key = new_key(kms)
    kms.disable_key(KeyId=key["id"])
    bucket = hs.create_bucket("auditerr")
    since = len(audit_trail(server))
    with expect_client_error(400, "KMS.DisabledException"):
        hs3.put_object(Bucket=bucket, Key="x", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["id"])
    recs = records_for(server, f"arn:aws:s3:::{bucket}/x", since)
    assert [(r["op"], r["result"], r["caller"]) for r in recs] == [("GenerateDataKey", "DisabledException", ACCESS_KEY)]


# ================================================================ inspection endpoint

def test_inspect_endpoint_requires_sigv4_and_existing_object(ep, bucket):
    ep.s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    unsigned = ep.request("GET", f"/_s3emu/inspect/{bucket}/k", sign=False)
    assert unsigned.status_code == 403
    badsig = ep.request("GET", f"/_s3emu/inspect/{bucket}/k", secret_key="wrong")
    assert badsig.status_code == 403
    assert ep.request("GET", f"/_s3emu/inspect/{bucket}/missing").status_code == 404
    assert ep.request("GET", f"/_s3emu/inspect/{unique_bucket()}/k").status_code == 404
    info = inspect_object(ep, bucket, "k")
    assert info["bucket"] == bucket and info["key"] == "k"
    assert set(info) >= {"mode", "kms_key_arn", "key_version", "algorithm", "format_version", "segments",
                         "stored_size", "plaintext_size", "stored_prefix_hex", "layers", "parts",
                         "plaintext_prefix_found_in_stored_bytes"}


def test_inspect_odd_key_names(ep, bucket):
    for key in ("dir/sub/file.txt", "spaces and+plus", "ünïcode/é"):
        ep.s3.put_object(Bucket=bucket, Key=key, Body=b"odd name " + MARKER)
        info = inspect_object(ep, bucket, key)
        assert info["key"] == key and info["mode"] == "SSE-S3"
        assert info["plaintext_prefix_found_in_stored_bytes"] is False


# ================================================================ flags: --no-default-encryption, --allow-sse-c, --sse-c-over-http

def test_no_default_encryption_flag(server_factory):
    """`serve --no-default-encryption`: objects without a header in a bucket without a rule are stored
    unencrypted (no SSE header; inspection finds the plaintext); explicit headers and bucket rules still encrypt."""
    srv = server_factory(extra_args=["--no-default-encryption"])
    ep = srv.endpoint("http")
    s3 = ep.s3
    bucket = ep.create_bucket("plain")
    data = b"stored in the clear " * 4
    put = s3.put_object(Bucket=bucket, Key="plain", Body=data)
    assert "ServerSideEncryption" not in put and not sse_of(put)
    assert put["ETag"] == quoted_md5(data)
    got = s3.get_object(Bucket=bucket, Key="plain")
    assert got["Body"].read() == data and not sse_of(got)
    info = inspect_object(ep, bucket, "plain")
    assert info["mode"] == "none"
    assert info["plaintext_prefix_found_in_stored_bytes"] is True
    assert info["stored_size"] == len(data)
    assert bytes.fromhex(info["stored_prefix_hex"]) == data[:len(bytes.fromhex(info["stored_prefix_hex"]))]
    s3.put_object(Bucket=bucket, Key="explicit", Body=data, ServerSideEncryption="AES256")
    assert inspect_object(ep, bucket, "explicit")["mode"] == "SSE-S3"
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    put = s3.put_object(Bucket=bucket, Key="ruled", Body=data)
    assert put["ServerSideEncryption"] == "AES256"
    assert inspect_object(ep, bucket, "ruled")["mode"] == "SSE-S3"
    assert inspect_object(ep, bucket, "plain")["mode"] == "none", "existing objects are never changed"
    s3.close()


def test_allow_sse_c_flag(server_factory):
    """`serve --allow-sse-c` (pre-April-2026 behaviour): new buckets accept SSE-C writes and their
    default configuration does not block SSE-C."""
    srv = server_factory(extra_args=["--allow-sse-c"])
    hs = srv.endpoint("https")
    bucket = hs.create_bucket("allow")
    key = new_customer_key()
    put = hs.s3.put_object(Bucket=bucket, Key="c", Body=b"allowed", **ssec_args(key))
    assert put["SSECustomerKeyMD5"] == md5_b64(key)
    rule = hs.s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert rule.get("BlockedEncryptionTypes", {}).get("EncryptionType", []) in ([], ["NONE"])
    # SSE-C over plain HTTP is still refused without --sse-c-over-http (E-C1)
    resp = srv.endpoint("http").request("GET", f"/{bucket}/c", headers=ssec_headers(key))
    assert_exact_error(resp, 400, "InvalidRequest", "Requests specifying Server Side Encryption with "
                       "Customer provided keys must be made over a secure connection.")
    hs.s3.close()


def test_sse_c_over_http_flag(server_factory):
    """`serve --sse-c-over-http`: SSE-C is accepted over plain HTTP (TLS-terminating proxy setups)."""
    srv = server_factory(extra_args=["--sse-c-over-http", "--allow-sse-c"])
    ep = srv.endpoint("http")
    bucket = ep.create_bucket("httpc")
    key = new_customer_key()
    put = ep.s3.put_object(Bucket=bucket, Key="c", Body=b"over http", **ssec_args(key))
    assert put["SSECustomerAlgorithm"] == "AES256"
    got = ep.s3.get_object(Bucket=bucket, Key="c", **ssec_args(key))
    assert got["Body"].read() == b"over http"
    assert inspect_object(ep, bucket, "c")["mode"] == "SSE-C"
    # KMS still needs TLS (E-K8)
    with expect_client_error(400, "InvalidArgument"):
        ep.s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms")
    ep.s3.close()


# ================================================================ restart

def test_restart_and_read_back_every_mode(server_factory, five_mib):
    """Objects of every mode (and a multipart KMS object) read back after a restart; nothing changes."""
    srv = server_factory(extra_args=["--allow-sse-c"])
    hs = srv.endpoint("https")
    s3 = hs.s3
    kms = kms_client(hs)
    key = new_key(kms, "restart")
    ckey = new_customer_key("restart SSE-C key")
    bucket = hs.create_bucket("restart")
    objects = {}
    for mode in MODES:
        data = MARKER + random_bytes(SEG + 99)
        put = s3.put_object(Bucket=bucket, Key=mode, Body=data, **write_args(mode, key["arn"], ckey))
        objects[mode] = (data, put["ETag"], read_args(mode, ckey), expected_headers(mode, key["arn"], ckey))
    uid = s3.create_multipart_upload(Bucket=bucket, Key="mpu", ServerSideEncryption="aws:kms",
                                     SSEKMSKeyId=key["id"], BucketKeyEnabled=True)["UploadId"]
    etags = [s3.upload_part(Bucket=bucket, Key="mpu", UploadId=uid, PartNumber=n, Body=body)["ETag"]
             for n, body in ((1, five_mib), (2, b"tail"))]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mpu", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]})
    objects["mpu"] = (five_mib + b"tail", done["ETag"], {}, expected_headers("SSE-KMS", key["arn"], bucket_key=True))
    before = {k: inspect_object(hs, bucket, k) for k in objects}
    s3.close()
    kms.close()
    srv.stop()
    srv.start()
    hs = srv.endpoint("https")
    s3 = hs.s3
    for name, (data, etag, rargs, headers) in objects.items():
        got = s3.get_object(Bucket=bucket, Key=name, **rargs)
        assert got["Body"].read() == data, name
        assert got["ETag"] == etag, name
        assert sse_of(got) == headers, name
        ranged = s3.get_object(Bucket=bucket, Key=name, Range="bytes=65530-65540", **rargs)
        assert ranged["Body"].read() == data[65530:65541]
        after = inspect_object(hs, bucket, name)
        for field in ("mode", "kms_key_arn", "key_version", "stored_size", "stored_prefix_hex", "segments"):
            assert after[field] == before[name][field], (name, field)
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    s3.close()


# ================================================================ tampering

def _read_all(resp) -> tuple[bytes, bool]:
    """Body bytes and whether the stream ended cleanly."""
    chunks = []
    try:
        for chunk in resp.iter_content(64 * 1024):
            chunks.append(chunk)
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError):
        return b"".join(chunks), False
    return b"".join(chunks), True


def assert_read_refused(ep, path, original: bytes, headers=None, offset: int = 0):
    """GET of tampered data must fail: an error status, or a broken stream that delivered only a
    prefix of the original bytes; altered bytes must never be delivered."""
    try:
        resp = requests.get(ep.url + path, headers=ep.sign("GET", path, headers=headers or {}).headers,
                            verify=ep.verify, stream=True, timeout=60)
    except requests.exceptions.ConnectionError:
        return
    body, clean = _read_all(resp)
    if resp.status_code >= 400:
        return
    assert resp.status_code in (200, 206), resp.status_code
    expected_len = int(resp.headers.get("Content-Length", -1))
    assert not (clean and len(body) == expected_len), (
        f"GET returned the whole body ({len(body)} bytes) of a tampered object; "
        f"equal to the original: {body == original[offset:offset + len(body)]}")
    assert body == original[offset:offset + len(body)], "altered bytes were delivered"


@pytest.mark.parametrize("mode", MODES)
def test_tampered_blob_file_fails_get(server, hs, hs3, sbucket, kms_key, mode):
    """Flip one byte of a stored blob file (3rd segment): full and overlapping ranged GETs fail;
    ranges inside intact segments still decrypt (only the needed segments are read)."""
    arn, ckey = mode_setup(mode, kms_key)
    data = random_bytes(4 * SEG + 100)                       # > inline limit: a blob file
    hs3.put_object(Bucket=sbucket, Key="t", Body=data, **write_args(mode, arn, ckey))
    info = inspect_object(hs, sbucket, "t")
    loc = stored_part_location(server, info["stored_prefix_hex"])
    assert loc[0] == "file", loc
    stored = read_stored_bytes(server, loc)
    assert len(stored) == info["stored_size"]
    assert data[:64] not in stored and data[2 * SEG:2 * SEG + 64] not in stored
    flip_stored_byte(server, loc, len(stored) // 2 + 10)      # lands in the 3rd of 5 segments
    rh = ssec_headers(ckey) if mode == "SSE-C" else {}
    assert_read_refused(hs, f"/{sbucket}/t", data, rh)
    assert_read_refused(hs, f"/{sbucket}/t", data, {**rh, "Range": f"bytes={2 * SEG + 5}-{2 * SEG + 50}"},
                        offset=2 * SEG + 5)
    ok = hs.request("GET", f"/{sbucket}/t", headers={**rh, "Range": f"bytes=10-{SEG + 10}"})
    assert ok.status_code == 206 and ok.content == data[10:SEG + 11]
    ok = hs.request("GET", f"/{sbucket}/t", headers={**rh, "Range": f"bytes={4 * SEG}-"})
    assert ok.status_code == 206 and ok.content == data[4 * SEG:]


def test_tampered_inline_body_fails_get(server, hs, hs3, kms_key):
    """Small bodies are kept inline in DATA/store/metadata.sqlite; flipping a byte there fails GET."""
    bucket = hs.create_bucket("inline")
    data = b"inline secret body " * 20
    for mode in ("SSE-S3", "SSE-KMS"):
        hs3.put_object(Bucket=bucket, Key=mode, Body=data, **write_args(mode, kms_key["arn"]))
        info = inspect_object(hs, bucket, mode)
        loc = stored_part_location(server, info["stored_prefix_hex"])
        assert loc[0] == "inline", loc
        assert data[:32] not in read_stored_bytes(server, loc)
        flip_stored_byte(server, loc, 5)
        resp = hs.request("GET", f"/{bucket}/{mode}")
        assert resp.status_code >= 500 or resp.content != data, "tampered body served"
        assert resp.status_code >= 400, f"{mode}: GET of a tampered inline body answered {resp.status_code}"
        assert data[:16] not in resp.content


def test_tampered_tag_and_truncation_fail_get(server, hs, hs3):
    bucket = hs.create_bucket("tag")
    data = random_bytes(SEG + 5000)
    hs3.put_object(Bucket=bucket, Key="t", Body=data)
    loc = stored_part_location(server, inspect_object(hs, bucket, "t")["stored_prefix_hex"])
    stored = read_stored_bytes(server, loc)
    flip_stored_byte(server, loc, len(stored) - 1)            # last byte: the final segment's tag
    assert_read_refused(hs, f"/{bucket}/t", data)
    assert hs.request("GET", f"/{bucket}/t", headers={"Range": "bytes=0-99"}).content == data[:100]


def test_swapped_blobs_fail_get(server, hs, hs3):
    """Segments are bound to their object: the stored bytes of one object copied over another's fail."""
    bucket = hs.create_bucket("swap")
    a, b = random_bytes(2 * SEG), random_bytes(2 * SEG)
    hs3.put_object(Bucket=bucket, Key="a", Body=a)
    hs3.put_object(Bucket=bucket, Key="b", Body=b)
    la = stored_part_location(server, inspect_object(hs, bucket, "a")["stored_prefix_hex"])
    lb = stored_part_location(server, inspect_object(hs, bucket, "b")["stored_prefix_hex"])
    lb[1].write_bytes(la[1].read_bytes())
    resp = hs.request("GET", f"/{bucket}/b")
    assert resp.content != a, "object b served object a's plaintext"
    assert resp.status_code >= 400 or len(resp.content) < len(b), resp.status_code


def test_tampered_multipart_part_only_breaks_that_part(server, hs, hs3, kms_key, five_mib):
    bucket = hs.create_bucket("mptamper")
    last = random_bytes(200_000)
    uid = hs3.create_multipart_upload(Bucket=bucket, Key="m", ServerSideEncryption="aws:kms",
                                      SSEKMSKeyId=kms_key["id"])["UploadId"]
    etags = [hs3.upload_part(Bucket=bucket, Key="m", UploadId=uid, PartNumber=n, Body=body)["ETag"]
             for n, body in ((1, five_mib), (2, last))]
    hs3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]})
    info = inspect_object(hs, bucket, "m")
    # the second part's blob: the blob files written for this object, minus the first one
    first = stored_part_location(server, info["stored_prefix_hex"])
    size2 = info["parts"][1]["stored_size"]
    candidates = [f for f in (server.data_dir / "store" / "blobs").rglob("*")
                  if f.is_file() and f.stat().st_size == size2 and f != first[1]]
    assert candidates, "second part blob not found"
    target = max(candidates, key=lambda f: f.stat().st_mtime)
    flip_stored_byte(server, ("file", target), 100)
    p1 = hs.request("GET", f"/{bucket}/m", params={"partNumber": "1"})
    assert p1.status_code == 206 and p1.content == five_mib
    assert_read_refused(hs, f"/{bucket}/m?partNumber=2", last)


# ================================================================ curl --aws-sigv4 over HTTPS

def curl_cmd(curl_bin, hs, *args):
    return [curl_bin, "-sS", "--aws-sigv4", f"aws:amz:{REGION}:s3", "--user", f"{ACCESS_KEY}:{SECRET_KEY}",
            "--cacert", hs.ca_cert, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", *args]


def curl_headers(text: str) -> dict:
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("HTTP/"):
            k, v = line.split(":", 1)
            out[k.strip().lower()] = v.strip()
    return out


def test_curl_sse_c_put_get_head(curl_bin, hs, hs3, sbucket, tmp_path):
    key = new_customer_key("curl SSE-C key")
    trio = [x for k, v in ssec_headers(key).items() for x in ("-H", f"{k}: {v}")]
    src = tmp_path / "in.bin"
    data = MARKER + random_bytes(100_000)
    src.write_bytes(data)
    url = f"{hs.url}/{sbucket}/curl-c"
    put = run(curl_cmd(curl_bin, hs, "-D", "-", "-o", os.devnull, "-H", "Expect:", "-T", str(src), *trio, url))
    h = curl_headers(put.stdout.decode())
    assert put.stdout.decode().startswith("HTTP/1.1 200"), put.stdout
    assert h[SSEC_ALG_H] == "AES256" and h[SSEC_MD5_H.lower()] == md5_b64(key)
    assert SSE_H not in h
    out = tmp_path / "out.bin"
    get = run(curl_cmd(curl_bin, hs, "-w", "%{http_code}", "-o", str(out), *trio, url))
    assert get.stdout == b"200" and out.read_bytes() == data
    head = run(curl_cmd(curl_bin, hs, "-I", *trio, url))
    hh = curl_headers(head.stdout.decode())
    assert head.stdout.decode().startswith("HTTP/1.1 200")
    assert hh[SSEC_MD5_H.lower()] == md5_b64(key) and hh["content-length"] == str(len(data))
    nokey = run(curl_cmd(curl_bin, hs, "-w", "\n%{http_code}", url))
    assert nokey.stdout.decode().endswith("400")
    assert "<Code>InvalidRequest</Code>" in nokey.stdout.decode()
    assert inspect_object(hs, sbucket, "curl-c")["mode"] == "SSE-C"


def test_curl_sse_kms_put_head(curl_bin, hs, hs3, kms_key, tmp_path):
    bucket = hs.create_bucket("curlkms")
    src = tmp_path / "in.txt"
    src.write_bytes(b"curl kms " + MARKER)
    ctx = b64(json.dumps({"via": "curl"}).encode())
    url = f"{hs.url}/{bucket}/curl-k"
    put = run(curl_cmd(curl_bin, hs, "-D", "-", "-o", os.devnull, "-H", "Expect:", "-T", str(src),
                       "-H", f"{SSE_H}: aws:kms", "-H", f"{SSE_KMS_KEY_H}: {kms_key['alias']}",
                       "-H", f"{SSE_CONTEXT_H}: {ctx}", "-H", f"{SSE_BUCKET_KEY_H}: true", url))
    text = put.stdout.decode()
    assert text.startswith("HTTP/1.1 200"), text
    h = curl_headers(text)
    assert h[SSE_H] == "aws:kms" and h[SSE_KMS_KEY_H] == kms_key["arn"]
    assert h[SSE_CONTEXT_H] == ctx and h[SSE_BUCKET_KEY_H] == "true"
    assert re.match(RANDOM_ETAG_RE, h["etag"])
    head = curl_headers(run(curl_cmd(curl_bin, hs, "-I", url)).stdout.decode())
    assert head[SSE_H] == "aws:kms" and head[SSE_KMS_KEY_H] == kms_key["arn"]
    assert head[SSE_BUCKET_KEY_H] == "true" and SSE_CONTEXT_H not in head
    assert hs3.get_object(Bucket=bucket, Key="curl-k")["Body"].read() == b"curl kms " + MARKER


# ================================================================ §8.1 presigned URLs

def test_presigned_put_with_kms_headers(hs, hs3, kms_key):
    """§8.1: SigV4 presign signs the SSE headers; the client sends them with the same values."""
    bucket = hs.create_bucket("presign")
    url = hs3.generate_presigned_url("put_object", ExpiresIn=300, Params={
        "Bucket": bucket, "Key": "p", "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key["id"]})
    signed = re.search(r"X-Amz-SignedHeaders=([^&]+)", url).group(1).replace("%3B", ";")
    assert SSE_H in signed and SSE_KMS_KEY_H in signed, signed
    resp = requests.put(url, data=b"presigned kms", verify=hs.verify, timeout=30,
                        headers={SSE_H: "aws:kms", SSE_KMS_KEY_H: kms_key["id"]})
    assert resp.status_code == 200, resp.text
    assert resp.headers[SSE_KMS_KEY_H] == kms_key["arn"]
    assert inspect_object(hs, bucket, "p")["mode"] == "SSE-KMS"
    changed = requests.put(url, data=b"x", verify=hs.verify, timeout=30,
                           headers={SSE_H: "AES256", SSE_KMS_KEY_H: kms_key["id"]})
    assert changed.status_code == 403, changed.text


def test_presigned_get_sse_c(hs, hs3, sbucket):
    key = new_customer_key()
    hs3.put_object(Bucket=sbucket, Key="p", Body=b"presigned sse-c", **ssec_args(key))
    url = hs3.generate_presigned_url("get_object", ExpiresIn=300,
                                     Params={"Bucket": sbucket, "Key": "p", **ssec_args(key)})
    assert SSEC_ALG_H in url.replace("%3B", ";")
    resp = requests.get(url, headers=ssec_headers(key), verify=hs.verify, timeout=30)
    assert resp.status_code == 200, resp.text
    assert resp.content == b"presigned sse-c"
    assert resp.headers[SSEC_MD5_H] == md5_b64(key)


@pytest.mark.parametrize("auth", ["presigned", "header"])
def test_unsigned_sse_header_is_rejected(hs, hs3, auth):
    """§8.1: an x-amz-* header sent but not signed ⇒ 403 AccessDenied "There were headers present in
    the request which were not signed" with HeadersNotSigned (also for header-signed SigV4)."""
    bucket = hs.create_bucket("unsigned")
    if auth == "presigned":
        url = hs3.generate_presigned_url("put_object", ExpiresIn=300, Params={"Bucket": bucket, "Key": "u"})
        headers = {}
    else:
        signed = hs.sign("PUT", f"/{bucket}/u", body=b"x")
        url, headers = signed.url, dict(signed.headers)
    headers[SSE_H] = "aws:kms"
    resp = requests.put(url, data=b"x", headers=headers, verify=hs.verify, timeout=30)
    assert_exact_error(resp, 403, "AccessDenied", "There were headers present in the request which were not signed",
                       HeadersNotSigned=SSE_H)
    assert hs.request("HEAD", f"/{bucket}/u").status_code == 404, "the object must not have been written"


def test_presigned_sse_query_parameter_is_applied(hs, hs3):
    """§8.1 emulator rule: a signed x-amz-server-side-encryption query parameter counts as the header."""
    bucket = hs.create_bucket("qsse")
    url = hs3.generate_presigned_url("put_object", ExpiresIn=300, Params={"Bucket": bucket, "Key": "q"})
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    base = url.split("?", 1)[0] + "?x-amz-server-side-encryption=aws%3Akms"
    req = AWSRequest(method="PUT", url=base)
    S3SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION, expires=300).add_auth(req)
    resp = requests.put(req.url, data=b"query sse", verify=hs.verify, timeout=30)
    assert resp.status_code == 200, resp.text
    assert resp.headers.get(SSE_H) == "aws:kms"
    assert inspect_object(hs, bucket, "q")["mode"] == "SSE-KMS"


def _presigned_put_with_sse_query(hs, bucket, key, value):
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method="PUT", url=f"{hs.url}/{bucket}/{key}?x-amz-server-side-encryption={value}")
    S3SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION, expires=300).add_auth(req)
    return req.url


def test_presigned_sse_query_parameter_with_same_header(hs):
    """§8.1 [R LocalStack, validated against AWS]: with x-amz-server-side-encryption=AES256 signed as a query
    parameter, a header with the same value is also accepted."""
    bucket = hs.create_bucket("qsse")
    url = _presigned_put_with_sse_query(hs, bucket, "q", "AES256")
    same = requests.put(url, data=b"same", headers={SSE_H: "AES256"}, verify=hs.verify, timeout=30)
    assert same.status_code == 200, same.text
    assert same.headers[SSE_H] == "AES256"


def test_presigned_sse_query_parameter_with_conflicting_header(hs):
    """§8.1 emulator rule: a header conflicting with the signed SSE query parameter ⇒ 403 signature mismatch."""
    bucket = hs.create_bucket("qsse")
    url = _presigned_put_with_sse_query(hs, bucket, "q", "AES256")
    other = requests.put(url, data=b"other", headers={SSE_H: "aws:kms"}, verify=hs.verify, timeout=30)
    assert other.status_code == 403, other.text
    assert hs.request("HEAD", f"/{bucket}/q").status_code == 404


@pytest.mark.parametrize("header", [SSE_KMS_KEY_H, "x-amz-copy-source-server-side-encryption-customer-algorithm",
                                    SSEC_ALG_H])
def test_unsigned_other_encryption_headers_are_rejected(hs, sbucket, header):
    """§8.1: every x-amz-* header must be signed; the KMS key id and (copy-source) SSE-C headers too."""
    signed = hs.sign("PUT", f"/{sbucket}/u", headers={SSE_H: "aws:kms"}, body=b"x")
    headers = {**signed.headers, header: "AES256" if "algorithm" in header else "alias/aws/s3"}
    resp = requests.put(signed.url, data=b"x", headers=headers, verify=hs.verify, timeout=30)
    assert_exact_error(resp, 403, "AccessDenied", "There were headers present in the request which were not signed",
                       HeadersNotSigned=header.lower())


def test_copy_in_place_illegal_again_after_delete_bucket_encryption(ep, bucket):
    """§6: only an explicitly configured default makes an unchanged in-place copy legal; after
    DeleteBucketEncryption the bucket has none again."""
    ep.s3.put_object(Bucket=bucket, Key="self", Body=b"x")
    ep.s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    ep.s3.delete_bucket_encryption(Bucket=bucket)
    with expect_exact_error(400, "InvalidRequest", SELF_COPY_MESSAGE):
        ep.s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})


def test_multipart_sse_c_complete_with_checksum_algorithm_needs_key(hs, sbucket):
    """§1.2 / §7 [D]: the key is optional on Complete unless the upload uses a checksum algorithm. The error
    is not recorded in the reference: a 400 and no object are asserted."""
    key = new_customer_key()
    body = b"checksummed part"
    create_headers = {**ssec_headers(key), "x-amz-checksum-algorithm": "CRC32"}
    part_headers = {**ssec_headers(key), "x-amz-checksum-crc32": checksum_b64("CRC32", body)}
    uid, xml = _raw_mpu(hs, sbucket, "ck", create_headers, [body], part_headers)
    done = hs.request("POST", f"/{sbucket}/ck", params={"uploadId": uid}, body=xml)
    assert done.status_code == 400, done.text
    assert hs.request("HEAD", f"/{sbucket}/ck", headers=ssec_headers(key)).status_code == 404
    ok = hs.request("POST", f"/{sbucket}/ck", params={"uploadId": uid}, body=xml, headers=ssec_headers(key))
    assert ok.status_code == 200, ok.text


# ================================================================ POST Object (form fields, §1.1)

def _post(ep, bucket, key, fields, body=b"form body"):
    presigned = ep.s3.generate_presigned_post(bucket, key, Fields=fields,
                                              Conditions=[{k: v} for k, v in fields.items()], ExpiresIn=300)
    return requests.post(presigned["url"], data=presigned["fields"], verify=ep.verify, timeout=60,
                         files={"file": ("f.bin", body, "application/octet-stream")})


def test_post_object_sse_kms_and_sse_c_fields(hs, hs3, sbucket, kms_key):
    """§1.1: POST Object takes the SSE names as form fields."""
    resp = _post(hs, sbucket, "post-kms", {SSE_H: "aws:kms", SSE_KMS_KEY_H: kms_key["alias"]}, MARKER)
    assert resp.status_code == 204, resp.text
    assert resp.headers[SSE_H] == "aws:kms" and resp.headers[SSE_KMS_KEY_H] == kms_key["arn"]
    info = inspect_object(hs, sbucket, "post-kms")
    assert (info["mode"], info["kms_key_arn"]) == ("SSE-KMS", kms_key["arn"])
    key = new_customer_key("POST SSE-C key")
    fields = {SSEC_ALG_H: "AES256", SSEC_KEY_H: b64(key), SSEC_MD5_H: md5_b64(key)}
    resp = _post(hs, sbucket, "post-c", fields, MARKER)
    assert resp.status_code == 204, resp.text
    assert resp.headers[SSEC_MD5_H] == md5_b64(key) and SSE_H not in resp.headers
    assert hs3.get_object(Bucket=sbucket, Key="post-c", **ssec_args(key))["Body"].read() == MARKER
    assert inspect_object(hs, sbucket, "post-c")["mode"] == "SSE-C"


def test_post_object_transport_rules(server):
    """E-C1 / E-K8 apply to POST Object over plain HTTP."""
    h = shared_endpoint(server, "http")
    bucket = h.create_bucket("posthttp")
    allow_ssec(h.s3, bucket)
    key = new_customer_key()
    resp = _post(h, bucket, "c", {SSEC_ALG_H: "AES256", SSEC_KEY_H: b64(key), SSEC_MD5_H: md5_b64(key)})
    assert_exact_error(resp, 400, "InvalidRequest", "Requests specifying Server Side Encryption with Customer "
                       "provided keys must be made over a secure connection.")
    resp = _post(h, bucket, "k", {SSE_H: "aws:kms"})
    assert_exact_error(resp, 400, "InvalidArgument", "Requests specifying Server Side Encryption with AWS KMS "
                       "managed keys must be made over a secure connection.")
    resp = _post(h, bucket, "s3", {SSE_H: "AES256"})
    assert resp.status_code == 204, resp.text
    assert resp.headers[SSE_H] == "AES256"


# ================================================================ secrets (keep last)

def _exercise_every_sse_path(hs, kms_key, five_mib):
    """A workload touching every SSE-C path (and the marker in every mode), successes and failures."""
    s3 = hs.s3
    bucket = ssec_bucket(hs)
    k1, k2, k3 = (new_customer_key(f"secrets workload key {i}") for i in range(3))
    short = new_customer_key("secrets short key", size=24)
    for mode in MODES:
        arn, ck = (kms_key["arn"], None) if "KMS" in mode else (None, k1 if mode == "SSE-C" else None)
        s3.put_object(Bucket=bucket, Key=f"marker-{mode}", Body=MARKER * 3, **write_args(mode, arn, ck))
        s3.get_object(Bucket=bucket, Key=f"marker-{mode}", **read_args(mode, ck))["Body"].read()
    s3.get_object(Bucket=bucket, Key="marker-SSE-C", Range="bytes=3-9", **ssec_args(k1))["Body"].read()
    s3.head_object(Bucket=bucket, Key="marker-SSE-C", **ssec_args(k1))
    s3.get_object_attributes(Bucket=bucket, Key="marker-SSE-C", ObjectAttributes=["ETag"], **ssec_args(k1))
    s3.copy_object(Bucket=bucket, Key="copy-c", CopySource={"Bucket": bucket, "Key": "marker-SSE-C"},
                   **ssec_args(k1, copy_source=True), **ssec_args(k2))
    uid = s3.create_multipart_upload(Bucket=bucket, Key="mpu-c", **ssec_args(k3))["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="mpu-c", UploadId=uid, PartNumber=1, Body=five_mib, **ssec_args(k3))["ETag"]
    e2 = s3.upload_part_copy(Bucket=bucket, Key="mpu-c", UploadId=uid, PartNumber=2,
                             CopySource={"Bucket": bucket, "Key": "copy-c"},
                             **ssec_args(k2, copy_source=True), **ssec_args(k3))["CopyPartResult"]["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="mpu-c", UploadId=uid, **ssec_args(k3), MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    # failures: wrong key, wrong-length key, key over HTTP, mismatched MD5, blocked bucket
    failures = [
        lambda: s3.get_object(Bucket=bucket, Key="marker-SSE-C", **ssec_args(k2)),
        lambda: s3.head_object(Bucket=bucket, Key="marker-SSE-C", **ssec_args(k3)),
        lambda: s3.put_object(Bucket=bucket, Key="short", Body=b"x", **ssec_args(short)),
        lambda: s3.copy_object(Bucket=bucket, Key="c2", CopySource={"Bucket": bucket, "Key": "marker-SSE-C"},
                               **ssec_args(k3, copy_source=True)),
        lambda: shared_endpoint(hs.server, "http").s3.put_object(Bucket=bucket, Key="h", Body=b"x", **ssec_args(k1)),
        lambda: s3.put_object(Bucket=bucket, Key="md5", Body=b"x", SSECustomerAlgorithm="AES256",
                              SSECustomerKey=b64(k2), SSECustomerKeyMD5=md5_b64(k1)),
        lambda: s3.put_object(Bucket=hs.create_bucket("blocked"), Key="b", Body=b"x", **ssec_args(k3)),
    ]
    for call in failures:
        with pytest.raises(Exception):
            call()


def test_zz_sse_secrets_never_stored_or_logged(server, hs, kms_key, five_mib):
    """No SSE-C key (raw, hex, base64) and no marker plaintext may appear anywhere in the data dir
    (blobs, SQLite incl. WAL, key module) or in the server log. Runs after the SSE tests above
    (and greps for the keys of any other SSE test module that ran before it)."""
    _exercise_every_sse_path(hs, kms_key, five_mib)
    # the grep itself must find a planted key in each encoding
    planted = os.urandom(32)
    probe = server.data_dir.parent / "sse-grep-self-check.txt"
    for form in (planted, planted.hex().encode(), ("x" + b64(planted)).encode()):
        probe.write_bytes(b"prefix " + form + b" suffix")
        try:
            assert find_secret_leaks([probe], {"planted": planted}), f"grep self-check failed for {form[:10]!r}"
            assert find_secret_leaks_fast([probe], {"planted": planted, **dict(SSE_SECRETS)}), \
                f"fast grep self-check failed for {form[:10]!r}"
        finally:
            probe.unlink()
    secrets = dict(SSE_SECRETS)
    assert sum(1 for label in secrets if "key" in label) >= 4, secrets.keys()
    leaks = find_secret_leaks_fast([server.data_dir, server.log_path], secrets)
    assert not leaks, "SSE secrets leaked:\n" + "\n".join(leaks[:50])
