"""KMS JSON API (TrentService) through boto3 and raw signed requests.

Reference: /work/shared/docs/kms-and-client-side.md §0–§7 (error ``__type``s and
messages, the key-state matrix §3.2, the Decrypt check order §3.1, encryption
context rules §4, rotation §6).

This module runs its own ``s3emu serve`` (module scope, overriding the session
``server`` fixture of conftest.py), so the key listing, alias listing and the
final secrets grep see only what these tests did. ``ep`` is parametrized over
HTTP and HTTPS as everywhere else; the larger tables (key-state matrix,
not-found per operation) run over HTTP only.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import uuid

import pytest
from botocore.exceptions import ClientError

from helpers import (KMS_JSON, Server, assert_kms_raw_error, expect_kms_error, find_secret_leaks,
                     kms_alias_arn, kms_client, kms_key_arn, kms_raw, server_binary)

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
B64_RE = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
RSA_SPECS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
# Encrypt limits per spec and algorithm (§3): k - 2*hLen - 2
RSA_LIMITS = {("RSA_2048", "RSAES_OAEP_SHA_1"): 214, ("RSA_2048", "RSAES_OAEP_SHA_256"): 190,
              ("RSA_3072", "RSAES_OAEP_SHA_1"): 342, ("RSA_3072", "RSAES_OAEP_SHA_256"): 318,
              ("RSA_4096", "RSAES_OAEP_SHA_1"): 470, ("RSA_4096", "RSAES_OAEP_SHA_256"): 446}
MISSING_KEY = "0badc0de-0000-4000-8000-000000000000"

# Every secret (data key, random bytes, plaintext) a test here obtained; the last
# test greps the data dir, the server log and the audit trail for all of them.
SECRETS: dict[str, bytes] = {}


def keep(label: str, value: bytes) -> bytes:
    SECRETS[f"{label}#{len(SECRETS)}"] = value
    return value


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """This module's own server (overrides the session fixture for ep/_server_survives)."""
    base = tmp_path_factory.mktemp("s3emu-kms")
    srv = Server(base / "data", base / "server.log")
    srv.start()
    try:
        yield srv
    finally:
        for client in _CLIENTS.values():
            client.close()                   # idle keep-alive connections slow the shutdown
        _CLIENTS.clear()
        srv.stop()


_CLIENTS: dict = {}


def client_for(ep, **kw):
    key = (id(ep.server), ep.server.endpoints.get("http"), ep.scheme, tuple(sorted(kw.items())))
    if key not in _CLIENTS:
        _CLIENTS[key] = kms_client(ep, **kw)
    return _CLIENTS[key]


@pytest.fixture
def kms(ep):
    return client_for(ep)


@pytest.fixture
def kms_nv(ep):
    """No client-side parameter validation: out-of-range values reach the server."""
    return client_for(ep, validate=False)


@pytest.fixture
def http_ep(server):
    return server.endpoint("http")


@pytest.fixture
def hkms(http_ep):
    return client_for(http_ep)


@pytest.fixture
def hkms_nv(http_ep):
    return client_for(http_ep, validate=False)


def new_key(kms, **kw) -> str:
    return kms.create_key(**kw)["KeyMetadata"]["KeyId"]


def new_alias(kms, key_id: str, prefix="t") -> str:
    name = f"alias/{prefix}-{uuid.uuid4().hex[:16]}"
    kms.create_alias(AliasName=name, TargetKeyId=key_id)
    return name


_RSA_KEYS: dict = {}


def rsa_key(kms, spec: str) -> str:
    """One RSA key per spec for the module (key generation is the slow part)."""
    if spec not in _RSA_KEYS:
        _RSA_KEYS[spec] = new_key(kms, KeySpec=spec, KeyUsage="ENCRYPT_DECRYPT")
    return _RSA_KEYS[spec]


def key_state(kms, key_id):
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


def assert_close(when: dt.datetime, expected: dt.datetime, slack=dt.timedelta(minutes=10)):
    assert abs(when - expected) <= slack, (when, expected)


# ---------------------------------------------------------------- pure-Python RSA helpers

def der_next(buf: bytes, i: int):
    tag, length = buf[i], buf[i + 1]
    i += 2
    if length & 0x80:
        nb = length & 0x7F
        length = int.from_bytes(buf[i:i + nb], "big")
        i += nb
    return tag, buf[i:i + length], i + length


def parse_spki_rsa(der: bytes):
    """(modulus, exponent) of a DER SubjectPublicKeyInfo holding an RSA key."""
    tag, spki, end = der_next(der, 0)
    assert tag == 0x30 and end == len(der), "SubjectPublicKeyInfo must be one SEQUENCE"
    tag, alg, i = der_next(spki, 0)
    assert tag == 0x30
    tag, oid, j = der_next(alg, 0)
    assert tag == 0x06 and oid == bytes.fromhex("2a864886f70d010101"), "not rsaEncryption"
    tag, null, _ = der_next(alg, j)
    assert (tag, null) == (0x05, b"")
    tag, bits, end = der_next(spki, i)
    assert tag == 0x03 and bits[0] == 0 and end == len(spki)
    tag, rsapub, _ = der_next(bits, 1)
    assert tag == 0x30
    tag, n, k = der_next(rsapub, 0)
    assert tag == 0x02
    tag, e, _ = der_next(rsapub, k)
    assert tag == 0x02
    return int.from_bytes(n, "big"), int.from_bytes(e, "big")


def mgf1(seed: bytes, length: int, hname: str) -> bytes:
    out, counter = b"", 0
    while len(out) < length:
        out += hashlib.new(hname, seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def oaep_encrypt(n: int, e: int, msg: bytes, hname: str) -> bytes:
    """RSAES-OAEP (RFC 8017 §7.1.1), MGF1 with the same hash, empty label."""
    k = (n.bit_length() + 7) // 8
    hlen = hashlib.new(hname).digest_size
    assert len(msg) <= k - 2 * hlen - 2
    db = hashlib.new(hname, b"").digest() + bytes(k - len(msg) - 2 * hlen - 2) + b"\x01" + msg
    seed = os.urandom(hlen)
    masked_db = bytes(a ^ b for a, b in zip(db, mgf1(seed, k - hlen - 1, hname)))
    masked_seed = bytes(a ^ b for a, b in zip(seed, mgf1(masked_db, hlen, hname)))
    em = b"\x00" + masked_seed + masked_db
    return pow(int.from_bytes(em, "big"), e, n).to_bytes(k, "big")


OAEP_HASH = {"RSAES_OAEP_SHA_1": "sha1", "RSAES_OAEP_SHA_256": "sha256"}


# ================================================================ CreateKey / DescribeKey

def test_create_key_symmetric_metadata(kms):
    before = utcnow()
    meta = kms.create_key(Description="e2e symmetric")["KeyMetadata"]
    key_id = meta["KeyId"]
    assert UUID_RE.match(key_id), key_id
    assert meta["Arn"] == kms_key_arn(key_id)
    assert meta["AWSAccountId"] == "123456789012"
    assert meta["Description"] == "e2e symmetric"
    assert meta["Enabled"] is True and meta["KeyState"] == "Enabled"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["KeySpec"] == meta["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert meta["KeyManager"] == "CUSTOMER" and meta["Origin"] == "AWS_KMS"
    assert meta["MultiRegion"] is False
    assert HEX64_RE.match(meta["CurrentKeyMaterialId"]), meta
    assert "DeletionDate" not in meta and "PendingDeletionWindowInDays" not in meta
    assert_close(meta["CreationDate"], before)
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described == meta


def test_describe_key_accepts_all_identifier_forms(kms):
    key_id = new_key(kms)
    alias = new_alias(kms, key_id)
    for ident in (key_id, kms_key_arn(key_id), alias, kms_alias_arn(alias)):
        meta = kms.describe_key(KeyId=ident)["KeyMetadata"]
        assert meta["KeyId"] == key_id, (ident, meta)          # bare UUID, never an ARN
        assert meta["Arn"] == kms_key_arn(key_id)


@pytest.mark.parametrize("spec", sorted(RSA_SPECS))
def test_create_key_rsa_metadata(hkms, spec):
    key_id = rsa_key(hkms, spec)
    meta = hkms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeySpec"] == meta["CustomerMasterKeySpec"] == spec
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert sorted(meta["EncryptionAlgorithms"]) == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    assert meta["KeyState"] == "Enabled" and meta["KeyManager"] == "CUSTOMER"
    assert "CurrentKeyMaterialId" not in meta, "CurrentKeyMaterialId is for symmetric keys only"


def test_create_key_rsa_requires_key_usage(hkms):
    # §3 CreateKey: KeyUsage is ENCRYPT_DECRYPT by default but *required* for RSA.
    with expect_kms_error("ValidationException"):
        hkms.create_key(KeySpec="RSA_2048")


@pytest.mark.parametrize("args", [{"KeySpec": "BOGUS_SPEC"}, {"KeyUsage": "FROBNICATE"}],
                         ids=["KeySpec", "KeyUsage"])
def test_create_key_bad_enum(hkms_nv, args):
    with expect_kms_error("ValidationException") as err:
        hkms_nv.create_key(**args)
    assert err["Error"]["Message"].startswith("1 validation error detected"), err


def test_create_key_with_tags(kms):
    meta = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "e2e"},
                                {"TagKey": "empty", "TagValue": ""}])["KeyMetadata"]
    tags = kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"]
    assert {t["TagKey"]: t["TagValue"] for t in tags} == {"team": "e2e", "empty": ""}


def test_update_key_description(kms):
    key_id = new_key(kms, Description="before")
    assert kms.update_key_description(KeyId=key_id, Description="after")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "after"
    kms.update_key_description(KeyId=kms_key_arn(key_id), Description="")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == ""


def test_get_key_policy(kms):
    key_id = new_key(kms)
    for kwargs in ({}, {"PolicyName": "default"}):
        resp = kms.get_key_policy(KeyId=key_id, **kwargs)
        policy = json.loads(resp["Policy"])
        assert policy["Version"] == "2012-10-17"
        assert isinstance(policy["Statement"], list) and policy["Statement"]
        assert resp.get("PolicyName", "default") == "default"


# ================================================================ ListKeys

def page_all(call, item_key, limit, **kwargs):
    items, marker, pages = [], None, 0
    while True:
        args = dict(kwargs, Limit=limit)
        if marker:
            args["Marker"] = marker
        resp = call(**args)
        pages += 1
        assert len(resp[item_key]) <= limit, resp
        if resp["Truncated"]:
            assert resp.get("NextMarker"), resp
            assert len(resp[item_key]) == limit, resp
            marker = resp["NextMarker"]
        else:
            assert "NextMarker" not in resp, resp
            items.extend(resp[item_key])
            return items, pages
        items.extend(resp[item_key])
        assert pages < 10_000


@pytest.mark.parametrize("limit", [1, 2, 7])
def test_list_keys_paging(kms, limit):
    created = {new_key(kms) for _ in range(3)}
    full, _ = page_all(kms.list_keys, "Keys", 1000)
    all_ids = [k["KeyId"] for k in full]
    assert created <= set(all_ids)
    for k in full:
        assert UUID_RE.match(k["KeyId"]) and k["KeyArn"] == kms_key_arn(k["KeyId"])
    paged, pages = page_all(kms.list_keys, "Keys", limit)
    paged_ids = [k["KeyId"] for k in paged]
    assert len(paged_ids) == len(set(paged_ids)), "a key was listed twice"
    assert set(paged_ids) == set(all_ids)
    assert pages == -(-len(all_ids) // limit) or pages == -(-len(all_ids) // limit) + 1


def test_list_keys_default_lists_everything_small(kms):
    key_id = new_key(kms)
    resp = kms.list_keys()
    assert key_id in [k["KeyId"] for k in resp["Keys"]]


@pytest.mark.parametrize("marker", ["garbage", "AAAA", "czNlbXU6OTk5OTk5"])
def test_list_keys_bad_marker(kms, marker):
    with expect_kms_error("InvalidMarkerException"):
        kms.list_keys(Marker=marker)


LIST_LIMITS = {
    "ListKeys": (lambda k, key, **a: k.list_keys(**a), 1000),
    "ListAliases": (lambda k, key, **a: k.list_aliases(**a), 100),
    "ListResourceTags": (lambda k, key, **a: k.list_resource_tags(KeyId=key, **a), 50),
    "ListKeyRotations": (lambda k, key, **a: k.list_key_rotations(KeyId=key, **a), 1000),
}


@pytest.mark.parametrize("op", sorted(LIST_LIMITS))
def test_list_limit_bounds(hkms_nv, op):
    call, maximum = LIST_LIMITS[op]
    key_id = new_key(hkms_nv)
    call(hkms_nv, key_id, Limit=1)
    call(hkms_nv, key_id, Limit=maximum)
    for bad in (0, maximum + 1):
        with expect_kms_error("ValidationException") as err:
            call(hkms_nv, key_id, Limit=bad)
        assert err["Error"]["Message"].startswith("1 validation error detected"), err


# ================================================================ aliases

def test_alias_lifecycle(kms):
    a, b = new_key(kms), new_key(kms)
    name = f"alias/life-{uuid.uuid4().hex[:12]}"
    assert kms.create_alias(AliasName=name, TargetKeyId=a)
    for ident in (name, kms_alias_arn(name)):
        assert kms.describe_key(KeyId=ident)["KeyMetadata"]["KeyId"] == a
        out = kms.encrypt(KeyId=ident, Plaintext=b"via alias")
        assert out["KeyId"] == kms_key_arn(a)
    listed = [x for x in kms.list_aliases(KeyId=a)["Aliases"] if x["AliasName"] == name]
    assert len(listed) == 1
    entry = listed[0]
    assert entry["AliasArn"] == kms_alias_arn(name)
    assert entry["TargetKeyId"] == a
    assert isinstance(entry["CreationDate"], dt.datetime)
    created = entry["CreationDate"]

    kms.update_alias(AliasName=name, TargetKeyId=kms_key_arn(b))
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == b
    assert not [x for x in kms.list_aliases(KeyId=a)["Aliases"] if x["AliasName"] == name]
    moved = [x for x in kms.list_aliases(KeyId=b)["Aliases"] if x["AliasName"] == name][0]
    assert moved["TargetKeyId"] == b
    assert moved["CreationDate"] == created
    assert moved["LastUpdatedDate"] >= created

    kms.delete_alias(AliasName=name)
    with expect_kms_error("NotFoundException",
                          message=f"Alias {kms_alias_arn(name)} is not found."):
        kms.describe_key(KeyId=name)
    with expect_kms_error("NotFoundException"):
        kms.delete_alias(AliasName=name)
    # the keys themselves are untouched
    assert key_state(kms, a) == key_state(kms, b) == "Enabled"


def test_key_with_many_aliases(kms):
    key_id = new_key(kms)
    names = sorted(new_alias(kms, key_id, "many") for _ in range(3))
    listed = kms.list_aliases(KeyId=key_id)["Aliases"]
    assert sorted(x["AliasName"] for x in listed) == names
    assert all(x["TargetKeyId"] == key_id for x in listed)
    # the key ARN works as the filter too
    listed = kms.list_aliases(KeyId=kms_key_arn(key_id))["Aliases"]
    assert sorted(x["AliasName"] for x in listed) == names
    # aliases are not part of DescribeKey
    assert "Aliases" not in kms.describe_key(KeyId=key_id)["KeyMetadata"]


def test_create_alias_already_exists(kms):
    a, b = new_key(kms), new_key(kms)
    name = new_alias(kms, a)
    with expect_kms_error("AlreadyExistsException", message_contains=kms_alias_arn(name)):
        kms.create_alias(AliasName=name, TargetKeyId=b)
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == a


@pytest.mark.parametrize("name", ["noprefix", "alias/", "alias/with space", "alias/bad$char",
                                  "alias/ünïcode", "ALIAS/upper"])
def test_create_alias_invalid_name(kms_nv, name):
    key_id = new_key(kms_nv)
    with pytest.raises(ClientError) as exc:
        kms_nv.create_alias(AliasName=name, TargetKeyId=key_id)
    assert exc.value.response["Error"]["Code"] in ("InvalidAliasNameException",
                                                   "ValidationException"), exc.value.response
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_create_alias_invalid_characters_is_invalid_alias_name(kms):
    key_id = new_key(kms)
    for name in ("noprefix", "alias/bad$char"):
        with expect_kms_error("InvalidAliasNameException"):
            kms.create_alias(AliasName=name, TargetKeyId=key_id)


def test_alias_name_too_long(kms_nv):
    key_id = new_key(kms_nv)
    ok = f"alias/{uuid.uuid4().hex}" + "a" * 218    # exactly 256 characters
    assert len(ok) == 256
    kms_nv.create_alias(AliasName=ok, TargetKeyId=key_id)
    assert kms_nv.describe_key(KeyId=ok)["KeyMetadata"]["KeyId"] == key_id
    with pytest.raises(ClientError) as exc:
        kms_nv.create_alias(AliasName=ok + "b", TargetKeyId=key_id)
    assert exc.value.response["Error"]["Code"] in ("ValidationException",
                                                   "InvalidAliasNameException")


def test_alias_aws_prefix_is_reserved(kms):
    key_id = new_key(kms)
    codes = set()
    for call in (lambda: kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=key_id),
                 lambda: kms.update_alias(AliasName="alias/aws/s3", TargetKeyId=key_id),
                 lambda: kms.delete_alias(AliasName="alias/aws/s3")):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        codes.add(exc.value.response["Error"]["Code"])
    assert codes <= {"NotAuthorizedException", "InvalidAliasNameException"}, codes
    with expect_kms_error("NotFoundException"):
        kms.describe_key(KeyId="alias/aws/mine")


def test_alias_targets_must_exist(kms):
    key_id = new_key(kms)
    name = new_alias(kms, key_id)
    missing_msg = f"Key '{kms_key_arn(MISSING_KEY)}' does not exist"
    with expect_kms_error("NotFoundException", message=missing_msg):
        kms.create_alias(AliasName=f"alias/x-{uuid.uuid4().hex[:8]}", TargetKeyId=MISSING_KEY)
    with expect_kms_error("NotFoundException"):
        kms.update_alias(AliasName=name, TargetKeyId=MISSING_KEY)
    with expect_kms_error("NotFoundException"):
        kms.update_alias(AliasName=f"alias/nope-{uuid.uuid4().hex[:8]}", TargetKeyId=key_id)
    # management operations take a key id or key ARN, not an alias (§2)
    with expect_kms_error("NotFoundException"):
        kms.create_alias(AliasName=f"alias/y-{uuid.uuid4().hex[:8]}", TargetKeyId=name)
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key_id


def test_update_alias_needs_same_key_type(hkms):
    sym = new_key(hkms)
    name = new_alias(hkms, sym)
    with pytest.raises(ClientError) as exc:
        hkms.update_alias(AliasName=name, TargetKeyId=rsa_key(hkms, "RSA_2048"))
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert hkms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == sym


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_list_aliases_paging(kms, limit):
    key_id = new_key(kms)
    for _ in range(3):
        new_alias(kms, key_id, "page")
    full, _ = page_all(kms.list_aliases, "Aliases", 100)
    names = [a["AliasName"] for a in full]
    paged, _ = page_all(kms.list_aliases, "Aliases", limit)
    paged_names = [a["AliasName"] for a in paged]
    assert len(paged_names) == len(set(paged_names))
    assert set(paged_names) == set(names)
    # filtered and paged
    paged, _ = page_all(kms.list_aliases, "Aliases", limit, KeyId=key_id)
    assert len(paged) == 3 and all(a["TargetKeyId"] == key_id for a in paged)


@pytest.mark.parametrize("marker", ["garbage", "AAAA"])
def test_list_aliases_bad_marker(kms, marker):
    with expect_kms_error("InvalidMarkerException"):
        kms.list_aliases(Marker=marker)


def test_list_aliases_unknown_key(kms):
    with expect_kms_error("NotFoundException"):
        kms.list_aliases(KeyId=MISSING_KEY)
    assert kms.list_aliases(KeyId=new_key(kms))["Aliases"] == []


def test_aws_managed_s3_key(kms):
    meta = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    assert meta["KeyState"] == "Enabled" and meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert UUID_RE.match(meta["KeyId"])
    # created once: the same key on every later use
    assert kms.describe_key(KeyId=kms_alias_arn("alias/aws/s3"))["KeyMetadata"]["KeyId"] == meta["KeyId"]
    dk = kms.generate_data_key(KeyId="alias/aws/s3", KeySpec="AES_256",
                               EncryptionContext={"aws:s3:arn": "arn:aws:s3:::b/k"})
    keep("aws/s3 data key", dk["Plaintext"])
    assert dk["KeyId"] == meta["Arn"]
    entry = [a for a in page_all(kms.list_aliases, "Aliases", 100)[0]
             if a["AliasName"] == "alias/aws/s3"]
    assert len(entry) == 1 and entry[0]["TargetKeyId"] == meta["KeyId"]
    # AWS-managed keys always rotate (§3, GetKeyRotationStatus)
    assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is True


def test_rotate_on_demand_rejects_aws_managed_key(hkms):
    # §3 RotateKeyOnDemand: symmetric customer-managed keys only
    key_id = hkms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as exc:
        hkms.rotate_key_on_demand(KeyId=key_id)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert exc.value.response["Error"]["Code"] == "UnsupportedOperationException", exc.value.response
    assert hkms.list_key_rotations(KeyId=key_id)["Rotations"] == []


def test_aws_managed_key_rotation_cannot_be_changed(hkms):
    key_id = hkms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]
    # §6: "AWS-managed keys rotate yearly, and their rotation cannot be changed."
    for call in (lambda: hkms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90),
                 lambda: hkms.disable_key_rotation(KeyId=key_id)):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    status = hkms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True
    assert status.get("RotationPeriodInDays", 365) == 365


# ================================================================ Encrypt / Decrypt

def test_encrypt_decrypt_round_trip(kms):
    key_id = new_key(kms)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    plaintext = keep("encrypt plaintext", os.urandom(100))
    ctx = {"purpose": "e2e", "aws:s3:arn": "arn:aws:s3:::bucket/key"}
    enc = kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionContext=ctx)
    assert enc["KeyId"] == kms_key_arn(key_id)
    assert enc["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = enc["CiphertextBlob"]
    assert plaintext not in blob
    assert len(blob) <= 6144
    dec = kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)   # no KeyId
    assert dec["Plaintext"] == plaintext
    assert dec["KeyId"] == kms_key_arn(key_id)
    assert dec["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert dec["KeyMaterialId"] == meta["CurrentKeyMaterialId"]
    # two encryptions of the same plaintext differ (random nonce)
    again = kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionContext=ctx)
    assert again["CiphertextBlob"] != blob


def test_decrypt_with_key_id_in_every_form(kms):
    key_id = new_key(kms)
    alias = new_alias(kms, key_id)
    blob = kms.encrypt(KeyId=alias, Plaintext=b"forms")["CiphertextBlob"]
    for ident in (key_id, kms_key_arn(key_id), alias, kms_alias_arn(alias)):
        dec = kms.decrypt(CiphertextBlob=blob, KeyId=ident)
        assert dec["Plaintext"] == b"forms" and dec["KeyId"] == kms_key_arn(key_id)


@pytest.mark.parametrize("size", [1, 4096])
def test_encrypt_plaintext_size_limits_ok(kms, size):
    key_id = new_key(kms)
    data = os.urandom(size)
    blob = kms.encrypt(KeyId=key_id, Plaintext=data)["CiphertextBlob"]
    assert len(blob) <= 6144
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == data


@pytest.mark.parametrize("size", [0, 4097])
def test_encrypt_plaintext_size_limits_rejected(kms_nv, size):
    key_id = new_key(kms_nv)
    with expect_kms_error("ValidationException") as err:
        kms_nv.encrypt(KeyId=key_id, Plaintext=b"p" * size)
    msg = err["Error"]["Message"]
    assert msg.startswith("1 validation error detected:") and "plaintext" in msg, msg


def test_decrypt_blob_length_limits(kms_nv):
    with expect_kms_error("ValidationException"):
        kms_nv.decrypt(CiphertextBlob=b"")
    with expect_kms_error("ValidationException") as err:
        kms_nv.decrypt(CiphertextBlob=b"\x01" * 6145)
    assert "ciphertextBlob" in err["Error"]["Message"] or "CiphertextBlob" in err["Error"]["Message"]


def test_encryption_context_rules(kms):
    key_id = new_key(kms)
    ctx = {"b": "2", "a": "1", "aws:x-amz-cek-alg": "115", "Case": "Sensitive", "empty": ""}
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"ctx", EncryptionContext=ctx)["CiphertextBlob"]
    # order does not matter (boto3 keeps dict order on the wire)
    reordered = dict(reversed(list(ctx.items())))
    assert list(reordered) != list(ctx)
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=reordered)["Plaintext"] == b"ctx"
    wrong = [
        {},                                                    # missing
        {k: v for k, v in ctx.items() if k != "a"},            # one pair missing
        dict(ctx, extra="x"),                                  # extra pair
        dict(ctx, a="2"),                                      # wrong value
        {("case" if k == "Case" else k): v for k, v in ctx.items()},   # key case differs
        dict(ctx, Case="sensitive"),                           # value case differs
    ]
    for bad in wrong:
        with expect_kms_error("InvalidCiphertextException"):
            kms.decrypt(CiphertextBlob=blob, EncryptionContext=bad)


def test_encryption_context_absent_equals_empty(kms):
    key_id = new_key(kms)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"noctx")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={})["Plaintext"] == b"noctx"
    blob2 = kms.encrypt(KeyId=key_id, Plaintext=b"emptyctx", EncryptionContext={})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob2)["Plaintext"] == b"emptyctx"
    with expect_kms_error("InvalidCiphertextException"):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "1"})


def test_encryption_context_is_not_ambiguous(kms):
    # §4: canonicalise with length prefixes; {"ab":"c"} and {"a":"bc"} must differ.
    key_id = new_key(kms)
    pairs = [({"ab": "c"}, {"a": "bc"}), ({"a": "b", "c": "d"}, {"a": "bc", "": "d"}),
             ({"k": "v1"}, {"kv": "1"})]
    for enc_ctx, dec_ctx in pairs:
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"amb",
                           EncryptionContext=enc_ctx)["CiphertextBlob"]
        with pytest.raises(ClientError) as exc:
            kms.decrypt(CiphertextBlob=blob, EncryptionContext=dec_ctx)
        assert exc.value.response["Error"]["Code"] in ("InvalidCiphertextException",
                                                       "ValidationException"), (enc_ctx, dec_ctx)


def test_encryption_context_unicode(kms):
    key_id = new_key(kms)
    ctx = {"tenant": "acmé €", "ключ": "значение"}
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"u", EncryptionContext=ctx)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"] == b"u"
    with expect_kms_error("InvalidCiphertextException"):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"tenant": "acme €", "ключ": "значение"})


def test_decrypt_tampered_blob(hkms):
    key_id = new_key(hkms)
    blob = hkms.encrypt(KeyId=key_id, Plaintext=b"tamper me",
                        EncryptionContext={"c": "1"})["CiphertextBlob"]
    results = {}
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        try:
            hkms.decrypt(CiphertextBlob=bytes(bad), EncryptionContext={"c": "1"})
            results[i] = "SUCCEEDED"
        except ClientError as exc:
            meta = exc.response["ResponseMetadata"]
            results[i] = f"{meta['HTTPStatusCode']} {exc.response['Error']['Code']}"
    # The blob is opaque: a flipped bit anywhere must be rejected. The last 16
    # bytes (the GCM tag in any sane layout) must give InvalidCiphertextException;
    # a changed key id may also be reported as an unknown key.
    allowed = {"400 InvalidCiphertextException", "400 NotFoundException"}
    bad_positions = {i: r for i, r in results.items() if r not in allowed}
    assert not bad_positions, bad_positions
    tail = {i: results[i] for i in range(len(blob) - 16, len(blob))}
    assert set(tail.values()) == {"400 InvalidCiphertextException"}, tail
    assert results[0] == "400 InvalidCiphertextException", "version byte"
    # truncated, extended and garbage blobs
    for bad in (blob[:-1], blob[:20], blob + b"\x00", b"\xff" + os.urandom(len(blob) - 1), b"\x01"):
        with expect_kms_error("InvalidCiphertextException"):
            hkms.decrypt(CiphertextBlob=bad, EncryptionContext={"c": "1"})
    assert hkms.decrypt(CiphertextBlob=blob, EncryptionContext={"c": "1"})["Plaintext"] == b"tamper me"


def test_decrypt_incorrect_key(kms):
    a, b = new_key(kms), new_key(kms)
    alias_b = new_alias(kms, b)
    blob = kms.encrypt(KeyId=a, Plaintext=b"for a")["CiphertextBlob"]
    for other in (b, kms_key_arn(b), alias_b, kms_alias_arn(alias_b)):
        with expect_kms_error("IncorrectKeyException"):
            kms.decrypt(CiphertextBlob=blob, KeyId=other)
    # §3.1 step 3: an unknown KeyId is resolved (NotFound) before the comparison
    with expect_kms_error("NotFoundException"):
        kms.decrypt(CiphertextBlob=blob, KeyId=MISSING_KEY)
    with expect_kms_error("NotFoundException"):
        kms.decrypt(CiphertextBlob=blob, KeyId="alias/does-not-exist-" + uuid.uuid4().hex[:6])
    # IncorrectKey is checked before the context (step 3 before step 6)
    with expect_kms_error("IncorrectKeyException"):
        kms.decrypt(CiphertextBlob=blob, KeyId=b, EncryptionContext={"wrong": "ctx"})


def test_decrypt_check_order(kms):
    """§3.1: parse (2) → KeyId resolve/compare (3) → state (5) → GCM open (6)."""
    a, b = new_key(kms), new_key(kms)
    blob = kms.encrypt(KeyId=a, Plaintext=b"order", EncryptionContext={"c": "1"})["CiphertextBlob"]
    # an unparsable blob is InvalidCiphertext even when a (foreign) KeyId is given
    with expect_kms_error("InvalidCiphertextException"):
        kms.decrypt(CiphertextBlob=b"\xff" + os.urandom(80), KeyId=b)
    kms.disable_key(KeyId=a)
    # the key comparison comes before the state check ...
    with expect_kms_error("IncorrectKeyException"):
        kms.decrypt(CiphertextBlob=blob, KeyId=b, EncryptionContext={"c": "1"})
    # ... and the state check before the context check
    with expect_kms_error("DisabledException", message=f"{kms_key_arn(a)} is disabled."):
        kms.decrypt(CiphertextBlob=blob, KeyId=a, EncryptionContext={"c": "wrong"})


def test_decrypt_check_order_disabled_before_context(kms):
    # §3.1: state (step 5) is checked before the GCM open (step 6)
    key_id = new_key(kms)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"a": "1"})["CiphertextBlob"]
    kms.disable_key(KeyId=key_id)
    with expect_kms_error("DisabledException", message=f"{kms_key_arn(key_id)} is disabled."):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "wrong"})


# ================================================================ GenerateDataKey / Random

@pytest.mark.parametrize("args,size", [({"KeySpec": "AES_256"}, 32), ({"KeySpec": "AES_128"}, 16),
                                       ({"NumberOfBytes": 1}, 1), ({"NumberOfBytes": 64}, 64),
                                       ({"NumberOfBytes": 1024}, 1024)],
                         ids=["AES_256", "AES_128", "n1", "n64", "n1024"])
def test_generate_data_key(kms, args, size):
    key_id = new_key(kms)
    ctx = {"aws:s3:arn": "arn:aws:s3:::bucket/obj"}
    resp = kms.generate_data_key(KeyId=key_id, EncryptionContext=ctx, **args)
    pt = keep(f"GenerateDataKey {args}", resp["Plaintext"])
    assert len(pt) == size
    assert resp["KeyId"] == kms_key_arn(key_id)
    assert resp["KeyMaterialId"] == kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert pt not in resp["CiphertextBlob"] or size < 8
    dec = kms.decrypt(CiphertextBlob=resp["CiphertextBlob"], EncryptionContext=ctx)
    assert dec["Plaintext"] == pt and dec["KeyId"] == kms_key_arn(key_id)
    with expect_kms_error("InvalidCiphertextException"):
        kms.decrypt(CiphertextBlob=resp["CiphertextBlob"])


def test_generate_data_key_without_plaintext(kms):
    key_id = new_key(kms)
    alias = new_alias(kms, key_id)
    resp = kms.generate_data_key_without_plaintext(KeyId=alias, KeySpec="AES_256",
                                                   EncryptionContext={"k": "v"})
    assert "Plaintext" not in resp
    assert resp["KeyId"] == kms_key_arn(key_id)
    assert HEX64_RE.match(resp["KeyMaterialId"])
    pt = kms.decrypt(CiphertextBlob=resp["CiphertextBlob"], EncryptionContext={"k": "v"})["Plaintext"]
    keep("GenerateDataKeyWithoutPlaintext (decrypted)", pt)
    assert len(pt) == 32
    resp = kms.generate_data_key_without_plaintext(KeyId=key_id, NumberOfBytes=48)
    assert len(keep("GDKWP 48", kms.decrypt(CiphertextBlob=resp["CiphertextBlob"])["Plaintext"])) == 48


@pytest.mark.parametrize("op", ["generate_data_key", "generate_data_key_without_plaintext"])
@pytest.mark.parametrize("args", [{}, {"KeySpec": "AES_256", "NumberOfBytes": 32},
                                  {"NumberOfBytes": 0}, {"NumberOfBytes": 1025},
                                  {"NumberOfBytes": -1}, {"KeySpec": "AES_512"}],
                         ids=["neither", "both", "n0", "n1025", "n-1", "badspec"])
def test_generate_data_key_validation(hkms_nv, op, args):
    key_id = new_key(hkms_nv)
    with expect_kms_error("ValidationException") as err:
        getattr(hkms_nv, op)(KeyId=key_id, **args)
    msg = err["Error"]["Message"]
    if args.get("NumberOfBytes") in (0, -1):
        assert "greater than or equal to 1" in msg, msg
    if args.get("NumberOfBytes") == 1025:
        assert "less than or equal to 1024" in msg, msg


def test_generate_data_key_rsa_key_is_invalid_usage(hkms):
    with expect_kms_error("InvalidKeyUsageException"):
        hkms.generate_data_key(KeyId=rsa_key(hkms, "RSA_2048"), KeySpec="AES_256")
    with expect_kms_error("InvalidKeyUsageException"):
        hkms.generate_data_key_without_plaintext(KeyId=rsa_key(hkms, "RSA_2048"), NumberOfBytes=16)


@pytest.mark.parametrize("n", [1, 16, 32, 1024])
def test_generate_random(kms, n):
    a = kms.generate_random(NumberOfBytes=n)["Plaintext"]
    b = kms.generate_random(NumberOfBytes=n)["Plaintext"]
    keep("GenerateRandom", a)
    keep("GenerateRandom", b)
    assert len(a) == len(b) == n
    if n >= 16:
        assert a != b


@pytest.mark.parametrize("args", [{}, {"NumberOfBytes": 0}, {"NumberOfBytes": 1025}],
                         ids=["missing", "n0", "n1025"])
def test_generate_random_validation(kms_nv, args):
    with expect_kms_error("ValidationException") as err:
        kms_nv.generate_random(**args)
    if args.get("NumberOfBytes") == 0:
        assert "greater than or equal to 1" in err["Error"]["Message"], err
    if args.get("NumberOfBytes") == 1025:
        assert "less than or equal to 1024" in err["Error"]["Message"], err


# ================================================================ KeyId shapes

def test_crypto_ops_return_key_arn(kms):
    key_id = new_key(kms)
    alias = new_alias(kms, key_id)
    arn = kms_key_arn(key_id)
    for ident in (key_id, arn, alias, kms_alias_arn(alias)):
        enc = kms.encrypt(KeyId=ident, Plaintext=b"arn")
        assert enc["KeyId"] == arn
        assert kms.decrypt(CiphertextBlob=enc["CiphertextBlob"])["KeyId"] == arn
        gdk = kms.generate_data_key(KeyId=ident, KeySpec="AES_128")
        keep("GDK arn test", gdk["Plaintext"])
        assert gdk["KeyId"] == arn
        assert kms.generate_data_key_without_plaintext(KeyId=ident, KeySpec="AES_128")["KeyId"] == arn
        re_ = kms.re_encrypt(CiphertextBlob=enc["CiphertextBlob"], DestinationKeyId=ident)
        assert re_["KeyId"] == arn and re_["SourceKeyId"] == arn
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyId"] == key_id
    sched = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert sched["KeyId"] == arn
    assert kms.cancel_key_deletion(KeyId=key_id)["KeyId"] == arn


# ================================================================ NotFound per operation

NOT_FOUND_OPS = {
    "DescribeKey": lambda k, i: k.describe_key(KeyId=i),
    "Encrypt": lambda k, i: k.encrypt(KeyId=i, Plaintext=b"x"),
    "GenerateDataKey": lambda k, i: k.generate_data_key(KeyId=i, KeySpec="AES_256"),
    "GenerateDataKeyWithoutPlaintext":
        lambda k, i: k.generate_data_key_without_plaintext(KeyId=i, KeySpec="AES_256"),
    "GetPublicKey": lambda k, i: k.get_public_key(KeyId=i),
    "EnableKey": lambda k, i: k.enable_key(KeyId=i),
    "DisableKey": lambda k, i: k.disable_key(KeyId=i),
    "ScheduleKeyDeletion": lambda k, i: k.schedule_key_deletion(KeyId=i, PendingWindowInDays=7),
    "CancelKeyDeletion": lambda k, i: k.cancel_key_deletion(KeyId=i),
    "EnableKeyRotation": lambda k, i: k.enable_key_rotation(KeyId=i),
    "DisableKeyRotation": lambda k, i: k.disable_key_rotation(KeyId=i),
    "GetKeyRotationStatus": lambda k, i: k.get_key_rotation_status(KeyId=i),
    "RotateKeyOnDemand": lambda k, i: k.rotate_key_on_demand(KeyId=i),
    "ListKeyRotations": lambda k, i: k.list_key_rotations(KeyId=i),
    "TagResource": lambda k, i: k.tag_resource(KeyId=i, Tags=[{"TagKey": "a", "TagValue": "b"}]),
    "UntagResource": lambda k, i: k.untag_resource(KeyId=i, TagKeys=["a"]),
    "ListResourceTags": lambda k, i: k.list_resource_tags(KeyId=i),
    "UpdateKeyDescription": lambda k, i: k.update_key_description(KeyId=i, Description="d"),
    "GetKeyPolicy": lambda k, i: k.get_key_policy(KeyId=i, PolicyName="default"),
    "ListAliases": lambda k, i: k.list_aliases(KeyId=i),
}
# Operations that accept alias names (§2); the others take a key id or ARN only.
ALIAS_OPS = {"DescribeKey", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
             "GetPublicKey"}


NOT_FOUND_CASES = [(op, form) for op in sorted(NOT_FOUND_OPS)
                   for form in ("id", "arn", "alias", "alias-arn")
                   if op in ALIAS_OPS or not form.startswith("alias")]


@pytest.mark.parametrize("op,form", NOT_FOUND_CASES, ids=[f"{o}-{f}" for o, f in NOT_FOUND_CASES])
def test_not_found(hkms, op, form):
    alias = f"alias/missing-{uuid.uuid4().hex[:8]}"
    ident = {"id": MISSING_KEY, "arn": kms_key_arn(MISSING_KEY), "alias": alias,
             "alias-arn": kms_alias_arn(alias)}[form]
    expected = (f"Alias {kms_alias_arn(alias)} is not found." if form.startswith("alias")
                else f"Key '{kms_key_arn(MISSING_KEY)}' does not exist")
    with expect_kms_error("NotFoundException", message=expected):
        NOT_FOUND_OPS[op](hkms, ident)


def test_not_found_reencrypt_destination(hkms):
    blob = hkms.encrypt(KeyId=new_key(hkms), Plaintext=b"x")["CiphertextBlob"]
    with expect_kms_error("NotFoundException"):
        hkms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=MISSING_KEY)
    with expect_kms_error("NotFoundException"):
        hkms.re_encrypt(CiphertextBlob=blob, DestinationKeyId="alias/nope-" + uuid.uuid4().hex[:6])


@pytest.mark.parametrize("op", sorted(set(NOT_FOUND_OPS) - ALIAS_OPS))
def test_management_ops_reject_alias(hkms, op):
    key_id = new_key(hkms)
    alias = new_alias(hkms, key_id)
    with expect_kms_error("NotFoundException"):
        NOT_FOUND_OPS[op](hkms, alias)
    assert key_state(hkms, key_id) == "Enabled"


# ================================================================ key states (§3.2)

def _setup_state_key(kms, state):
    """A key with an alias, a tag, rotation on and a ciphertext, then put in ``state``."""
    key_id = new_key(kms)
    other = new_key(kms)
    alias = new_alias(kms, key_id, "st")
    other_alias = new_alias(kms, other, "st2")
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "t", "TagValue": "v"}])
    kms.enable_key_rotation(KeyId=key_id)
    ctx = {"state": "test"}
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"state", EncryptionContext=ctx)["CiphertextBlob"]
    other_blob = kms.encrypt(KeyId=other, Plaintext=b"other")["CiphertextBlob"]
    if state == "Disabled":
        kms.disable_key(KeyId=key_id)
    elif state == "PendingDeletion":
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert key_state(kms, key_id) == state
    return dict(key=key_id, other=other, alias=alias, other_alias=other_alias, blob=blob,
                other_blob=other_blob, ctx=ctx)


STATE_OPS = {
    "Encrypt": lambda k, s: k.encrypt(KeyId=s["key"], Plaintext=b"x"),
    "Decrypt": lambda k, s: k.decrypt(CiphertextBlob=s["blob"], EncryptionContext=s["ctx"]),
    "ReEncrypt-source": lambda k, s: k.re_encrypt(CiphertextBlob=s["blob"],
                                                   SourceEncryptionContext=s["ctx"],
                                                   DestinationKeyId=s["other"]),
    "ReEncrypt-destination": lambda k, s: k.re_encrypt(CiphertextBlob=s["other_blob"],
                                                        DestinationKeyId=s["key"]),
    "GenerateDataKey": lambda k, s: k.generate_data_key(KeyId=s["key"], KeySpec="AES_256"),
    "GenerateDataKeyWithoutPlaintext":
        lambda k, s: k.generate_data_key_without_plaintext(KeyId=s["key"], KeySpec="AES_256"),
    "DescribeKey": lambda k, s: k.describe_key(KeyId=s["key"]),
    "ListAliases": lambda k, s: k.list_aliases(KeyId=s["key"]),
    "DeleteAlias": lambda k, s: k.delete_alias(AliasName=s["alias"]),
    "ListResourceTags": lambda k, s: k.list_resource_tags(KeyId=s["key"]),
    "GetKeyRotationStatus": lambda k, s: k.get_key_rotation_status(KeyId=s["key"]),
    "ListKeys": lambda k, s: {"Keys": page_all(k.list_keys, "Keys", 1000)[0]},
    "EnableKey": lambda k, s: k.enable_key(KeyId=s["key"]),
    "DisableKey": lambda k, s: k.disable_key(KeyId=s["key"]),
    "CreateAlias": lambda k, s: k.create_alias(AliasName=f"alias/new-{uuid.uuid4().hex[:10]}",
                                               TargetKeyId=s["key"]),
    "UpdateAlias": lambda k, s: k.update_alias(AliasName=s["other_alias"], TargetKeyId=s["key"]),
    "TagResource": lambda k, s: k.tag_resource(KeyId=s["key"],
                                               Tags=[{"TagKey": "t2", "TagValue": "v2"}]),
    "UntagResource": lambda k, s: k.untag_resource(KeyId=s["key"], TagKeys=["t"]),
    "ScheduleKeyDeletion": lambda k, s: k.schedule_key_deletion(KeyId=s["key"],
                                                                PendingWindowInDays=7),
    "CancelKeyDeletion": lambda k, s: k.cancel_key_deletion(KeyId=s["key"]),
    "EnableKeyRotation": lambda k, s: k.enable_key_rotation(KeyId=s["key"]),
    "DisableKeyRotation": lambda k, s: k.disable_key_rotation(KeyId=s["key"]),
    "RotateKeyOnDemand": lambda k, s: k.rotate_key_on_demand(KeyId=s["key"]),
}
OK, DIS, INV = "ok", "DisabledException", "KMSInvalidStateException"
CRYPTO_OPS = {"Encrypt", "Decrypt", "ReEncrypt-source", "ReEncrypt-destination",
              "GenerateDataKey", "GenerateDataKeyWithoutPlaintext"}
MATRIX = {}
for _op in CRYPTO_OPS:
    MATRIX[_op] = (OK, DIS, INV)
for _op in ("DescribeKey", "ListAliases", "DeleteAlias", "ListResourceTags",
            "GetKeyRotationStatus", "ListKeys"):
    MATRIX[_op] = (OK, OK, OK)
for _op in ("EnableKey", "DisableKey", "CreateAlias", "UpdateAlias", "TagResource",
            "UntagResource", "ScheduleKeyDeletion"):
    MATRIX[_op] = (OK, OK, INV)
MATRIX["CancelKeyDeletion"] = (INV, INV, OK)
for _op in ("EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand"):
    MATRIX[_op] = (OK, DIS, INV)
STATES = ("Enabled", "Disabled", "PendingDeletion")
MATRIX_CASES = [(op, st, MATRIX[op][i]) for op in sorted(MATRIX) for i, st in enumerate(STATES)]


@pytest.mark.parametrize("op,state,expected", MATRIX_CASES,
                         ids=[f"{o}-{s}" for o, s, _ in MATRIX_CASES])
def test_key_state_matrix(hkms, op, state, expected):
    s = _setup_state_key(hkms, state)
    arn = kms_key_arn(s["key"])
    if expected == OK:
        resp = STATE_OPS[op](hkms, s)
        if op in ("GenerateDataKey",):
            keep("state matrix GDK", resp["Plaintext"])
        if op == "ListKeys":
            assert s["key"] in [k["KeyId"] for k in resp["Keys"]]
        if op == "GetKeyRotationStatus":
            # §3: reports false while pending deletion
            assert resp["KeyRotationEnabled"] is (state != "PendingDeletion"), resp
        if op == "CancelKeyDeletion":
            assert key_state(hkms, s["key"]) == "Disabled"
        if op == "EnableKey":
            assert key_state(hkms, s["key"]) == "Enabled"
        if op == "DisableKey":
            assert key_state(hkms, s["key"]) == "Disabled"
        if op == "ListAliases":
            assert [a["AliasName"] for a in resp["Aliases"]] == [s["alias"]]
        if op == "DescribeKey":
            assert resp["KeyMetadata"]["KeyState"] == state
        return
    if op in CRYPTO_OPS:
        message = f"{arn} is disabled." if expected == DIS else f"{arn} is pending deletion."
        with expect_kms_error(expected, message=message):
            STATE_OPS[op](hkms, s)
    elif op == "CancelKeyDeletion":
        with expect_kms_error(expected, message_contains="is not pending deletion"):
            STATE_OPS[op](hkms, s)
    else:
        with expect_kms_error(expected):
            STATE_OPS[op](hkms, s)
    assert key_state(hkms, s["key"]) == state, "a refused operation changed the key state"


def test_disable_enable_round_trip(kms):
    key_id = new_key(kms)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    kms.disable_key(KeyId=key_id)
    kms.disable_key(KeyId=key_id)                     # idempotent
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "Disabled" and meta["Enabled"] is False
    with expect_kms_error("DisabledException", message=f"{kms_key_arn(key_id)} is disabled."):
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    with expect_kms_error("DisabledException"):
        kms.decrypt(CiphertextBlob=blob)
    kms.enable_key(KeyId=key_id)
    kms.enable_key(KeyId=kms_key_arn(key_id))         # idempotent, ARN accepted
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"
    assert kms.encrypt(KeyId=key_id, Plaintext=b"after")["KeyId"] == kms_key_arn(key_id)


# ================================================================ deletion

def test_schedule_and_cancel_key_deletion(kms):
    key_id = new_key(kms)
    alias = new_alias(kms, key_id)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"del")["CiphertextBlob"]
    before = utcnow()
    resp = kms.schedule_key_deletion(KeyId=key_id)             # default window: 30 days
    assert resp["KeyId"] == kms_key_arn(key_id)
    assert resp["KeyState"] == "PendingDeletion" and resp["PendingWindowInDays"] == 30
    assert_close(resp["DeletionDate"], before + dt.timedelta(days=30))
    meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion" and meta["Enabled"] is False
    assert meta["PendingDeletionWindowInDays"] == 30
    assert meta["DeletionDate"] == resp["DeletionDate"]
    with expect_kms_error("KMSInvalidStateException"):
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    with expect_kms_error("KMSInvalidStateException",
                          message=f"{kms_key_arn(key_id)} is pending deletion."):
        kms.decrypt(CiphertextBlob=blob)
    assert kms.cancel_key_deletion(KeyId=kms_key_arn(key_id))["KeyId"] == kms_key_arn(key_id)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "Disabled", "CancelKeyDeletion must leave the key Disabled"
    assert "DeletionDate" not in meta and "PendingDeletionWindowInDays" not in meta
    with expect_kms_error("KMSInvalidStateException", message_contains="is not pending deletion"):
        kms.cancel_key_deletion(KeyId=key_id)
    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=blob, KeyId=alias)["Plaintext"] == b"del"


@pytest.mark.parametrize("days", [7, 30])
def test_schedule_key_deletion_window_bounds_ok(kms, days):
    key_id = new_key(kms)
    before = utcnow()
    resp = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)
    assert resp["PendingWindowInDays"] == days
    assert_close(resp["DeletionDate"], before + dt.timedelta(days=days))


@pytest.mark.parametrize("days", [6, 31, 0, 365])
def test_schedule_key_deletion_window_rejected(kms_nv, days):
    key_id = new_key(kms_nv)
    with expect_kms_error("ValidationException") as err:
        kms_nv.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)
    assert err["Error"]["Message"].startswith("1 validation error detected"), err
    assert key_state(kms_nv, key_id) == "Enabled"


def test_cancel_key_deletion_not_pending(kms):
    key_id = new_key(kms)
    with expect_kms_error("KMSInvalidStateException",
                          message_contains="is not pending deletion"):
        kms.cancel_key_deletion(KeyId=key_id)
    assert key_state(kms, key_id) == "Enabled"


# ================================================================ rotation

def test_key_rotation_enable_disable_status(kms):
    key_id = new_key(kms)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is False
    assert status["KeyId"] == kms_key_arn(key_id)
    before = utcnow()
    kms.enable_key_rotation(KeyId=key_id)                       # default period 365
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 365
    assert_close(status["NextRotationDate"], before + dt.timedelta(days=365))
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)   # changes the period
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["RotationPeriodInDays"] == 90
    assert_close(status["NextRotationDate"], before + dt.timedelta(days=90))
    kms.disable_key_rotation(KeyId=key_id)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is False
    assert "NextRotationDate" not in status


@pytest.mark.parametrize("days", [90, 2560])
def test_rotation_period_bounds_ok(kms, days):
    key_id = new_key(kms)
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=days)
    assert kms.get_key_rotation_status(KeyId=key_id)["RotationPeriodInDays"] == days


@pytest.mark.parametrize("days", [89, 2561])
def test_rotation_period_rejected(kms_nv, days):
    key_id = new_key(kms_nv)
    with expect_kms_error("ValidationException") as err:
        kms_nv.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=days)
    assert err["Error"]["Message"].startswith("1 validation error detected"), err
    assert kms_nv.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


def test_rotation_status_survives_pending_deletion_cancel(kms):
    key_id = new_key(kms)
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=180)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    kms.cancel_key_deletion(KeyId=key_id)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 180


def test_rotation_unsupported_for_rsa(hkms):
    rsa = rsa_key(hkms, "RSA_2048")
    for call in (lambda: hkms.enable_key_rotation(KeyId=rsa),
                 lambda: hkms.rotate_key_on_demand(KeyId=rsa)):
        with expect_kms_error("UnsupportedOperationException"):
            call()


def test_rotate_on_demand_then_decrypt_old(kms):
    key_id = new_key(kms)
    arn = kms_key_arn(key_id)
    alias = new_alias(kms, key_id)
    original = kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    old_blob = kms.encrypt(KeyId=key_id, Plaintext=b"pre-rotation",
                           EncryptionContext={"v": "1"})["CiphertextBlob"]
    old_dk = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    keep("pre-rotation data key", old_dk["Plaintext"])
    kms.enable_key_rotation(KeyId=key_id)
    next_date = kms.get_key_rotation_status(KeyId=key_id)["NextRotationDate"]

    resp = kms.rotate_key_on_demand(KeyId=key_id)
    assert resp["KeyId"] in (key_id, arn), resp
    meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
    assert meta["KeyId"] == key_id and meta["Arn"] == arn          # same key id and ARN
    current = meta["CurrentKeyMaterialId"]
    assert HEX64_RE.match(current) and current != original
    # old ciphertext still decrypts, with the old material
    dec = kms.decrypt(CiphertextBlob=old_blob, EncryptionContext={"v": "1"})
    assert dec["Plaintext"] == b"pre-rotation" and dec["KeyMaterialId"] == original
    assert kms.decrypt(CiphertextBlob=old_dk["CiphertextBlob"])["Plaintext"] == old_dk["Plaintext"]
    # new ciphertext uses the new material
    new_blob = kms.encrypt(KeyId=key_id, Plaintext=b"post")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=new_blob)["KeyMaterialId"] == current
    assert kms.generate_data_key_without_plaintext(KeyId=key_id, KeySpec="AES_256")["KeyMaterialId"] == current
    # on-demand rotation does not move the automatic schedule (§3)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True
    assert status["NextRotationDate"] == next_date

    rot = kms.list_key_rotations(KeyId=key_id)
    assert rot["Truncated"] is False
    assert len(rot["Rotations"]) == 1, "ROTATIONS_ONLY omits the original material"
    r = rot["Rotations"][0]
    assert r["KeyId"] in (key_id, arn)
    assert r["KeyMaterialId"] == current and r["KeyMaterialState"] == "CURRENT"
    assert r["RotationType"] == "ON_DEMAND"
    assert_close(r["RotationDate"], utcnow())
    explicit = kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ROTATIONS_ONLY")
    assert explicit["Rotations"] == rot["Rotations"]
    full = kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert len(full) == 2
    by_id = {x["KeyMaterialId"]: x for x in full}
    assert set(by_id) == {original, current}
    assert by_id[original]["KeyMaterialState"] == "NON_CURRENT"
    assert by_id[current]["KeyMaterialState"] == "CURRENT"


def test_rotations_list_shape_rotations_only_is_default(kms):
    key_id = new_key(kms)
    assert kms.list_key_rotations(KeyId=key_id)["Rotations"] == []
    full = kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert len(full) == 1 and full[0]["KeyMaterialState"] == "CURRENT"
    assert full[0]["KeyMaterialId"] == kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]


def test_rotate_on_demand_limit_and_paging(hkms):
    key_id = new_key(hkms)
    blobs = [hkms.encrypt(KeyId=key_id, Plaintext=b"gen0")["CiphertextBlob"]]
    for i in range(25):
        hkms.rotate_key_on_demand(KeyId=key_id)
        blobs.append(hkms.encrypt(KeyId=key_id, Plaintext=f"gen{i + 1}".encode())["CiphertextBlob"])
    with expect_kms_error("LimitExceededException"):
        hkms.rotate_key_on_demand(KeyId=key_id)
    # every generation still decrypts
    for i, blob in enumerate(blobs):
        assert hkms.decrypt(CiphertextBlob=blob)["Plaintext"] == f"gen{i}".encode()
    rotations, pages = page_all(hkms.list_key_rotations, "Rotations", 10, KeyId=key_id)
    assert pages == 3 and len(rotations) == 25
    assert len({r["KeyMaterialId"] for r in rotations}) == 25
    assert [r["KeyMaterialState"] for r in rotations].count("CURRENT") == 1
    assert all(r["RotationType"] == "ON_DEMAND" for r in rotations)
    dates = [r["RotationDate"] for r in rotations]
    assert dates == sorted(dates)
    ones, _ = page_all(hkms.list_key_rotations, "Rotations", 1, KeyId=key_id)
    assert [r["KeyMaterialId"] for r in ones] == [r["KeyMaterialId"] for r in rotations]
    full = hkms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    assert len(full["Rotations"]) == 26
    with expect_kms_error("InvalidMarkerException"):
        hkms.list_key_rotations(KeyId=key_id, Marker="garbage")


# ================================================================ ReEncrypt

def test_re_encrypt(kms):
    src, dst = new_key(kms), new_key(kms)
    secret = keep("re-encrypt plaintext", os.urandom(32))
    blob = kms.encrypt(KeyId=src, Plaintext=secret, EncryptionContext={"s": "1"})["CiphertextBlob"]
    # the source context is checked
    for bad in ({}, {"s": "2"}, {"s": "1", "x": "y"}):
        with expect_kms_error("InvalidCiphertextException"):
            kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext=bad, DestinationKeyId=dst)
    # a wrong SourceKeyId is IncorrectKey
    with expect_kms_error("IncorrectKeyException"):
        kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=dst, SourceEncryptionContext={"s": "1"},
                       DestinationKeyId=dst)
    resp = kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=src, SourceEncryptionContext={"s": "1"},
                          DestinationKeyId=dst, DestinationEncryptionContext={"d": "2"})
    assert "Plaintext" not in resp
    assert resp["SourceKeyId"] == kms_key_arn(src) and resp["KeyId"] == kms_key_arn(dst)
    assert resp["SourceEncryptionAlgorithm"] == resp["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert resp["SourceKeyMaterialId"] == kms.describe_key(KeyId=src)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert resp["DestinationKeyMaterialId"] == kms.describe_key(KeyId=dst)["KeyMetadata"]["CurrentKeyMaterialId"]
    new_blob = resp["CiphertextBlob"]
    assert secret not in new_blob
    dec = kms.decrypt(CiphertextBlob=new_blob, EncryptionContext={"d": "2"})
    assert dec["Plaintext"] == secret and dec["KeyId"] == kms_key_arn(dst)
    with expect_kms_error("InvalidCiphertextException"):
        kms.decrypt(CiphertextBlob=new_blob, EncryptionContext={"s": "1"})
    with expect_kms_error("IncorrectKeyException"):
        kms.decrypt(CiphertextBlob=new_blob, KeyId=src, EncryptionContext={"d": "2"})


def test_re_encrypt_same_key_refreshes_material(kms):
    key_id = new_key(kms)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"refresh")["CiphertextBlob"]
    old = kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    kms.rotate_key_on_demand(KeyId=key_id)
    new = kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    resp = kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key_id)
    assert resp["SourceKeyMaterialId"] == old and resp["DestinationKeyMaterialId"] == new
    dec = kms.decrypt(CiphertextBlob=resp["CiphertextBlob"])
    assert dec["Plaintext"] == b"refresh" and dec["KeyMaterialId"] == new


def test_re_encrypt_rsa_destination_rejects_context(hkms):
    # RSA destinations take no encryption context (§4)
    blob = hkms.encrypt(KeyId=new_key(hkms), Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as exc:
        hkms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=rsa_key(hkms, "RSA_2048"),
                        DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_256",
                        DestinationEncryptionContext={"a": "b"})
    assert exc.value.response["Error"]["Code"] in ("InvalidKeyUsageException", "ValidationException")


def test_re_encrypt_between_symmetric_and_rsa(hkms):
    sym, rsa = new_key(hkms), rsa_key(hkms, "RSA_2048")
    secret = keep("re-encrypt sym->rsa", os.urandom(24))
    blob = hkms.encrypt(KeyId=sym, Plaintext=secret, EncryptionContext={"a": "1"})["CiphertextBlob"]
    resp = hkms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"a": "1"},
                           DestinationKeyId=rsa, DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert resp["KeyId"] == kms_key_arn(rsa) and resp["SourceKeyId"] == kms_key_arn(sym)
    assert resp["DestinationEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    assert len(resp["CiphertextBlob"]) == 256
    dec = hkms.decrypt(CiphertextBlob=resp["CiphertextBlob"], KeyId=rsa,
                       EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert dec["Plaintext"] == secret
    back = hkms.re_encrypt(CiphertextBlob=resp["CiphertextBlob"], SourceKeyId=rsa,
                           SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256", DestinationKeyId=sym)
    assert back["SourceKeyId"] == kms_key_arn(rsa) and back["KeyId"] == kms_key_arn(sym)
    assert hkms.decrypt(CiphertextBlob=back["CiphertextBlob"])["Plaintext"] == secret


# ================================================================ RSA

@pytest.mark.parametrize("alg", sorted(OAEP_HASH))
@pytest.mark.parametrize("spec", sorted(RSA_SPECS))
def test_rsa_encrypt_decrypt_and_limits(hkms, spec, alg):
    key_id = rsa_key(hkms, spec)
    limit = RSA_LIMITS[(spec, alg)]
    data = keep(f"rsa plaintext {spec} {alg}", os.urandom(limit))
    enc = hkms.encrypt(KeyId=key_id, Plaintext=data, EncryptionAlgorithm=alg)
    assert enc["KeyId"] == kms_key_arn(key_id) and enc["EncryptionAlgorithm"] == alg
    assert len(enc["CiphertextBlob"]) == RSA_SPECS[spec] // 8
    dec = hkms.decrypt(CiphertextBlob=enc["CiphertextBlob"], KeyId=key_id, EncryptionAlgorithm=alg)
    assert dec["Plaintext"] == data
    assert dec["KeyId"] == kms_key_arn(key_id) and dec["EncryptionAlgorithm"] == alg
    with expect_kms_error("ValidationException"):
        hkms.encrypt(KeyId=key_id, Plaintext=data + b"x", EncryptionAlgorithm=alg)
    other = "RSAES_OAEP_SHA_256" if alg == "RSAES_OAEP_SHA_1" else "RSAES_OAEP_SHA_1"
    with expect_kms_error("InvalidCiphertextException"):
        hkms.decrypt(CiphertextBlob=enc["CiphertextBlob"], KeyId=key_id, EncryptionAlgorithm=other)


def test_rsa_usage_errors(hkms):
    rsa = rsa_key(hkms, "RSA_2048")
    sym = new_key(hkms)
    with expect_kms_error("InvalidKeyUsageException"):
        hkms.encrypt(KeyId=rsa, Plaintext=b"x")                        # SYMMETRIC_DEFAULT
    with expect_kms_error("InvalidKeyUsageException"):
        hkms.encrypt(KeyId=rsa, Plaintext=b"x", EncryptionAlgorithm="SYMMETRIC_DEFAULT")
    with expect_kms_error("InvalidKeyUsageException"):
        hkms.encrypt(KeyId=sym, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    with pytest.raises(ClientError) as exc:
        hkms.encrypt(KeyId=rsa, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_1",
                     EncryptionContext={"a": "b"})
    assert exc.value.response["Error"]["Code"] in ("InvalidKeyUsageException", "ValidationException")
    blob = hkms.encrypt(KeyId=rsa, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_1")["CiphertextBlob"]
    # RSA ciphertext carries nothing: KeyId and EncryptionAlgorithm are required
    with pytest.raises(ClientError) as exc:
        hkms.decrypt(CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert exc.value.response["Error"]["Code"] in ("ValidationException", "InvalidCiphertextException")
    with pytest.raises(ClientError) as exc:
        hkms.decrypt(CiphertextBlob=blob, KeyId=rsa)
    assert exc.value.response["Error"]["Code"] in ("InvalidCiphertextException",
                                                   "InvalidKeyUsageException")
    # nothing in an RSA ciphertext names its key: another RSA key just fails to open it
    with expect_kms_error("InvalidCiphertextException"):
        hkms.decrypt(CiphertextBlob=blob, KeyId=rsa_key(hkms, "RSA_3072"),
                     EncryptionAlgorithm="RSAES_OAEP_SHA_1")


@pytest.mark.parametrize("spec", sorted(RSA_SPECS))
def test_get_public_key(hkms, spec):
    key_id = rsa_key(hkms, spec)
    alias = new_alias(hkms, key_id, "pub")
    resp = hkms.get_public_key(KeyId=alias)
    assert resp["KeyId"] == kms_key_arn(key_id)
    assert resp["KeySpec"] == resp["CustomerMasterKeySpec"] == spec
    assert resp["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert sorted(resp["EncryptionAlgorithms"]) == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    der = resp["PublicKey"]
    assert len(der) == {"RSA_2048": 294, "RSA_3072": 422, "RSA_4096": 550}[spec]
    n, e = parse_spki_rsa(der)
    assert n.bit_length() == RSA_SPECS[spec] and e == 65537
    assert hkms.get_public_key(KeyId=key_id)["PublicKey"] == der        # stable
    # the public key really is the key's: encrypt locally, decrypt in KMS
    for alg, hname in OAEP_HASH.items():
        msg = keep("local OAEP plaintext", os.urandom(RSA_LIMITS[(spec, alg)]))
        ct = oaep_encrypt(n, e, msg, hname)
        dec = hkms.decrypt(CiphertextBlob=ct, KeyId=key_id, EncryptionAlgorithm=alg)
        assert dec["Plaintext"] == msg


def test_get_public_key_symmetric_is_unsupported(hkms):
    with expect_kms_error("UnsupportedOperationException"):
        hkms.get_public_key(KeyId=new_key(hkms))


# ================================================================ tags

def test_tags_replace_untag_list(kms):
    key_id = new_key(kms)
    assert kms.list_resource_tags(KeyId=key_id) ["Tags"] == []
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "1"},
                                         {"TagKey": "b", "TagValue": "2"}])
    kms.tag_resource(KeyId=kms_key_arn(key_id), Tags=[{"TagKey": "a", "TagValue": "3"},
                                                      {"TagKey": "c", "TagValue": ""}])
    resp = kms.list_resource_tags(KeyId=key_id)
    assert resp["Truncated"] is False
    tags = {t["TagKey"]: t["TagValue"] for t in resp["Tags"]}
    assert tags == {"a": "3", "b": "2", "c": ""}
    assert len(resp["Tags"]) == 3
    kms.untag_resource(KeyId=key_id, TagKeys=["b", "not-there"])
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}
    assert tags == {"a": "3", "c": ""}


def test_tags_paging(kms):
    key_id = new_key(kms)
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": f"k{i}", "TagValue": str(i)} for i in range(5)])
    tags, pages = page_all(kms.list_resource_tags, "Tags", 2, KeyId=key_id)
    assert pages == 3
    assert {t["TagKey"]: t["TagValue"] for t in tags} == {f"k{i}": str(i) for i in range(5)}
    with expect_kms_error("InvalidMarkerException"):
        kms.list_resource_tags(KeyId=key_id, Marker="garbage")


def test_tags_aws_prefix_is_tag_exception(kms):
    key_id = new_key(kms)
    with expect_kms_error("TagException"):
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "aws:reserved", "TagValue": "x"}])


@pytest.mark.parametrize("tag", [{"TagKey": "aws:reserved", "TagValue": "x"},
                                 {"TagKey": "k" * 129, "TagValue": "x"},
                                 {"TagKey": "k", "TagValue": "v" * 257}],
                         ids=["aws-prefix", "key-too-long", "value-too-long"])
def test_tags_invalid(kms_nv, tag):
    key_id = new_key(kms_nv)
    with pytest.raises(ClientError) as exc:
        kms_nv.tag_resource(KeyId=key_id, Tags=[tag])
    assert exc.value.response["Error"]["Code"] in ("TagException", "ValidationException")
    assert kms_nv.list_resource_tags(KeyId=key_id)["Tags"] == []


# ================================================================ wire format (raw requests)

def test_wire_success_shape(ep):
    resp = kms_raw(ep, "CreateKey", {"Description": "raw"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith(KMS_JSON)
    assert resp.headers.get("x-amzn-RequestId")
    meta = resp.json()["KeyMetadata"]
    key_id = meta["KeyId"]
    assert isinstance(meta["CreationDate"], (int, float)) and not isinstance(meta["CreationDate"], bool)
    assert abs(meta["CreationDate"] - utcnow().timestamp()) < 600
    # no-output operations answer an empty body or {}
    resp = kms_raw(ep, "DisableKey", {"KeyId": key_id})
    assert resp.status_code == 200 and resp.content.strip() in (b"", b"{}"), resp.content
    kms_raw(ep, "EnableKey", {"KeyId": key_id})
    # blobs are standard base64 with padding
    resp = kms_raw(ep, "Encrypt", {"KeyId": key_id, "Plaintext": base64.b64encode(b"wire").decode()})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert B64_RE.match(body["CiphertextBlob"]), body
    assert body["KeyId"] == kms_key_arn(key_id)
    resp = kms_raw(ep, "GenerateRandom", {"NumberOfBytes": 31})
    plain = resp.json()["Plaintext"]
    assert B64_RE.match(plain) and len(keep("raw GenerateRandom", base64.b64decode(plain))) == 31


def test_wire_timestamps_are_epoch_numbers(http_ep):
    key_id = kms_raw(http_ep, "CreateKey", {}).json()["KeyMetadata"]["KeyId"]
    alias = f"alias/ts-{uuid.uuid4().hex[:10]}"
    assert kms_raw(http_ep, "CreateAlias", {"AliasName": alias, "TargetKeyId": key_id}).status_code == 200
    kms_raw(http_ep, "EnableKeyRotation", {"KeyId": key_id})
    kms_raw(http_ep, "RotateKeyOnDemand", {"KeyId": key_id})
    now = utcnow().timestamp()

    def is_num(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    aliases = kms_raw(http_ep, "ListAliases", {"KeyId": key_id}).json()["Aliases"]
    assert is_num(aliases[0]["CreationDate"]) and is_num(aliases[0]["LastUpdatedDate"]), aliases
    status = kms_raw(http_ep, "GetKeyRotationStatus", {"KeyId": key_id}).json()
    assert is_num(status["NextRotationDate"]) and status["NextRotationDate"] > now + 300 * 86400
    rot = kms_raw(http_ep, "ListKeyRotations", {"KeyId": key_id}).json()["Rotations"]
    assert is_num(rot[0]["RotationDate"]) and abs(rot[0]["RotationDate"] - now) < 600
    sched = kms_raw(http_ep, "ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7}).json()
    assert is_num(sched["DeletionDate"]) and abs(sched["DeletionDate"] - (now + 7 * 86400)) < 600
    meta = kms_raw(http_ep, "DescribeKey", {"KeyId": key_id}).json()["KeyMetadata"]
    assert is_num(meta["CreationDate"]) and is_num(meta["DeletionDate"]), meta


def test_wire_bad_signature(ep):
    resp = kms_raw(ep, "ListKeys", {}, secret_key="not-the-secret")
    assert_kms_raw_error(resp, "InvalidSignatureException")
    client = kms_client(ep, secret_key="not-the-secret")
    with expect_kms_error("InvalidSignatureException"):
        client.list_keys()
    client.close()


def test_wire_unknown_access_key(ep):
    resp = kms_raw(ep, "ListKeys", {}, access_key="AKIAUNKNOWNUNKNOWN00")
    assert_kms_raw_error(resp, "UnrecognizedClientException")
    client = kms_client(ep, access_key="AKIAUNKNOWNUNKNOWN00")
    with expect_kms_error("UnrecognizedClientException"):
        client.list_keys()
    client.close()


def test_wire_unknown_operation(ep):
    resp = kms_raw(ep, "FrobnicateKey", {})
    msg = assert_kms_raw_error(resp, "UnknownOperationException")
    assert isinstance(msg, str)


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"KeyId": ', b"\xff\xfe", b'"string"'],
                         ids=["garbage", "array", "truncated", "binary", "string"])
def test_wire_malformed_json(ep, body):
    resp = kms_raw(ep, "ListKeys", body)
    assert_kms_raw_error(resp, "SerializationException")


def test_wire_bad_member_values(http_ep):
    key_id = kms_raw(http_ep, "CreateKey", {}).json()["KeyMetadata"]["KeyId"]
    resp = kms_raw(http_ep, "Encrypt", {"KeyId": key_id, "Plaintext": "!!!not base64!!!"})
    assert_kms_raw_error(resp, "SerializationException")
    resp = kms_raw(http_ep, "GenerateRandom", {"NumberOfBytes": "thirty-two"})
    assert_kms_raw_error(resp, "SerializationException")
    resp = kms_raw(http_ep, "Encrypt", {"KeyId": key_id, "Plaintext": "aGk=",
                                        "EncryptionContext": ["not", "a", "map"]})
    assert_kms_raw_error(resp, "SerializationException")
    # a missing required member is a ValidationException
    resp = kms_raw(http_ep, "Encrypt", {"Plaintext": "aGk="})
    msg = assert_kms_raw_error(resp, "ValidationException")
    assert "keyId" in msg or "KeyId" in msg, msg
    resp = kms_raw(http_ep, "DescribeKey", {})
    assert_kms_raw_error(resp, "ValidationException")


def test_wire_error_shape(http_ep):
    resp = kms_raw(http_ep, "DescribeKey", {"KeyId": MISSING_KEY})
    msg = assert_kms_raw_error(resp, "NotFoundException")
    assert msg == f"Key '{kms_key_arn(MISSING_KEY)}' does not exist"
    body = resp.json()
    assert set(body) <= {"__type", "message", "Message"}, body


# ================================================================ secrets (keep last)

def test_zz_secrets_never_stored_or_logged(server, ep, kms):
    """No data key, random output or plaintext may reach the data dir, the log or the audit trail."""
    key_id = new_key(kms)
    alias = new_alias(kms, key_id, "secret")
    for i in range(8):
        dk = kms.generate_data_key(KeyId=alias, KeySpec="AES_256",
                                   EncryptionContext={"aws:s3:arn": f"arn:aws:s3:::b/{i}"})
        keep("GenerateDataKey AES_256", dk["Plaintext"])
        assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"],
                           EncryptionContext={"aws:s3:arn": f"arn:aws:s3:::b/{i}"})["Plaintext"] == dk["Plaintext"]
        kms.re_encrypt(CiphertextBlob=dk["CiphertextBlob"],
                       SourceEncryptionContext={"aws:s3:arn": f"arn:aws:s3:::b/{i}"},
                       DestinationKeyId=key_id)
    keep("GenerateDataKey AES_128", kms.generate_data_key(KeyId=key_id, KeySpec="AES_128")["Plaintext"])
    keep("GenerateDataKey 1024", kms.generate_data_key(KeyId=key_id, NumberOfBytes=1024)["Plaintext"])
    blob = kms.generate_data_key_without_plaintext(KeyId=key_id, KeySpec="AES_256")["CiphertextBlob"]
    keep("GDKWP decrypted", kms.decrypt(CiphertextBlob=blob)["Plaintext"])
    for n in (16, 32, 64, 1024):
        keep("GenerateRandom", kms.generate_random(NumberOfBytes=n)["Plaintext"])
    keep("aws/s3 data key", kms.generate_data_key(KeyId="alias/aws/s3", KeySpec="AES_256")["Plaintext"])

    # the grep itself must work: a planted secret is found in its JSON-escaped base64 form
    planted = os.urandom(32)
    while b"/" not in base64.b64encode(planted):
        planted = os.urandom(32)
    probe = server.data_dir.parent / "grep-self-check.txt"
    probe.write_bytes(json.dumps({"x": "ab" + base64.b64encode(planted).decode()}).replace("/", "\\/").encode())
    try:
        assert find_secret_leaks([probe], {"planted": planted}), "secret grep self-check failed"
    finally:
        probe.unlink()

    secrets = {label: value for label, value in SECRETS.items() if len(value) >= 12}
    assert len(secrets) >= 15, f"too few secrets collected: {len(secrets)}"
    leaks = find_secret_leaks([server.data_dir, server.log_path], secrets)
    assert not leaks, "secrets leaked:\n" + "\n".join(leaks[:50])

    audit = server.data_dir / "keymodule" / "audit.jsonl"
    records = [json.loads(line) for line in audit.read_text().splitlines() if line.strip()]
    assert records, "the audit trail is empty"
    for rec in records:
        assert not any("plaintext" in k.lower() for k in rec), rec
    proc = subprocess.run([str(server_binary()), "audit", "verify", "--data-dir", str(server.data_dir)],
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
