"""Server lifecycle: endpoints.json, graceful shutdown, persistence, --allow-anonymous."""

import json
import signal
import ssl
import socket
import subprocess

import pytest
import requests

from helpers import (MIB, server_binary, REGION, assert_s3_error, multipart_etag, quoted_md5, random_bytes,
                     unique_bucket)


def test_endpoints_json(server):
    data = json.loads((server.data_dir / "endpoints.json").read_text())
    assert data["http"].startswith("http://127.0.0.1:")
    assert data["https"].startswith("https://127.0.0.1:")
    assert data["region"] == REGION
    with open(data["ca_cert"]) as fh:
        assert "BEGIN CERTIFICATE" in fh.read()


@pytest.mark.parametrize("hostname", ["localhost", "s3.localhost", "bucket.s3.localhost",
                                      "127.0.0.1"])
def test_tls_certificate_names(server, hostname):
    port = int(server.endpoints["https"].rsplit(":", 1)[1])
    ctx = ssl.create_default_context(cafile=server.ca_cert)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        # server_hostname drives SNI and hostname verification against the SANs
        with ctx.wrap_socket(sock, server_hostname=hostname) as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_https_rejects_without_ca(server):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.endpoints["https"] + "/_s3emu/health", timeout=10)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_persistence_across_restart(server_factory, tmp_path, sig):
    srv = server_factory(tmp_path / "persist")
    s3 = srv.endpoint("http").client()
    us, eu = unique_bucket("p"), unique_bucket("peu")
    s3.create_bucket(Bucket=us)
    s3.create_bucket(Bucket=eu, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    small = random_bytes(1000)
    s3.put_object(Bucket=us, Key="dir/small", Body=small, ContentType="text/x-test",
                  Metadata={"kept": "yes"})
    part1, part2 = random_bytes(5 * MIB), random_bytes(100)
    upload_id = s3.create_multipart_upload(Bucket=eu, Key="mp")["UploadId"]
    etags = [s3.upload_part(Bucket=eu, Key="mp", UploadId=upload_id, PartNumber=n,
                            Body=b)["ETag"] for n, b in ((1, part1), (2, part2))]
    s3.complete_multipart_upload(Bucket=eu, Key="mp", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in zip((1, 2), etags)]})
    pending = s3.create_multipart_upload(Bucket=us, Key="pending")["UploadId"]
    s3.upload_part(Bucket=us, Key="pending", UploadId=pending, PartNumber=1, Body=b"p1")
    s3.put_object(Bucket=us, Key="deleted", Body=b"gone")
    s3.delete_object(Bucket=us, Key="deleted")

    rc = srv.stop(sig=sig, timeout=15)
    assert rc == 0, f"server exited with {rc} after {sig!r}; log:\n{srv.log_tail()}"

    srv.start()
    for scheme in ("http", "https"):
        s3 = srv.endpoint(scheme).client()
        names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        assert us in names and eu in names
        assert s3.get_bucket_location(Bucket=eu)["LocationConstraint"] == "eu-west-1"
        got = s3.get_object(Bucket=us, Key="dir/small")
        assert got["Body"].read() == small
        assert got["ETag"] == quoted_md5(small)
        assert got["ContentType"] == "text/x-test"
        assert got["Metadata"] == {"kept": "yes"}
        mp = s3.get_object(Bucket=eu, Key="mp")
        assert mp["ETag"] == multipart_etag([part1, part2])
        assert mp["Body"].read() == part1 + part2
        assert s3.head_object(Bucket=eu, Key="mp", PartNumber=2)["ContentLength"] == 100
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=us)["Contents"]]
        assert keys == ["dir/small"]
        parts = s3.list_parts(Bucket=us, Key="pending", UploadId=pending)["Parts"]
        assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 2)]


def test_allow_anonymous(server_factory, tmp_path):
    srv = server_factory(tmp_path / "anon", extra_args=["--allow-anonymous"])
    ep = srv.endpoint("http")
    name = ep.create_bucket()
    put = ep.request("PUT", f"/{name}/anon.txt", body=b"anonymous", sign=False)
    assert put.status_code == 200, put.text
    get = ep.request("GET", f"/{name}/anon.txt", sign=False)
    assert get.status_code == 200 and get.content == b"anonymous"
    # signatures are still verified when present
    bad = ep.request("GET", f"/{name}/anon.txt", secret_key="wrong")
    assert_s3_error(bad, 403, "SignatureDoesNotMatch")


def test_a_data_directory_serves_one_process_at_a_time(server_factory, tmp_path):
    """A second serve on a data directory in use refuses to start (it would empty the first one's tmp/ and share its
    key store) and leaves the first one working; after the first stops, the directory can be served again."""
    first = server_factory(tmp_path / "shared")
    ep = first.endpoints["http"]
    binary = str(server_binary())
    second = subprocess.run([binary, "serve", "--data-dir", str(tmp_path / "shared"), "--http-port", "0", "--https-port", "0"],
                            capture_output=True, text=True, timeout=60)
    assert second.returncode != 0
    assert "is in use by another s3emu process" in second.stderr + second.stdout
    assert requests.get(ep + "/_s3emu/health", timeout=10).status_code == 200
    first.stop()
    again = server_factory(tmp_path / "shared")
    assert requests.get(again.endpoints["http"] + "/_s3emu/health", timeout=10).status_code == 200
