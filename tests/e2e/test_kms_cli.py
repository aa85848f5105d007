"""aws-cli ``kms`` subcommands against the emulator (``aws --endpoint-url EP kms ...``).

Uses the session server of conftest.py. Each aws-cli run costs ~0.7 s, so only
the basic round trips run over both HTTP and HTTPS; the rest run over HTTP.
Deeper checks of every operation live in test_kms.py (boto3).
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from pathlib import Path

import pytest

from helpers import (ACCESS_KEY, REGION, SECRET_KEY, clean_env, kms_alias_arn, kms_key_arn, run)


class AwsKms:
    def __init__(self, cmd, ep, tmp_path: Path, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
        self.cmd, self.ep, self.tmp = cmd, ep, tmp_path
        config = tmp_path / "aws-config"
        config.write_text(f"[default]\nregion = {REGION}\n")
        creds = tmp_path / "aws-credentials"
        creds.write_text("[default]\n")
        extra = {"AWS_CA_BUNDLE": ep.ca_cert} if ep.scheme == "https" else {}
        self.env = clean_env(
            AWS_ACCESS_KEY_ID=access_key, AWS_SECRET_ACCESS_KEY=secret_key,
            AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=config,
            AWS_SHARED_CREDENTIALS_FILE=creds, AWS_EC2_METADATA_DISABLED="true",
            AWS_MAX_ATTEMPTS="1", AWS_RETRY_MODE="standard", AWS_PAGER="", **extra)

    def __call__(self, *args, check=True):
        cmd = [*self.cmd, "--endpoint-url", self.ep.url]
        if self.ep.scheme == "https":
            cmd += ["--ca-bundle", self.ep.ca_cert]
        return run([*cmd, "kms", *map(str, args)], env=self.env, check=check, timeout=120)

    def json(self, *args) -> dict:
        out = self(*args, "--output", "json").stdout
        return json.loads(out) if out.strip() else {}

    def text(self, *args) -> str:
        return self(*args, "--output", "text").stdout.decode().strip()

    def fails(self, code: str, *args) -> str:
        proc = self(*args, check=False)
        err = proc.stderr.decode()
        assert proc.returncode != 0, f"aws kms {args} succeeded: {proc.stdout.decode()}"
        assert f"({code})" in err, f"expected {code}, got rc={proc.returncode}: {err}"
        return err

    def file(self, data: bytes) -> str:
        path = self.tmp / f"blob-{uuid.uuid4().hex[:8]}"
        path.write_bytes(data)
        return f"fileb://{path}"


@pytest.fixture
def aws(aws_cmd, ep, tmp_path):
    return AwsKms(aws_cmd, ep, tmp_path)


@pytest.fixture
def haws(aws_cmd, server, tmp_path):
    return AwsKms(aws_cmd, server.endpoint("http"), tmp_path)


def b64(s: str) -> bytes:
    return base64.b64decode(s)


def new_key(aws, *extra) -> str:
    return aws.text("create-key", *extra, "--query", "KeyMetadata.KeyId")


# ---------------------------------------------------------------- basics (HTTP and HTTPS)

def test_cli_create_describe_list(aws):
    meta = aws.json("create-key", "--description", "cli key",
                    "--tags", "TagKey=team,TagValue=cli")["KeyMetadata"]
    key_id = meta["KeyId"]
    assert meta["Arn"] == kms_key_arn(key_id)
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT" and meta["KeyState"] == "Enabled"
    assert isinstance(meta["CreationDate"], (int, float, str))
    described = aws.json("describe-key", "--key-id", kms_key_arn(key_id))["KeyMetadata"]
    assert described["KeyId"] == key_id and described["Description"] == "cli key"
    keys = aws.json("list-keys")["Keys"]
    assert {"KeyId": key_id, "KeyArn": kms_key_arn(key_id)} in keys
    tags = aws.json("list-resource-tags", "--key-id", key_id)["Tags"]
    assert tags == [{"TagKey": "team", "TagValue": "cli"}]


def test_cli_encrypt_decrypt(aws):
    key_id = new_key(aws)
    plaintext = os.urandom(200)
    enc = aws.json("encrypt", "--key-id", key_id, "--plaintext", aws.file(plaintext),
                   "--encryption-context", "tenant=acme,aws:s3:arn=arn:aws:s3:::b/k")
    assert enc["KeyId"] == kms_key_arn(key_id)
    assert enc["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = b64(enc["CiphertextBlob"])
    # context order does not matter; no --key-id needed
    dec = aws.json("decrypt", "--ciphertext-blob", aws.file(blob),
                   "--encryption-context", "aws:s3:arn=arn:aws:s3:::b/k,tenant=acme")
    assert b64(dec["Plaintext"]) == plaintext
    assert dec["KeyId"] == kms_key_arn(key_id)
    aws.fails("InvalidCiphertextException", "decrypt", "--ciphertext-blob", aws.file(blob))
    other = new_key(aws)
    aws.fails("IncorrectKeyException", "decrypt", "--ciphertext-blob", aws.file(blob),
              "--key-id", other, "--encryption-context", "tenant=acme,aws:s3:arn=arn:aws:s3:::b/k")


# ---------------------------------------------------------------- HTTP only

def test_cli_data_keys_and_random(haws):
    key_id = new_key(haws)
    dk = haws.json("generate-data-key", "--key-id", key_id, "--key-spec", "AES_256",
                   "--encryption-context", "purpose=cli")
    plain = b64(dk["Plaintext"])
    assert len(plain) == 32 and dk["KeyId"] == kms_key_arn(key_id)
    dec = haws.json("decrypt", "--ciphertext-blob", haws.file(b64(dk["CiphertextBlob"])),
                    "--encryption-context", "purpose=cli")
    assert b64(dec["Plaintext"]) == plain
    dk64 = haws.json("generate-data-key", "--key-id", key_id, "--number-of-bytes", "64")
    assert len(b64(dk64["Plaintext"])) == 64
    wp = haws.json("generate-data-key-without-plaintext", "--key-id", key_id, "--key-spec", "AES_128")
    assert "Plaintext" not in wp and wp["KeyId"] == kms_key_arn(key_id)
    dec = haws.json("decrypt", "--ciphertext-blob", haws.file(b64(wp["CiphertextBlob"])))
    assert len(b64(dec["Plaintext"])) == 16
    rnd = haws.text("generate-random", "--number-of-bytes", "32", "--query", "Plaintext")
    assert len(b64(rnd)) == 32
    haws.fails("ValidationException", "generate-data-key", "--key-id", key_id,
               "--key-spec", "AES_256", "--number-of-bytes", "32")
    haws.fails("ValidationException", "generate-data-key", "--key-id", key_id,
               "--number-of-bytes", "1025")
    haws.fails("ValidationException", "encrypt", "--key-id", key_id,
               "--plaintext", haws.file(b"x" * 4097))


def test_cli_aliases(haws):
    a, b = new_key(haws), new_key(haws)
    name = f"alias/cli-{uuid.uuid4().hex[:10]}"
    haws("create-alias", "--alias-name", name, "--target-key-id", a)
    listed = haws.json("list-aliases", "--key-id", a)["Aliases"]
    assert [(x["AliasName"], x["AliasArn"], x["TargetKeyId"]) for x in listed] == \
        [(name, kms_alias_arn(name), a)]
    assert haws.text("describe-key", "--key-id", name, "--query", "KeyMetadata.KeyId") == a
    haws.fails("AlreadyExistsException", "create-alias", "--alias-name", name, "--target-key-id", b)
    haws.fails("InvalidAliasNameException", "create-alias", "--alias-name", "not-an-alias",
               "--target-key-id", b)
    proc = haws("create-alias", "--alias-name", "alias/aws/cli", "--target-key-id", b, check=False)
    assert proc.returncode != 0, "alias/aws/ is reserved"
    haws("update-alias", "--alias-name", name, "--target-key-id", b)
    assert haws.text("describe-key", "--key-id", kms_alias_arn(name),
                     "--query", "KeyMetadata.KeyId") == b
    haws("delete-alias", "--alias-name", name)
    haws.fails("NotFoundException", "describe-key", "--key-id", name)


def test_cli_key_states(haws):
    key_id = new_key(haws)
    pt = haws.file(b"state")
    blob = b64(haws.text("encrypt", "--key-id", key_id, "--plaintext", pt, "--query", "CiphertextBlob"))
    haws("disable-key", "--key-id", key_id)
    err = haws.fails("DisabledException", "encrypt", "--key-id", key_id, "--plaintext", pt)
    assert f"{kms_key_arn(key_id)} is disabled." in err
    haws.fails("DisabledException", "decrypt", "--ciphertext-blob", haws.file(blob))
    haws("enable-key", "--key-id", key_id)
    assert b64(haws.text("decrypt", "--ciphertext-blob", haws.file(blob), "--query", "Plaintext")) == b"state"
    haws.fails("ValidationException", "schedule-key-deletion", "--key-id", key_id,
               "--pending-window-in-days", "6")
    sched = haws.json("schedule-key-deletion", "--key-id", key_id, "--pending-window-in-days", "7")
    assert sched["KeyState"] == "PendingDeletion" and sched["PendingWindowInDays"] == 7
    assert sched["KeyId"] == kms_key_arn(key_id)
    haws.fails("KMSInvalidStateException", "encrypt", "--key-id", key_id, "--plaintext", pt)
    haws.fails("KMSInvalidStateException", "enable-key", "--key-id", key_id)
    assert haws.json("cancel-key-deletion", "--key-id", key_id)["KeyId"] == kms_key_arn(key_id)
    assert haws.text("describe-key", "--key-id", key_id, "--query", "KeyMetadata.KeyState") == "Disabled"
    err = haws.fails("KMSInvalidStateException", "cancel-key-deletion", "--key-id", key_id)
    assert "is not pending deletion" in err


def test_cli_rotation(haws):
    key_id = new_key(haws)
    pt = haws.file(b"old")
    old = b64(haws.text("encrypt", "--key-id", key_id, "--plaintext", pt, "--query", "CiphertextBlob"))
    # (aws-cli checks the model minimum 90 itself; the maximum is the server's job)
    haws.fails("ValidationException", "enable-key-rotation", "--key-id", key_id,
               "--rotation-period-in-days", "2561")
    haws("enable-key-rotation", "--key-id", key_id, "--rotation-period-in-days", "90")
    status = haws.json("get-key-rotation-status", "--key-id", key_id)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    haws("rotate-key-on-demand", "--key-id", key_id)
    rots = haws.json("list-key-rotations", "--key-id", key_id)["Rotations"]
    assert len(rots) == 1 and rots[0]["RotationType"] == "ON_DEMAND"
    assert rots[0]["KeyMaterialState"] == "CURRENT"
    full = haws.json("list-key-rotations", "--key-id", key_id,
                     "--include-key-material", "ALL_KEY_MATERIAL")["Rotations"]
    assert len(full) == 2
    assert b64(haws.text("decrypt", "--ciphertext-blob", haws.file(old), "--query", "Plaintext")) == b"old"
    haws("disable-key-rotation", "--key-id", key_id)
    assert haws.text("get-key-rotation-status", "--key-id", key_id,
                     "--query", "KeyRotationEnabled") == "False"


def test_cli_rsa(haws):
    meta = haws.json("create-key", "--key-spec", "RSA_2048", "--key-usage", "ENCRYPT_DECRYPT")["KeyMetadata"]
    key_id = meta["KeyId"]
    assert sorted(meta["EncryptionAlgorithms"]) == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    pub = haws.json("get-public-key", "--key-id", key_id)
    der = b64(pub["PublicKey"])
    assert len(der) == 294 and der[:2] == b"\x30\x82"
    assert pub["KeySpec"] == "RSA_2048" and pub["KeyUsage"] == "ENCRYPT_DECRYPT"
    msg = os.urandom(190)
    enc = haws.json("encrypt", "--key-id", key_id, "--plaintext", haws.file(msg),
                    "--encryption-algorithm", "RSAES_OAEP_SHA_256")
    assert len(b64(enc["CiphertextBlob"])) == 256
    dec = haws.json("decrypt", "--key-id", key_id, "--encryption-algorithm", "RSAES_OAEP_SHA_256",
                    "--ciphertext-blob", haws.file(b64(enc["CiphertextBlob"])))
    assert b64(dec["Plaintext"]) == msg
    haws.fails("ValidationException", "encrypt", "--key-id", key_id, "--plaintext",
               haws.file(os.urandom(191)), "--encryption-algorithm", "RSAES_OAEP_SHA_256")
    haws.fails("InvalidKeyUsageException", "generate-data-key", "--key-id", key_id,
               "--key-spec", "AES_256")


def test_cli_re_encrypt(haws):
    src, dst = new_key(haws), new_key(haws)
    blob = b64(haws.text("encrypt", "--key-id", src, "--plaintext", haws.file(b"moving"),
                         "--encryption-context", "s=1", "--query", "CiphertextBlob"))
    haws.fails("InvalidCiphertextException", "re-encrypt", "--ciphertext-blob", haws.file(blob),
               "--destination-key-id", dst, "--source-encryption-context", "s=2")
    out = haws.json("re-encrypt", "--ciphertext-blob", haws.file(blob),
                    "--source-encryption-context", "s=1", "--destination-key-id", dst,
                    "--destination-encryption-context", "d=2")
    assert out["SourceKeyId"] == kms_key_arn(src) and out["KeyId"] == kms_key_arn(dst)
    dec = haws.json("decrypt", "--ciphertext-blob", haws.file(b64(out["CiphertextBlob"])),
                    "--encryption-context", "d=2")
    assert b64(dec["Plaintext"]) == b"moving" and dec["KeyId"] == kms_key_arn(dst)


def test_cli_tags_description_policy(haws):
    key_id = new_key(haws)
    haws("tag-resource", "--key-id", key_id, "--tags", "TagKey=a,TagValue=1", "TagKey=b,TagValue=2")
    haws("tag-resource", "--key-id", key_id, "--tags", "TagKey=a,TagValue=3")
    haws("untag-resource", "--key-id", key_id, "--tag-keys", "b")
    assert haws.json("list-resource-tags", "--key-id", key_id)["Tags"] == [{"TagKey": "a", "TagValue": "3"}]
    haws.fails("TagException", "tag-resource", "--key-id", key_id, "--tags", "TagKey=aws:x,TagValue=1")
    haws("update-key-description", "--key-id", key_id, "--description", "described by cli")
    assert haws.text("describe-key", "--key-id", key_id,
                     "--query", "KeyMetadata.Description") == "described by cli"
    policy = json.loads(haws.text("get-key-policy", "--key-id", key_id, "--policy-name", "default",
                                  "--query", "Policy"))
    assert policy["Version"] == "2012-10-17"


def test_cli_pagination(haws):
    created = {new_key(haws) for _ in range(3)}
    # the CLI follows NextMarker itself; a small page size forces several pages
    listed = [k["KeyId"] for k in haws.json("list-keys", "--page-size", "1")["Keys"]]
    assert created <= set(listed) and len(listed) == len(set(listed))
    all_keys = [k["KeyId"] for k in haws.json("list-keys")["Keys"]]
    assert sorted(listed) == sorted(all_keys)
    first = haws.json("list-keys", "--max-items", "2", "--page-size", "2")
    assert len(first["Keys"]) == 2 and first.get("NextToken")
    rest = haws.json("list-keys", "--page-size", "2", "--starting-token", first["NextToken"])
    assert [k["KeyId"] for k in first["Keys"] + rest["Keys"]] == listed
    aliases = haws.json("list-aliases", "--page-size", "1")["Aliases"]
    names = [a["AliasName"] for a in aliases]
    assert len(names) == len(set(names))


def test_cli_errors(haws, aws_cmd, server, tmp_path):
    missing = "0badc0de-0000-4000-8000-000000000000"
    err = haws.fails("NotFoundException", "describe-key", "--key-id", missing)
    assert f"Key '{kms_key_arn(missing)}' does not exist" in err
    haws.fails("NotFoundException", "encrypt", "--key-id", "alias/cli-missing",
               "--plaintext", haws.file(b"x"))
    bad_secret = AwsKms(aws_cmd, server.endpoint("http"), tmp_path, secret_key="wrong-secret")
    bad_secret.fails("InvalidSignatureException", "list-keys")
    unknown = AwsKms(aws_cmd, server.endpoint("http"), tmp_path, access_key="AKIAUNKNOWN000000000")
    unknown.fails("UnrecognizedClientException", "list-keys")
