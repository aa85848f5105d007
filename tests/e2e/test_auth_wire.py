"""Authentication and wire-level behaviour (SigV4, presigning, digests, aws-chunked)."""

import base64
import datetime as dt
import hashlib
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests

from helpers import (assert_s3_error, checksum_b64,
                     expect_client_error, md5_b64, quoted_md5, random_bytes,
                     signed_chunked_put, unsigned_trailer_put)


# ---------------------------------------------------------------- identities

def test_wrong_secret_key(ep, bucket):
    bad = ep.client(secret_key="not-the-secret")
    with expect_client_error(403, "SignatureDoesNotMatch"):
        bad.list_buckets()
    with expect_client_error(403, "SignatureDoesNotMatch"):
        bad.put_object(Bucket=bucket, Key="k", Body=b"x")
    resp = ep.request("GET", f"/{bucket}", secret_key="not-the-secret")
    assert_s3_error(resp, 403, "SignatureDoesNotMatch")


def test_unknown_access_key(ep, bucket):
    bad = ep.client(access_key="AKIANOTKNOWN00000000")
    with expect_client_error(403, "InvalidAccessKeyId"):
        bad.list_buckets()
    resp = ep.request("GET", f"/{bucket}", access_key="AKIANOTKNOWN00000000")
    assert_s3_error(resp, 403, "InvalidAccessKeyId")


@pytest.mark.parametrize("method,path_tmpl", [
    ("GET", "/"), ("GET", "/{b}"), ("GET", "/{b}/obj"), ("PUT", "/{b}/anon"),
    ("DELETE", "/{b}/obj"), ("HEAD", "/{b}/obj"),
])
def test_anonymous_request_denied(ep, s3, bucket, method, path_tmpl):
    s3.put_object(Bucket=bucket, Key="obj", Body=b"secret")
    resp = ep.request(method, path_tmpl.format(b=bucket), sign=False,
                      body=b"x" if method == "PUT" else b"")
    assert_s3_error(resp, 403, "AccessDenied")
    assert s3.get_object(Bucket=bucket, Key="obj")["Body"].read() == b"secret"


def test_clock_skew(ep, bucket):
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20)
    resp = ep.request("GET", f"/{bucket}", when=when)
    assert_s3_error(resp, 403, "RequestTimeTooSkewed")
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=20)
    assert_s3_error(ep.request("GET", f"/{bucket}", when=future), 403, "RequestTimeTooSkewed")
    # small skew is fine
    ok = ep.request("GET", f"/{bucket}", when=dt.datetime.now(dt.timezone.utc)
                    - dt.timedelta(minutes=4))
    assert ok.status_code == 200


def test_tampered_signed_header(ep, bucket):
    signed = ep.sign("PUT", f"/{bucket}/t", headers={"x-amz-meta-a": "1"}, body=b"abc")
    signed.headers["x-amz-meta-a"] = "2"
    assert_s3_error(ep.send_signed("PUT", signed, b"abc"), 403, "SignatureDoesNotMatch")


def test_signature_error_has_details(ep, bucket):
    resp = ep.request("GET", f"/{bucket}", secret_key="wrong")
    _, message, root = assert_s3_error(resp, 403, "SignatureDoesNotMatch")
    assert message
    assert root.findtext("AWSAccessKeyId") == "AKIAIOSFODNN7EXAMPLE"


# ---------------------------------------------------------------- presigned URLs

def test_presigned_get(ep, s3, bucket):
    s3.put_object(Bucket=bucket, Key="dir/pre signed+.txt", Body=b"presigned body")
    url = s3.generate_presigned_url("get_object",
                                    Params={"Bucket": bucket, "Key": "dir/pre signed+.txt"},
                                    ExpiresIn=300)
    assert "X-Amz-Signature=" in url
    resp = requests.get(url, verify=ep.verify, timeout=30)
    assert resp.status_code == 200, resp.text
    assert resp.content == b"presigned body"
    head = requests.head(s3.generate_presigned_url(
        "head_object", Params={"Bucket": bucket, "Key": "dir/pre signed+.txt"}),
        verify=ep.verify, timeout=30)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == "14"


def test_presigned_expired(ep, s3, bucket):
    s3.put_object(Bucket=bucket, Key="e", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "e"},
                                    ExpiresIn=1)
    time.sleep(2.1)
    resp = requests.get(url, verify=ep.verify, timeout=30)
    _, message, _ = assert_s3_error(resp, 403, "AccessDenied")
    assert message == "Request has expired"


def _tamper_query(url, name, value):
    parts = urlsplit(url)
    q = dict(parse_qsl(parts.query, keep_blank_values=True))
    q[name] = value
    return urlunsplit(parts._replace(query=urlencode(q)))


def test_presigned_bad_signature(ep, s3, bucket):
    s3.put_object(Bucket=bucket, Key="e", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "e"})
    resp = requests.get(_tamper_query(url, "X-Amz-Signature", "0" * 64),
                        verify=ep.verify, timeout=30)
    assert_s3_error(resp, 403, "SignatureDoesNotMatch")


def test_presigned_expires_too_long(ep, s3, bucket):
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "e"},
                                    ExpiresIn=604801)
    resp = requests.get(url, verify=ep.verify, timeout=30)
    assert_s3_error(resp, 400, "AuthorizationQueryParametersError")


def test_presigned_put(ep, s3, bucket):
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up"},
                                    ExpiresIn=300)
    data = random_bytes(2048)
    resp = requests.put(url, data=data, verify=ep.verify, timeout=30)
    assert resp.status_code == 200, resp.text
    assert resp.headers["ETag"] == quoted_md5(data)
    assert s3.get_object(Bucket=bucket, Key="up")["Body"].read() == data


# ---------------------------------------------------------------- digests

def test_content_md5_ok(ep, s3, bucket):
    resp = ep.request("PUT", f"/{bucket}/m", body=b"data", headers={"Content-MD5": md5_b64(b"data")})
    assert resp.status_code == 200


def test_content_md5_mismatch(ep, s3, bucket):
    resp = ep.request("PUT", f"/{bucket}/m", body=b"data",
                      headers={"Content-MD5": md5_b64(b"other")})
    assert_s3_error(resp, 400, "BadDigest")
    with expect_client_error(404, "NoSuchKey"):
        s3.get_object(Bucket=bucket, Key="m")


@pytest.mark.parametrize("value", ["not base64!!", base64.b64encode(b"short").decode()])
def test_content_md5_invalid(ep, bucket, value):
    resp = ep.request("PUT", f"/{bucket}/m", body=b"data", headers={"Content-MD5": value})
    assert_s3_error(resp, 400, "InvalidDigest")


def test_content_sha256_mismatch(ep, s3, bucket):
    resp = ep.request("PUT", f"/{bucket}/s", body=b"real body",
                      payload_hash=hashlib.sha256(b"another body").hexdigest())
    assert_s3_error(resp, 400, "XAmzContentSHA256Mismatch")
    with expect_client_error(404, "NoSuchKey"):
        s3.get_object(Bucket=bucket, Key="s")


def test_unsigned_payload_accepted(ep, s3, bucket):
    resp = ep.request("PUT", f"/{bucket}/u", body=b"unsigned", payload_hash="UNSIGNED-PAYLOAD")
    assert resp.status_code == 200, resp.text
    assert s3.get_object(Bucket=bucket, Key="u")["Body"].read() == b"unsigned"


# ---------------------------------------------------------------- malformed XML

def test_delete_objects_malformed_xml(ep, bucket):
    body = b"<Delete><Object><Key>unterminated"
    resp = ep.request("POST", f"/{bucket}", params={"delete": None}, body=body,
                      headers={"Content-MD5": md5_b64(body)})
    assert_s3_error(resp, 400, "MalformedXML")


def test_complete_multipart_malformed_xml(ep, s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    resp = ep.request("POST", f"/{bucket}/k", params={"uploadId": upload_id},
                      body=b"this is not xml at all")
    assert_s3_error(resp, 400, "MalformedXML")


# ---------------------------------------------------------------- unsupported APIs

@pytest.mark.parametrize("subresource", ["website", "lifecycle"])
def test_unimplemented_subresource(ep, bucket, subresource):
    resp = ep.request("GET", f"/{bucket}", params={subresource: None})
    assert_s3_error(resp, 501, "NotImplemented")


# ---------------------------------------------------------------- aws-chunked

@pytest.mark.parametrize("size,chunk", [(0, 65536), (1, 65536), (200_000, 65536),
                                        (131072, 65536)])
def test_streaming_signed_chunks(ep, s3, bucket, size, chunk):
    data = random_bytes(size)
    resp = signed_chunked_put(ep, bucket, "chunked", data, chunk_size=chunk,
                              extra_headers={"Content-Type": "text/plain"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["ETag"] == quoted_md5(data)
    got = s3.get_object(Bucket=bucket, Key="chunked")
    assert got["Body"].read() == data
    assert got["ContentLength"] == size
    assert got["ContentType"] == "text/plain"
    assert got.get("ContentEncoding") in (None, "")  # aws-chunked is not stored


@pytest.mark.parametrize("corrupt_chunk", [0, 2, 3], ids=["first", "middle", "final-empty"])
def test_streaming_signed_chunk_bad_signature(ep, s3, bucket, corrupt_chunk):
    data = random_bytes(3 * 65536 - 100)
    resp = signed_chunked_put(ep, bucket, "bad", data, corrupt_chunk=corrupt_chunk)
    assert_s3_error(resp, 403, "SignatureDoesNotMatch")
    with expect_client_error(404, "NoSuchKey"):
        s3.get_object(Bucket=bucket, Key="bad")


def test_streaming_signed_upload_part(ep, s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    data = random_bytes(100_000)
    resp = signed_chunked_put(ep, bucket, "mp", data,
                              params={"partNumber": "1", "uploadId": upload_id})
    assert resp.status_code == 200, resp.text
    assert resp.headers["ETag"] == quoted_md5(data)
    parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, len(data))]


def test_streaming_decoded_length_mismatch(ep, bucket):
    data = random_bytes(1000)
    resp = signed_chunked_put(ep, bucket, "len", data,
                              extra_headers={"x-amz-decoded-content-length": "999"})
    assert 400 <= resp.status_code < 500
    assert resp.headers.get("x-amz-request-id")


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"])
def test_streaming_unsigned_trailer(ep, s3, bucket, algorithm):
    data = random_bytes(150_000)
    resp = unsigned_trailer_put(ep, bucket, "trailer", data, algorithm=algorithm)
    assert resp.status_code == 200, resp.text
    assert resp.headers["ETag"] == quoted_md5(data)
    assert resp.headers[f"x-amz-checksum-{algorithm.lower()}"] == checksum_b64(algorithm, data)
    assert s3.get_object(Bucket=bucket, Key="trailer")["Body"].read() == data


def test_streaming_unsigned_trailer_bad_checksum(ep, s3, bucket):
    data = random_bytes(70_000)
    resp = unsigned_trailer_put(ep, bucket, "bad", data, checksum=checksum_b64("CRC32", b"x"))
    assert_s3_error(resp, 400, "BadDigest")
    with expect_client_error(404, "NoSuchKey"):
        s3.get_object(Bucket=bucket, Key="bad")


# ---------------------------------------------------------------- addressing

def test_virtual_hosted_style_raw(ep, s3, bucket):
    s3.put_object(Bucket=bucket, Key="vh/key.txt", Body=b"virtual")
    host = f"{bucket}.s3.localhost:{ep.port}"
    resp = ep.request("GET", "/vh/key.txt", headers={"Host": host})
    assert resp.status_code == 200, resp.text
    assert resp.content == b"virtual"
    put = ep.request("PUT", "/vh/new.txt", headers={"Host": host}, body=b"new")
    assert put.status_code == 200, put.text
    assert s3.get_object(Bucket=bucket, Key="vh/new.txt")["Body"].read() == b"new"
    listing = ep.request("GET", "/", params={"list-type": "2"}, headers={"Host": host})
    assert listing.status_code == 200
    assert b"<Key>vh/key.txt</Key>" in listing.content


def test_error_content_type_is_xml(ep, bucket):
    resp = ep.request("GET", f"/{bucket}/missing")
    assert resp.status_code == 404
    assert resp.headers["Content-Type"].startswith("application/xml")
    assert resp.content.startswith(b"<?xml")


# ---------------------------------------------------------------- legacy SigV2

def test_sigv2_header_auth(ep, bucket):
    v2 = ep.client(signature_version="s3")
    data = random_bytes(3000)
    put = v2.put_object(Bucket=bucket, Key="v2/obj key", Body=data, ContentType="text/plain",
                        Metadata={"sig": "v2"})
    assert put["ETag"] == quoted_md5(data)
    got = v2.get_object(Bucket=bucket, Key="v2/obj key")
    assert got["Body"].read() == data
    assert got["Metadata"] == {"sig": "v2"}
    assert [o["Key"] for o in v2.list_objects(Bucket=bucket)["Contents"]] == ["v2/obj key"]
    bad = ep.client(signature_version="s3", secret_key="wrong")
    with expect_client_error(403, "SignatureDoesNotMatch"):
        bad.get_object(Bucket=bucket, Key="v2/obj key")


def test_sigv2_presigned_url(ep, s3, bucket):
    s3.put_object(Bucket=bucket, Key="v2q", Body=b"query v2")
    v2 = ep.client(signature_version="s3")
    url = v2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2q"},
                                    ExpiresIn=300)
    assert "AWSAccessKeyId=" in url and "Signature=" in url
    resp = requests.get(url, verify=ep.verify, timeout=30)
    assert resp.status_code == 200, resp.text
    assert resp.content == b"query v2"
    expired = v2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2q"},
                                        ExpiresIn=-10)
    assert_s3_error(requests.get(expired, verify=ep.verify, timeout=30), 403, "AccessDenied")


# ---------------------------------------------------------------- connection reuse

@pytest.mark.parametrize("failure", ["no-such-bucket", "bad-signature", "bad-digest"])
def test_keep_alive_after_error_with_unread_body(ep, s3, bucket, failure):
    """An error answered before the body is read must not poison the connection."""
    s3.put_object(Bucket=bucket, Key="probe", Body=b"probe body")
    body = random_bytes(1024 * 1024)
    session = requests.Session()
    for _ in range(3):
        if failure == "no-such-bucket":
            signed = ep.sign("PUT", "/no-such-bucket-for-keepalive/k", body=body)
        elif failure == "bad-signature":
            signed = ep.sign("PUT", f"/{bucket}/k", body=body, secret_key="wrong")
        else:
            signed = ep.sign("PUT", f"/{bucket}/k", body=body,
                             headers={"Content-MD5": md5_b64(b"other")})
        bad = session.put(signed.url, headers=signed.headers, data=body, verify=ep.verify,
                          timeout=30)
        assert 400 <= bad.status_code < 500
        ok = ep.sign("GET", f"/{bucket}/probe")
        good = session.get(ok.url, headers=ok.headers, verify=ep.verify, timeout=30)
        assert good.status_code == 200, good.text
        assert good.content == b"probe body"
