"""POST Object (browser form uploads with a signed policy)."""

import pytest
import requests

from helpers import assert_s3_error, parse_xml, quoted_md5, random_bytes


def post_form(ep, presigned, data, filename="upload.bin", extra_fields=None):
    fields = dict(presigned["fields"])
    fields.update(extra_fields or {})
    # requests sends data fields first and the file last, as S3 requires.
    return requests.post(presigned["url"], data=fields,
                         files={"file": (filename, data, "application/octet-stream")},
                         verify=ep.verify, timeout=60)


def test_post_object_default_204(ep, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "form/plain.bin", ExpiresIn=300)
    data = random_bytes(1000)
    resp = post_form(ep, presigned, data)
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert resp.headers["ETag"] == quoted_md5(data)
    assert resp.headers.get("Location")
    assert resp.headers.get("x-amz-request-id")
    assert s3.get_object(Bucket=bucket, Key="form/plain.bin")["Body"].read() == data


def test_post_object_201_with_xml(ep, s3, bucket):
    presigned = s3.generate_presigned_post(
        bucket, "form/created.txt",
        Fields={"success_action_status": "201", "Content-Type": "text/plain"},
        Conditions=[{"success_action_status": "201"}, {"Content-Type": "text/plain"}],
        ExpiresIn=300)
    data = b"hello form"
    resp = post_form(ep, presigned, data)
    assert resp.status_code == 201, resp.text
    root = parse_xml(resp.content)
    assert root.tag == "PostResponse"
    assert root.findtext("Bucket") == bucket
    assert root.findtext("Key") == "form/created.txt"
    assert root.findtext("ETag") == quoted_md5(data)
    assert root.findtext("Location")
    head = s3.head_object(Bucket=bucket, Key="form/created.txt")
    assert head["ContentType"] == "text/plain"


def test_post_object_200_status(ep, s3, bucket):
    presigned = s3.generate_presigned_post(
        bucket, "k", Fields={"success_action_status": "200"},
        Conditions=[{"success_action_status": "200"}])
    resp = post_form(ep, presigned, b"x")
    assert resp.status_code == 200, resp.text
    assert resp.content == b""


def test_post_object_filename_variable_and_metadata(ep, s3, bucket):
    presigned = s3.generate_presigned_post(
        bucket, "uploads/${filename}",
        Fields={"x-amz-meta-owner": "form"},
        Conditions=[["starts-with", "$key", "uploads/"], {"x-amz-meta-owner": "form"}],
        ExpiresIn=300)
    resp = post_form(ep, presigned, b"named", filename="report.csv")
    assert resp.status_code == 204, resp.text
    head = s3.head_object(Bucket=bucket, Key="uploads/report.csv")
    assert head["Metadata"] == {"owner": "form"}


@pytest.mark.parametrize("size,code", [(20, "EntityTooLarge"), (0, "EntityTooSmall")])
def test_post_object_content_length_range(ep, s3, bucket, size, code):
    presigned = s3.generate_presigned_post(
        bucket, "sized", Conditions=[["content-length-range", 1, 10]], ExpiresIn=300)
    resp = post_form(ep, presigned, b"z" * size)
    assert_s3_error(resp, 400, code)


def test_post_object_content_length_range_ok(ep, s3, bucket):
    presigned = s3.generate_presigned_post(
        bucket, "sized", Conditions=[["content-length-range", 1, 10]], ExpiresIn=300)
    assert post_form(ep, presigned, b"z" * 10).status_code == 204


def test_post_object_policy_condition_failure(ep, s3, bucket):
    presigned = s3.generate_presigned_post(
        bucket, "uploads/ok", Conditions=[["starts-with", "$key", "uploads/"]], ExpiresIn=300)
    resp = post_form(ep, presigned, b"x", extra_fields={"key": "elsewhere/evil"})
    assert_s3_error(resp, 403, "AccessDenied")


def test_post_object_field_not_in_policy(ep, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "k", ExpiresIn=300)
    resp = post_form(ep, presigned, b"x", extra_fields={"x-amz-meta-sneaky": "1"})
    assert_s3_error(resp, 403, "AccessDenied")


def test_post_object_expired_policy(ep, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "late", ExpiresIn=-60)
    resp = post_form(ep, presigned, b"x")
    _, message, _ = assert_s3_error(resp, 403, "AccessDenied")
    assert "expired" in message.lower()


def test_post_object_bad_signature(ep, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "sig", ExpiresIn=300)
    presigned["fields"]["x-amz-signature"] = "0" * 64
    assert_s3_error(post_form(ep, presigned, b"x"), 403, "SignatureDoesNotMatch")


def test_post_object_sigv2_policy(ep, bucket):
    v2 = ep.client(signature_version="s3")
    presigned = v2.generate_presigned_post(bucket, "v2/form.txt", ExpiresIn=300)
    assert "AWSAccessKeyId" in presigned["fields"] and "signature" in presigned["fields"]
    resp = post_form(ep, presigned, b"v2 form")
    assert resp.status_code == 204, resp.text
    assert ep.s3.get_object(Bucket=bucket, Key="v2/form.txt")["Body"].read() == b"v2 form"
