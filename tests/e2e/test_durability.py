"""Durability: a crash in the middle of a PUT leaves the previous object intact, acknowledged writes survive
kill -9, no temporary files pile up, and a GET concurrent with overwrites returns one whole version."""

import hashlib
import signal
import socket
import threading
import time
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from helpers import ACCESS_KEY, MIB, REGION, SECRET_KEY, random_bytes, unique_bucket


def _start_partial_put(url: str, total: int, first: bytes) -> socket.socket:
    """Sends the head of a signed PUT declaring `total` bytes and only `first` of the body, then leaves it hanging."""
    req = AWSRequest(method="PUT", url=url, headers={"Content-Length": str(total), "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(req)
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    head = f"PUT {parts.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in req.headers.items())
    if "host" not in {k.lower() for k in req.headers.keys()}:
        head += f"Host: {parts.netloc}\r\n"
    sock.sendall(head.encode() + b"\r\n" + first)
    return sock


def test_kill_during_put_keeps_previous_version(server_factory, tmp_path):
    data_dir = tmp_path / "crash"
    srv = server_factory(data_dir)
    s3 = srv.endpoint("http").client()
    bucket = unique_bucket("crash")
    s3.create_bucket(Bucket=bucket)
    old = random_bytes(3 * MIB)
    s3.put_object(Bucket=bucket, Key="obj", Body=old)
    acknowledged = {f"ack-{i}": random_bytes(1000 + i * 70_000) for i in range(8)}
    for key, body in acknowledged.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)

    url = f"{srv.endpoints['http']}/{bucket}/obj"
    sock = _start_partial_put(url, 20 * MIB, random_bytes(6 * MIB))
    time.sleep(0.5)  # let the server write part of it
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait(timeout=10)
    sock.close()

    srv2 = server_factory(data_dir)
    s3 = srv2.endpoint("http").client()
    assert s3.get_object(Bucket=bucket, Key="obj")["Body"].read() == old
    for key, body in acknowledged.items():
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body, key
    leftovers = list((data_dir / "store" / "tmp").iterdir())
    assert leftovers == [], leftovers


def test_concurrent_get_during_overwrites_sees_whole_versions(server, tmp_path):
    ep = server.endpoint("http")
    s3 = ep.client()
    bucket = unique_bucket("race")
    s3.create_bucket(Bucket=bucket)
    versions = [bytes([i]) * (2 * MIB + i * 4096) for i in range(1, 6)]
    digests = {hashlib.md5(v).hexdigest() for v in versions}
    s3.put_object(Bucket=bucket, Key="k", Body=versions[0])
    stop = threading.Event()
    errors = []

    def writer():
        w = ep.client()
        i = 0
        while not stop.is_set():
            w.put_object(Bucket=bucket, Key="k", Body=versions[i % len(versions)])
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        reader = ep.client()
        for _ in range(30):
            body = reader.get_object(Bucket=bucket, Key="k")["Body"].read()
            if hashlib.md5(body).hexdigest() not in digests:
                errors.append(len(body))
    finally:
        stop.set()
        t.join(timeout=60)
    assert errors == []


def _blob_files(data_dir):
    return sorted(p.name for p in (data_dir / "store" / "blobs").rglob("*") if p.is_file())


def test_refused_uploads_leave_no_bytes_behind(server_factory, tmp_path):
    """Large bodies become durable before their digests are checked; a mismatch must remove them again."""
    import base64
    import botocore.exceptions
    import pytest

    data_dir = tmp_path / "refused"
    srv = server_factory(data_dir)
    s3 = srv.endpoint("http").client()
    bucket = unique_bucket("refused")
    s3.create_bucket(Bucket=bucket)
    before = _blob_files(data_dir)
    body = random_bytes(3 * MIB)
    wrong_md5 = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=body, ContentMD5=wrong_md5)
    assert e.value.response["Error"]["Code"] == "BadDigest"
    assert _blob_files(data_dir) == before
    assert list((data_dir / "store" / "tmp").iterdir()) == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.head_object(Bucket=bucket, Key="k")
    assert e.value.response["Error"]["Code"] == "404"
