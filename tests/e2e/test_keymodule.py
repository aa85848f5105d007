"""The isolated key module behind the KMS API.

Process supervision (kill -9 → KeyUnavailableException → restart with the same
keys), the sealed store and socket permissions, the hash-chained audit trail
(``s3emu audit verify|tail``), ``--kms-seed-file``, the test clock (automatic
rotation, end of the deletion window), persistence across server restarts, and
a grep of everything on disk and in the log for secrets.

This module runs its own server (module scope) with ``--test-clock`` and a seed
file; moving its clock affects only the keys created here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import stat
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

from helpers import (ACCESS_KEY, Server, advance_clock, assert_kms_raw_error, expect_kms_error,
                     find_secret_leaks, health, kms_alias_arn, kms_client, kms_key_arn, kms_raw,
                     server_binary)

DAY = 86400
SEED_ENABLED = "11111111-2222-3333-4444-555555555555"
SEED_DISABLED = "22222222-2222-3333-4444-555555555555"
SEED = {"keys": [
    {"KeyId": SEED_ENABLED, "Aliases": ["alias/seeded"], "State": "Enabled",
     "Description": "seeded enabled key"},
    {"KeyId": SEED_DISABLED, "Aliases": ["alias/seeded-off", "alias/seeded-off-2"],
     "State": "Disabled", "Description": "seeded disabled key"},
]}

SECRETS: dict[str, bytes] = {}


def keep(label: str, value: bytes) -> bytes:
    SECRETS[f"{label}#{len(SECRETS)}"] = value
    return value


# ---------------------------------------------------------------- fixtures / helpers

def write_seed(path: Path) -> Path:
    path.write_text(json.dumps(SEED))
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Overrides the session server for this module: --test-clock and a seed file."""
    base = tmp_path_factory.mktemp("s3emu-keymodule")
    seed = write_seed(base / "seed.json")
    srv = Server(base / "data", base / "server.log",
                 ["--test-clock", "--kms-seed-file", str(seed)])
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def http_ep(server):
    return server.endpoint("http")


@pytest.fixture
def kms(http_ep):
    client = kms_client(http_ep)
    yield client
    client.close()


def km_dir(server) -> Path:
    return server.data_dir / "keymodule"


def km_pid(server) -> int:
    return int((km_dir(server) / "keymodule.pid").read_text().strip())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:   # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def audit(server_or_dir, *args, file: Path | None = None) -> subprocess.CompletedProcess:
    data_dir = server_or_dir.data_dir if hasattr(server_or_dir, "data_dir") else server_or_dir
    where = ["--file", str(file)] if file is not None else ["--data-dir", str(data_dir)]
    return subprocess.run([str(server_binary()), "audit", *args, *where],
                          capture_output=True, timeout=60)


def audit_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def new_key(kms, **kw) -> str:
    return kms.create_key(**kw)["KeyMetadata"]["KeyId"]


def wait_until(pred, timeout=15.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(interval)
    return None


def advance(ep, seconds):
    resp = advance_clock(ep, seconds)
    assert resp.status_code == 200, resp.text
    return resp.json()


def rotations(kms, key_id, include="ROTATIONS_ONLY"):
    return kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial=include)["Rotations"]


# ================================================================ files, process

def test_keymodule_files_and_permissions(server):
    d = km_dir(server)
    sock = d / "keymodule.sock"
    st = os.stat(sock)
    assert stat.S_ISSOCK(st.st_mode), "keymodule.sock is not a socket"
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    assert stat.S_IMODE(os.stat(d).st_mode) & 0o077 == 0, oct(os.stat(d).st_mode)
    for name in ("keystore.sealed", "audit.jsonl"):
        mode = stat.S_IMODE(os.stat(d / name).st_mode)
        assert mode & 0o077 == 0, f"{name} is readable by others: {oct(mode)}"
    endpoints = json.loads((server.data_dir / "endpoints.json").read_text())
    assert Path(endpoints["key_module_socket"]) == sock


def test_keymodule_is_a_supervised_child(server, http_ep):
    pid = km_pid(server)
    assert alive(pid)
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert b"keymodule" in cmdline and b"--supervised" in cmdline, cmdline
    ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    assert ppid == server.proc.pid
    assert pid != server.proc.pid
    assert health(http_ep)["key_module"] == "up"


def test_sealed_store_holds_no_clear_key_ids(server, kms):
    key_id = new_key(kms, Description="clear-text-description-marker")
    sealed = (km_dir(server) / "keystore.sealed").read_bytes()
    assert key_id.encode() not in sealed, "the key store is not sealed"
    assert b"clear-text-description-marker" not in sealed


# ================================================================ seeds

def test_seeded_keys(http_ep, kms):
    on = kms.describe_key(KeyId="alias/seeded")["KeyMetadata"]
    assert on["KeyId"] == SEED_ENABLED and on["Arn"] == kms_key_arn(SEED_ENABLED)
    assert on["KeyState"] == "Enabled" and on["Description"] == "seeded enabled key"
    assert on["KeySpec"] == "SYMMETRIC_DEFAULT" and on["KeyManager"] == "CUSTOMER"
    off = kms.describe_key(KeyId=SEED_DISABLED)["KeyMetadata"]
    assert off["KeyState"] == "Disabled" and off["Enabled"] is False
    assert off["Description"] == "seeded disabled key"
    names = sorted(a["AliasName"] for a in kms.list_aliases(KeyId=SEED_DISABLED)["Aliases"])
    assert names == ["alias/seeded-off", "alias/seeded-off-2"]
    assert kms.describe_key(KeyId=kms_alias_arn("alias/seeded-off-2"))["KeyMetadata"]["KeyId"] == SEED_DISABLED
    blob = kms.encrypt(KeyId="alias/seeded", Plaintext=b"seeded")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, KeyId=SEED_ENABLED)["Plaintext"] == b"seeded"
    with expect_kms_error("DisabledException", message=f"{kms_key_arn(SEED_DISABLED)} is disabled."):
        kms.encrypt(KeyId="alias/seeded-off", Plaintext=b"x")
    ids = [k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]]
    assert SEED_ENABLED in ids and SEED_DISABLED in ids


# ================================================================ kill -9 / restart

def test_keymodule_killed_then_restarted(server, http_ep):
    kms = kms_client(http_ep)
    key_id = new_key(kms, Description="survives kill")
    alias = f"alias/kill-{uuid.uuid4().hex[:10]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"before kill",
                       EncryptionContext={"k": "v"})["CiphertextBlob"]
    dk = kms.generate_data_key(KeyId=alias, KeySpec="AES_256")
    keep("data key before kill", dk["Plaintext"])
    keys_before = sorted(k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"])
    seq_before = audit_records(km_dir(server) / "audit.jsonl")[-1]["seq"]
    s3 = http_ep.client()

    old_pid = km_pid(server)
    os.kill(old_pid, signal.SIGKILL)
    assert wait_until(lambda: not alive(old_pid), timeout=5)

    seen_unavailable, seen_down, s3_ok_during_outage = [], False, False
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if health(http_ep)["key_module"] == "down":
            seen_down = True
            s3.list_buckets()                       # S3 keeps working without the key module
            s3_ok_during_outage = True
        resp = kms_raw(http_ep, "DescribeKey", {"KeyId": key_id})
        if resp.status_code == 200:
            break
        assert_kms_raw_error(resp, "KeyUnavailableException", status=500)
        seen_unavailable.append(resp)
        if len(seen_unavailable) == 1:
            # boto3 sees the same error (retries are off in kms_client)
            try:
                kms.encrypt(KeyId=key_id, Plaintext=b"x")
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "KeyUnavailableException":
                    pytest.fail(f"unexpected error while the module is down: {exc.response}")
                assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        time.sleep(0.05)
    else:
        pytest.fail("the key module was not restarted within 15 s")
    assert seen_unavailable, "no KeyUnavailableException was seen while the key module was down"
    assert seen_down, "/_s3emu/health never reported key_module=down"
    assert s3_ok_during_outage

    new_pid = km_pid(server)
    assert new_pid != old_pid and alive(new_pid)
    assert health(http_ep)["key_module"] == "up"
    assert sorted(k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]) == keys_before
    dec = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})
    assert dec["Plaintext"] == b"before kill"
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], KeyId=alias)["Plaintext"] == dk["Plaintext"]
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["Description"] == "survives kill"
    new_blob = kms.encrypt(KeyId=alias, Plaintext=b"after kill")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=new_blob)["Plaintext"] == b"after kill"
    # the audit chain continues across the restart
    proc = audit(server, "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = audit_records(km_dir(server) / "audit.jsonl")
    seqs = [r["seq"] for r in records]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "gap or repeat in audit seq"
    assert seqs[-1] > seq_before
    kms.close()


# ================================================================ audit trail

def test_audit_trail_records_and_tail(server, kms):
    key_id = new_key(kms)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"audited",
                       EncryptionContext={"aws:s3:arn": "arn:aws:s3:::b/k"})["CiphertextBlob"]
    kms.decrypt(CiphertextBlob=blob, EncryptionContext={"aws:s3:arn": "arn:aws:s3:::b/k"})
    keep("audited data key", kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")["Plaintext"])
    proc = audit(server, "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = audit_records(km_dir(server) / "audit.jsonl")
    mine = [r for r in records if r.get("keyId") == key_id]
    ops = [r["op"] for r in mine]
    for op in ("CreateKey", "Encrypt", "Decrypt", "GenerateDataKey"):
        assert op in ops, (op, ops)
    assert all(r["caller"] == ACCESS_KEY for r in mine), mine
    for prev, rec in zip(records, records[1:]):
        assert rec["prev"] == prev["hash"] and rec["seq"] == prev["seq"] + 1
    # tail: the last N records, one line each
    out = audit(server, "tail", "-n", "3")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.decode().strip().splitlines()
    assert len(lines) == 3, lines
    assert "GenerateDataKey" in lines[-1] or any("GenerateDataKey" in line for line in lines)
    out = audit(server, "tail", "-n", "4", "--json")
    assert out.returncode == 0, out.stderr
    tail = [json.loads(line) for line in out.stdout.decode().strip().splitlines()]
    assert len(tail) == 4
    latest = audit_records(km_dir(server) / "audit.jsonl")
    assert [r["seq"] for r in tail] == [r["seq"] for r in latest[-4:]]


def _tamper_cases(lines: list[str]):
    def edit(ls):
        rec = json.loads(ls[2])
        rec["result"] = "forged" if rec.get("result") != "forged" else "ok"
        ls[2] = json.dumps(rec, separators=(",", ":"))
        return ls

    def edit_keep_hash_chain_of_next(ls):
        rec = json.loads(ls[3])
        rec["caller"] = "mallory"
        ls[3] = json.dumps(rec, separators=(",", ":"))
        return ls

    return {
        "edit-middle": edit,
        "edit-caller": edit_keep_hash_chain_of_next,
        "remove-middle": lambda ls: ls[:3] + ls[4:],
        "remove-first": lambda ls: ls[1:],
        "swap-two": lambda ls: ls[:2] + [ls[3], ls[2]] + ls[4:],
        "duplicate-line": lambda ls: ls[:3] + [ls[2]] + ls[3:],
    }


@pytest.mark.parametrize("case", ["edit-middle", "edit-caller", "remove-middle", "remove-first",
                                  "swap-two", "duplicate-line"])
def test_audit_tamper_detected(server, kms, tmp_path, case):
    new_key(kms)                                       # make sure there are enough records
    live = km_dir(server) / "audit.jsonl"
    lines = live.read_text().splitlines()
    assert len(lines) >= 6
    copy = tmp_path / "audit.jsonl"
    copy.write_text("\n".join(lines) + "\n")
    proc = audit(None, "verify", file=copy)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tampered = _tamper_cases(list(lines))[case](list(lines))
    copy.write_text("\n".join(tampered) + "\n")
    proc = audit(None, "verify", file=copy)
    assert proc.returncode == 1, (f"audit verify accepted a trail with {case}: "
                                  f"{(proc.stdout + proc.stderr).decode()}")
    # the live trail is untouched and still verifies
    proc = audit(server, "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _copy_keymodule_dir(server, dest: Path) -> Path:
    (dest / "keymodule").mkdir(parents=True)
    for f in km_dir(server).iterdir():
        if f.is_file():
            (dest / "keymodule" / f.name).write_bytes(f.read_bytes())
    return dest / "keymodule" / "audit.jsonl"


def test_audit_truncation_detected(server, kms, tmp_path):
    """Removing the newest record(s) is a removed line too (needs an anchor beyond the file)."""
    new_key(kms)
    trail = _copy_keymodule_dir(server, tmp_path / "data")
    proc = audit(tmp_path / "data", "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = trail.read_text().splitlines()
    trail.write_text("\n".join(lines[:-1]) + "\n")
    proc = audit(tmp_path / "data", "verify")
    assert proc.returncode == 1, ("audit verify accepted a trail whose last record was removed: "
                                  f"{(proc.stdout + proc.stderr).decode()}")


def test_audit_tamper_detected_via_data_dir(server, kms, tmp_path):
    new_key(kms)
    fake = tmp_path / "data"
    (fake / "keymodule").mkdir(parents=True)
    lines = (km_dir(server) / "audit.jsonl").read_text().splitlines()
    del lines[len(lines) // 2]
    (fake / "keymodule" / "audit.jsonl").write_text("\n".join(lines) + "\n")
    proc = audit(fake, "verify")
    assert proc.returncode == 1, proc.stdout + proc.stderr


# ================================================================ test clock

def test_clock_refuses_bad_requests(server, http_ep):
    for value in ("-5", "abc", ""):
        resp = http_ep.request("POST", "/_s3emu/clock", params={"advance_seconds": value})
        assert resp.status_code == 400, (value, resp.status_code, resp.text)
    resp = http_ep.request("POST", "/_s3emu/clock")
    assert resp.status_code == 400, resp.text
    resp = requests.post(http_ep.url + "/_s3emu/clock", params={"advance_seconds": "10"}, timeout=10)
    assert resp.status_code == 403, "an unsigned clock request must be refused"
    resp = http_ep.request("POST", "/_s3emu/clock", params={"advance_seconds": "10"},
                           secret_key="wrong-secret")
    assert resp.status_code == 403


def test_clock_automatic_rotation(http_ep, kms):
    key_id = new_key(kms)
    alias = f"alias/auto-{uuid.uuid4().hex[:10]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    original = kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    gen0 = kms.encrypt(KeyId=key_id, Plaintext=b"gen0", EncryptionContext={"g": "0"})["CiphertextBlob"]
    dk0 = kms.generate_data_key(KeyId=alias, KeySpec="AES_256")
    keep("pre-rotation data key", dk0["Plaintext"])
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    next1 = kms.get_key_rotation_status(KeyId=key_id)["NextRotationDate"]

    advance(http_ep, 89 * DAY)
    assert rotations(kms, key_id) == [], "rotated a day early"
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"] == original

    advance(http_ep, DAY + 60)
    rots = rotations(kms, key_id)
    assert len(rots) == 1, rots
    assert rots[0]["RotationType"] == "AUTOMATIC" and rots[0]["KeyMaterialState"] == "CURRENT"
    assert abs(rots[0]["RotationDate"] - next1) <= dt.timedelta(days=1)
    meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
    assert meta["KeyId"] == key_id and meta["KeyState"] == "Enabled"
    gen1_material = meta["CurrentKeyMaterialId"]
    assert gen1_material == rots[0]["KeyMaterialId"] != original
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    assert abs(status["NextRotationDate"] - (next1 + dt.timedelta(days=90))) <= dt.timedelta(days=1)

    # pre-rotation ciphertext still decrypts, with the old material
    dec = kms.decrypt(CiphertextBlob=gen0, EncryptionContext={"g": "0"})
    assert dec["Plaintext"] == b"gen0" and dec["KeyMaterialId"] == original
    assert kms.decrypt(CiphertextBlob=dk0["CiphertextBlob"], KeyId=alias)["Plaintext"] == dk0["Plaintext"]
    gen1 = kms.encrypt(KeyId=key_id, Plaintext=b"gen1")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=gen1)["KeyMaterialId"] == gen1_material

    # an on-demand rotation in between does not move the automatic schedule
    advance(http_ep, 45 * DAY)
    kms.rotate_key_on_demand(KeyId=key_id)
    advance(http_ep, 45 * DAY + 60)
    rots = rotations(kms, key_id)
    assert [r["RotationType"] for r in rots] == ["AUTOMATIC", "ON_DEMAND", "AUTOMATIC"], rots
    assert [r["KeyMaterialState"] for r in rots] == ["NON_CURRENT", "NON_CURRENT", "CURRENT"]
    full = rotations(kms, key_id, "ALL_KEY_MATERIAL")
    assert len(full) == 4 and full[0]["KeyMaterialId"] == original
    assert kms.decrypt(CiphertextBlob=gen0, EncryptionContext={"g": "0"})["Plaintext"] == b"gen0"
    assert kms.decrypt(CiphertextBlob=gen1)["Plaintext"] == b"gen1"

    # disabling rotation stops it and keeps the material
    kms.disable_key_rotation(KeyId=key_id)
    advance(http_ep, 200 * DAY)
    assert len(rotations(kms, key_id)) == 3
    assert kms.decrypt(CiphertextBlob=gen0, EncryptionContext={"g": "0"})["Plaintext"] == b"gen0"


def test_clock_no_rotation_while_disabled(http_ep, kms):
    key_id = new_key(kms)
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    kms.disable_key(KeyId=key_id)
    advance(http_ep, 91 * DAY)
    assert rotations(kms, key_id) == [], "a disabled key rotated"
    # §6: on re-enable, rotate at once if a full period has passed
    kms.enable_key(KeyId=key_id)
    rots = rotations(kms, key_id)
    assert len(rots) == 1 and rots[0]["RotationType"] == "AUTOMATIC", rots


def test_clock_deletion_window(server, http_ep, kms):
    key_id = new_key(kms)
    alias = f"alias/doomed-{uuid.uuid4().hex[:10]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "t", "TagValue": "v"}])
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"doomed")["CiphertextBlob"]
    saved = new_key(kms)
    saved_blob = kms.encrypt(KeyId=saved, Plaintext=b"saved")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    kms.schedule_key_deletion(KeyId=saved, PendingWindowInDays=7)

    advance(http_ep, 6 * DAY)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=saved)

    advance(http_ep, DAY + 60)
    arn = kms_key_arn(key_id)
    with expect_kms_error("NotFoundException", message=f"Key '{arn}' does not exist"):
        kms.describe_key(KeyId=key_id)
    with expect_kms_error("NotFoundException", message=f"Alias {kms_alias_arn(alias)} is not found."):
        kms.encrypt(KeyId=alias, Plaintext=b"x")
    with expect_kms_error("NotFoundException"):
        kms.cancel_key_deletion(KeyId=key_id)
    with expect_kms_error("NotFoundException"):
        kms.list_resource_tags(KeyId=key_id)
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=blob)
    assert exc.value.response["Error"]["Code"] in ("NotFoundException", "InvalidCiphertextException")
    assert key_id not in [k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]]
    assert alias not in [a["AliasName"] for a in kms.list_aliases(Limit=100)["Aliases"]]
    # the cancelled one survived (Disabled) and still decrypts once enabled
    assert kms.describe_key(KeyId=saved)["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=saved)
    assert kms.decrypt(CiphertextBlob=saved_blob)["Plaintext"] == b"saved"
    deleted = [r for r in audit_records(km_dir(server) / "audit.jsonl")
               if r.get("keyId") == key_id and r["op"] == "DeleteKey"]
    assert len(deleted) == 1, "the deletion is not in the audit trail"


# ================================================================ restart persistence

def test_persistence_across_server_restart(server_factory, tmp_path):
    seed = write_seed(tmp_path / "seed.json")
    srv = server_factory(tmp_path / "persist", extra_args=["--kms-seed-file", str(seed)])
    ep = srv.endpoint("http")
    kms = kms_client(ep)

    # no --test-clock here: the clock endpoint is refused
    resp = advance_clock(ep, 10)
    assert resp.status_code in (403, 404), resp.text

    sym = new_key(kms, Description="persisted", Tags=[{"TagKey": "p", "TagValue": "1"}])
    alias = f"alias/persist-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=sym)
    pre = kms.encrypt(KeyId=sym, Plaintext=b"pre-rotation", EncryptionContext={"a": "1"})["CiphertextBlob"]
    kms.enable_key_rotation(KeyId=sym, RotationPeriodInDays=180)
    kms.rotate_key_on_demand(KeyId=sym)
    post = kms.encrypt(KeyId=sym, Plaintext=b"post-rotation")["CiphertextBlob"]
    dk = kms.generate_data_key(KeyId=alias, KeySpec="AES_256")
    keep("persisted data key", dk["Plaintext"])
    rsa = new_key(kms, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    rsa_ct = kms.encrypt(KeyId=rsa, Plaintext=b"rsa", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    disabled = new_key(kms)
    kms.disable_key(KeyId=disabled)
    pending = new_key(kms)
    kms.schedule_key_deletion(KeyId=pending, PendingWindowInDays=10)
    kms.enable_key(KeyId=SEED_DISABLED)            # the seed must not undo this on restart
    aws_key = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]

    def snapshot():
        return {
            "keys": sorted(k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]),
            "aliases": sorted((a["AliasName"], a.get("TargetKeyId")) for a in
                              kms.list_aliases(Limit=100)["Aliases"]),
            "metas": {k: kms.describe_key(KeyId=k)["KeyMetadata"]
                      for k in (sym, rsa, disabled, pending, SEED_ENABLED, SEED_DISABLED, aws_key)},
            "tags": kms.list_resource_tags(KeyId=sym)["Tags"],
            "rotation": {k: v for k, v in kms.get_key_rotation_status(KeyId=sym).items()
                         if k != "ResponseMetadata"},
            "rotations": rotations(kms, sym, "ALL_KEY_MATERIAL"),
            "public": kms.get_public_key(KeyId=rsa)["PublicKey"],
        }

    before = snapshot()
    old_module = km_pid(srv)
    kms.close()
    rc = srv.stop()
    assert rc == 0, f"serve exited with {rc}; log:\n{srv.log_tail()}"
    assert wait_until(lambda: not alive(old_module), timeout=10), "the key module outlived serve"

    srv.start()
    kms = kms_client(ep)
    after = snapshot()
    assert after == before
    assert after["metas"][SEED_DISABLED]["KeyState"] == "Enabled"
    assert after["metas"][pending]["KeyState"] == "PendingDeletion"
    assert kms.decrypt(CiphertextBlob=pre, EncryptionContext={"a": "1"})["Plaintext"] == b"pre-rotation"
    assert kms.decrypt(CiphertextBlob=post)["Plaintext"] == b"post-rotation"
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], KeyId=alias)["Plaintext"] == dk["Plaintext"]
    assert kms.decrypt(CiphertextBlob=rsa_ct, KeyId=rsa,
                       EncryptionAlgorithm="RSAES_OAEP_SHA_256")["Plaintext"] == b"rsa"
    with expect_kms_error("DisabledException"):
        kms.encrypt(KeyId=disabled, Plaintext=b"x")
    assert km_pid(srv) != old_module
    proc = audit(srv, "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr

    # serve killed hard: the supervised module must not linger, and the keys survive
    module = km_pid(srv)
    srv.proc.kill()
    srv.proc.wait(timeout=10)
    srv.proc = None
    srv._close_log()
    assert wait_until(lambda: not alive(module), timeout=10), "the key module outlived a killed serve"
    srv.start()
    kms = kms_client(ep)
    assert kms.decrypt(CiphertextBlob=pre, EncryptionContext={"a": "1"})["Plaintext"] == b"pre-rotation"
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == sym
    proc = audit(srv, "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr

    leaks = find_secret_leaks([srv.data_dir, srv.log_path],
                              {k: v for k, v in SECRETS.items() if "persisted" in k})
    assert not leaks, leaks
    kms.close()


# ================================================================ secrets (keep last)

def test_zz_secrets_never_stored_or_logged(server, http_ep, kms):
    key_id = new_key(kms)
    for i in range(6):
        ctx = {"aws:x-amz-cek-alg": "115", "n": str(i)}
        dk = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=ctx)
        keep("GenerateDataKey", dk["Plaintext"])
        kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext=ctx)
    for n in (24, 32, 512):
        keep("GenerateRandom", kms.generate_random(NumberOfBytes=n)["Plaintext"])
    # the secrets must stay out of the trail even across a module restart
    pid = km_pid(server)
    os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: km_pid(server) != pid and health(http_ep)["key_module"] == "up",
                      timeout=15)
    assert wait_until(lambda: kms_raw(http_ep, "ListKeys", {}).status_code == 200, timeout=15)
    keep("GenerateDataKey after restart",
         kms.generate_data_key(KeyId=key_id, NumberOfBytes=64)["Plaintext"])
    keep("GenerateRandom after restart", kms.generate_random(NumberOfBytes=48)["Plaintext"])

    secrets = {label: value for label, value in SECRETS.items() if len(value) >= 12}
    assert len(secrets) >= 10
    leaks = find_secret_leaks([server.data_dir, server.log_path], secrets)
    assert not leaks, "secrets leaked:\n" + "\n".join(leaks[:50])
    for rec in audit_records(km_dir(server) / "audit.jsonl"):
        assert not any("plaintext" in k.lower() for k in rec), rec
    proc = audit(server, "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
