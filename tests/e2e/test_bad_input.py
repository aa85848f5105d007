"""Bad input, table-driven: each malformed request gets a clear S3 or KMS error, and nothing stored changes.

Every case runs against the same bucket holding a few objects (SSE-S3, SSE-KMS, SSE-C, multipart); the bucket's
objects (keys, ETags, bodies), its encryption configuration and its policy are snapshotted before and after.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid

import pytest

from helpers import (SSE_H, allow_ssec, assert_kms_raw_error, assert_s3_error, kms_client, kms_raw, md5_b64,
                     new_customer_key, ssec_args, ssec_headers, unique_bucket)

SSEC = "x-amz-server-side-encryption-customer-"


@pytest.fixture(scope="module")
def world(server):
    from helpers import shared_endpoint
    hs = shared_endpoint(server, "https")
    bucket = unique_bucket("bad")
    hs.s3.create_bucket(Bucket=bucket)
    allow_ssec(hs.s3, bucket)
    key_id = kms_client(hs).create_key(Description="bad input")["KeyMetadata"]["KeyId"]
    customer_key = new_customer_key()
    hs.s3.put_object(Bucket=bucket, Key="sse-s3", Body=os.urandom(3000))
    hs.s3.put_object(Bucket=bucket, Key="sse-kms", Body=os.urandom(3000), ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    hs.s3.put_object(Bucket=bucket, Key="sse-c", Body=os.urandom(3000), **ssec_args(customer_key))
    upload = hs.s3.create_multipart_upload(Bucket=bucket, Key="in-progress")["UploadId"]
    hs.s3.upload_part(Bucket=bucket, Key="in-progress", UploadId=upload, PartNumber=1, Body=os.urandom(5 << 20))
    return {"ep": hs, "bucket": bucket, "kms_key": key_id, "customer_key": customer_key, "upload": upload}


def snapshot(w) -> dict:
    ep, bucket = w["ep"], w["bucket"]
    objects = {}
    for o in ep.s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        extra = ssec_args(w["customer_key"]) if o["Key"] == "sse-c" else {}
        body = ep.s3.get_object(Bucket=bucket, Key=o["Key"], **extra)["Body"].read()
        objects[o["Key"]] = (o["ETag"], o["Size"], hashlib.sha256(body).hexdigest())
    enc = ep.request("GET", f"/{bucket}", params={"encryption": None}).content
    policy = ep.request("GET", f"/{bucket}", params={"policy": None})
    parts = ep.s3.list_parts(Bucket=bucket, Key="in-progress", UploadId=w["upload"])["Parts"]
    policy_state = policy.content if policy.status_code == 200 else policy.status_code
    return {"objects": objects, "encryption": enc, "policy": policy_state,
            "parts": [(p["PartNumber"], p["ETag"]) for p in parts]}


def body_put(w, key="new", body=b"x" * 100, headers=None):
    return w["ep"].request("PUT", f"/{w['bucket']}/{key}", body=body, headers=headers or {})


def k32(w) -> str:
    return base64.b64encode(w["customer_key"]).decode()


CASES = [
    # (id, request(w) -> response, status, code)
    ("ssec-key-not-base64", lambda w: body_put(w, "sse-c", headers={SSEC + "algorithm": "AES256", SSEC + "key": "!!not base64!!",
                                                                    SSEC + "key-MD5": md5_b64(b"x")}), 400, "InvalidArgument"),
    ("ssec-key-16-bytes", lambda w: body_put(w, "sse-c", headers=ssec_headers(os.urandom(16))), 400, "InvalidArgument"),
    ("ssec-key-md5-wrong", lambda w: body_put(w, "sse-c", headers=ssec_headers(w["customer_key"], md5=md5_b64(b"other"))), 400, "InvalidArgument"),
    ("ssec-algorithm-aes128", lambda w: body_put(w, "sse-c", headers=ssec_headers(w["customer_key"], algorithm="AES128")), 400, "InvalidEncryptionAlgorithmError"),
    ("ssec-get-wrong-key", lambda w: w["ep"].request("GET", f"/{w['bucket']}/sse-c", headers=ssec_headers(new_customer_key())), 403, "AccessDenied"),
    ("sse-unknown-algorithm", lambda w: body_put(w, "sse-s3", headers={SSE_H: "AES128"}), 400, "InvalidArgument"),
    ("sse-kms-unknown-key", lambda w: body_put(w, "sse-kms", headers={SSE_H: "aws:kms",
                                                                       "x-amz-server-side-encryption-aws-kms-key-id": str(uuid.uuid4())}), 400, "KMS.NotFoundException"),
    ("sse-kms-context-not-json", lambda w: body_put(w, "sse-kms", headers={SSE_H: "aws:kms", "x-amz-server-side-encryption-context":
                                                                            base64.b64encode(b"{not json").decode()}), 400, "InvalidArgument"),
    ("content-md5-mismatch", lambda w: body_put(w, "sse-s3", headers={"Content-MD5": md5_b64(b"something else")}), 400, "BadDigest"),
    # SSE-KMS and SSE-C ETags are random, so their bodies are MD5-hashed only when Content-MD5 asks: it is still checked,
    # inline (small bodies) and in the body pipeline (1 MiB and more)
    ("content-md5-mismatch-sse-kms", lambda w: body_put(w, "sse-kms", headers={SSE_H: "aws:kms", "Content-MD5": md5_b64(b"else")}),
     400, "BadDigest"),
    ("content-md5-mismatch-sse-kms-2mib", lambda w: body_put(w, "sse-kms", body=b"k" * (2 << 20),
                                                             headers={SSE_H: "aws:kms", "Content-MD5": md5_b64(b"else")}), 400, "BadDigest"),
    ("content-md5-mismatch-sse-c-2mib", lambda w: body_put(w, "sse-c", body=b"c" * (2 << 20),
                                                           headers={**ssec_headers(w["customer_key"]), "Content-MD5": md5_b64(b"else")}),
     400, "BadDigest"),
    ("content-md5-malformed", lambda w: body_put(w, "sse-s3", headers={"Content-MD5": "zzz"}), 400, "InvalidDigest"),
    ("checksum-crc32-mismatch", lambda w: body_put(w, "sse-s3", headers={"x-amz-checksum-crc32": "AAAAAA=="}), 400, "BadDigest"),
    ("metadata-too-large", lambda w: body_put(w, "sse-s3", headers={"x-amz-meta-big": "a" * 2100}), 400, "MetadataTooLarge"),
    # S3 refuses a header section over 8 KiB before it reads metadata (signed, so only the size is wrong)
    ("header-section-too-large", lambda w: body_put(w, "sse-s3", headers={"x-amz-meta-big": "a" * 2100, "x-pad": "p" * 8000}),
     400, "RequestHeaderSectionTooLarge"),
    ("key-too-long", lambda w: body_put(w, "k" * 1025), 400, "KeyTooLongError"),
    ("complete-multipart-bad-xml", lambda w: w["ep"].request("POST", f"/{w['bucket']}/in-progress", params={"uploadId": w["upload"]},
                                                             body=b"<CompleteMultipartUpload><Part>"), 400, "MalformedXML"),
    ("complete-multipart-unknown-part", lambda w: w["ep"].request(
        "POST", f"/{w['bucket']}/in-progress", params={"uploadId": w["upload"]},
        body=b"<CompleteMultipartUpload><Part><PartNumber>7</PartNumber><ETag>\"00\"</ETag></Part></CompleteMultipartUpload>"), 400, "InvalidPart"),
    ("delete-objects-bad-xml", lambda w: w["ep"].request("POST", f"/{w['bucket']}", params={"delete": None}, body=b"<Delete><Object>",
                                                         headers={"Content-MD5": md5_b64(b"<Delete><Object>")}), 400, "MalformedXML"),
    ("bucket-encryption-bad-xml", lambda w: w["ep"].request("PUT", f"/{w['bucket']}", params={"encryption": None}, body=b"<ServerSide",
                                                            headers={"Content-MD5": md5_b64(b"<ServerSide")}), 400, "MalformedXML"),
    ("bucket-policy-bad-json", lambda w: w["ep"].request("PUT", f"/{w['bucket']}", params={"policy": None}, body=b"{\"Statement\": ["),
     400, "MalformedPolicy"),
    ("range-beyond-end", lambda w: w["ep"].request("GET", f"/{w['bucket']}/sse-s3", headers={"Range": "bytes=100000-"}), 416, "InvalidRange"),
    ("part-number-zero", lambda w: w["ep"].request("PUT", f"/{w['bucket']}/in-progress", params={"partNumber": "0", "uploadId": w["upload"]},
                                                   body=b"x"), 400, "InvalidArgument"),
    ("upload-id-unknown", lambda w: w["ep"].request("PUT", f"/{w['bucket']}/in-progress", params={"partNumber": "2", "uploadId": "nope"},
                                                    body=b"x"), 404, "NoSuchUpload"),
    ("copy-source-malformed", lambda w: body_put(w, "copy", body=b"", headers={"x-amz-copy-source": "no-slash"}), 400, "InvalidArgument"),
    ("signature-wrong-secret", lambda w: w["ep"].request("PUT", f"/{w['bucket']}/sse-s3", body=b"y", secret_key="wrong"), 403, "SignatureDoesNotMatch"),
    ("date-far-in-the-past", lambda w: w["ep"].request("PUT", f"/{w['bucket']}/sse-s3", body=b"y",
                                                                    when=__import__("datetime").datetime(2020, 1, 1, tzinfo=__import__("datetime").timezone.utc)),
     403, "RequestTimeTooSkewed"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_request_is_refused_and_changes_nothing(world, case):
    _, make, status, code = case
    before = snapshot(world)
    resp = make(world)
    assert_s3_error(resp, status, code)
    assert snapshot(world) == before


def raw_exchange(ep, payload: bytes) -> bytes:
    """Sends raw bytes on one connection (TLS for https) and returns all that comes back until the server closes."""
    import socket
    import ssl
    sock = socket.create_connection(("127.0.0.1", ep.port), timeout=10)
    if ep.scheme == "https":
        sock = ssl.create_default_context(cafile=ep.ca_cert).wrap_socket(sock, server_hostname="localhost")
    received = b""
    with sock:
        sock.sendall(payload)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except socket.timeout:
            pass
    return received


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("size", [9000, 100_000])
def test_oversized_header_section_gets_the_s3_error_after_earlier_answers(server, scheme, size):
    """Above S3's 8 KiB the answer is `400 RequestHeaderSectionTooLarge` with `MaxSizeAllowed`, also past the HTTP
    parser's own 80 KiB limit (where the connection then closes); a request sent before it on the same connection
    is answered first."""
    from helpers import parse_xml
    ep = server.endpoint(scheme)
    first = b"GET /_s3emu/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    big = b"GET /some-bucket/key HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"p" * size + b"\r\nConnection: close\r\n\r\n"
    reply = raw_exchange(ep, first + big)
    assert reply.startswith(b"HTTP/1.1 200 "), reply[:300]
    second = reply.index(b"HTTP/1.1 ", 10)
    head, _, body = reply[second:].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), head
    assert b"\r\nx-amz-request-id: " in head.lower(), head
    root = parse_xml(body)
    assert root.findtext("Code") == "RequestHeaderSectionTooLarge"
    assert root.findtext("Message") == "Your request header section exceeds the maximum allowed size."
    assert root.findtext("MaxSizeAllowed") == "8192"
    assert root.findtext("RequestId")


KMS_CASES = [
    ("json-truncated", "Encrypt", b'{"KeyId": "x", "Plaintext": "AAAA"', "SerializationException"),
    ("json-not-object", "Encrypt", b'[1, 2, 3]', "SerializationException"),
    ("plaintext-not-base64", "Encrypt", b'{"KeyId": "alias/none", "Plaintext": "@@@"}', "SerializationException"),
    ("plaintext-too-long", "Encrypt", None, "ValidationException"),
    ("number-of-bytes-zero", "GenerateDataKey", b'{"KeyId": "alias/none", "NumberOfBytes": 0}', "ValidationException"),
    ("ciphertext-garbage", "Decrypt", b'{"CiphertextBlob": "AAECAwQFBgcICQ=="}', "InvalidCiphertextException"),
    ("unknown-operation", "MakeCoffee", b'{}', "UnknownOperationException"),
]


@pytest.mark.parametrize("case", KMS_CASES, ids=[c[0] for c in KMS_CASES])
def test_bad_kms_request_is_refused_and_changes_nothing(world, case):
    _, operation, body, code = case
    kms = kms_client(world["ep"])
    before = sorted(k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"])
    if body is None:
        body = ('{"KeyId": "%s", "Plaintext": "%s"}' % (world["kms_key"], base64.b64encode(os.urandom(4097)).decode())).encode()
    resp = kms_raw(world["ep"], operation, body)
    assert_kms_raw_error(resp, code)
    assert sorted(k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]) == before


def test_path_traversal_in_keys_stays_a_key(world, server):
    """`../` and NUL bytes are ordinary key characters in S3: stored under that exact key, nothing outside the store."""
    ep, bucket = world["ep"], world["bucket"]
    outside = server.data_dir.parent
    before = set(os.listdir(outside))
    for key in ("../../../escape", "a/../../b", "..", "nul\x00byte"):
        # boto3 sends the key's dot segments as they are (a generic HTTP library would remove them).
        ep.s3.put_object(Bucket=bucket, Key=key, Body=b"payload-" + key.encode())
        assert ep.s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"payload-" + key.encode()
        assert key in [o["Key"] for o in ep.s3.list_objects_v2(Bucket=bucket, Prefix=key[:2])["Contents"]]
        ep.s3.delete_object(Bucket=bucket, Key=key)
    assert set(os.listdir(outside)) == before
