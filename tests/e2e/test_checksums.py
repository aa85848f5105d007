"""Flexible checksums (x-amz-checksum-*)."""

import pytest
from botocore.exceptions import MissingDependencyException

from helpers import (assert_s3_error, checksum_b64, expect_client_error, headers_of,
                     random_bytes)

ALGORITHMS = ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"]


def _response_key(algorithm):
    return "Checksum" + algorithm


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_boto3_put_with_checksum_algorithm(s3, bucket, algorithm):
    data = random_bytes(70_000)
    try:
        put = s3.put_object(Bucket=bucket, Key="c", Body=data, ChecksumAlgorithm=algorithm)
    except MissingDependencyException as exc:
        pytest.skip(f"botocore needs awscrt for {algorithm}: {exc}")
    expected = checksum_b64(algorithm, data)
    assert put[_response_key(algorithm)] == expected
    head = s3.head_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert head[_response_key(algorithm)] == expected
    got = s3.get_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert got[_response_key(algorithm)] == expected
    assert got["Body"].read() == data


def test_boto3_default_checksum_is_crc32(s3, bucket):
    data = random_bytes(5000)
    put = s3.put_object(Bucket=bucket, Key="d", Body=data)
    assert put["ChecksumCRC32"] == checksum_b64("CRC32", data)
    head = s3.head_object(Bucket=bucket, Key="d", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == checksum_b64("CRC32", data)


def test_checksum_not_returned_without_mode(s3, bucket):
    s3.put_object(Bucket=bucket, Key="d", Body=b"abc", ChecksumAlgorithm="SHA256")
    head = s3.head_object(Bucket=bucket, Key="d")
    assert "ChecksumSHA256" not in head


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_raw_checksum_header(ep, bucket, algorithm):
    data = random_bytes(3000)
    header = f"x-amz-checksum-{algorithm.lower()}"
    value = checksum_b64(algorithm, data)
    put = ep.request("PUT", f"/{bucket}/r", body=data, headers={header: value})
    assert put.status_code == 200, put.text
    assert put.headers[header] == value
    head = ep.request("HEAD", f"/{bucket}/r", headers={"x-amz-checksum-mode": "ENABLED"})
    assert head.status_code == 200
    assert head.headers[header] == value
    got = ep.request("GET", f"/{bucket}/r", headers={"x-amz-checksum-mode": "ENABLED"})
    assert got.headers[header] == value
    assert got.content == data


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_raw_wrong_checksum_is_bad_digest(ep, s3, bucket, algorithm):
    data = random_bytes(3000)
    header = f"x-amz-checksum-{algorithm.lower()}"
    resp = ep.request("PUT", f"/{bucket}/bad", body=data,
                      headers={header: checksum_b64(algorithm, b"different")})
    assert_s3_error(resp, 400, "BadDigest")
    with expect_client_error(404, "NoSuchKey"):
        s3.get_object(Bucket=bucket, Key="bad")


def test_boto3_wrong_crc32_is_bad_digest(s3, bucket):
    with expect_client_error(400, "BadDigest"):
        s3.put_object(Bucket=bucket, Key="bad", Body=b"abc",
                      ChecksumCRC32=checksum_b64("CRC32", b"xyz"))


def test_invalid_checksum_encoding(ep, bucket):
    resp = ep.request("PUT", f"/{bucket}/bad", body=b"abc",
                      headers={"x-amz-checksum-crc32": "!!notbase64!!"})
    assert_s3_error(resp, 400, "InvalidRequest")


def test_multipart_part_checksum(s3, bucket):
    data = random_bytes(4000)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="SHA256")
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=1,
                          Body=data, ChecksumAlgorithm="SHA256")
    assert part["ChecksumSHA256"] == checksum_b64("SHA256", data)
    parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload["UploadId"])["Parts"]
    assert parts[0]["ChecksumSHA256"] == checksum_b64("SHA256", data)
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"],
                                    "ChecksumSHA256": part["ChecksumSHA256"]}]})
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == data


def test_get_object_checksum_header_absent_for_range(s3, bucket):
    data = random_bytes(1000)
    s3.put_object(Bucket=bucket, Key="r", Body=data, ChecksumAlgorithm="CRC32")
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=0-9", ChecksumMode="ENABLED")
    assert got["Body"].read() == data[:10]
    assert "x-amz-checksum-crc32" not in headers_of(got)


def test_boto3_default_wire_format(ep, s3, bucket):
    """The SDK default path: aws-chunked + CRC32 trailer over HTTPS, header over HTTP."""
    seen = {}

    def capture(request, **_):
        seen.update({k.lower(): v.decode() if isinstance(v, bytes) else v
                     for k, v in request.headers.items()})

    client = ep.client()
    client.meta.events.register("before-send.s3.PutObject", capture)
    data = random_bytes(20_000)
    client.put_object(Bucket=bucket, Key="wire", Body=data)
    if ep.scheme == "https":
        assert seen["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        assert seen["x-amz-trailer"] == "x-amz-checksum-crc32"
        assert "aws-chunked" in seen["content-encoding"]
    else:
        assert seen["x-amz-checksum-crc32"] == checksum_b64("CRC32", data)
        assert seen["content-length"] == str(len(data))
    got = s3.get_object(Bucket=bucket, Key="wire", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ChecksumCRC32"] == checksum_b64("CRC32", data)
    assert not got.get("ContentEncoding")


def test_checksum_algorithm_header_names_the_algorithm(ep, bucket):
    """`x-amz-checksum-algorithm` names an algorithm (as on CreateMultipartUpload); it is not a checksum value."""
    data = random_bytes(3000)
    put = ep.request("PUT", f"/{bucket}/alg", body=data, headers={"x-amz-checksum-algorithm": "SHA256"})
    assert put.status_code == 200, put.text
    assert put.headers["x-amz-checksum-sha256"] == checksum_b64("SHA256", data)
