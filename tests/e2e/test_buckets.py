"""Bucket operations."""

import pytest

from helpers import (assert_s3_error, expect_client_error, headers_of, http_status,
                     parse_xml, unique_bucket)


def test_health_endpoint_needs_no_auth(ep):
    import requests

    resp = requests.get(ep.url + "/_s3emu/health", verify=ep.verify, timeout=10)
    assert resp.status_code == 200
    resp.json()  # it is JSON


def test_list_buckets_contains_created_bucket(s3, bucket):
    resp = s3.list_buckets()
    assert http_status(resp) == 200
    assert resp["Owner"]["ID"]
    names = {b["Name"]: b for b in resp["Buckets"]}
    assert bucket in names
    assert names[bucket]["CreationDate"] is not None


def test_list_buckets_raw_xml(ep, bucket):
    resp = ep.request("GET", "/")
    assert resp.status_code == 200
    assert resp.headers.get("x-amz-request-id")
    assert "xml" in resp.headers.get("Content-Type", "")
    root = parse_xml(resp.content)
    assert root.tag == "ListAllMyBucketsResult"
    assert root.find("Owner/ID") is not None and root.findtext("Owner/ID")
    names = [b.findtext("Name") for b in root.findall("Buckets/Bucket")]
    assert bucket in names


def test_create_bucket_us_east_1_has_empty_location(s3, bucket):
    resp = s3.get_bucket_location(Bucket=bucket)
    assert resp.get("LocationConstraint") is None


def test_create_bucket_with_location_constraint(s3):
    name = unique_bucket()
    resp = s3.create_bucket(Bucket=name,
                            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert http_status(resp) == 200
    assert resp["Location"]
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"


def test_create_bucket_location_header_us_east_1(ep):
    name = unique_bucket()
    resp = ep.request("PUT", f"/{name}")
    assert resp.status_code == 200, resp.text
    assert resp.headers.get("Location") == f"/{name}"


@pytest.mark.parametrize("name", ["ab", "UPPER", "a..b", "192.168.1.1", "-abc",
                                  "abc-", "a_b", "x" * 64])
def test_invalid_bucket_name(ep, name):
    resp = ep.request("PUT", f"/{name}")
    assert_s3_error(resp, 400, "InvalidBucketName")


def test_recreate_own_bucket_us_east_1_is_ok(s3, bucket):
    resp = s3.create_bucket(Bucket=bucket)
    assert http_status(resp) == 200


def test_recreate_own_bucket_other_region_conflicts(ep, s3):
    name = unique_bucket()
    cfg = {"LocationConstraint": "eu-west-1"}
    s3.create_bucket(Bucket=name, CreateBucketConfiguration=cfg)
    resp = ep.request("PUT", f"/{name}", body=(
        b'<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"))
    _, _, root = assert_s3_error(resp, 409, "BucketAlreadyOwnedByYou")
    assert root.findtext("BucketName") == name
    with expect_client_error(409, "BucketAlreadyOwnedByYou"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration=cfg)


def test_head_bucket(ep, s3, bucket):
    assert http_status(s3.head_bucket(Bucket=bucket)) == 200
    resp = ep.request("HEAD", f"/{bucket}")
    assert resp.status_code == 200
    assert resp.content == b""
    missing = ep.request("HEAD", f"/{unique_bucket()}")
    assert missing.status_code == 404
    assert missing.content == b""
    assert missing.headers.get("x-amz-request-id")


def test_head_bucket_region_header(ep, s3, bucket):
    assert headers_of(s3.head_bucket(Bucket=bucket))["x-amz-bucket-region"] == "us-east-1"
    eu = ep.create_bucket(CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert headers_of(s3.head_bucket(Bucket=eu))["x-amz-bucket-region"] == "eu-west-1"


def test_delete_bucket(ep, s3):
    name = ep.create_bucket()
    resp = s3.delete_bucket(Bucket=name)
    assert http_status(resp) == 204
    with expect_client_error(404, "404"):
        s3.head_bucket(Bucket=name)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_delete_bucket_not_empty(ep, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    resp = ep.request("DELETE", f"/{bucket}")
    _, _, root = assert_s3_error(resp, 409, "BucketNotEmpty")
    assert root.findtext("BucketName") == bucket
    s3.delete_object(Bucket=bucket, Key="k")
    assert http_status(s3.delete_bucket(Bucket=bucket)) == 204


@pytest.mark.parametrize("method,suffix", [
    ("GET", ""),            # ListObjects
    ("DELETE", ""),         # DeleteBucket
    ("GET", "/some/key"),   # GetObject
    ("PUT", "/some/key"),   # PutObject
    ("GET", "?location"),   # GetBucketLocation
    ("GET", "?versioning"),  # GetBucketVersioning
    ("GET", "?uploads"),    # ListMultipartUploads
])
def test_no_such_bucket(ep, method, suffix):
    name = unique_bucket()
    resp = ep.request(method, f"/{name}{suffix}", body=b"data" if method == "PUT" else b"")
    _, _, root = assert_s3_error(resp, 404, "NoSuchBucket")
    assert root.findtext("BucketName") == name


def test_no_such_bucket_boto3(s3):
    with expect_client_error(404, "NoSuchBucket"):
        s3.list_objects_v2(Bucket=unique_bucket())

