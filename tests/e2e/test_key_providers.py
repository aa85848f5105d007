"""Key providers through the real binary: ``s3emu keyprovider check`` and ``serve --key-provider …``.

Each provider seals a data key under its root key with an encryption context and unseals it again; a different
context must be refused. PKCS#11 runs against a SoftHSM2 token the test creates; the external-KMS provider runs
against moto's KMS server and against this emulator's own KMS endpoint.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import time
from pathlib import Path

import boto3
import pytest
import requests

from helpers import ACCESS_KEY, REGION, SECRET_KEY, server_binary

SOFTHSM_LIB = "/usr/lib/softhsm/libsofthsm2.so"


def run_check(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([str(server_binary()), "keyprovider", "check", *args], capture_output=True, text=True,
                          env=full_env, timeout=60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def softhsm_token(tmp_path):
    """A fresh SoftHSM2 token: returns (env with SOFTHSM2_CONF, token label, user PIN)."""
    if not shutil.which("softhsm2-util") or not Path(SOFTHSM_LIB).exists():
        pytest.fail("SoftHSM2 is not installed (apt-get install softhsm2); Scripts/test installs it")
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {"SOFTHSM2_CONF": str(conf)}
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "e2e-token", "--pin", "4321", "--so-pin", "8765"],
                   check=True, capture_output=True, env={**os.environ, **env})
    return env, "e2e-token", "4321"


def test_static_file_provider_creates_an_owner_only_key_and_round_trips(tmp_path):
    key = tmp_path / "root.key"
    r = run_check("--key-provider", "static-file", "--static-key-file", str(key))
    assert r.returncode == 0, r.stderr
    assert "provider: static-file" in r.stdout and r.stdout.strip().endswith("OK")
    assert "a different context is refused" in r.stdout
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    again = run_check("--key-provider", "static-file", "--static-key-file", str(key))
    assert again.returncode == 0 and again.stdout.splitlines()[1] == r.stdout.splitlines()[1]  # same key id


def test_static_file_provider_rejects_a_malformed_key_file(tmp_path):
    key = tmp_path / "bad.key"
    key.write_text("not a key\n")
    r = run_check("--key-provider", "static-file", "--static-key-file", str(key))
    assert r.returncode != 0
    assert str(key) in r.stderr and "not a key" not in r.stderr


def test_pkcs11_provider_against_softhsm(softhsm_token):
    env, label, pin = softhsm_token
    r = run_check("--key-provider", "pkcs11", "--pkcs11-token", label, env={**env, "S3EMU_PKCS11_PIN": pin})
    assert r.returncode == 0, r.stderr
    assert f"pkcs11:token={label};object=s3emu-root" in r.stdout
    assert r.stdout.strip().endswith("OK")
    # The key is on the token now: a second run finds it instead of making another.
    listing = subprocess.run(["softhsm2-util", "--show-slots"], capture_output=True, text=True, env={**os.environ, **env})
    assert label in listing.stdout
    again = run_check("--key-provider", "pkcs11", "--pkcs11-token", label, env={**env, "S3EMU_PKCS11_PIN": pin})
    assert again.returncode == 0, again.stderr


def test_pkcs11_wrong_pin_is_key_unavailable_without_the_pin(softhsm_token):
    env, label, _ = softhsm_token
    r = run_check("--key-provider", "pkcs11", "--pkcs11-token", label, env={**env, "S3EMU_PKCS11_PIN": "99999999"})
    assert r.returncode != 0
    assert "CKR_PIN_INCORRECT" in r.stderr or "KeyUnavailableException" in r.stderr
    assert "99999999" not in r.stderr + r.stdout


def test_serve_with_the_pkcs11_provider_reports_it(softhsm_token, server_factory):
    env, label, pin = softhsm_token
    old = {k: os.environ.get(k) for k in (*env, "S3EMU_PKCS11_PIN")}
    os.environ.update({**env, "S3EMU_PKCS11_PIN": pin})
    try:
        srv = server_factory(extra_args=["--key-provider", "pkcs11", "--pkcs11-token", label])
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    health = requests.get(srv.endpoints["http"] + "/_s3emu/health", timeout=10).json()
    assert health["key_provider"] == "pkcs11"
    assert health["key_module"] == "up"


@pytest.fixture
def moto_kms():
    exe = shutil.which("moto_server")
    if not exe:
        pytest.fail("moto_server is not installed (pip install 'moto[server]'); Scripts/test installs it")
    port = free_port()
    proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            requests.get(url + "/moto-api/", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_kms_endpoint_provider_against_moto(moto_kms):
    kms = boto3.client("kms", endpoint_url=moto_kms, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    env = {"S3EMU_KMS_ENDPOINT_ACCESS_KEY": "testing", "S3EMU_KMS_ENDPOINT_SECRET_KEY": "testing"}
    r = run_check("--key-provider", "kms-endpoint", "--kms-endpoint", moto_kms, "--kms-endpoint-key-id", key_id, env=env)
    assert r.returncode == 0, r.stderr
    assert f"key/{key_id} (Enabled)" in r.stdout
    missing = run_check("--key-provider", "kms-endpoint", "--kms-endpoint", moto_kms, "--kms-endpoint-key-id",
                        "00000000-0000-0000-0000-000000000000", env=env)
    assert missing.returncode != 0 and "NotFoundException" in missing.stderr


def test_kms_endpoint_provider_against_this_emulators_kms(server):
    """The external-KMS provider speaks real SigV4 KMS: pointed at our own KMS endpoint it works like against AWS."""
    env = {"S3EMU_KMS_ENDPOINT_ACCESS_KEY": ACCESS_KEY, "S3EMU_KMS_ENDPOINT_SECRET_KEY": SECRET_KEY}
    http = server.endpoints["http"]
    kms = boto3.client("kms", endpoint_url=http, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                       aws_secret_access_key=SECRET_KEY)
    key_id = kms.create_key(Description="provider e2e")["KeyMetadata"]["KeyId"]
    r = run_check("--key-provider", "kms-endpoint", "--kms-endpoint", http, "--kms-endpoint-key-id", key_id, env=env)
    assert r.returncode == 0, r.stderr
    kms.disable_key(KeyId=key_id)
    disabled = run_check("--key-provider", "kms-endpoint", "--kms-endpoint", http, "--kms-endpoint-key-id", key_id, env=env)
    assert disabled.returncode != 0 and "DisabledException" in disabled.stderr
    https = run_check("--key-provider", "kms-endpoint", "--kms-endpoint", server.endpoints["https"],
                      "--kms-endpoint-ca-bundle", server.ca_cert, "--kms-endpoint-key-id", "alias/aws/s3", env=env)
    assert https.returncode == 0, https.stderr


def test_kms_endpoint_provider_reports_an_unreachable_endpoint():
    port = free_port()
    env = {"S3EMU_KMS_ENDPOINT_ACCESS_KEY": "a", "S3EMU_KMS_ENDPOINT_SECRET_KEY": "b"}
    r = run_check("--key-provider", "kms-endpoint", "--kms-endpoint", f"http://127.0.0.1:{port}", env=env)
    assert r.returncode != 0 and "KeyUnavailableException" in r.stderr


def test_keymodule_provider_of_a_running_server(server):
    r = run_check("--data-dir", str(server.data_dir))
    assert r.returncode == 0, r.stderr
    assert "provider: keymodule" in r.stdout and ":key/" in r.stdout


def test_unknown_provider_is_a_usage_error(tmp_path):
    r = run_check("--key-provider", "vault")
    assert r.returncode != 0 and "Unknown key provider vault" in r.stderr
