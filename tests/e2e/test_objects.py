"""Object operations: put/get/head/range/conditionals/copy/delete/attributes."""

import datetime as dt
from email.utils import format_datetime, parsedate_to_datetime

import pytest
import requests

from helpers import (assert_s3_error, encode_key, expect_client_error, headers_of,
                     http_status, md5_hex, parse_xml, quoted_md5, random_bytes,
                     unique_bucket)


@pytest.mark.parametrize("size", [0, 1, 1000, 5 * 1000 * 1000], ids=["0B", "1B", "1KB", "5MB"])
def test_put_get_round_trip(s3, bucket, size):
    data = random_bytes(size)
    put = s3.put_object(Bucket=bucket, Key="obj", Body=data)
    assert http_status(put) == 200
    assert put["ETag"] == quoted_md5(data)
    got = s3.get_object(Bucket=bucket, Key="obj")
    assert http_status(got) == 200
    assert got["Body"].read() == data
    assert got["ETag"] == quoted_md5(data)
    assert got["ContentLength"] == size


def test_put_get_raw_exact_headers(ep, bucket):
    data = b"hello raw world"
    put = ep.request("PUT", f"/{bucket}/raw.txt", body=data,
                     headers={"Content-Type": "text/plain"})
    assert put.status_code == 200, put.text
    assert put.headers["ETag"] == quoted_md5(data)
    assert put.headers.get("x-amz-request-id")
    got = ep.request("GET", f"/{bucket}/raw.txt")
    assert got.status_code == 200
    assert got.content == data
    assert got.headers["Content-Length"] == str(len(data))
    assert got.headers["Content-Type"] == "text/plain"
    assert got.headers["ETag"] == quoted_md5(data)
    assert got.headers["Accept-Ranges"] == "bytes"
    parsedate_to_datetime(got.headers["Last-Modified"])


def test_default_content_type(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    ct = s3.head_object(Bucket=bucket, Key="k")["ContentType"]
    assert ct in ("binary/octet-stream", "application/octet-stream")


def test_standard_headers_and_metadata_round_trip(s3, bucket):
    expires = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    s3.put_object(
        Bucket=bucket, Key="meta", Body=b"payload",
        ContentType="text/x-custom; charset=utf-8",
        ContentDisposition='attachment; filename="a b.txt"',
        ContentEncoding="gzip",
        ContentLanguage="de-DE",
        CacheControl="max-age=3600, public",
        Expires=expires,
        Metadata={"Foo-Bar": "baz", "second": "Two Words"},
    )
    for resp in (s3.head_object(Bucket=bucket, Key="meta"),
                 s3.get_object(Bucket=bucket, Key="meta")):
        assert resp["ContentType"] == "text/x-custom; charset=utf-8"
        assert resp["ContentDisposition"] == 'attachment; filename="a b.txt"'
        assert resp["ContentEncoding"] == "gzip"
        assert resp["ContentLanguage"] == "de-DE"
        assert resp["CacheControl"] == "max-age=3600, public"
        assert parsedate_to_datetime(headers_of(resp)["expires"]) == expires
        assert resp["Metadata"] == {"foo-bar": "baz", "second": "Two Words"}
        assert headers_of(resp)["x-amz-meta-foo-bar"] == "baz"


def test_head_object_headers(ep, s3, bucket):
    data = random_bytes(1234)
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(seconds=2)
    s3.put_object(Bucket=bucket, Key="h", Body=data)
    resp = ep.request("HEAD", f"/{bucket}/h")
    assert resp.status_code == 200
    assert resp.content == b""
    assert resp.headers["Content-Length"] == "1234"
    assert resp.headers["ETag"] == quoted_md5(data)
    assert resp.headers["Accept-Ranges"] == "bytes"
    assert resp.headers.get("x-amz-request-id")
    last_modified = parsedate_to_datetime(resp.headers["Last-Modified"])
    assert before <= last_modified <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)
    assert resp.headers["Last-Modified"].endswith("GMT")


def test_head_missing_object_is_404_without_body(ep, bucket):
    resp = ep.request("HEAD", f"/{bucket}/missing")
    assert resp.status_code == 404
    assert resp.content == b""
    assert resp.headers.get("x-amz-request-id")


def test_no_such_key(ep, s3, bucket):
    resp = ep.request("GET", f"/{bucket}/no/such%20key")
    _, _, root = assert_s3_error(resp, 404, "NoSuchKey")
    assert root.findtext("Key") == "no/such key"
    with expect_client_error(404, "NoSuchKey"):
        s3.get_object(Bucket=bucket, Key="missing")


# ---------------------------------------------------------------- ranges

RANGE_DATA = bytes(range(100))


@pytest.mark.parametrize("range_header,start,end", [
    ("bytes=0-9", 0, 9),
    ("bytes=10-", 10, 99),
    ("bytes=-5", 95, 99),
    ("bytes=5-1000000", 5, 99),
    ("bytes=99-99", 99, 99),
])
def test_range_get(ep, s3, bucket, range_header, start, end):
    s3.put_object(Bucket=bucket, Key="r", Body=RANGE_DATA)
    resp = ep.request("GET", f"/{bucket}/r", headers={"Range": range_header})
    assert resp.status_code == 206, resp.text
    assert resp.content == RANGE_DATA[start:end + 1]
    assert resp.headers["Content-Range"] == f"bytes {start}-{end}/100"
    assert resp.headers["Content-Length"] == str(end - start + 1)
    assert resp.headers["ETag"] == quoted_md5(RANGE_DATA)
    got = s3.get_object(Bucket=bucket, Key="r", Range=range_header)
    assert http_status(got) == 206
    assert got["ContentRange"] == f"bytes {start}-{end}/100"
    assert got["Body"].read() == RANGE_DATA[start:end + 1]


@pytest.mark.parametrize("range_header", ["bytes=0-1,5-6", "bytes=abc", "items=0-5", "bytes=9-3"])
def test_range_ignored_when_not_single_valid_range(ep, s3, bucket, range_header):
    # S3 serves the whole object (200) for multi-range or syntactically invalid ranges.
    s3.put_object(Bucket=bucket, Key="r", Body=RANGE_DATA)
    resp = ep.request("GET", f"/{bucket}/r", headers={"Range": range_header})
    assert resp.status_code == 200, resp.text
    assert resp.content == RANGE_DATA
    assert "Content-Range" not in resp.headers


def test_range_unsatisfiable(ep, s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=RANGE_DATA)
    resp = ep.request("GET", f"/{bucket}/r", headers={"Range": "bytes=1000-2000"})
    assert_s3_error(resp, 416, "InvalidRange")
    with expect_client_error(416, "InvalidRange"):
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=100-")


def test_range_on_head(ep, s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=RANGE_DATA)
    resp = ep.request("HEAD", f"/{bucket}/r", headers={"Range": "bytes=0-9"})
    assert resp.status_code == 206
    assert resp.headers["Content-Length"] == "10"
    assert resp.headers["Content-Range"] == "bytes 0-9/100"


# ---------------------------------------------------------------- conditionals

def _future():
    return format_datetime(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1), usegmt=True)


def _past():
    return format_datetime(dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), usegmt=True)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("header,value,status", [
    ("If-Match", '"00000000000000000000000000000000"', 412),
    ("If-Match", "ETAG", 200),
    ("If-Match", "*", 200),
    ("If-None-Match", "ETAG", 304),
    ("If-None-Match", "*", 304),
    ("If-None-Match", '"00000000000000000000000000000000"', 200),
    ("If-Modified-Since", "FUTURE", 304),
    ("If-Modified-Since", "PAST", 200),
    ("If-Unmodified-Since", "PAST", 412),
    ("If-Unmodified-Since", "FUTURE", 200),
])
def test_conditional_get(ep, s3, bucket, method, header, value, status):
    data = b"conditional body"
    etag = s3.put_object(Bucket=bucket, Key="c", Body=data)["ETag"]
    value = {"ETAG": etag, "FUTURE": _future(), "PAST": _past()}.get(value, value)
    resp = ep.request(method, f"/{bucket}/c", headers={header: value})
    assert resp.status_code == status, resp.text
    if status == 412:
        assert_s3_error(resp, 412, "PreconditionFailed")
    elif status == 304:
        assert resp.content == b""
        assert resp.headers.get("ETag") == etag
    else:
        assert resp.content == (data if method == "GET" else b"")


def test_conditional_boto3(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"x")["ETag"]
    with expect_client_error(412, "PreconditionFailed"):
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"deadbeef"')
    with expect_client_error(304):
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"x"


def test_if_match_wins_over_if_unmodified_since(ep, s3, bucket):
    # RFC 7232 / S3: If-Match true + If-Unmodified-Since false -> 200
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"x")["ETag"]
    resp = ep.request("GET", f"/{bucket}/c",
                      headers={"If-Match": etag, "If-Unmodified-Since": _past()})
    assert resp.status_code == 200


def test_if_none_match_wins_over_if_modified_since(ep, s3, bucket):
    # If-None-Match false + If-Modified-Since true -> 304
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"x")["ETag"]
    resp = ep.request("GET", f"/{bucket}/c",
                      headers={"If-None-Match": etag, "If-Modified-Since": _past()})
    assert resp.status_code == 304


# ---------------------------------------------------------------- response overrides

OVERRIDES = {
    "ResponseContentType": ("content-type", "application/x-override"),
    "ResponseContentDisposition": ("content-disposition", 'attachment; filename="o.bin"'),
    "ResponseCacheControl": ("cache-control", "no-cache"),
    "ResponseContentLanguage": ("content-language", "fr"),
    "ResponseContentEncoding": ("content-encoding", "identity"),
    "ResponseExpires": ("expires", "Thu, 01 Dec 2033 16:00:00 GMT"),
}


def test_response_overrides_boto3(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x", ContentType="text/plain")
    params = {k: v[1] for k, v in OVERRIDES.items() if k != "ResponseExpires"}
    resp = s3.get_object(Bucket=bucket, Key="o", **params)
    hdrs = headers_of(resp)
    for name, (header, value) in OVERRIDES.items():
        if name != "ResponseExpires":
            assert hdrs[header] == value, header


def test_response_overrides_presigned(ep, s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"xyz", ContentType="text/plain")
    params = {"Bucket": bucket, "Key": "o"}
    params.update({k: v[1] for k, v in OVERRIDES.items() if k != "ResponseExpires"})
    url = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=300)
    resp = requests.get(url, verify=ep.verify, timeout=30)
    assert resp.status_code == 200, resp.text
    assert resp.content == b"xyz"
    for name, (header, value) in OVERRIDES.items():
        if name != "ResponseExpires":
            assert resp.headers[header] == value, header


def test_response_override_expires_raw(ep, s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x")
    value = OVERRIDES["ResponseExpires"][1]
    resp = ep.request("GET", f"/{bucket}/o", params={"response-expires": value})
    assert resp.status_code == 200
    assert resp.headers["Expires"] == value


# ---------------------------------------------------------------- partNumber

def test_get_part_number_on_single_put_object(ep, s3, bucket):
    data = random_bytes(10)
    s3.put_object(Bucket=bucket, Key="single", Body=data)
    resp = ep.request("GET", f"/{bucket}/single", params={"partNumber": "1"})
    assert resp.status_code == 206, resp.text
    assert resp.content == data
    assert resp.headers["Content-Range"] == "bytes 0-9/10"
    assert "x-amz-mp-parts-count" not in resp.headers
    got = s3.get_object(Bucket=bucket, Key="single", PartNumber=1)
    assert got["Body"].read() == data
    assert "PartsCount" not in got


# ---------------------------------------------------------------- delete

def test_delete_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="d", Body=b"x")
    assert http_status(s3.delete_object(Bucket=bucket, Key="d")) == 204
    with expect_client_error(404, "NoSuchKey"):
        s3.get_object(Bucket=bucket, Key="d")


def test_delete_missing_object_is_204(ep, bucket):
    resp = ep.request("DELETE", f"/{bucket}/never-existed")
    assert resp.status_code == 204
    assert resp.content == b""


def test_delete_objects(s3, bucket):
    keys = [f"multi/{i}" for i in range(5)]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    resp = s3.delete_objects(Bucket=bucket, Delete={
        "Objects": [{"Key": k} for k in keys] + [{"Key": "not-there"}]})
    assert http_status(resp) == 200
    assert sorted(d["Key"] for d in resp["Deleted"]) == sorted(keys + ["not-there"])
    assert not resp.get("Errors")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_quiet(s3, bucket):
    keys = ["q1", "q2", "q 3"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    resp = s3.delete_objects(Bucket=bucket, Delete={
        "Objects": [{"Key": k} for k in keys], "Quiet": True})
    assert http_status(resp) == 200
    assert not resp.get("Deleted")
    assert not resp.get("Errors")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_raw_xml(ep, s3, bucket):
    s3.put_object(Bucket=bucket, Key="a&b", Body=b"x")
    body = (b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            b"<Object><Key>a&amp;b</Key></Object></Delete>")
    from helpers import md5_b64
    resp = ep.request("POST", f"/{bucket}", params={"delete": None}, body=body,
                      headers={"Content-MD5": md5_b64(body), "Content-Type": "application/xml"})
    assert resp.status_code == 200, resp.text
    root = parse_xml(resp.content)
    assert root.tag == "DeleteResult"
    assert [d.findtext("Key") for d in root.findall("Deleted")] == ["a&b"]


# ---------------------------------------------------------------- copy

@pytest.mark.parametrize("other_bucket", [False, True], ids=["same-bucket", "other-bucket"])
def test_copy_object_keeps_metadata(ep, s3, bucket, other_bucket):
    data = random_bytes(4096)
    s3.put_object(Bucket=bucket, Key="src", Body=data, ContentType="image/png",
                  Metadata={"color": "blue"})
    dst_bucket = ep.create_bucket() if other_bucket else bucket
    resp = s3.copy_object(Bucket=dst_bucket, Key="dst",
                          CopySource={"Bucket": bucket, "Key": "src"})
    assert http_status(resp) == 200
    assert resp["CopyObjectResult"]["ETag"] == quoted_md5(data)
    assert resp["CopyObjectResult"]["LastModified"]
    got = s3.get_object(Bucket=dst_bucket, Key="dst")
    assert got["Body"].read() == data
    assert got["ContentType"] == "image/png"
    assert got["Metadata"] == {"color": "blue"}
    assert got["ETag"] == quoted_md5(data)


def test_copy_object_replace_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"abc", ContentType="image/png",
                  Metadata={"color": "blue"})
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                   MetadataDirective="REPLACE", ContentType="text/plain",
                   Metadata={"shape": "round"})
    got = s3.head_object(Bucket=bucket, Key="dst")
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"shape": "round"}


def test_copy_onto_itself_requires_replace(s3, bucket):
    s3.put_object(Bucket=bucket, Key="self", Body=b"abc", Metadata={"v": "1"})
    with expect_client_error(400, "InvalidRequest"):
        s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                   MetadataDirective="REPLACE", Metadata={"v": "2"})
    got = s3.get_object(Bucket=bucket, Key="self")
    assert got["Metadata"] == {"v": "2"}
    assert got["Body"].read() == b"abc"


def test_copy_source_if_match(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"abc")["ETag"]
    with expect_client_error(412, "PreconditionFailed"):
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                       CopySourceIfMatch='"0123456789abcdef0123456789abcdef"')
    resp = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                          CopySourceIfMatch=etag)
    assert resp["CopyObjectResult"]["ETag"] == etag


def test_copy_missing_source(s3, bucket):
    with expect_client_error(404, "NoSuchKey"):
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "nope"})


def test_copy_raw_result_xml(ep, s3, bucket):
    data = b"copy me"
    s3.put_object(Bucket=bucket, Key="s p", Body=data)
    resp = ep.request("PUT", f"/{bucket}/dst",
                      headers={"x-amz-copy-source": f"/{bucket}/{encode_key('s p')}"})
    assert resp.status_code == 200, resp.text
    root = parse_xml(resp.content)
    assert root.tag == "CopyObjectResult"
    assert root.findtext("ETag") == quoted_md5(data)
    assert root.findtext("LastModified")


# ---------------------------------------------------------------- attributes

def test_get_object_attributes_single(s3, bucket):
    data = random_bytes(321)
    s3.put_object(Bucket=bucket, Key="attr", Body=data)
    resp = s3.get_object_attributes(Bucket=bucket, Key="attr",
                                    ObjectAttributes=["ETag", "ObjectSize", "StorageClass"])
    assert http_status(resp) == 200
    assert resp["ETag"] == md5_hex(data)  # GetObjectAttributes returns it unquoted
    assert resp["ObjectSize"] == 321
    assert resp["StorageClass"] == "STANDARD"
    assert resp["LastModified"]


def test_get_object_attributes_missing(s3, bucket):
    with expect_client_error(404, "NoSuchKey"):
        s3.get_object_attributes(Bucket=bucket, Key="nope", ObjectAttributes=["ETag"])


# ---------------------------------------------------------------- odd keys

ODD_KEYS = ["with space", "ünïcödé/日本語.txt", "plus+sign", "percent%20literal", "a/b/c",
            "tilde~x", "semi;colon,comma", "quote'd(paren)", "emoji-\U0001F600", "amp&eq=q?",
            "trailing/", "dot./..x"]


@pytest.mark.parametrize("key", ODD_KEYS)
def test_odd_keys(ep, s3, bucket, key):
    data = key.encode() * 3
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(data)
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == [key]
    raw = ep.request("GET", f"/{bucket}/{encode_key(key)}")
    assert raw.status_code == 200 and raw.content == data
    s3.copy_object(Bucket=bucket, Key=key + ".copy", CopySource={"Bucket": bucket, "Key": key})
    assert s3.get_object(Bucket=bucket, Key=key + ".copy")["Body"].read() == data
    for k in (key, key + ".copy"):
        assert http_status(s3.delete_object(Bucket=bucket, Key=k)) == 204
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_put_with_tagging_and_bypass_headers(ep, s3, bucket):
    resp = s3.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging="a=b&c=d")
    assert http_status(resp) == 200
    raw = ep.request("PUT", f"/{bucket}/tagged2", body=b"y", headers={
        "x-amz-tagging": "k=v", "x-amz-bypass-governance-retention": "true",
        "x-amz-storage-class": "STANDARD"})
    assert raw.status_code == 200, raw.text
    assert s3.get_object(Bucket=bucket, Key="tagged2")["Body"].read() == b"y"


def test_put_overwrites(s3, bucket):
    s3.put_object(Bucket=bucket, Key="ow", Body=b"first", Metadata={"a": "1"})
    s3.put_object(Bucket=bucket, Key="ow", Body=b"second!")
    got = s3.get_object(Bucket=bucket, Key="ow")
    assert got["Body"].read() == b"second!"
    assert got["Metadata"] == {}


def test_concurrent_puts(ep, bucket):
    from concurrent.futures import ThreadPoolExecutor

    s3 = ep.client(max_pool_connections=8)
    bodies = [bytes([i]) * (100_000 + i) for i in range(8)]

    def put(i):
        s3.put_object(Bucket=bucket, Key=f"par/{i}", Body=bodies[i])
        s3.put_object(Bucket=bucket, Key="par/same", Body=bodies[i])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(8)))
    for i in range(8):
        assert s3.get_object(Bucket=bucket, Key=f"par/{i}")["Body"].read() == bodies[i]
    same = s3.get_object(Bucket=bucket, Key="par/same")
    body = same["Body"].read()
    assert body in bodies
    assert same["ETag"] == quoted_md5(body)


def test_s3transfer_multipart_round_trip(ep, s3, bucket):
    import io

    from boto3.s3.transfer import TransferConfig

    data = random_bytes(11 * 1024 * 1024)
    cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024,
                         multipart_chunksize=5 * 1024 * 1024, max_concurrency=3)
    s3.upload_fileobj(io.BytesIO(data), bucket, "xfer.bin", Config=cfg)
    assert s3.head_object(Bucket=bucket, Key="xfer.bin")["ETag"].endswith('-3"')
    out = io.BytesIO()
    s3.download_fileobj(bucket, "xfer.bin", out, Config=cfg)
    assert out.getvalue() == data


def test_key_too_long(ep, bucket):
    resp = ep.request("PUT", f"/{bucket}/{'k' * 1025}", body=b"x")
    assert_s3_error(resp, 400, "KeyTooLongError")
    ok = ep.request("PUT", f"/{bucket}/{'k' * 1024}", body=b"x")
    assert ok.status_code == 200


def test_metadata_too_large(s3, bucket):
    with expect_client_error(400, "MetadataTooLarge"):
        s3.put_object(Bucket=bucket, Key="big-meta", Body=b"x", Metadata={"m": "v" * 2100})


def test_object_in_missing_bucket(s3):
    with expect_client_error(404, "NoSuchBucket"):
        s3.put_object(Bucket=unique_bucket(), Key="k", Body=b"x")
