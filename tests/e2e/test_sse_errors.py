"""Server-side encryption errors, one test per case of §3.1–§3.3 of
/work/shared/docs/s3-sse-semantics.md, plus the validation order of §3.4.

Every error is checked for status, Code, Message byte for byte and exactly the extra
elements the reference lists (``assert_exact_error`` / ``expect_exact_error``), through boto3
over HTTPS where boto3 can send the request, and as raw SigV4-signed requests where it cannot
(or to show the wire form). HEAD answers have the status and no body.

Cases marked [I] in the reference are asserted as the emulator documents them (its
``Sources/Encryption/SSEErrors.swift`` rules) and say so in their docstrings.
Not applicable here: E-K12 (no IAM permission model: every caller may use every key) and
E-B5 (legacy; current S3 returns the AES256 default, checked in test_bucket_encryption_policy.py).
"""

from __future__ import annotations

import base64
import uuid

import pytest
import requests

from helpers import (ACCESS_KEY, KMS_ACCOUNT, REGION, SSE_BUCKET_KEY_H, SSE_CONTEXT_H, SSE_H, SSE_KMS_KEY_H,
                     SSEC_ALG_H, SSEC_KEY_H, SSEC_MD5_H, allow_ssec, assert_exact_error, b64,
                     expect_exact_error, kms_client, md5_b64, new_customer_key,
                     parse_xml, shared_endpoint, ssec_args, ssec_headers)

# ---------------------------------------------------------------- wire messages (§3)

M_C1 = "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection."
M_C2 = "Server Side Encryption with Customer provided key is incompatible with the encryption method specified"
M_C3 = "The Encryption request you specified is not valid. Supported value: AES256."
M_C4 = "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm."
M_C5 = "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key."
M_C6 = ("Requests specifying Server Side Encryption with Customer provided keys must provide the client "
        "calculated MD5 of the secret key.")
M_C7 = "The calculated MD5 hash of the key did not match the hash that was provided."
M_C8 = "The secret key was invalid for the specified algorithm."
M_C9 = "The encryption parameters are not applicable to this object."
M_C10 = ("The object was stored using a form of Server Side Encryption. The correct parameters must be "
         "provided to retrieve the object.")
M_C11 = "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key."
M_C13 = ("The multipart upload initiate requested encryption. Subsequent part requests must include the "
         "appropriate encryption parameters.")
M_C14 = "The provided encryption parameters did not match the ones used originally."
M_S1 = "The encryption method specified is not supported"
M_S2 = "x-amz-server-side-encryption header is not supported for this operation."
M_K1 = "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms"
M_K2 = ("The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON "
        "which represents a string-string map")
M_K7 = "Requests specifying Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4."
M_K8 = "Requests specifying Server Side Encryption with AWS KMS managed keys must be made over a secure connection."
M_M1 = "The Content-MD5 you specified did not match what we received."
M_M2 = "The Content-MD5 you specified is not valid."

SSE_ARG = {"ArgumentName": SSE_H}
PRINCIPAL = f"arn:aws:iam::{KMS_ACCOUNT}:user/{ACCESS_KEY}"


def m_c17(action: str, bucket: str, key: str) -> str:
    return (f"User: {PRINCIPAL} is not authorized to perform: {action} on resource: \"arn:aws:s3:::{bucket}/{key}\" "
            "because this bucket has blocked upload requests that specify Server Side Encryption with Customer "
            "provided keys (SSE-C). Please specify a different server-side encryption type")


def key_arn(key_id: str, region: str = REGION) -> str:
    return f"arn:aws:kms:{region}:{KMS_ACCOUNT}:key/{key_id}"


# ---------------------------------------------------------------- fixtures

@pytest.fixture
def hs3(hs):
    return hs.s3


@pytest.fixture(scope="module")
def kms(server):
    client = kms_client(shared_endpoint(server, "https"))
    yield client
    client.close()


@pytest.fixture(scope="module")
def objs(server, kms):
    """One bucket (SSE-C allowed) holding an object of each mode, shared by the read tests."""
    hs = shared_endpoint(server, "https")
    bucket = hs.create_bucket("errs")
    allow_ssec(hs.s3, bucket)
    ckey = new_customer_key("errors module object key")
    key = kms.create_key(Description="test_sse_errors")["KeyMetadata"]
    hs.s3.put_object(Bucket=bucket, Key="ssec", Body=b"sse-c object body", **ssec_args(ckey))
    hs.s3.put_object(Bucket=bucket, Key="plain", Body=b"sse-s3 object body")
    hs.s3.put_object(Bucket=bucket, Key="kms", Body=b"kms object body", ServerSideEncryption="aws:kms",
                     SSEKMSKeyId=key["KeyId"])
    return {"bucket": bucket, "ckey": ckey, "kms_id": key["KeyId"], "kms_arn": key["Arn"]}


def sbucket_of(ep) -> str:
    name = ep.create_bucket("ssecerr")
    allow_ssec(ep.s3, name)
    return name


@pytest.fixture
def sbucket(hs):
    return sbucket_of(hs)


def raw(ep, op: str, bucket: str, key: str, headers: dict, body: bytes = b"x", source: str | None = None):
    """One raw signed request for ``op`` with ``headers``."""
    headers = dict(headers)
    if op == "put":
        return ep.request("PUT", f"/{bucket}/{key}", headers=headers, body=body)
    if op == "copy":
        headers["x-amz-copy-source"] = f"/{bucket}/{source or 'plain'}"
        return ep.request("PUT", f"/{bucket}/{key}", headers=headers)
    if op == "create":
        return ep.request("POST", f"/{bucket}/{key}", params={"uploads": None}, headers=headers)
    if op in ("get", "head"):
        return ep.request(op.upper(), f"/{bucket}/{key}", headers=headers)
    if op == "attrs":
        headers["x-amz-object-attributes"] = "ETag,ObjectSize"
        return ep.request("GET", f"/{bucket}/{key}", params={"attributes": None}, headers=headers)
    raise ValueError(op)


def create_upload(ep, bucket, key, headers) -> str:
    r = ep.request("POST", f"/{bucket}/{key}", params={"uploads": None}, headers=headers)
    assert r.status_code == 200, r.text
    return parse_xml(r.content).findtext("UploadId")


def upload_part(ep, bucket, key, uid, headers, n=1, body=b"part body"):
    return ep.request("PUT", f"/{bucket}/{key}", params={"partNumber": n, "uploadId": uid}, headers=headers, body=body)


def upload_part_copy(ep, bucket, key, uid, source, headers, n=1):
    return ep.request("PUT", f"/{bucket}/{key}", params={"partNumber": n, "uploadId": uid},
                      headers={"x-amz-copy-source": f"/{bucket}/{source}", **headers})


def complete(ep, bucket, key, uid, parts, headers=None):
    xml = "<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in parts) + "</CompleteMultipartUpload>"
    return ep.request("POST", f"/{bucket}/{key}", params={"uploadId": uid}, headers=headers or {}, body=xml.encode())


WRITE_OPS = ["put", "copy", "create"]


# ================================================================ §3.1 SSE-C

# ---------------------------------------------------------------- E-C1 transport

@pytest.mark.parametrize("op", ["put", "get", "head", "copy-source", "copy-dest", "create", "attrs"])
def test_ec1_sse_c_over_http(h, objs, op):
    """E-C1: any request carrying SSE-C or copy-source SSE-C headers over plain HTTP is refused."""
    b, ck = objs["bucket"], objs["ckey"]
    if op == "copy-source":
        resp = raw(h, "copy", b, "dst", ssec_headers(ck, copy_source=True), source="ssec")
    elif op == "copy-dest":
        resp = raw(h, "copy", b, "dst", ssec_headers(ck))
    else:
        resp = raw(h, op, b, "ssec" if op in ("get", "head", "attrs") else "new", ssec_headers(ck))
    assert_exact_error(resp, 400, "InvalidRequest", M_C1)


def test_ec1_boto3_over_http(h, objs):
    with expect_exact_error(400, "InvalidRequest", M_C1):
        h.s3.put_object(Bucket=objs["bucket"], Key="n", Body=b"x", **ssec_args(objs["ckey"]))
    with expect_exact_error(400, "InvalidRequest", M_C1):
        h.s3.get_object(Bucket=objs["bucket"], Key="ssec", **ssec_args(objs["ckey"]))
    with expect_exact_error(400, "400", None):
        h.s3.head_object(Bucket=objs["bucket"], Key="ssec", **ssec_args(objs["ckey"]))


def test_ec1_multipart_parts_over_http(hs, h, sbucket):
    key = new_customer_key()
    uid = create_upload(hs, sbucket, "m", ssec_headers(key))
    assert_exact_error(upload_part(h, sbucket, "m", uid, ssec_headers(key)), 400, "InvalidRequest", M_C1)
    ok = upload_part(hs, sbucket, "m", uid, ssec_headers(key))
    assert ok.status_code == 200, ok.text
    assert_exact_error(complete(h, sbucket, "m", uid, [(1, ok.headers["ETag"])], ssec_headers(key)),
                       400, "InvalidRequest", M_C1)


def test_ec1_comes_first(h, objs):
    """§3.4 step 2: transport before syntax (bad MD5), before the block (E-C17) and before E-C2."""
    b, ck = objs["bucket"], objs["ckey"]
    assert_exact_error(raw(h, "put", b, "n", ssec_headers(ck, md5=md5_b64(b"other"))), 400, "InvalidRequest", M_C1)
    blocked = h.create_bucket("blk")
    assert_exact_error(raw(h, "put", blocked, "n", ssec_headers(ck)), 400, "InvalidRequest", M_C1)
    assert_exact_error(raw(h, "put", b, "n", {**ssec_headers(ck), SSE_H: "AES256"}), 400, "InvalidRequest", M_C1)


def test_signature_checked_before_transport(h, objs):
    """§3.4 step 1: a bad signature is reported before SSE-C over HTTP."""
    resp = h.request("PUT", f"/{objs['bucket']}/n", headers=ssec_headers(objs["ckey"]), body=b"x",
                     secret_key="wrong-secret")
    assert resp.status_code == 403, resp.text
    assert b"<Code>SignatureDoesNotMatch</Code>" in resp.content


# ---------------------------------------------------------------- E-C2

@pytest.mark.parametrize("sse", ["AES256", "aws:kms", "aws:kms:dsse"])
@pytest.mark.parametrize("op", WRITE_OPS)
def test_ec2_sse_c_with_sse_header(hs, sbucket, op, sse):
    key = new_customer_key()
    resp = raw(hs, op, sbucket, "n", {**ssec_headers(key), SSE_H: sse})
    assert_exact_error(resp, 400, "InvalidArgument", M_C2, ArgumentName=SSE_H, ArgumentValue=sse)


def test_ec2_boto3(hs3, sbucket):
    with expect_exact_error(400, "InvalidArgument", M_C2, ArgumentName=SSE_H, ArgumentValue="aws:kms"):
        hs3.put_object(Bucket=sbucket, Key="n", Body=b"x", ServerSideEncryption="aws:kms",
                       **ssec_args(new_customer_key()))


def test_ec2_wins_over_bad_algorithm(hs, sbucket):
    """§1.3 rule 1 / §3.4 [R]: the conflict is reported before the algorithm value is examined."""
    resp = raw(hs, "put", sbucket, "n", {**ssec_headers(new_customer_key(), algorithm="AES128"), SSE_H: "AES256"})
    assert_exact_error(resp, 400, "InvalidArgument", M_C2, ArgumentName=SSE_H, ArgumentValue="AES256")


def test_es1_before_ec2(hs, sbucket):
    """§3.4 step 3 (emulator rule): the SSE value (E-S1) is checked before the SSE-C conflict (E-C2)."""
    resp = raw(hs, "put", sbucket, "n", {**ssec_headers(new_customer_key()), SSE_H: "aes256"})
    assert_exact_error(resp, 400, "InvalidArgument", M_S1, ArgumentName=SSE_H, ArgumentValue="aes256")


# ---------------------------------------------------------------- E-C3

@pytest.mark.parametrize("op", WRITE_OPS)
def test_ec3_bad_algorithm_on_writes(hs, sbucket, op):
    resp = raw(hs, op, sbucket, "n", ssec_headers(new_customer_key(), algorithm="AES128"))
    assert_exact_error(resp, 400, "InvalidEncryptionAlgorithmError", M_C3, ArgumentName=SSE_H, ArgumentValue="AES128")


def test_ec3_boto3_put(hs3, sbucket):
    with expect_exact_error(400, "InvalidEncryptionAlgorithmError", M_C3, ArgumentName=SSE_H, ArgumentValue="aws:kms"):
        hs3.put_object(Bucket=sbucket, Key="n", Body=b"x", **ssec_args(new_customer_key(), algorithm="aws:kms"))


@pytest.mark.parametrize("op", ["get", "head", "attrs"])
def test_ec3_bad_algorithm_on_reads_even_with_the_right_key(hs, objs, op):
    """E-C3 / §3.4 step 4 [R]: a bad algorithm is reported even with the right key (HEAD: 400, no body)."""
    resp = raw(hs, op, objs["bucket"], "ssec", ssec_headers(objs["ckey"], algorithm="aes256"))
    assert_exact_error(resp, 400, "InvalidEncryptionAlgorithmError", M_C3, ArgumentName=SSE_H, ArgumentValue="aes256")


def test_ec3_copy_source_algorithm(hs, objs):
    resp = raw(hs, "copy", objs["bucket"], "dst", ssec_headers(objs["ckey"], algorithm="AES128", copy_source=True),
               source="ssec")
    assert_exact_error(resp, 400, "InvalidEncryptionAlgorithmError", M_C3, ArgumentName=SSE_H, ArgumentValue="AES128")


def test_ec3_upload_part(hs, sbucket):
    key = new_customer_key()
    uid = create_upload(hs, sbucket, "m", ssec_headers(key))
    assert_exact_error(upload_part(hs, sbucket, "m", uid, ssec_headers(key, algorithm="AES512")), 400,
                       "InvalidEncryptionAlgorithmError", M_C3, ArgumentName=SSE_H, ArgumentValue="AES512")


# ---------------------------------------------------------------- E-C4 / E-C5 / E-C6

@pytest.mark.parametrize("op", WRITE_OPS + ["get", "head"])
@pytest.mark.parametrize("members", ["key+md5", "key", "md5"])
def test_ec4_missing_algorithm(hs, objs, op, members):
    """E-C4: key and/or MD5 sent without the algorithm."""
    ck = objs["ckey"]
    hdrs = ssec_headers(ck, algorithm=None,
                        md5=None if members == "key" else "auto")
    if members == "md5":
        hdrs.pop(SSEC_KEY_H)
    resp = raw(hs, op, objs["bucket"], "ssec" if op in ("get", "head") else "n", hdrs)
    assert_exact_error(resp, 400, "InvalidArgument", M_C4, **SSE_ARG)


def test_ec4_boto3(hs3, objs):
    with expect_exact_error(400, "InvalidArgument", M_C4, **SSE_ARG):
        hs3.put_object(Bucket=objs["bucket"], Key="n", Body=b"x", SSECustomerKey=objs["ckey"])


def test_ec4_copy_source(hs, objs):
    resp = raw(hs, "copy", objs["bucket"], "dst", ssec_headers(objs["ckey"], algorithm=None, copy_source=True),
               source="ssec")
    assert_exact_error(resp, 400, "InvalidArgument", M_C4, **SSE_ARG)


@pytest.mark.parametrize("op", WRITE_OPS + ["get", "head", "attrs"])
@pytest.mark.parametrize("with_md5", [False, True], ids=["alg-only", "alg+md5"])
def test_ec5_missing_key(hs, objs, op, with_md5):
    hdrs = {SSEC_ALG_H: "AES256"}
    if with_md5:
        hdrs[SSEC_MD5_H] = md5_b64(objs["ckey"])
    resp = raw(hs, op, objs["bucket"], "ssec" if op in ("get", "head", "attrs") else "n", hdrs)
    assert_exact_error(resp, 400, "InvalidArgument", M_C5, **SSE_ARG)


def test_ec5_boto3(hs3, objs):
    with expect_exact_error(400, "InvalidArgument", M_C5, **SSE_ARG):
        hs3.put_object(Bucket=objs["bucket"], Key="n", Body=b"x", SSECustomerAlgorithm="AES256")
    with expect_exact_error(400, "InvalidArgument", M_C5, **SSE_ARG):
        hs3.get_object(Bucket=objs["bucket"], Key="ssec", SSECustomerAlgorithm="AES256")


@pytest.mark.parametrize("op", WRITE_OPS + ["get", "head"])
def test_ec6_missing_md5(hs, objs, op):
    """E-C6 [P MinIO][I]: the emulator's text for a missing key MD5 (boto3 always adds it: raw only)."""
    resp = raw(hs, op, objs["bucket"], "ssec" if op in ("get", "head") else "n", ssec_headers(objs["ckey"], md5=None))
    assert_exact_error(resp, 400, "InvalidArgument", M_C6, **SSE_ARG)


def test_ec6_copy_source(hs, objs):
    resp = raw(hs, "copy", objs["bucket"], "dst", ssec_headers(objs["ckey"], md5=None, copy_source=True), source="ssec")
    assert_exact_error(resp, 400, "InvalidArgument", M_C6, **SSE_ARG)


# ---------------------------------------------------------------- E-C7 / E-C8

@pytest.mark.parametrize("op", WRITE_OPS)
def test_ec7_md5_mismatch_on_writes(hs, sbucket, op):
    key = new_customer_key()
    resp = raw(hs, op, sbucket, "n", ssec_headers(key, md5=md5_b64(key + b"x")))
    assert_exact_error(resp, 400, "InvalidArgument", M_C7, **SSE_ARG)


def test_ec7_boto3(hs3, sbucket):
    k1, k2 = new_customer_key(), new_customer_key()
    with expect_exact_error(400, "InvalidArgument", M_C7, **SSE_ARG):
        hs3.put_object(Bucket=sbucket, Key="n", Body=b"x", SSECustomerAlgorithm="AES256",
                       SSECustomerKey=b64(k1), SSECustomerKeyMD5=md5_b64(k2))


@pytest.mark.parametrize("op", ["get", "head", "attrs"])
def test_ec7_md5_mismatch_on_reads(hs, objs, op):
    """E-C7 on reads ([I]): the right key with a wrong MD5 is a syntax error (400), not a key mismatch."""
    resp = raw(hs, op, objs["bucket"], "ssec", ssec_headers(objs["ckey"], md5=md5_b64(b"nope")))
    assert_exact_error(resp, 400, "InvalidArgument", M_C7, **SSE_ARG)


def test_ec7_copy_source(hs, objs):
    resp = raw(hs, "copy", objs["bucket"], "dst",
               ssec_headers(objs["ckey"], md5=md5_b64(b"nope"), copy_source=True), source="ssec")
    assert_exact_error(resp, 400, "InvalidArgument", M_C7, **SSE_ARG)


def test_ec7_checked_before_key_length(hs, sbucket):
    """E-C7 [R aws-cli#6906]: a 24-byte key with a non-matching MD5 gets the MD5 error, not E-C8."""
    short = new_customer_key("24-byte key", size=24)
    resp = raw(hs, "put", sbucket, "n", ssec_headers(short, md5=md5_b64(b"different")))
    assert_exact_error(resp, 400, "InvalidArgument", M_C7, **SSE_ARG)


@pytest.mark.parametrize("size", [16, 24, 31, 33, 44, 64])
def test_ec8_wrong_key_length_on_put(hs, sbucket, size):
    """E-C8: a decoded key that is not 32 bytes, with a consistent MD5 (the already-base64 key of §1.1 is 44)."""
    key = new_customer_key(f"{size}-byte key", size=size)
    resp = raw(hs, "put", sbucket, "n", ssec_headers(key))
    assert_exact_error(resp, 400, "InvalidArgument", M_C8, **SSE_ARG)


def test_ec8_base64_key_passed_to_boto3(hs3, sbucket):
    """§1.1: passing an already-base64 key to botocore sends a 44-byte key with a matching MD5 ⇒ E-C8."""
    key = new_customer_key()
    with expect_exact_error(400, "InvalidArgument", M_C8, **SSE_ARG):
        hs3.put_object(Bucket=sbucket, Key="n", Body=b"x", SSECustomerAlgorithm="AES256",
                       SSECustomerKey=base64.b64encode(key).decode())


@pytest.mark.parametrize("op", ["copy", "create", "upload-part"])
def test_ec8_other_writes(hs, sbucket, op):
    short = new_customer_key("16-byte key", size=16)
    if op == "upload-part":
        key = new_customer_key()
        uid = create_upload(hs, sbucket, "m", ssec_headers(key))
        resp = upload_part(hs, sbucket, "m", uid, ssec_headers(short))
    else:
        hs.s3.put_object(Bucket=sbucket, Key="plain", Body=b"p")
        resp = raw(hs, op, sbucket, "n", ssec_headers(short))
    assert_exact_error(resp, 400, "InvalidArgument", M_C8, **SSE_ARG)


# ---------------------------------------------------------------- E-C9 / E-C10 / E-C11 / E-C12

@pytest.mark.parametrize("target", ["plain", "kms"])
@pytest.mark.parametrize("op", ["get", "head"])
def test_ec9_sse_c_headers_on_non_sse_c_object(hs, objs, target, op):
    resp = raw(hs, op, objs["bucket"], target, ssec_headers(new_customer_key()))
    assert_exact_error(resp, 400, "InvalidRequest", M_C9)


def test_ec9_boto3(hs3, objs):
    with expect_exact_error(400, "InvalidRequest", M_C9):
        hs3.get_object(Bucket=objs["bucket"], Key="plain", **ssec_args(objs["ckey"]))


def test_ec9_wrong_length_key_on_non_sse_c_object(hs, objs):
    """§3.4 step 4: key length is not a read error; a 16-byte key (matching MD5) on an SSE-S3 object is E-C9."""
    resp = raw(hs, "get", objs["bucket"], "plain", ssec_headers(new_customer_key("16-byte key", size=16)))
    assert_exact_error(resp, 400, "InvalidRequest", M_C9)


def test_syntax_checked_before_ec9(hs, objs):
    """§3.4 step 4: SSE-C header syntax (E-C7) comes before 'not applicable' (E-C9)."""
    key = new_customer_key()
    resp = raw(hs, "get", objs["bucket"], "plain", ssec_headers(key, md5=md5_b64(b"x")))
    assert_exact_error(resp, 400, "InvalidArgument", M_C7, **SSE_ARG)


@pytest.mark.parametrize("variant", ["get", "range", "partNumber", "attrs"])
def test_ec10_sse_c_object_read_without_key(hs, objs, variant):
    b = objs["bucket"]
    if variant == "get":
        resp = hs.request("GET", f"/{b}/ssec")
    elif variant == "range":
        resp = hs.request("GET", f"/{b}/ssec", headers={"Range": "bytes=0-3"})
    elif variant == "partNumber":
        resp = hs.request("GET", f"/{b}/ssec", params={"partNumber": "1"})
    else:
        resp = raw(hs, "attrs", b, "ssec", {})
    assert_exact_error(resp, 400, "InvalidRequest", M_C10)


def test_ec10_boto3(hs3, objs):
    with expect_exact_error(400, "InvalidRequest", M_C10):
        hs3.get_object(Bucket=objs["bucket"], Key="ssec")
    with expect_exact_error(400, "InvalidRequest", M_C10):
        hs3.get_object_attributes(Bucket=objs["bucket"], Key="ssec", ObjectAttributes=["ETag"])


def test_ec10_copy_source_without_copy_source_headers(hs, objs):
    b = objs["bucket"]
    assert_exact_error(raw(hs, "copy", b, "dst", {}, source="ssec"), 400, "InvalidRequest", M_C10)
    # the destination trio does not describe the source
    assert_exact_error(raw(hs, "copy", b, "dst", ssec_headers(objs["ckey"]), source="ssec"), 400,
                       "InvalidRequest", M_C10)


def test_ec10_upload_part_copy_without_copy_source_headers(hs, objs):
    b = objs["bucket"]
    uid = create_upload(hs, b, "m", {})
    assert_exact_error(upload_part_copy(hs, b, "m", uid, "ssec", {}), 400, "InvalidRequest", M_C10)
    hs.request("DELETE", f"/{b}/m", params={"uploadId": uid})


@pytest.mark.parametrize("variant", ["get", "range", "attrs", "wrong-length-matching-md5"])
def test_ec11_wrong_key(hs, objs, variant):
    """E-C11: a different key is 403 AccessDenied (a wrong-length key whose MD5 matches too: compared first)."""
    b = objs["bucket"]
    other = new_customer_key("16-byte key", size=16) if variant == "wrong-length-matching-md5" else new_customer_key()
    hdrs = ssec_headers(other)
    if variant == "range":
        hdrs["Range"] = "bytes=0-3"
    resp = raw(hs, "attrs" if variant == "attrs" else "get", b, "ssec", hdrs)
    assert_exact_error(resp, 403, "AccessDenied", M_C11)


def test_ec11_boto3(hs3, objs):
    with expect_exact_error(403, "AccessDenied", M_C11):
        hs3.get_object(Bucket=objs["bucket"], Key="ssec", **ssec_args(new_customer_key()))


def test_ec12_head_of_sse_c_object(hs, hs3, objs):
    """E-C12: HEAD of an SSE-C object: no key 400, wrong key 403, bad algorithm 400; never a body."""
    b, ck = objs["bucket"], objs["ckey"]
    assert_exact_error(hs.request("HEAD", f"/{b}/ssec"), 400, "InvalidRequest", M_C10)
    assert_exact_error(raw(hs, "head", b, "ssec", ssec_headers(new_customer_key())), 403, "AccessDenied", M_C11)
    assert_exact_error(raw(hs, "head", b, "ssec", ssec_headers(ck, algorithm="AES1")), 400,
                       "InvalidEncryptionAlgorithmError", M_C3)
    with expect_exact_error(400, "400", None):
        hs3.head_object(Bucket=b, Key="ssec")
    with expect_exact_error(403, "403", None):
        hs3.head_object(Bucket=b, Key="ssec", **ssec_args(new_customer_key()))
    ok = raw(hs, "head", b, "ssec", ssec_headers(ck))
    assert ok.status_code == 200 and ok.content == b""


# ---------------------------------------------------------------- E-C13 / E-C14 (multipart)

def test_ec13_part_without_sse_c_on_sse_c_upload(hs, sbucket):
    key = new_customer_key()
    uid = create_upload(hs, sbucket, "m", ssec_headers(key))
    assert_exact_error(upload_part(hs, sbucket, "m", uid, {}), 400, "InvalidRequest", M_C13)
    hs.s3.put_object(Bucket=sbucket, Key="plain", Body=b"p")
    assert_exact_error(upload_part_copy(hs, sbucket, "m", uid, "plain", {}), 400, "InvalidRequest", M_C13)


def test_ec13_part_with_sse_c_on_non_sse_c_upload(hs, sbucket):
    """§7: an upload created without SSE-C that receives SSE-C parts gets E-C13 too [R]."""
    key = new_customer_key()
    for create_headers in ({}, {SSE_H: "AES256"}):
        uid = create_upload(hs, sbucket, "m", create_headers)
        assert_exact_error(upload_part(hs, sbucket, "m", uid, ssec_headers(key)), 400, "InvalidRequest", M_C13)


def test_ec13_boto3(hs3, sbucket):
    uid = hs3.create_multipart_upload(Bucket=sbucket, Key="m", **ssec_args(new_customer_key()))["UploadId"]
    with expect_exact_error(400, "InvalidRequest", M_C13):
        hs3.upload_part(Bucket=sbucket, Key="m", UploadId=uid, PartNumber=1, Body=b"x")


def test_ec14_part_with_different_key(hs, hs3, sbucket):
    k1, k2 = new_customer_key(), new_customer_key()
    uid = create_upload(hs, sbucket, "m", ssec_headers(k1))
    assert_exact_error(upload_part(hs, sbucket, "m", uid, ssec_headers(k2)), 400, "InvalidRequest", M_C14)
    hs3.put_object(Bucket=sbucket, Key="plain", Body=b"p")
    assert_exact_error(upload_part_copy(hs, sbucket, "m", uid, "plain", ssec_headers(k2)), 400, "InvalidRequest", M_C14)
    with expect_exact_error(400, "InvalidRequest", M_C14):
        hs3.upload_part(Bucket=sbucket, Key="m", UploadId=uid, PartNumber=1, Body=b"x", **ssec_args(k2))


def test_ec14_complete_with_different_key(hs, sbucket):
    """§7 emulator rule: a trio sent to Complete is validated like UploadPart."""
    k1, k2 = new_customer_key(), new_customer_key()
    uid = create_upload(hs, sbucket, "m", ssec_headers(k1))
    part = upload_part(hs, sbucket, "m", uid, ssec_headers(k1))
    assert part.status_code == 200, part.text
    resp = complete(hs, sbucket, "m", uid, [(1, part.headers["ETag"])], ssec_headers(k2))
    assert_exact_error(resp, 400, "InvalidRequest", M_C14)


# ---------------------------------------------------------------- E-C15 / E-C16 (copy source)

def test_ec15_wrong_copy_source_key(hs, hs3, objs):
    """E-C15 [I]: wrong copy-source key ⇒ 403 AccessDenied with the E-C11 text (emulator rule)."""
    b = objs["bucket"]
    other = new_customer_key()
    assert_exact_error(raw(hs, "copy", b, "dst", ssec_headers(other, copy_source=True), source="ssec"),
                       403, "AccessDenied", M_C11)
    with expect_exact_error(403, "AccessDenied", M_C11):
        hs3.copy_object(Bucket=b, Key="dst", CopySource={"Bucket": b, "Key": "ssec"},
                        **ssec_args(other, copy_source=True))
    uid = create_upload(hs, b, "m", {})
    assert_exact_error(upload_part_copy(hs, b, "m", uid, "ssec", ssec_headers(other, copy_source=True)),
                       403, "AccessDenied", M_C11)


@pytest.mark.parametrize("source", ["plain", "kms"])
def test_ec16_copy_source_headers_on_non_sse_c_source(hs, objs, source):
    """E-C16 [I]: copy-source SSE-C headers on a source that is not SSE-C ⇒ 400 with the E-C9 text."""
    resp = raw(hs, "copy", objs["bucket"], "dst", ssec_headers(new_customer_key(), copy_source=True), source=source)
    assert_exact_error(resp, 400, "InvalidRequest", M_C9)


def test_ec16_upload_part_copy(hs, objs):
    """E-C16 is recorded for CopyObject; the emulator applies the same rule to UploadPartCopy [I]."""
    b = objs["bucket"]
    uid = create_upload(hs, b, "m", {})
    resp = upload_part_copy(hs, b, "m", uid, "plain", ssec_headers(new_customer_key(), copy_source=True))
    assert_exact_error(resp, 400, "InvalidRequest", M_C9)


# ---------------------------------------------------------------- E-C17 (blocked SSE-C)

@pytest.mark.parametrize("op,action", [("put", "s3:PutObject"), ("copy", "s3:CopyObject"),
                                       ("create", "s3:PutObject")])
def test_ec17_blocked_bucket(hs, op, action):
    """E-C17: new buckets block SSE-C writes (April 2026 default). CreateMultipartUpload reports
    s3:PutObject (the emulator's documented [I] choice: only PutObject/CopyObject are recorded)."""
    bucket = hs.create_bucket("blocked")
    hs.s3.put_object(Bucket=bucket, Key="plain", Body=b"p")
    resp = raw(hs, op, bucket, "obj/k", ssec_headers(new_customer_key()))
    assert_exact_error(resp, 403, "AccessDenied", m_c17(action, bucket, "obj/k"))


def test_ec17_boto3(hs):
    bucket = hs.create_bucket("blocked")
    with expect_exact_error(403, "AccessDenied", m_c17("s3:PutObject", bucket, "k")):
        hs.s3.put_object(Bucket=bucket, Key="k", Body=b"x", **ssec_args(new_customer_key()))


def test_ec17_post_object(hs):
    """E-C17 applies to POST Object (form fields carry the SSE-C trio)."""
    bucket = hs.create_bucket("blocked")
    key = new_customer_key()
    fields = {SSEC_ALG_H: "AES256", SSEC_KEY_H: b64(key), SSEC_MD5_H: md5_b64(key)}
    presigned = hs.s3.generate_presigned_post(bucket, "form", Fields=fields,
                                              Conditions=[{k: v} for k, v in fields.items()], ExpiresIn=300)
    resp = requests.post(presigned["url"], data=presigned["fields"],
                         files={"file": ("f.bin", b"form body", "application/octet-stream")},
                         verify=hs.verify, timeout=60)
    assert_exact_error(resp, 403, "AccessDenied", m_c17("s3:PutObject", bucket, "form"))


def test_ec17_reported_before_key_material(hs):
    """§3.4 [P]: the block is reported before the key material is examined (bad MD5, short key, bad algorithm)."""
    bucket = hs.create_bucket("blocked")
    key = new_customer_key()
    for hdrs in (ssec_headers(key, md5=md5_b64(b"x")), ssec_headers(new_customer_key("short", size=8)),
                 ssec_headers(key, md5=None), ssec_headers(key, algorithm="AES128")):
        assert_exact_error(raw(hs, "put", bucket, "k", hdrs), 403, "AccessDenied", m_c17("s3:PutObject", bucket, "k"))


def test_ec17_after_ec2(hs):
    """§3.4: the SSE-C/SSE conflict (E-C2) is reported before the block."""
    bucket = hs.create_bucket("blocked")
    resp = raw(hs, "put", bucket, "k", {**ssec_headers(new_customer_key()), SSE_H: "aws:kms"})
    assert_exact_error(resp, 400, "InvalidArgument", M_C2, ArgumentName=SSE_H, ArgumentValue="aws:kms")


def test_ec17_reads_and_other_modes_not_blocked(hs):
    """§5.2: reads of existing SSE-C objects keep working after the block is set again; other modes write."""
    bucket = sbucket_of(hs)
    key = new_customer_key()
    hs.s3.put_object(Bucket=bucket, Key="c", Body=b"before block", **ssec_args(key))
    hs.s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]}}]})
    assert hs.s3.get_object(Bucket=bucket, Key="c", **ssec_args(key))["Body"].read() == b"before block"
    hs.s3.put_object(Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms")
    with expect_exact_error(403, "AccessDenied", m_c17("s3:PutObject", bucket, "c2")):
        hs.s3.put_object(Bucket=bucket, Key="c2", Body=b"x", **ssec_args(key))
    # copying the SSE-C object out to another mode is a read of the source, not blocked
    out = hs.s3.copy_object(Bucket=bucket, Key="out", CopySource={"Bucket": bucket, "Key": "c"},
                            **ssec_args(key, copy_source=True))
    assert out["ServerSideEncryption"] == "AES256"


@pytest.mark.parametrize("op", ["upload-part", "upload-part-copy"])
def test_ec17_parts_of_upload_created_before_block(hs, op):
    """E-C17 lists UploadPart(Copy) among the blocked operations; §7 notes AWS is undocumented for parts of
    an upload created before the block [P, unverified]. The emulator documents (SSEOperation.writesObjectData /
    blockedSSECAction) that parts can be refused with s3:PutObject: asserted here."""
    bucket = sbucket_of(hs)
    key = new_customer_key()
    hs.s3.put_object(Bucket=bucket, Key="plain", Body=b"p")
    uid = create_upload(hs, bucket, "m", ssec_headers(key))
    hs.s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]}}]})
    if op == "upload-part":
        resp = upload_part(hs, bucket, "m", uid, ssec_headers(key))
    else:
        resp = upload_part_copy(hs, bucket, "m", uid, "plain", ssec_headers(key))
    assert_exact_error(resp, 403, "AccessDenied", m_c17("s3:PutObject", bucket, "m"))


# ================================================================ §3.2 SSE-S3 / SSE-KMS / DSSE-KMS

@pytest.mark.parametrize("value", ["", "aes256", "AES-256", "aws:kms:foo", "AWS:KMS", "aes:kms", "aws:fsx"])
@pytest.mark.parametrize("op", WRITE_OPS)
def test_es1_unknown_sse_value(hs, op, value):
    """E-S1: unknown value (case-sensitive; empty ⇒ empty ArgumentValue element)."""
    bucket = hs.create_bucket("es1")
    hs.s3.put_object(Bucket=bucket, Key="plain", Body=b"p")
    resp = raw(hs, op, bucket, "n", {SSE_H: value})
    assert_exact_error(resp, 400, "InvalidArgument", M_S1, ArgumentName=SSE_H, ArgumentValue=value)


def test_es1_over_http_and_boto3(ep, bucket):
    """E-S1 needs no TLS (an invalid value is not a KMS request)."""
    assert_exact_error(raw(ep, "put", bucket, "n", {SSE_H: "aes256"}), 400, "InvalidArgument", M_S1,
                       ArgumentName=SSE_H, ArgumentValue="aes256")
    with expect_exact_error(400, "InvalidArgument", M_S1, ArgumentName=SSE_H, ArgumentValue="AES128"):
        ep.s3.put_object(Bucket=bucket, Key="n", Body=b"x", ServerSideEncryption="AES128")


@pytest.mark.parametrize("header,value", [(SSE_H, "AES256"), (SSE_H, "aws:kms"), (SSE_KMS_KEY_H, "alias/aws/s3"),
                                          (SSE_CONTEXT_H, b64(b'{"a":"b"}')), (SSE_BUCKET_KEY_H, "true")])
@pytest.mark.parametrize("op", ["get", "head", "attrs"])
def test_es2_sse_headers_on_reads(hs, objs, op, header, value):
    """E-S2 / §1.4: the encryption of an object cannot be chosen at read time (message [I] on reads;
    ArgumentName x-amz-server-side-encryption [I] for every SSE/KMS header)."""
    resp = raw(hs, op, objs["bucket"], "kms", {header: value})
    assert_exact_error(resp, 400, "InvalidArgument", M_S2, **SSE_ARG)


def test_es2_get_on_both_listeners(ep, bucket):
    ep.s3.put_object(Bucket=bucket, Key="o", Body=b"x")
    resp = ep.request("GET", f"/{bucket}/o", headers={SSE_H: "AES256"})
    assert_exact_error(resp, 400, "InvalidArgument", M_S2, **SSE_ARG)


@pytest.mark.parametrize("op", ["upload-part", "upload-part-copy", "complete"])
@pytest.mark.parametrize("value", ["AES256", "aws:kms"])
def test_es2_sse_header_on_multipart_ops(hs, op, value):
    bucket = hs.create_bucket("es2")
    hs.s3.put_object(Bucket=bucket, Key="plain", Body=b"p")
    uid = create_upload(hs, bucket, "m", {SSE_H: value})
    if op == "upload-part":
        resp = upload_part(hs, bucket, "m", uid, {SSE_H: value})
    elif op == "upload-part-copy":
        resp = upload_part_copy(hs, bucket, "m", uid, "plain", {SSE_H: value})
    else:
        part = upload_part(hs, bucket, "m", uid, {})
        assert part.status_code == 200, part.text
        resp = complete(hs, bucket, "m", uid, [(1, part.headers["ETag"])], {SSE_H: value})
    assert_exact_error(resp, 400, "InvalidArgument", M_S2, **SSE_ARG)


def test_es2_before_sse_c_syntax_on_reads(hs, objs):
    """§3.4 step 4: the SSE header (E-S2) is reported before SSE-C header syntax."""
    resp = raw(hs, "get", objs["bucket"], "ssec", {**ssec_headers(objs["ckey"], algorithm="AES1"), SSE_H: "AES256"})
    assert_exact_error(resp, 400, "InvalidArgument", M_S2, **SSE_ARG)


def test_read_of_missing_object_is_404_before_sse_checks(hs, objs):
    """§3.4 step 4 starts with loading the object."""
    for hdrs in ({SSE_H: "AES256"}, ssec_headers(objs["ckey"], algorithm="AES1")):
        resp = raw(hs, "get", objs["bucket"], "missing", hdrs)
        assert resp.status_code == 404 and b"<Code>NoSuchKey</Code>" in resp.content, resp.text


@pytest.mark.parametrize("header,value,sse", [
    (SSE_KMS_KEY_H, "alias/aws/s3", "AES256"),
    (SSE_KMS_KEY_H, "alias/aws/s3", None),
    (SSE_CONTEXT_H, b64(b'{"a":"b"}'), "AES256"),
    (SSE_CONTEXT_H, b64(b'{"a":"b"}'), None),
])
@pytest.mark.parametrize("op", WRITE_OPS)
def test_ek1_kms_headers_without_kms(hs, op, header, value, sse):
    """E-K1: KMS key id (or context, [I]) without aws:kms/aws:kms:dsse; ArgumentName = the KMS header [I]."""
    bucket = hs.create_bucket("ek1")
    hs.s3.put_object(Bucket=bucket, Key="plain", Body=b"p")
    hdrs = {header: value, **({SSE_H: sse} if sse else {})}
    assert_exact_error(raw(hs, op, bucket, "n", hdrs), 400, "InvalidArgument", M_K1, ArgumentName=header)


def test_ek1_boto3(hs3, objs):
    with expect_exact_error(400, "InvalidArgument", M_K1, ArgumentName=SSE_KMS_KEY_H):
        hs3.put_object(Bucket=objs["bucket"], Key="n", Body=b"x", ServerSideEncryption="AES256",
                       SSEKMSKeyId=objs["kms_id"])


def test_ek1_before_ek2(hs, objs):
    resp = raw(hs, "put", objs["bucket"], "n", {SSE_H: "AES256", SSE_CONTEXT_H: "!!not base64!!"})
    assert_exact_error(resp, 400, "InvalidArgument", M_K1, ArgumentName=SSE_CONTEXT_H)


@pytest.mark.parametrize("context", [
    "!!not base64!!", b64(b"not json"), b64(b'{"a":1}'), b64(b'["a","b"]'), b64(b'{"a":{"b":"c"}}'),
    b64(b'"string"'), b64(b'{"a":null}'), b64(b"\xff\xfe"),
], ids=["not-base64", "not-json", "number-value", "array", "nested", "string", "null-value", "not-utf8"])
@pytest.mark.parametrize("sse", ["aws:kms", "aws:kms:dsse"])
def test_ek2_bad_context(hs, objs, context, sse):
    """E-K2: code InvalidArgument [I], no extra elements."""
    resp = raw(hs, "put", objs["bucket"], "n", {SSE_H: sse, SSE_CONTEXT_H: context})
    assert_exact_error(resp, 400, "InvalidArgument", M_K2)


def test_ek2_on_copy_and_create(hs, objs):
    for op in ("copy", "create"):
        resp = raw(hs, op, objs["bucket"], "n", {SSE_H: "aws:kms", SSE_CONTEXT_H: b64(b"[]")})
        assert_exact_error(resp, 400, "InvalidArgument", M_K2)


@pytest.mark.parametrize("form", ["id", "arn"])
@pytest.mark.parametrize("op", WRITE_OPS)
def test_ek3_key_does_not_exist(hs, objs, op, form):
    missing = str(uuid.uuid4())
    value = missing if form == "id" else key_arn(missing)
    resp = raw(hs, op, objs["bucket"], "n", {SSE_H: "aws:kms", SSE_KMS_KEY_H: value})
    assert_exact_error(resp, 400, "KMS.NotFoundException", f"Key '{key_arn(missing)}' does not exist")


def test_ek3_boto3_dsse(hs3, objs):
    missing = str(uuid.uuid4())
    with expect_exact_error(400, "KMS.NotFoundException", f"Key '{key_arn(missing)}' does not exist"):
        hs3.put_object(Bucket=objs["bucket"], Key="n", Body=b"x", ServerSideEncryption="aws:kms:dsse",
                       SSEKMSKeyId=missing)


@pytest.mark.parametrize("value", ["fake-key-id", "1234", "key/abc"])
def test_ek4_invalid_key_id(hs, objs, value):
    resp = raw(hs, "put", objs["bucket"], "n", {SSE_H: "aws:kms", SSE_KMS_KEY_H: value})
    assert_exact_error(resp, 400, "KMS.NotFoundException", f"Invalid keyId '{value}'")


@pytest.mark.parametrize("form", ["key", "alias"])
@pytest.mark.parametrize("region", ["us-west-2", "eu-central-1"])
def test_ek5_key_arn_in_other_region(hs, objs, region, form):
    arn = key_arn(objs["kms_id"], region) if form == "key" else f"arn:aws:kms:{region}:{KMS_ACCOUNT}:alias/aws/s3"
    resp = raw(hs, "put", objs["bucket"], "n", {SSE_H: "aws:kms", SSE_KMS_KEY_H: arn})
    assert_exact_error(resp, 400, "KMS.NotFoundException", f"Invalid arn {region}")


@pytest.mark.parametrize("form", ["name", "arn"])
def test_ek6_alias_does_not_exist(hs, objs, form):
    """E-K6 [I]: KMS text "Alias <alias ARN> is not found."."""
    name = f"alias/missing-{uuid.uuid4().hex[:8]}"
    alias_arn = f"arn:aws:kms:{REGION}:{KMS_ACCOUNT}:{name}"
    resp = raw(hs, "put", objs["bucket"], "n", {SSE_H: "aws:kms", SSE_KMS_KEY_H: name if form == "name" else alias_arn})
    assert_exact_error(resp, 400, "KMS.NotFoundException", f"Alias {alias_arn} is not found.")


def test_ek7_sigv2_kms_write(hs, objs):
    v2 = hs.client(signature_version="s3")
    for sse in ("aws:kms", "aws:kms:dsse"):
        with expect_exact_error(400, "InvalidArgument", M_K7, ArgumentName="Authorization", ArgumentValue="null"):
            v2.put_object(Bucket=objs["bucket"], Key="n", Body=b"x", ServerSideEncryption=sse)
    # SSE-S3 and SSE-C do not need SigV4
    assert v2.put_object(Bucket=objs["bucket"], Key="v2", Body=b"x", ServerSideEncryption="AES256")["ServerSideEncryption"] == "AES256"


def test_ek7_sigv2_kms_read(hs, objs):
    v2 = hs.client(signature_version="s3")
    with expect_exact_error(400, "InvalidArgument", M_K7, ArgumentName="Authorization", ArgumentValue="null"):
        v2.get_object(Bucket=objs["bucket"], Key="kms")
    with expect_exact_error(400, "400", None):
        v2.head_object(Bucket=objs["bucket"], Key="kms")
    assert v2.get_object(Bucket=objs["bucket"], Key="plain")["Body"].read() == b"sse-s3 object body"


def test_ek7_sigv2_presigned_get_of_kms_object(hs, objs):
    """§8.1: SigV2 presigned URLs of KMS objects ⇒ E-K7."""
    v2 = hs.client(signature_version="s3")
    url = v2.generate_presigned_url("get_object", Params={"Bucket": objs["bucket"], "Key": "kms"}, ExpiresIn=300)
    assert "Signature=" in url
    resp = requests.get(url, verify=hs.verify, timeout=30)
    assert_exact_error(resp, 400, "InvalidArgument", M_K7, ArgumentName="Authorization", ArgumentValue="null")


@pytest.mark.parametrize("op", ["put-kms", "put-dsse", "put-kms-key", "create", "copy-dest", "get", "head"])
def test_ek8_kms_over_http(h, objs, op):
    b = objs["bucket"]
    if op == "put-kms":
        resp = raw(h, "put", b, "n", {SSE_H: "aws:kms"})
    elif op == "put-dsse":
        resp = raw(h, "put", b, "n", {SSE_H: "aws:kms:dsse"})
    elif op == "put-kms-key":
        resp = raw(h, "put", b, "n", {SSE_H: "aws:kms", SSE_KMS_KEY_H: objs["kms_id"]})
    elif op == "create":
        resp = raw(h, "create", b, "n", {SSE_H: "aws:kms"})
    elif op == "copy-dest":
        resp = raw(h, "copy", b, "n", {SSE_H: "aws:kms"})
    else:
        resp = raw(h, op, b, "kms", {})
    assert_exact_error(resp, 400, "InvalidArgument", M_K8)


def test_ek8_boto3_and_transport_first(h, objs):
    with expect_exact_error(400, "InvalidArgument", M_K8):
        h.s3.put_object(Bucket=objs["bucket"], Key="n", Body=b"x", ServerSideEncryption="aws:kms")
    with expect_exact_error(400, "InvalidArgument", M_K8):
        h.s3.get_object(Bucket=objs["bucket"], Key="kms")
    # §3.4 step 2: transport before key resolution and context syntax
    assert_exact_error(raw(h, "put", objs["bucket"], "n", {SSE_H: "aws:kms", SSE_KMS_KEY_H: "fake-key-id"}),
                       400, "InvalidArgument", M_K8)
    assert_exact_error(raw(h, "put", objs["bucket"], "n", {SSE_H: "aws:kms", SSE_CONTEXT_H: "!!"}),
                       400, "InvalidArgument", M_K8)
    # SSE-S3 objects are readable over HTTP
    assert h.request("GET", f"/{objs['bucket']}/plain").status_code == 200


@pytest.mark.parametrize("op", ["put", "create", "copy-dest", "get", "head", "copy-source"])
def test_ek9_disabled_key(hs, kms, op):
    key = kms.create_key(Description="ek9")["KeyMetadata"]
    bucket = hs.create_bucket("ek9")
    hs.s3.put_object(Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    hs.s3.put_object(Bucket=bucket, Key="plain", Body=b"p")
    kms.disable_key(KeyId=key["KeyId"])
    use = {SSE_H: "aws:kms", SSE_KMS_KEY_H: key["KeyId"]}
    resp = {"put": lambda: raw(hs, "put", bucket, "n", use), "create": lambda: raw(hs, "create", bucket, "n", use),
            "copy-dest": lambda: raw(hs, "copy", bucket, "n", use), "get": lambda: raw(hs, "get", bucket, "kms", {}),
            "head": lambda: raw(hs, "head", bucket, "kms", {}),
            "copy-source": lambda: raw(hs, "copy", bucket, "n", {}, source="kms")}[op]()
    assert_exact_error(resp, 400, "KMS.DisabledException", f"{key['Arn']} is disabled.")


@pytest.mark.parametrize("op", ["put", "create", "get", "head"])
def test_ek10_pending_deletion(hs, kms, op):
    """E-K10: GET [R]; PUT, CreateMultipartUpload and HEAD are [I] (emulator: same error)."""
    key = kms.create_key(Description="ek10")["KeyMetadata"]
    bucket = hs.create_bucket("ek10")
    hs.s3.put_object(Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    use = {SSE_H: "aws:kms", SSE_KMS_KEY_H: key["Arn"]}
    resp = {"put": lambda: raw(hs, "put", bucket, "n", use), "create": lambda: raw(hs, "create", bucket, "n", use),
            "get": lambda: raw(hs, "get", bucket, "kms", {}), "head": lambda: raw(hs, "head", bucket, "kms", {})}[op]()
    assert_exact_error(resp, 400, "KMS.KMSInvalidStateException", f"{key['Arn']} is pending deletion.")


def test_ek11_asymmetric_key(hs, kms, objs):
    """E-K11: symmetric keys only; message [I] "KMS text" — the emulator's KMS wording is asserted."""
    meta = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    resp = raw(hs, "put", objs["bucket"], "n", {SSE_H: "aws:kms", SSE_KMS_KEY_H: meta["KeyId"]})
    assert_exact_error(resp, 400, "KMS.InvalidKeyUsageException",
                       f"{meta['Arn']} key usage is not compatible with this operation.")


def test_kms_key_checks_after_header_syntax(hs, objs):
    """§3.4 step 3: header checks (E-K2) come before KMS key resolution (E-K3…)."""
    resp = raw(hs, "put", objs["bucket"], "n", {SSE_H: "aws:kms", SSE_KMS_KEY_H: "fake-key-id", SSE_CONTEXT_H: "!!"})
    assert_exact_error(resp, 400, "InvalidArgument", M_K2)


# ================================================================ §3.3 integrity

@pytest.mark.parametrize("mode", ["SSE-S3", "SSE-KMS", "DSSE-KMS", "SSE-C"])
def test_em1_bad_digest_every_mode(hs, objs, mode):
    """E-M1: Content-MD5 is checked against the plaintext in every mode ([I] for KMS/SSE-C); nothing is stored."""
    hdrs = {"SSE-S3": {SSE_H: "AES256"}, "SSE-KMS": {SSE_H: "aws:kms"}, "DSSE-KMS": {SSE_H: "aws:kms:dsse"},
            "SSE-C": ssec_headers(objs["ckey"])}[mode]
    key = f"md5-{mode}"
    resp = raw(hs, "put", objs["bucket"], key, {"Content-MD5": md5_b64(b"other"), **hdrs}, body=b"payload")
    assert_exact_error(resp, 400, "BadDigest", M_M1)
    assert hs.request("HEAD", f"/{objs['bucket']}/{key}").status_code == 404


@pytest.mark.parametrize("value", ["not-base64!", base64.b64encode(b"short").decode(), ""])
@pytest.mark.parametrize("mode", ["SSE-KMS", "SSE-C"])
def test_em2_invalid_digest(hs, objs, mode, value):
    hdrs = {SSE_H: "aws:kms"} if mode == "SSE-KMS" else ssec_headers(objs["ckey"])
    resp = raw(hs, "put", objs["bucket"], "n", {"Content-MD5": value, **hdrs}, body=b"payload")
    assert_exact_error(resp, 400, "InvalidDigest", M_M2)


def test_em1_upload_part(hs, sbucket):
    key = new_customer_key()
    uid = create_upload(hs, sbucket, "m", ssec_headers(key))
    resp = upload_part(hs, sbucket, "m", uid, {"Content-MD5": md5_b64(b"zz"), **ssec_headers(key)})
    assert_exact_error(resp, 400, "BadDigest", M_M1)


# ================================================================ secrets of the error paths (keep last)

def test_zz_error_path_keys_never_stored_or_logged(server):
    """The keys sent in failing requests (wrong, short, over HTTP, blocked) reach neither disk nor log."""
    from helpers import SSE_SECRETS, find_secret_leaks_fast
    secrets = dict(SSE_SECRETS)
    if len(secrets) < 20:
        pytest.skip(f"only {len(secrets)} SSE secrets collected: run with the rest of this module")
    leaks = find_secret_leaks_fast([server.data_dir, server.log_path], secrets)
    assert not leaks, "SSE secrets leaked:\n" + "\n".join(leaks[:50])
