"""Real S3 clients as subprocesses: aws-cli, curl, s3cmd, rclone."""

import filecmp
import json
import os
import time
from pathlib import Path

import pytest

from helpers import (ACCESS_KEY, MIB, REGION, SECRET_KEY, clean_env, quoted_md5,
                     random_bytes, run, unique_bucket)


def write_tree(root: Path) -> dict:
    files = {
        "top.txt": b"top level\n",
        "sub/b.bin": random_bytes(70_000),
        "sub/deep/c.txt": b"deep file\n",
        "with space/d e.txt": b"spaces\n",
        "empty.txt": b"",
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def assert_tree_equal(a: Path, b: Path):
    cmp = filecmp.dircmp(a, b)

    def walk(c):
        assert not c.left_only and not c.right_only and not c.diff_files, (
            c.left, c.left_only, c.right_only, c.diff_files)
        for sub in c.subdirs.values():
            walk(sub)

    walk(cmp)
    for path in a.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (b / path.relative_to(a)).read_bytes()


# ---------------------------------------------------------------- aws-cli

class AwsCli:
    def __init__(self, cmd, ep, tmp_path: Path):
        self.cmd, self.ep = cmd, ep
        config = tmp_path / "aws-config"
        config.write_text(f"[default]\nregion = {REGION}\ns3 =\n  addressing_style = path\n")
        creds = tmp_path / "aws-credentials"
        creds.write_text("[default]\n")
        extra = {"AWS_CA_BUNDLE": ep.ca_cert} if ep.scheme == "https" else {}
        self.env = clean_env(
            AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=config,
            AWS_SHARED_CREDENTIALS_FILE=creds, AWS_EC2_METADATA_DISABLED="true",
            AWS_MAX_ATTEMPTS="1", AWS_RETRY_MODE="standard", AWS_PAGER="", **extra)

    def __call__(self, *args, check=True, timeout=300):
        cmd = [*self.cmd, "--endpoint-url", self.ep.url]
        if self.ep.scheme == "https":
            cmd += ["--ca-bundle", self.ep.ca_cert]
        return run([*cmd, *map(str, args)], env=self.env, check=check, timeout=timeout)

    def json(self, *args):
        return json.loads(self(*args, "--output", "json").stdout or b"{}")


@pytest.fixture
def aws(aws_cmd, ep, tmp_path):
    return AwsCli(aws_cmd, ep, tmp_path)


def test_aws_mb_ls_rb(aws, s3):
    name = unique_bucket("cli")
    out = aws("s3", "mb", f"s3://{name}").stdout.decode()
    assert f"make_bucket: {name}" in out
    assert name in aws("s3", "ls").stdout.decode()
    s3.head_bucket(Bucket=name)
    aws("s3", "rb", f"s3://{name}")
    assert name not in aws("s3", "ls").stdout.decode()


def test_aws_cp_large_multipart_round_trip(aws, s3, bucket, tmp_path):
    src = tmp_path / "big.bin"
    data = random_bytes(50 * MIB)
    src.write_bytes(data)
    aws("s3", "cp", src, f"s3://{bucket}/big/file.bin")
    head = s3.head_object(Bucket=bucket, Key="big/file.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-7"'), head["ETag"]  # 8 MiB chunks -> 7 parts
    dst = tmp_path / "back.bin"
    aws("s3", "cp", f"s3://{bucket}/big/file.bin", dst)
    assert dst.stat().st_size == len(data)
    assert dst.read_bytes() == data


def test_aws_cp_small_and_ls(aws, s3, bucket, tmp_path):
    src = tmp_path / "small.txt"
    src.write_bytes(b"small file contents")
    aws("s3", "cp", src, f"s3://{bucket}/dir/small.txt", "--content-type", "text/plain")
    assert s3.head_object(Bucket=bucket, Key="dir/small.txt")["ContentType"] == "text/plain"
    listing = aws("s3", "ls", f"s3://{bucket}/dir/").stdout.decode()
    assert "small.txt" in listing and "19" in listing
    top = aws("s3", "ls", f"s3://{bucket}").stdout.decode()
    assert "PRE dir/" in top
    out = aws("s3", "cp", f"s3://{bucket}/dir/small.txt", "-").stdout
    assert out == b"small file contents"


def test_aws_sync_both_ways(aws, s3, bucket, tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    files = write_tree(src)
    aws("s3", "sync", src, f"s3://{bucket}/tree")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == sorted(f"tree/{k}" for k in files)
    again = aws("s3", "sync", src, f"s3://{bucket}/tree").stdout.decode()
    assert again.strip() == "", f"second sync should be a no-op, got: {again}"
    aws("s3", "sync", f"s3://{bucket}/tree", dst)
    assert_tree_equal(src, dst)
    # delete propagation
    (src / "top.txt").unlink()
    aws("s3", "sync", "--delete", src, f"s3://{bucket}/tree")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert "tree/top.txt" not in keys and "tree/sub/b.bin" in keys


def test_aws_rm_recursive(aws, s3, bucket):
    for i in range(15):
        s3.put_object(Bucket=bucket, Key=f"rm/{i}/x", Body=b"x")
    s3.put_object(Bucket=bucket, Key="keep", Body=b"k")
    aws("s3", "rm", "--recursive", f"s3://{bucket}/rm/")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["keep"]


def test_aws_s3api(aws, bucket, tmp_path):
    body = tmp_path / "body.txt"
    body.write_bytes(b"s3api body")
    put = aws.json("s3api", "put-object", "--bucket", bucket, "--key", "api/k.txt",
                   "--body", body, "--metadata", "a=b", "--content-type", "text/plain")
    assert put["ETag"] == quoted_md5(b"s3api body")
    head = aws.json("s3api", "head-object", "--bucket", bucket, "--key", "api/k.txt")
    assert head["ContentLength"] == 10
    assert head["Metadata"] == {"a": "b"}
    assert head["ContentType"] == "text/plain"
    listing = aws.json("s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "api/")
    assert [o["Key"] for o in listing["Contents"]] == ["api/k.txt"]
    missing = aws("s3api", "head-object", "--bucket", bucket, "--key", "nope", check=False)
    assert missing.returncode != 0
    assert b"404" in missing.stderr


# ---------------------------------------------------------------- curl

# curl < 8.x does not add x-amz-content-sha256 itself and, for -T uploads, signs the
# hash of an empty body; sending the header makes it sign UNSIGNED-PAYLOAD instead,
# which is what S3 expects (S3 rejects header-signed requests without the header).
CURL_UNSIGNED = ["-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]


def curl_base(curl_bin, ep, secret=SECRET_KEY):
    cmd = [curl_bin, "-sS", "--aws-sigv4", f"aws:amz:{REGION}:s3",
           "--user", f"{ACCESS_KEY}:{secret}", "-w", "%{http_code}", *CURL_UNSIGNED]
    if ep.scheme == "https":
        cmd += ["--cacert", ep.ca_cert]
    return cmd


def test_curl_put_get_head_delete(curl_bin, ep, s3, bucket, tmp_path):
    base = curl_base(curl_bin, ep)
    src = tmp_path / "curl.bin"
    data = random_bytes(300_000)
    src.write_bytes(data)
    url = f"{ep.url}/{bucket}/curl/obj.bin"
    put = run([*base, "-o", os.devnull, "-T", src, url])
    assert put.stdout == b"200", put
    assert s3.get_object(Bucket=bucket, Key="curl/obj.bin")["Body"].read() == data
    out = tmp_path / "got.bin"
    get = run([*base, "-o", out, url])
    assert get.stdout == b"200"
    assert out.read_bytes() == data
    head = run([*base, "-I", url])
    text = head.stdout.decode()
    assert text.endswith("200")
    assert f"content-length: {len(data)}" in text.lower()
    assert quoted_md5(data) in text
    delete = run([*base, "-o", os.devnull, "-X", "DELETE", url])
    assert delete.stdout == b"204"
    missing = run([*base, "-o", os.devnull, url])
    assert missing.stdout == b"404"


def test_curl_expect_100_continue_is_fast(curl_bin, ep, s3, bucket, tmp_path):
    src = tmp_path / "expect.bin"
    data = random_bytes(2 * MIB)
    src.write_bytes(data)
    cmd = [*curl_base(curl_bin, ep), "-o", os.devnull, "-H", "Expect: 100-continue",
           "--expect100-timeout", "5", "-T", src, f"{ep.url}/{bucket}/expect.bin"]
    t0 = time.monotonic()
    proc = run(cmd)
    elapsed = time.monotonic() - t0
    assert proc.stdout == b"200"
    # Without an interim "100 Continue" curl would wait the whole 5 s timeout.
    assert elapsed < 3.0, f"upload took {elapsed:.2f}s: server did not send 100 Continue"
    assert s3.get_object(Bucket=bucket, Key="expect.bin")["Body"].read() == data


def test_curl_expect_100_continue_rejected_early(curl_bin, ep, tmp_path):
    # A request that fails auth must be answered without reading the body.
    src = tmp_path / "expect.bin"
    src.write_bytes(random_bytes(MIB))
    cmd = [*curl_base(curl_bin, ep, secret="wrong-secret"), "-o", os.devnull,
           "-H", "Expect: 100-continue", "--expect100-timeout", "5", "-T", src,
           f"{ep.url}/{unique_bucket()}/x"]
    t0 = time.monotonic()
    proc = run(cmd, check=False)
    assert proc.stdout == b"403", proc
    assert time.monotonic() - t0 < 3.0


def test_curl_virtual_hosted_style(curl_bin, ep, s3, bucket, tmp_path):
    s3.put_object(Bucket=bucket, Key="vh/file.txt", Body=b"virtual hosted")
    host = f"{bucket}.s3.localhost"
    base = [*curl_base(curl_bin, ep), "--resolve", f"{host}:{ep.port}:127.0.0.1"]
    url = f"{ep.scheme}://{host}:{ep.port}/vh/file.txt"
    out = tmp_path / "vh.txt"
    get = run([*base, "-o", out, url])
    assert get.stdout == b"200", get
    assert out.read_bytes() == b"virtual hosted"
    src = tmp_path / "up.txt"
    src.write_bytes(b"uploaded virtually")
    put = run([*base, "-o", os.devnull, "-T", src, f"{ep.scheme}://{host}:{ep.port}/vh/up.txt"])
    assert put.stdout == b"200"
    assert s3.get_object(Bucket=bucket, Key="vh/up.txt")["Body"].read() == b"uploaded virtually"


def test_curl_unsigned_is_denied(curl_bin, ep, bucket):
    cmd = [curl_bin, "-sS", "-w", "\n%{http_code}", f"{ep.url}/{bucket}"]
    if ep.scheme == "https":
        cmd += ["--cacert", ep.ca_cert]
    out = run(cmd).stdout.decode()
    assert out.endswith("403")
    assert "<Code>AccessDenied</Code>" in out


# ---------------------------------------------------------------- s3cmd

@pytest.fixture(params=["sigv4", "sigv2"])
def s3cmd(request, s3cmd_bin, ep, tmp_path):
    cfg = tmp_path / "s3cfg"
    host = f"127.0.0.1:{ep.port}"
    cfg.write_text("\n".join([
        "[default]",
        f"access_key = {ACCESS_KEY}",
        f"secret_key = {SECRET_KEY}",
        f"host_base = {host}",
        f"host_bucket = {host}",
        f"bucket_location = {REGION}",
        f"use_https = {'True' if ep.scheme == 'https' else 'False'}",
        f"ca_certs_file = {ep.ca_cert if ep.scheme == 'https' else ''}",
        "check_ssl_certificate = True",
        "check_ssl_hostname = True",
        f"signature_v2 = {request.param == 'sigv2'}",
        "progress_meter = False",
        "",
    ]))
    env = clean_env(HOME=str(tmp_path))

    def call(*args, check=True):
        return run([s3cmd_bin, "-c", cfg, *map(str, args)], env=env, check=check, timeout=120)

    return call


def test_s3cmd_put_get_ls_del(s3cmd, s3, bucket, tmp_path):
    src = tmp_path / "s3cmd.bin"
    data = random_bytes(100_000)
    src.write_bytes(data)
    s3cmd("put", src, f"s3://{bucket}/s3cmd/file.bin")
    assert s3.get_object(Bucket=bucket, Key="s3cmd/file.bin")["Body"].read() == data
    listing = s3cmd("ls", f"s3://{bucket}/s3cmd/").stdout.decode()
    assert f"s3://{bucket}/s3cmd/file.bin" in listing
    assert bucket in s3cmd("ls").stdout.decode()
    dst = tmp_path / "s3cmd-back.bin"
    s3cmd("get", f"s3://{bucket}/s3cmd/file.bin", dst)
    assert dst.read_bytes() == data
    s3cmd("del", f"s3://{bucket}/s3cmd/file.bin")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_s3cmd_mb_multipart(s3cmd, s3, tmp_path):
    name = unique_bucket("s3cmd")
    s3cmd("mb", f"s3://{name}")
    s3.head_bucket(Bucket=name)
    src = tmp_path / "mp.bin"
    data = random_bytes(12 * MIB)
    src.write_bytes(data)
    s3cmd("put", "--multipart-chunk-size-mb=5", src, f"s3://{name}/mp.bin")
    head = s3.head_object(Bucket=name, Key="mp.bin")
    assert head["ETag"].endswith('-3"')
    dst = tmp_path / "mp-back.bin"
    s3cmd("get", f"s3://{name}/mp.bin", dst)
    assert dst.read_bytes() == data


# ---------------------------------------------------------------- rclone

@pytest.fixture
def rclone(rclone_bin, ep, tmp_path):
    conf = tmp_path / "rclone.conf"
    conf.write_text("")
    env = clean_env(
        HOME=str(tmp_path), RCLONE_CONFIG=conf,
        RCLONE_CONFIG_S3EMU_TYPE="s3", RCLONE_CONFIG_S3EMU_PROVIDER="Other",
        RCLONE_CONFIG_S3EMU_ENDPOINT=ep.url, RCLONE_CONFIG_S3EMU_ACCESS_KEY_ID=ACCESS_KEY,
        RCLONE_CONFIG_S3EMU_SECRET_ACCESS_KEY=SECRET_KEY, RCLONE_CONFIG_S3EMU_REGION=REGION,
        RCLONE_CONFIG_S3EMU_FORCE_PATH_STYLE="true")
    extra = ["--ca-cert", ep.ca_cert] if ep.scheme == "https" else []

    def call(*args, check=True):
        return run([rclone_bin, *extra, "--retries", "1", "--low-level-retries", "1",
                    *map(str, args)], env=env, check=check, timeout=180)

    return call


def test_rclone_copy_ls_cat_delete(rclone, s3, bucket, tmp_path):
    src = tmp_path / "rsrc"
    files = write_tree(src)
    rclone("copy", src, f"s3emu:{bucket}/rc")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == sorted(f"rc/{k}" for k in files)
    listing = rclone("ls", f"s3emu:{bucket}").stdout.decode()
    for rel, data in files.items():
        assert f"{len(data)} rc/{rel}" in " ".join(listing.split())
    assert rclone("cat", f"s3emu:{bucket}/rc/sub/deep/c.txt").stdout == files["sub/deep/c.txt"]
    # check verifies sizes and MD5 (ETag) hashes on both sides
    rclone("check", src, f"s3emu:{bucket}/rc")
    rclone("deletefile", f"s3emu:{bucket}/rc/top.txt")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert "rc/top.txt" not in keys
    dst = tmp_path / "rdst"
    rclone("copy", f"s3emu:{bucket}/rc", dst)
    (src / "top.txt").unlink()
    assert_tree_equal(src, dst)
    rclone("delete", f"s3emu:{bucket}/rc")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_rclone_mkdir_lsd(rclone, s3):
    name = unique_bucket("rclone")
    rclone("mkdir", f"s3emu:{name}")
    s3.head_bucket(Bucket=name)
    assert name in rclone("lsd", "s3emu:").stdout.decode()
