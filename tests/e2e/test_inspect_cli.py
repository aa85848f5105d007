"""``s3emu inspect``: the command-line face of the inspection API, against a running server."""

from __future__ import annotations

import json
import os
import subprocess

from helpers import ACCESS_KEY, SECRET_KEY, server_binary


def inspect(server, bucket, key):
    env = dict(os.environ, S3EMU_ACCESS_KEY=ACCESS_KEY, S3EMU_SECRET_KEY=SECRET_KEY)
    return subprocess.run([str(server_binary()), "inspect", bucket, key, "--data-dir", str(server.data_dir)],
                          capture_output=True, text=True, env=env, timeout=60)


def test_inspect_shows_sse_s3_ciphertext(server):
    ep = server.endpoint("http")
    bucket = ep.create_bucket()
    body = b"inspect me: this plaintext must not be stored as is " * 20
    ep.s3.put_object(Bucket=bucket, Key="a/b.txt", Body=body)
    r = inspect(server, bucket, "a/b.txt")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["mode"] == "SSE-S3"
    assert info["plaintext_size"] == len(body)
    assert info["stored_size"] == len(body) + 16 * info["segments"]
    assert info["plaintext_prefix_found_in_stored_bytes"] is False
    assert bytes.fromhex(info["stored_prefix_hex"]) != body[:32]


def test_inspect_of_a_missing_object_fails(server):
    ep = server.endpoint("http")
    bucket = ep.create_bucket()
    r = inspect(server, bucket, "nope")
    assert r.returncode == 1
    assert json.loads(r.stdout)["error"] == "NoSuchKey"


def test_inspect_with_a_wrong_secret_is_refused(server):
    ep = server.endpoint("http")
    bucket = ep.create_bucket()
    ep.s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    env = dict(os.environ, S3EMU_ACCESS_KEY=ACCESS_KEY, S3EMU_SECRET_KEY="wrong")
    r = subprocess.run([str(server_binary()), "inspect", bucket, "k", "--data-dir", str(server.data_dir)],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 1 and json.loads(r.stdout)["error"] == "SignatureDoesNotMatch"
