"""Bucket default encryption (Put/Get/DeleteBucketEncryption, §5 and E-B1…E-B5 of §3.3) and
bucket policies with the encryption condition keys of §8.2, against real requests over HTTP
and HTTPS.

Reference: /work/shared/docs/s3-sse-semantics.md. Points the reference marks [I] are
asserted as the emulator documents them and say so in their docstrings.
"""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

from helpers import (ACCESS_KEY, KMS_ACCOUNT, REGION, S3_NS, SSE_BUCKET_KEY_H, SSE_H, SSE_KMS_KEY_H,
                     SSEC_ALG_H, allow_ssec, assert_exact_error, assert_s3_error, expect_exact_error,
                     inspect_object, kms_client, md5_b64, new_customer_key, parse_xml, shared_endpoint,
                     ssec_args, ssec_headers, unique_bucket)

MALFORMED = "The XML you provided was not well-formed or did not validate against our published schema"
E_B2 = "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse"
PRINCIPAL = f"arn:aws:iam::{KMS_ACCOUNT}:user/{ACCESS_KEY}"
AWS_MANAGED_ALIAS = "alias/aws/s3"


def denied(action: str, resource: str) -> str:
    """§8.2: the same-account form of a policy deny."""
    return (f"User: {PRINCIPAL} is not authorized to perform: {action} on resource: \"{resource}\" "
            "with an explicit deny in a resource-based policy")


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def kms(server):
    client = kms_client(shared_endpoint(server, "https"))
    yield client
    client.close()


@pytest.fixture(scope="module")
def keys(kms):
    """Two customer managed keys; the first with an alias."""
    out = []
    for i in range(2):
        meta = kms.create_key(Description=f"bucket-encryption {i}")["KeyMetadata"]
        out.append({"id": meta["KeyId"], "arn": meta["Arn"]})
    out[0]["alias"] = f"alias/bucket-enc-{uuid.uuid4().hex[:10]}"
    kms.create_alias(AliasName=out[0]["alias"], TargetKeyId=out[0]["id"])
    return out


@pytest.fixture(scope="module")
def aws_managed_arn(kms):
    return kms.describe_key(KeyId=AWS_MANAGED_ALIAS)["KeyMetadata"]["Arn"]


def enc_xml(*rules: str) -> bytes:
    return (f'<ServerSideEncryptionConfiguration xmlns="{S3_NS}">' + "".join(rules)
            + "</ServerSideEncryptionConfiguration>").encode()


def rule(algorithm: str | None = "AES256", key: str | None = None, bucket_key: str | None = None,
         blocked: list[str] | None = None) -> str:
    inner = ""
    if algorithm is not None or key is not None:
        inner += "<ApplyServerSideEncryptionByDefault>"
        if algorithm is not None:
            inner += f"<SSEAlgorithm>{algorithm}</SSEAlgorithm>"
        if key is not None:
            inner += f"<KMSMasterKeyID>{key}</KMSMasterKeyID>"
        inner += "</ApplyServerSideEncryptionByDefault>"
    if bucket_key is not None:
        inner += f"<BucketKeyEnabled>{bucket_key}</BucketKeyEnabled>"
    if blocked is not None:
        inner += "<BlockedEncryptionTypes>" + "".join(
            f"<EncryptionType>{t}</EncryptionType>" for t in blocked) + "</BlockedEncryptionTypes>"
    return f"<Rule>{inner}</Rule>"


def put_enc(ep, bucket: str, body: bytes):
    return ep.request("PUT", f"/{bucket}", params={"encryption": None}, body=body,
                      headers={"Content-MD5": md5_b64(body), "Content-Type": "application/xml"})


def get_enc(ep, bucket: str) -> dict:
    """GetBucketEncryption parsed into a flat dict of the single rule."""
    resp = ep.request("GET", f"/{bucket}", params={"encryption": None})
    assert resp.status_code == 200, resp.text
    root = parse_xml(resp.content)
    assert root.tag == "ServerSideEncryptionConfiguration"
    rules = root.findall("Rule")
    assert len(rules) == 1, resp.text
    r = rules[0]
    by_default = r.find("ApplyServerSideEncryptionByDefault")
    return {
        "SSEAlgorithm": by_default.findtext("SSEAlgorithm") if by_default is not None else None,
        "KMSMasterKeyID": by_default.findtext("KMSMasterKeyID") if by_default is not None else None,
        "BucketKeyEnabled": r.findtext("BucketKeyEnabled"),
        "Blocked": [e.text for e in r.findall("BlockedEncryptionTypes/EncryptionType")],
    }


def sse(resp) -> dict:
    hdrs = resp["ResponseMetadata"]["HTTPHeaders"] if isinstance(resp, dict) else resp.headers
    return {k.lower(): v for k, v in dict(hdrs).items() if k.lower().startswith("x-amz-server-side-encryption")}


# ================================================================ §5.1 GetBucketEncryption defaults

def test_fresh_bucket_has_aes256_default_with_sse_c_block(ep, bucket):
    """§5.1: never-configured bucket ⇒ 200 with the AES256 rule, BucketKeyEnabled false and (April 2026)
    the SSE-C block; never E-B5 (ServerSideEncryptionConfigurationNotFoundError)."""
    resp = ep.request("GET", f"/{bucket}", params={"encryption": None})
    assert resp.status_code == 200, resp.text
    assert resp.content.startswith(b"<?xml")
    assert f'xmlns="{S3_NS}"'.encode() in resp.content
    assert get_enc(ep, bucket) == {"SSEAlgorithm": "AES256", "KMSMasterKeyID": None,
                                   "BucketKeyEnabled": "false", "Blocked": ["SSE-C"]}
    conf = ep.s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert conf["Rules"] == [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                              "BucketKeyEnabled": False,
                              "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]}}]


# ================================================================ §5.1 PutBucketEncryption shapes

SHAPES = {
    "aes256": (rule("AES256"), {"SSEAlgorithm": "AES256", "KMSMasterKeyID": None, "BucketKeyEnabled": "false"}),
    "aes256-bucket-key": (rule("AES256", bucket_key="true"),
                          {"SSEAlgorithm": "AES256", "KMSMasterKeyID": None, "BucketKeyEnabled": "true"}),
    "kms-no-key": (rule("aws:kms"), {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": None, "BucketKeyEnabled": "false"}),
    "kms-bare-id": (rule("aws:kms", "KEYID"), {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "KEYID",
                                              "BucketKeyEnabled": "false"}),
    "kms-arn-bucket-key": (rule("aws:kms", "KEYARN", "true"), {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "KEYARN",
                                                              "BucketKeyEnabled": "true"}),
    "kms-alias": (rule("aws:kms", "ALIAS", "false"), {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "ALIAS",
                                                     "BucketKeyEnabled": "false"}),
    "dsse-key": (rule("aws:kms:dsse", "KEYID"), {"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": "KEYID",
                                                "BucketKeyEnabled": "false"}),
    "kms-missing-key": (rule("aws:kms", "MISSING"), {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "MISSING",
                                                    "BucketKeyEnabled": "false"}),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_put_bucket_encryption_shapes(ep, bucket, keys, shape):
    """§5.1: Put ⇒ 200 with an empty body; KMSMasterKeyID is stored and echoed verbatim and not validated;
    BucketKeyEnabled is always present on Get; a Put without BlockedEncryptionTypes keeps the SSE-C block."""
    missing = str(uuid.uuid4())
    subst = {"KEYID": keys[0]["id"], "KEYARN": keys[0]["arn"], "ALIAS": keys[0]["alias"], "MISSING": missing}
    xml_rule, expected = SHAPES[shape]
    for k, v in subst.items():
        xml_rule = xml_rule.replace(k, v)
        expected = {n: (v if val == k else val) for n, val in expected.items()}
    resp = put_enc(ep, bucket, enc_xml(xml_rule))
    assert resp.status_code == 200, resp.text
    assert resp.content == b""
    assert get_enc(ep, bucket) == {**expected, "Blocked": ["SSE-C"]}


def test_put_bucket_encryption_boto3_round_trip(ep, bucket, keys):
    conf = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                              "KMSMasterKeyID": keys[0]["id"]},
                       "BucketKeyEnabled": True, "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]}}]}
    assert ep.s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=conf)[
        "ResponseMetadata"]["HTTPStatusCode"] == 200
    assert ep.s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == conf


def test_put_bucket_encryption_requires_and_checks_a_checksum(ep, bucket):
    """§5.1: a checksum is required (botocore sends one); a wrong Content-MD5 is BadDigest; nothing changes."""
    body = enc_xml(rule("aws:kms"))
    before = get_enc(ep, bucket)
    resp = ep.request("PUT", f"/{bucket}", params={"encryption": None}, body=body, headers={"Content-Type": "application/xml"})
    assert_exact_error(resp, 400, "InvalidRequest", "Missing required header for this request: Content-MD5")
    resp = ep.request("PUT", f"/{bucket}", params={"encryption": None}, body=body,
                      headers={"Content-MD5": md5_b64(b"other"), "Content-Type": "application/xml"})
    assert_s3_error(resp, 400, "BadDigest")
    assert get_enc(ep, bucket) == before
    assert put_enc(ep, bucket, body).status_code == 200


def test_unblock_rule_with_only_blocked_types(hs):
    """§5.1 [D]: AWS's unblock example is a rule holding only BlockedEncryptionTypes=NONE; accepted, SSE-C
    writes work afterwards and the default stays SSE-S3."""
    bucket = hs.create_bucket("unblock")
    resp = put_enc(hs, bucket, enc_xml(rule(None, blocked=["NONE"])))
    assert resp.status_code == 200, resp.text
    got = get_enc(hs, bucket)
    assert got["Blocked"] == ["NONE"]
    assert got["SSEAlgorithm"] in (None, "AES256")
    key = new_customer_key()
    assert hs.s3.put_object(Bucket=bucket, Key="c", Body=b"c", **ssec_args(key))["SSECustomerKeyMD5"] == md5_b64(key)
    assert hs.s3.put_object(Bucket=bucket, Key="d", Body=b"d")["ServerSideEncryption"] == "AES256"


def test_rule_children_in_any_order(ep, bucket):
    """§5.1 [I]: children are accepted in any order."""
    body = enc_xml("<Rule><BlockedEncryptionTypes><EncryptionType>NONE</EncryptionType></BlockedEncryptionTypes>"
                   "<BucketKeyEnabled>true</BucketKeyEnabled><ApplyServerSideEncryptionByDefault>"
                   "<KMSMasterKeyID>alias/some-key</KMSMasterKeyID><SSEAlgorithm>aws:kms</SSEAlgorithm>"
                   "</ApplyServerSideEncryptionByDefault></Rule>")
    assert put_enc(ep, bucket, body).status_code == 200
    assert get_enc(ep, bucket) == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/some-key",
                                   "BucketKeyEnabled": "true", "Blocked": ["NONE"]}


def test_delete_bucket_encryption(ep, bucket):
    """§5.1: Delete ⇒ 204, idempotent; Get then returns the AES256 default; the block is kept ([I])."""
    assert put_enc(ep, bucket, enc_xml(rule("aws:kms", "alias/x", "true", ["NONE"]))).status_code == 200
    for _ in range(2):
        resp = ep.request("DELETE", f"/{bucket}", params={"encryption": None})
        assert resp.status_code == 204, resp.text
        assert resp.content == b""
    assert get_enc(ep, bucket) == {"SSEAlgorithm": "AES256", "KMSMasterKeyID": None, "BucketKeyEnabled": "false",
                                   "Blocked": ["NONE"]}
    fresh = ep.create_bucket("del")
    assert ep.s3.delete_bucket_encryption(Bucket=fresh)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert get_enc(ep, fresh)["Blocked"] == ["SSE-C"]


# ================================================================ E-B1…E-B4

@pytest.mark.parametrize("body", [
    enc_xml(),
    enc_xml(rule("AES256"), rule("aws:kms")),
    enc_xml(rule("AES256"), rule("AES256")),
], ids=["no-rule", "two-rules", "two-identical-rules"])
def test_eb1_rule_count(ep, bucket, body):
    assert_exact_error(put_enc(ep, bucket, body), 400, "MalformedXML", MALFORMED)


@pytest.mark.parametrize("key", ["1234abcd-12ab-34cd-56ef-1234567890ab", "alias/x", "arn:aws:kms:us-east-1:1:key/x"])
def test_eb2_kms_key_with_aes256(ep, bucket, key):
    resp = put_enc(ep, bucket, enc_xml(rule("AES256", key)))
    assert_exact_error(resp, 400, "InvalidArgument", E_B2, ArgumentName="ApplyServerSideEncryptionByDefault")


def test_eb2_boto3(ep, bucket):
    with expect_exact_error(400, "InvalidArgument", E_B2, ArgumentName="ApplyServerSideEncryptionByDefault"):
        ep.s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "alias/x"}}]})


@pytest.mark.parametrize("body", [
    enc_xml(rule("aes256")), enc_xml(rule("AES128")), enc_xml(rule("aws:fsx-unknown")), enc_xml(rule("SSE-C")),
    enc_xml(rule(None, key="alias/x")), enc_xml("<Rule><ApplyServerSideEncryptionByDefault/></Rule>"),
    enc_xml(rule("AES256", blocked=["SSE-KMS"])), enc_xml(rule("AES256", blocked=["sse-c"])),
    b"<ServerSideEncryptionConfiguration><Rule>", b"not xml at all",
], ids=["lowercase-aes", "aes128", "unknown", "sse-c-default", "missing-algorithm", "empty-default",
        "unknown-encryption-type", "lowercase-encryption-type", "truncated", "garbage"])
def test_eb3_invalid_configuration(ep, bucket, body):
    """E-B3 (code MalformedXML [I]): unknown or missing SSEAlgorithm, SSE-C as a default, unknown EncryptionType;
    and XML that is not well formed."""
    assert_exact_error(put_enc(ep, bucket, body), 400, "MalformedXML", MALFORMED)
    assert get_enc(ep, bucket)["Blocked"] == ["SSE-C"], "a refused Put changes nothing"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_eb4_missing_bucket(ep, method):
    """E-B4: NoSuchBucket with BucketName, checked before the body (a malformed body still gets 404)."""
    name = unique_bucket("missing")
    body = b"<not-xml" if method == "PUT" else b""
    resp = ep.request(method, f"/{name}", params={"encryption": None}, body=body)
    assert_exact_error(resp, 404, "NoSuchBucket", "The specified bucket does not exist", BucketName=name)


def test_eb4_boto3(ep):
    name = unique_bucket("missing")
    with expect_exact_error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=name):
        ep.s3.get_bucket_encryption(Bucket=name)


# ================================================================ §5.2 defaults applied

def _kms_default(ep, bucket, key, bucket_key=None, algorithm="aws:kms", blocked=None):
    resp = put_enc(ep, bucket, enc_xml(rule(algorithm, key, bucket_key, blocked)))
    assert resp.status_code == 200, resp.text


def test_kms_default_applies_to_put_copy_multipart_and_post(hs, keys, five_mib):
    """§5.2: Put, Copy, CreateMultipartUpload and POST without SSE headers get the bucket default (mode, key
    resolved to its ARN, bucket-key flag)."""
    bucket = hs.create_bucket("kmsdef")
    _kms_default(hs, bucket, keys[0]["alias"], "true")
    want = {SSE_H: "aws:kms", SSE_KMS_KEY_H: keys[0]["arn"], SSE_BUCKET_KEY_H: "true"}
    s3 = hs.s3
    put = s3.put_object(Bucket=bucket, Key="put", Body=b"put")
    assert sse(put) == want
    assert sse(s3.head_object(Bucket=bucket, Key="put")) == want
    other = hs.create_bucket("src")
    s3.put_object(Bucket=other, Key="src", Body=b"copy")
    assert sse(s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": other, "Key": "src"})) == want
    create = s3.create_multipart_upload(Bucket=bucket, Key="mpu")
    assert sse(create) == want
    part = s3.upload_part(Bucket=bucket, Key="mpu", UploadId=create["UploadId"], PartNumber=1, Body=b"part")
    assert sse(part) == want
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mpu", UploadId=create["UploadId"],
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert sse(done) == want
    presigned = s3.generate_presigned_post(bucket, "post", ExpiresIn=300)
    resp = requests.post(presigned["url"], data=presigned["fields"], verify=hs.verify, timeout=60,
                         files={"file": ("f", b"posted", "application/octet-stream")})
    assert resp.status_code == 204, resp.text
    assert sse(s3.head_object(Bucket=bucket, Key="post")) == want
    for key in ("put", "copy", "mpu", "post"):
        info = inspect_object(hs, bucket, key)
        assert (info["mode"], info["kms_key_arn"], info["bucket_key_enabled"]) == ("SSE-KMS", keys[0]["arn"], True), key


@pytest.mark.parametrize("key_form", ["none", "id", "arn"])
def test_kms_and_dsse_defaults(hs, keys, aws_managed_arn, key_form):
    """§5.1: aws:kms without KMSMasterKeyID ⇒ the AWS managed key; DSSE defaults likewise (no bucket key)."""
    key = {"none": None, "id": keys[1]["id"], "arn": keys[1]["arn"]}[key_form]
    arn = keys[1]["arn"] if key else aws_managed_arn
    for algorithm in ("aws:kms", "aws:kms:dsse"):
        bucket = hs.create_bucket("def")
        _kms_default(hs, bucket, key, algorithm=algorithm)
        put = hs.s3.put_object(Bucket=bucket, Key="o", Body=b"default")
        assert sse(put) == {SSE_H: algorithm, SSE_KMS_KEY_H: arn}
        assert inspect_object(hs, bucket, "o")["mode"] == ("SSE-KMS" if algorithm == "aws:kms" else "DSSE-KMS")


def test_aes256_default_with_bucket_key_has_no_visible_effect(ep, bucket):
    assert put_enc(ep, bucket, enc_xml(rule("AES256", bucket_key="true"))).status_code == 200
    put = ep.s3.put_object(Bucket=bucket, Key="o", Body=b"x")
    assert sse(put) == {SSE_H: "AES256"}


@pytest.mark.parametrize("request_headers,expected", [
    ({SSE_H: "AES256"}, "SSE-S3"),
    ({SSE_H: "aws:kms"}, "BUCKET-KEY"),
    ({SSE_H: "aws:kms", SSE_KMS_KEY_H: "OTHER"}, "OTHER"),
    ({SSE_H: "aws:kms:dsse"}, "DSSE-BUCKET-KEY"),
    ({SSE_H: "aws:kms", SSE_BUCKET_KEY_H: "false"}, "BUCKET-KEY-NO-BK"),
    ("SSE-C", "SSE-C"),
], ids=["aes256", "kms-no-key", "kms-other-key", "dsse-no-key", "bucket-key-false", "sse-c"])
def test_explicit_request_wins_over_default(hs, keys, request_headers, expected):
    """§5.2: the request wins; aws:kms(:dsse) without a key id uses the bucket's KMS key ([I], §1.3 rule 6);
    an explicit bucket-key header overrides BucketKeyEnabled; explicit aws:kms without that header gets the
    bucket's Bucket Key [R]; SSE-C ignores the default."""
    bucket = hs.create_bucket("wins")
    _kms_default(hs, bucket, keys[0]["id"], "true", blocked=["NONE"])
    ckey = None
    if request_headers == "SSE-C":
        ckey = new_customer_key()
        request_headers = ssec_headers(ckey)
    request_headers = {k: (keys[1]["id"] if v == "OTHER" else v) for k, v in request_headers.items()}
    resp = hs.request("PUT", f"/{bucket}/o", body=b"explicit", headers=request_headers)
    assert resp.status_code == 200, resp.text
    want = {
        "SSE-S3": {SSE_H: "AES256"},
        "BUCKET-KEY": {SSE_H: "aws:kms", SSE_KMS_KEY_H: keys[0]["arn"], SSE_BUCKET_KEY_H: "true"},
        "OTHER": {SSE_H: "aws:kms", SSE_KMS_KEY_H: keys[1]["arn"], SSE_BUCKET_KEY_H: "true"},
        "DSSE-BUCKET-KEY": {SSE_H: "aws:kms:dsse", SSE_KMS_KEY_H: keys[0]["arn"]},
        "BUCKET-KEY-NO-BK": {SSE_H: "aws:kms", SSE_KMS_KEY_H: keys[0]["arn"]},
        "SSE-C": {SSEC_ALG_H.lower(): "AES256",
                  "x-amz-server-side-encryption-customer-key-md5": md5_b64(ckey) if ckey else None},
    }[expected]
    assert sse(resp) == want


def test_existing_objects_unchanged_by_configuration_changes(hs, keys):
    bucket = hs.create_bucket("keep")
    hs.s3.put_object(Bucket=bucket, Key="before", Body=b"before")
    _kms_default(hs, bucket, keys[0]["id"])
    hs.s3.put_object(Bucket=bucket, Key="during", Body=b"during")
    assert hs.request("DELETE", f"/{bucket}", params={"encryption": None}).status_code == 204
    hs.s3.put_object(Bucket=bucket, Key="after", Body=b"after")
    modes = {k: inspect_object(hs, bucket, k)["mode"] for k in ("before", "during", "after")}
    assert modes == {"before": "SSE-S3", "during": "SSE-KMS", "after": "SSE-S3"}
    assert hs.s3.head_object(Bucket=bucket, Key="during")["SSEKMSKeyId"] == keys[0]["arn"]


def test_multipart_mode_fixed_at_create(hs, keys):
    """§5.2 [D; I for in-flight uploads]: a default changed after CreateMultipartUpload does not affect the upload."""
    bucket = hs.create_bucket("fixed")
    uid = hs.s3.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    _kms_default(hs, bucket, keys[0]["id"])
    part = hs.s3.upload_part(Bucket=bucket, Key="m", UploadId=uid, PartNumber=1, Body=b"p")
    assert sse(part) == {SSE_H: "AES256"}
    done = hs.s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=uid,
                                           MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert sse(done) == {SSE_H: "AES256"}
    assert inspect_object(hs, bucket, "m")["mode"] == "SSE-S3"


def test_default_key_not_validated_until_use(hs):
    """§3.2: PutBucketEncryption does not validate the key; the next write fails with E-K3."""
    bucket = hs.create_bucket("lazy")
    missing = str(uuid.uuid4())
    _kms_default(hs, bucket, missing)
    with expect_exact_error(400, "KMS.NotFoundException",
                            f"Key 'arn:aws:kms:{REGION}:{KMS_ACCOUNT}:key/{missing}' does not exist"):
        hs.s3.put_object(Bucket=bucket, Key="o", Body=b"x")


def test_default_key_aws_s3_without_alias_prefix(hs):
    """§1.5 [R]: KMSMasterKeyID=aws/s3 (no alias/) makes later PUTs fail with KMS.NotFoundException
    "Invalid keyId aws/s3". (E-K4 records the value quoted, 'fake-key-id'; §1.5's capture has it
    unquoted: both spellings are accepted here, the code and status are not negotiable.)"""
    bucket = hs.create_bucket("awss3")
    _kms_default(hs, bucket, "aws/s3")
    with pytest.raises(ClientError) as exc:
        hs.s3.put_object(Bucket=bucket, Key="o", Body=b"x")
    err = exc.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400, err
    assert err["Error"]["Code"] == "KMS.NotFoundException", err
    assert err["Error"]["Message"] in ("Invalid keyId aws/s3", "Invalid keyId 'aws/s3'"), err


def test_copy_without_headers_uses_destination_default(hs, keys):
    """§6: nothing is inherited from the source: a KMS source copied into an AES256 bucket becomes SSE-S3, an
    SSE-S3 source copied into a KMS-default bucket becomes SSE-KMS."""
    kms_bucket, plain_bucket = hs.create_bucket("kmsdst"), hs.create_bucket("plaindst")
    _kms_default(hs, kms_bucket, keys[1]["arn"])
    hs.s3.put_object(Bucket=kms_bucket, Key="k", Body=b"kms source")
    hs.s3.put_object(Bucket=plain_bucket, Key="p", Body=b"plain source")
    a = hs.s3.copy_object(Bucket=plain_bucket, Key="from-kms", CopySource={"Bucket": kms_bucket, "Key": "k"})
    assert sse(a) == {SSE_H: "AES256"}
    b = hs.s3.copy_object(Bucket=kms_bucket, Key="from-plain", CopySource={"Bucket": plain_bucket, "Key": "p"})
    assert sse(b) == {SSE_H: "aws:kms", SSE_KMS_KEY_H: keys[1]["arn"]}


# ================================================================ bucket policies: CRUD

def test_bucket_policy_put_get_delete(ep, bucket):
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
        "Resource": f"arn:aws:s3:::{bucket}/*"}]})
    missing = ep.request("GET", f"/{bucket}", params={"policy": None})
    assert_exact_error(missing, 404, "NoSuchBucketPolicy", "The bucket policy does not exist", BucketName=bucket)
    put = ep.request("PUT", f"/{bucket}", params={"policy": None}, body=doc.encode())
    assert put.status_code == 204, put.text
    assert json.loads(ep.s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(doc)
    ep.s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    resp = ep.request("DELETE", f"/{bucket}/k")
    assert_exact_error(resp, 403, "AccessDenied", denied("s3:DeleteObject", f"arn:aws:s3:::{bucket}/k"))
    assert ep.request("DELETE", f"/{bucket}", params={"policy": None}).status_code == 204
    assert ep.request("DELETE", f"/{bucket}/k").status_code == 204


# ================================================================ §8.2 the typical deny policy

def typical_policy(bucket: str, key_arn: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyHttp", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "DenyWrongAlgo", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
        {"Sid": "DenyNoHeader", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}},
        {"Sid": "DenyOtherKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}}}]})


@pytest.fixture(scope="module")
def guarded(server, keys):
    """A bucket (SSE-C allowed) holding one KMS object, then guarded by the typical deny policy of §8.2."""
    hs = shared_endpoint(server, "https")
    bucket = hs.create_bucket("guarded")
    allow_ssec(hs.s3, bucket)
    hs.s3.put_object(Bucket=bucket, Key="existing", Body=b"existing", ServerSideEncryption="aws:kms",
                     SSEKMSKeyId=keys[0]["id"])
    hs.s3.put_bucket_policy(Bucket=bucket, Policy=typical_policy(bucket, keys[0]["arn"]))
    return bucket


def _kms(k):
    return {SSE_H: "aws:kms", SSE_KMS_KEY_H: k}


PUT_CASES = {
    # name: (scheme, headers-or-marker, expected status)
    "https-no-header": ("https", {}, 403),
    "https-aes256": ("https", {SSE_H: "AES256"}, 403),
    "https-kms-no-key": ("https", {SSE_H: "aws:kms"}, 403),
    "https-kms-key-id": ("https", "KMS:id", 200),
    "https-kms-key-arn": ("https", "KMS:arn", 200),
    "https-kms-alias": ("https", "KMS:alias", 200),
    "https-kms-other-key": ("https", "KMS:other", 403),
    "https-dsse-key": ("https", {SSE_H: "aws:kms:dsse", SSE_KMS_KEY_H: "ID"}, 403),
    "https-sse-c": ("https", "SSE-C", 403),
    "https-invalid-value": ("https", {SSE_H: "aes256"}, 403),
    "https-kms-bad-key": ("https", {SSE_H: "aws:kms", SSE_KMS_KEY_H: "fake-key-id"}, 403),
    "http-kms-key-id": ("http", "KMS:id", 403),
    "http-sse-c": ("http", "SSE-C", 403),
    "http-no-header": ("http", {}, 403),
}


@pytest.mark.parametrize("case", list(PUT_CASES))
def test_typical_policy_put(server, keys, guarded, case):
    """§8.2: the typical deny policy (HTTP, algorithm, missing header, other key) against real PUTs. The
    policy is evaluated before header validation, so invalid values, SSE-C over HTTP (E-C1) and KMS over
    HTTP (E-K8) are 403 here, not 400. The key condition compares the key S3 will use as a key ARN [D], so
    the alias of the allowed key is allowed."""
    scheme, hdrs, status = PUT_CASES[case]
    ep = shared_endpoint(server, scheme)
    if hdrs == "SSE-C":
        hdrs = ssec_headers(new_customer_key())
    elif isinstance(hdrs, str):
        form = hdrs.split(":")[1]
        hdrs = _kms(keys[1]["arn"] if form == "other" else keys[0][form])
    else:
        hdrs = {k: (keys[0]["id"] if v == "ID" else v) for k, v in hdrs.items()}
    key = f"put-{case}"
    resp = ep.request("PUT", f"/{guarded}/{key}", body=b"guarded", headers=hdrs)
    if status == 200:
        assert resp.status_code == 200, resp.text
        assert resp.headers[SSE_KMS_KEY_H] == keys[0]["arn"]
    else:
        assert_exact_error(resp, 403, "AccessDenied", denied("s3:PutObject", f"arn:aws:s3:::{guarded}/{key}"))


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_typical_policy_reads_and_lists(server, guarded, scheme):
    """DenyHttp covers every action over HTTP (the owner included); over HTTPS reads are allowed."""
    ep = shared_endpoint(server, scheme)
    get = ep.request("GET", f"/{guarded}/existing")
    head = ep.request("HEAD", f"/{guarded}/existing")
    listing = ep.request("GET", f"/{guarded}", params={"list-type": "2"})
    enc = ep.request("GET", f"/{guarded}", params={"encryption": None})
    if scheme == "https":
        assert get.status_code == 200 and get.content == b"existing"
        assert head.status_code == 200
        assert listing.status_code == 200 and b"<Key>existing</Key>" in listing.content
        assert enc.status_code == 200
    else:
        assert_exact_error(get, 403, "AccessDenied", denied("s3:GetObject", f"arn:aws:s3:::{guarded}/existing"))
        assert_exact_error(head, 403, "AccessDenied", "")
        assert_exact_error(listing, 403, "AccessDenied", denied("s3:ListBucket", f"arn:aws:s3:::{guarded}"))
        assert_exact_error(enc, 403, "AccessDenied",
                           denied("s3:GetEncryptionConfiguration", f"arn:aws:s3:::{guarded}"))


def test_typical_policy_boto3(server, keys, guarded):
    hs3, h3 = shared_endpoint(server, "https").s3, shared_endpoint(server, "http").s3
    ok = hs3.put_object(Bucket=guarded, Key="b3", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=keys[0]["arn"])
    assert ok["SSEKMSKeyId"] == keys[0]["arn"]
    with expect_exact_error(403, "AccessDenied", denied("s3:PutObject", f"arn:aws:s3:::{guarded}/b3")):
        hs3.put_object(Bucket=guarded, Key="b3", Body=b"x")
    with expect_exact_error(403, "AccessDenied", denied("s3:GetObject", f"arn:aws:s3:::{guarded}/b3")):
        h3.get_object(Bucket=guarded, Key="b3")


def test_typical_policy_multipart(server, keys, guarded):
    """§8.2 [R, I]: s3:PutObject also governs UploadPart/Complete, which cannot carry the SSE header; the
    conditions are evaluated on the request's own headers, so the typical policy denies the parts."""
    hs = shared_endpoint(server, "https")
    create = hs.request("POST", f"/{guarded}/mpu", params={"uploads": None}, headers=_kms(keys[0]["arn"]))
    assert create.status_code == 200, create.text
    uid = parse_xml(create.content).findtext("UploadId")
    part = hs.request("PUT", f"/{guarded}/mpu", params={"partNumber": 1, "uploadId": uid}, body=b"part")
    assert_exact_error(part, 403, "AccessDenied", denied("s3:PutObject", f"arn:aws:s3:::{guarded}/mpu"))
    denied_create = hs.request("POST", f"/{guarded}/mpu2", params={"uploads": None})
    assert_exact_error(denied_create, 403, "AccessDenied", denied("s3:PutObject", f"arn:aws:s3:::{guarded}/mpu2"))


def test_typical_policy_copy(server, keys, guarded):
    hs = shared_endpoint(server, "https")
    ok = hs.s3.copy_object(Bucket=guarded, Key="copy-ok", CopySource={"Bucket": guarded, "Key": "existing"},
                           ServerSideEncryption="aws:kms", SSEKMSKeyId=keys[0]["id"])
    assert ok["SSEKMSKeyId"] == keys[0]["arn"]
    with expect_exact_error(403, "AccessDenied", denied("s3:PutObject", f"arn:aws:s3:::{guarded}/copy-bad")):
        hs.s3.copy_object(Bucket=guarded, Key="copy-bad", CopySource={"Bucket": guarded, "Key": "existing"})


# ================================================================ §8.2 other condition keys

def _policy(ep, bucket, statements):
    ep.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))


def test_secure_transport_only(server):
    hs, h = shared_endpoint(server, "https"), shared_endpoint(server, "http")
    bucket = hs.create_bucket("tls")
    _policy(hs, bucket, [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                          "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                          "Condition": {"Bool": {"aws:SecureTransport": "false"}}}])
    assert hs.s3.put_object(Bucket=bucket, Key="k", Body=b"tls only")["ServerSideEncryption"] == "AES256"
    with expect_exact_error(403, "AccessDenied", denied("s3:PutObject", f"arn:aws:s3:::{bucket}/k")):
        h.s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with expect_exact_error(403, "AccessDenied", denied("s3:DeleteBucketPolicy", f"arn:aws:s3:::{bucket}")):
        h.s3.delete_bucket_policy(Bucket=bucket)
    hs.s3.delete_bucket_policy(Bucket=bucket)
    assert h.s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"tls only"


def test_sse_condition_is_absent_without_header(ep, bucket):
    """§8.2 [P]: s3:x-amz-server-side-encryption is absent when the header is absent, even though the default
    encrypts: a StringEquals-AES256 deny blocks the explicit header only."""
    _policy(ep, bucket, [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                          "Resource": f"arn:aws:s3:::{bucket}/*",
                          "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}])
    assert ep.s3.put_object(Bucket=bucket, Key="implicit", Body=b"x")["ServerSideEncryption"] == "AES256"
    with expect_exact_error(403, "AccessDenied", denied("s3:PutObject", f"arn:aws:s3:::{bucket}/explicit")):
        ep.s3.put_object(Bucket=bucket, Key="explicit", Body=b"x", ServerSideEncryption="AES256")


def _deny_key_policy(hs, key_arn) -> str:
    bucket = hs.create_bucket("keycond")
    _policy(hs, bucket, [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                          "Resource": f"arn:aws:s3:::{bucket}/*",
                          "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}}}])
    return bucket


def test_kms_key_condition_uses_aws_managed_key_without_key_id(hs, aws_managed_arn):
    """§8.2 [D]: with aws:kms and no key-id header, the key compared is the aws/s3 key's ARN."""
    bucket = _deny_key_policy(hs, aws_managed_arn)
    assert hs.s3.put_object(Bucket=bucket, Key="k", Body=b"x")["ServerSideEncryption"] == "AES256"
    with expect_exact_error(403, "AccessDenied", denied("s3:PutObject", f"arn:aws:s3:::{bucket}/k")):
        hs.s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms")


def test_kms_key_condition_resolves_alias_to_key_arn(hs, keys, aws_managed_arn):
    """§8.2 [D]: the key S3 will use is compared as a key ARN, so an alias (alias/aws/s3 or a customer alias)
    is compared as the ARN of its target key."""
    bucket = _deny_key_policy(hs, aws_managed_arn)
    with expect_exact_error(403, "AccessDenied", denied("s3:PutObject", f"arn:aws:s3:::{bucket}/k")):
        hs.s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms",
                         SSEKMSKeyId=AWS_MANAGED_ALIAS)
    bucket = _deny_key_policy(hs, keys[0]["arn"])
    with expect_exact_error(403, "AccessDenied", denied("s3:PutObject", f"arn:aws:s3:::{bucket}/k")):
        hs.s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms",
                         SSEKMSKeyId=keys[0]["alias"])


def test_kms_key_condition_resolves_bare_id_to_arn(hs, keys):
    """§8.2 [D]: a bare key id is compared as the key ARN."""
    bucket = hs.create_bucket("keyarn")
    _policy(hs, bucket, [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                          "Resource": f"arn:aws:s3:::{bucket}/*",
                          "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id":
                                                         keys[1]["arn"]}}}])
    with expect_exact_error(403, "AccessDenied", denied("s3:PutObject", f"arn:aws:s3:::{bucket}/k")):
        hs.s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=keys[1]["id"])
    assert hs.s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms",
                            SSEKMSKeyId=keys[0]["id"])["SSEKMSKeyId"] == keys[0]["arn"]


def test_sse_c_required_by_null_condition(hs):
    """§8.2 [D, P ceph]: SSE-C enforced with Null on the customer-algorithm key; the algorithm header is
    then needed on UploadPart and Complete too."""
    bucket = hs.create_bucket("needc")
    allow_ssec(hs.s3, bucket)
    _policy(hs, bucket, [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                          "Resource": f"arn:aws:s3:::{bucket}/*",
                          "Condition": {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "true"}}}])
    key = new_customer_key()
    with expect_exact_error(403, "AccessDenied", denied("s3:PutObject", f"arn:aws:s3:::{bucket}/plain")):
        hs.s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    assert hs.s3.put_object(Bucket=bucket, Key="c", Body=b"x", **ssec_args(key))["SSECustomerAlgorithm"] == "AES256"
    create = hs.request("POST", f"/{bucket}/m", params={"uploads": None}, headers=ssec_headers(key))
    assert create.status_code == 200, create.text
    uid = parse_xml(create.content).findtext("UploadId")
    no_alg = hs.request("PUT", f"/{bucket}/m", params={"partNumber": 1, "uploadId": uid}, body=b"part")
    assert_exact_error(no_alg, 403, "AccessDenied", denied("s3:PutObject", f"arn:aws:s3:::{bucket}/m"))
    part = hs.request("PUT", f"/{bucket}/m", params={"partNumber": 1, "uploadId": uid}, body=b"part",
                      headers=ssec_headers(key))
    assert part.status_code == 200, part.text
    xml = (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{part.headers['ETag']}</ETag>"
           "</Part></CompleteMultipartUpload>").encode()
    bare = hs.request("POST", f"/{bucket}/m", params={"uploadId": uid}, body=xml)
    assert_exact_error(bare, 403, "AccessDenied", denied("s3:PutObject", f"arn:aws:s3:::{bucket}/m"))
    done = hs.request("POST", f"/{bucket}/m", params={"uploadId": uid}, body=xml, headers=ssec_headers(key))
    assert done.status_code == 200, done.text


def test_anonymous_deny_is_plain_access_denied(server_factory):
    """§8.2: anonymous callers get "Access Denied", not the detailed same-account form."""
    srv = server_factory(extra_args=["--allow-anonymous"])
    ep = srv.endpoint("http")
    bucket = ep.create_bucket("anon")
    ep.s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    _policy(ep, bucket, [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                          "Resource": f"arn:aws:s3:::{bucket}/*"}])
    resp = requests.get(f"{ep.url}/{bucket}/k", timeout=30)
    assert_exact_error(resp, 403, "AccessDenied", "Access Denied")
    signed = ep.request("GET", f"/{bucket}/k")
    assert_exact_error(signed, 403, "AccessDenied", denied("s3:GetObject", f"arn:aws:s3:::{bucket}/k"))
    ep.s3.close()
