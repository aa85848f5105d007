"""Test-only keyrings that let the official Python S3 Encryption Client 4.0.0 read raw-key objects.

Python S3EC 4.0.0 ships only ``KmsKeyring``. The Java client's ``AesKeyring`` and ``RsaKeyring``
(and the Ruby V3 and .NET V4 clients) write objects wrapped with ``AES/GCM`` (V3 code ``02``)
and ``RSA-OAEP-SHA1`` (V3 code ``22``); ``s3emu cse put --aes-key-file/--rsa-key`` writes the
same. The keyrings here plug into the official pipeline through its ``S3Keyring`` extension point
so that the *official* content decryption (format detection, HKDF, commitment check, GCM/CBC)
runs on those objects; only the key unwrap is ours.

Wrapping rules (reference: /work/shared/docs/kms-and-client-side.md §8.4):

* ``AES/GCM``: EDK = iv12 ‖ AES-GCM(wrapping key, iv, data key, AAD) ‖ tag16. AAD is the UTF-8
  content-cipher name of the object: ``"115"`` for V3 (as in Ruby ``EncryptionV3`` and .NET V4)
  and ``"AES/GCM/NoPadding"`` for V2 (Java ``AesKeyring``).
* ``RSA-OAEP-SHA1``: RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) over the pseudo-key
  ``[len(DK)] ‖ DK ‖ cekAlg`` with cekAlg ``"115"`` (V3) or ``"AES/GCM/NoPadding"`` (V2). Decrypt
  checks the length byte (16, 24 or 32) and the cekAlg suffix.
* Legacy, decrypt-only, enabled with ``legacy=True`` (like Java's
  ``enableLegacyWrappingAlgorithms``): ``AESWrap`` (RFC 3394), ``AES`` or no wrap-alg at all (V1:
  AES/ECB/PKCS5Padding of the data key), ``RSA/ECB/OAEPWithSHA-256AndMGF1Padding`` (OAEP with a
  SHA-256 digest and MGF1-SHA-1, which is what the JCE SunJCE provider does for that
  transformation when no OAEPParameterSpec is given) and ``RSA`` / no wrap-alg (V1:
  RSA PKCS#1 v1.5 of the data key).

Writing: the 4.0.0 pipeline hard-codes the wrap label of everything it writes to ``12`` (V3) /
``kms+context`` (V2) and puts the keyring's context into ``x-amz-t`` / ``x-amz-matdesc``, so a
keyring cannot make it write a Java-style ``02``/``22`` object. ``on_encrypt`` therefore wraps the
data key exactly as Java does, and :func:`relabel_as_java` turns the metadata the pipeline wrote
into the Java layout (``02``/``22``, ``AES/GCM``/``RSA-OAEP-SHA1``, context moved to ``x-amz-m``).
The body is untouched by that relabelling, so the content encryption is still the official
client's. Objects the pipeline wrote and that were not relabelled carry ``12``/``kms+context``;
these keyrings read them only with ``accept_pipeline_label=True``.

``material_description``: when given, ``on_decrypt`` requires the stored material description
(``x-amz-m`` / ``x-amz-matdesc``) to equal it; when ``None`` (the default) it is not checked, as in
the Java client.
"""

from __future__ import annotations

import json
import os

from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap

from s3_encryption.exceptions import S3EncryptionClientError
from s3_encryption.materials.encrypted_data_key import EncryptedDataKey
from s3_encryption.materials.keyring import S3Keyring

V3_CEK_ALG = "115"
V2_CEK_ALG = "AES/GCM/NoPadding"
KMS_CONTEXT = "kms+context"
AES_GCM = "AES/GCM"
RSA_OAEP_SHA1 = "RSA-OAEP-SHA1"
AES_WRAP = "AESWrap"
RSA_OAEP_SHA256 = "RSA/ECB/OAEPWithSHA-256AndMGF1Padding"

OAEP_SHA1 = asym_padding.OAEP(mgf=asym_padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
# Java "RSA/ECB/OAEPWithSHA-256AndMGF1Padding" with the default SunJCE parameters.
OAEP_SHA256_JCE = asym_padding.OAEP(mgf=asym_padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA256(), label=None)


def _is_v3(dec_materials) -> bool:
    # In on_decrypt the algorithm suite is not known yet; the 4.0.0 pipeline gives V1/V2
    # materials the content IV and V3 materials none (doc §8.6).
    return dec_materials.iv is None


def _cek_alg_for(v3: bool) -> str:
    return V3_CEK_ALG if v3 else V2_CEK_ALG


def aes_gcm_wrap(wrapping_key: bytes, data_key: bytes, aad: bytes, iv: bytes | None = None) -> bytes:
    iv = os.urandom(12) if iv is None else iv
    return iv + AESGCM(wrapping_key).encrypt(iv, data_key, aad)


def aes_gcm_unwrap(wrapping_key: bytes, edk: bytes, aad: bytes) -> bytes:
    if len(edk) < 12 + 16:
        raise S3EncryptionClientError(f"AES/GCM encrypted data key too short ({len(edk)} bytes)")
    return AESGCM(wrapping_key).decrypt(edk[:12], edk[12:], aad)


def aes_ecb_unwrap(kek: bytes, edk: bytes) -> bytes:
    dec = Cipher(algorithms.AES(kek), modes.ECB()).decryptor()
    padded = dec.update(edk) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def rsa_pseudo_key(data_key: bytes, cek_alg: str) -> bytes:
    return bytes([len(data_key)]) + data_key + cek_alg.encode()


def parse_rsa_pseudo_key(pseudo: bytes, expected_cek_alg: str) -> bytes:
    n = pseudo[0] if pseudo else 0
    if n not in (16, 24, 32):
        raise S3EncryptionClientError(f"Invalid key length ({n}) in encrypted data key")
    if len(pseudo) - 1 - n <= 0:
        raise S3EncryptionClientError("Invalid data cipher name length in encrypted data key")
    data_key, cek_alg = pseudo[1:1 + n], pseudo[1 + n:]
    if cek_alg != expected_cek_alg.encode():
        raise S3EncryptionClientError(
            f"The data cipher {cek_alg!r} does not match the data cipher used for encryption "
            f"({expected_cek_alg!r}). The object may be altered or corrupted")
    return data_key


def _check_material_description(expected, stored) -> None:
    if expected is not None and dict(stored or {}) != dict(expected):
        raise S3EncryptionClientError(
            f"material description {stored!r} does not match the expected {expected!r}")


class _RawKeyring(S3Keyring):
    """Shared constructor and decrypt dispatch."""

    # S3Keyring is an attrs class; plain __init__ here keeps these test keyrings simple.
    def __init__(self, *, legacy: bool = False, accept_pipeline_label: bool = False,
                 material_description: dict | None = None):
        self.legacy = legacy
        self.accept_pipeline_label = accept_pipeline_label
        self.material_description = material_description
        self.seen_key_provider_info: list = []   # what on_decrypt was handed, for assertions

    def _unwrap(self, info, edk: bytes, v3: bool) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def on_decrypt(self, dec_materials, encrypted_data_keys=None):
        dec_materials = super().on_decrypt(dec_materials, encrypted_data_keys)
        edks = encrypted_data_keys if encrypted_data_keys is not None else dec_materials.encrypted_data_keys
        edk = edks[0]
        info = edk.key_provider_info
        self.seen_key_provider_info.append(info)
        if info == KMS_CONTEXT and not self.accept_pipeline_label:
            raise S3EncryptionClientError(
                "kms+context object: written by the Python pipeline (label 12) or by KMS; "
                "construct the keyring with accept_pipeline_label=True to read pipeline objects")
        _check_material_description(self.material_description, dec_materials.encryption_context_stored)
        try:
            dec_materials.plaintext_data_key = self._unwrap(info, edk.encrypted_data_key, _is_v3(dec_materials))
        except S3EncryptionClientError:
            raise
        except Exception as exc:  # InvalidTag, ValueError from RSA, ...
            raise S3EncryptionClientError(f"could not unwrap the data key ({info}): {exc!r}") from exc
        return dec_materials


class RawAesGcmKeyring(_RawKeyring):
    """Raw AES keyring compatible with Java ``AesKeyring`` (``AES/GCM``, V3 ``02``)."""

    def __init__(self, wrapping_key: bytes, **kwargs):
        if len(wrapping_key) not in (16, 24, 32):
            raise ValueError("AES wrapping key must be 16, 24 or 32 bytes")
        super().__init__(**kwargs)
        self.wrapping_key = bytes(wrapping_key)

    def on_encrypt(self, enc_materials):
        m = super().on_encrypt(enc_materials)
        suite = m.encryption_algorithm
        dk = os.urandom(suite.data_key_length_bytes)
        aad = _cek_alg_for(suite.supports_key_commitment).encode()
        m.plaintext_data_key = dk
        m.encrypted_data_key = EncryptedDataKey(key_provider_id=b"S3Keyring", key_provider_info=AES_GCM,
                                                encrypted_data_key=aes_gcm_wrap(self.wrapping_key, dk, aad))
        return m

    def _unwrap(self, info, edk, v3):
        if info in (AES_GCM, KMS_CONTEXT):
            return aes_gcm_unwrap(self.wrapping_key, edk, _cek_alg_for(v3).encode())
        if info in (AES_WRAP, "AES", None) and not self.legacy:
            raise S3EncryptionClientError(f"legacy wrapping algorithm {info!r} needs legacy=True")
        if info == AES_WRAP:
            return aes_key_unwrap(self.wrapping_key, edk)
        if info in ("AES", None):           # V1 (no x-amz-wrap-alg): AES/ECB/PKCS5Padding
            return aes_ecb_unwrap(self.wrapping_key, edk)
        raise S3EncryptionClientError(f"{info} is not a valid key wrapping algorithm for an AES key")


class RawRsaOaepKeyring(_RawKeyring):
    """Raw RSA keyring compatible with Java ``RsaKeyring`` (``RSA-OAEP-SHA1``, V3 ``22``).

    ``key`` is a private key (decrypt and encrypt) or a public key (encrypt only), as a
    ``cryptography`` key object or PEM bytes/str.
    """

    def __init__(self, key, **kwargs):
        super().__init__(**kwargs)
        if isinstance(key, str):
            key = key.encode()
        if isinstance(key, bytes):
            if b"PRIVATE KEY" in key:
                key = serialization.load_pem_private_key(key, password=None)
            else:
                key = serialization.load_pem_public_key(key)
        if isinstance(key, rsa.RSAPrivateKey):
            self.private_key, self.public_key = key, key.public_key()
        elif isinstance(key, rsa.RSAPublicKey):
            self.private_key, self.public_key = None, key
        else:
            raise TypeError(f"not an RSA key: {type(key)}")

    def on_encrypt(self, enc_materials):
        m = super().on_encrypt(enc_materials)
        suite = m.encryption_algorithm
        dk = os.urandom(suite.data_key_length_bytes)
        pseudo = rsa_pseudo_key(dk, _cek_alg_for(suite.supports_key_commitment))
        m.plaintext_data_key = dk
        m.encrypted_data_key = EncryptedDataKey(key_provider_id=b"S3Keyring", key_provider_info=RSA_OAEP_SHA1,
                                                encrypted_data_key=self.public_key.encrypt(pseudo, OAEP_SHA1))
        return m

    def _unwrap(self, info, edk, v3):
        if self.private_key is None:
            raise S3EncryptionClientError("RawRsaOaepKeyring was given only a public key")
        if info in (RSA_OAEP_SHA1, KMS_CONTEXT):
            return parse_rsa_pseudo_key(self.private_key.decrypt(edk, OAEP_SHA1), _cek_alg_for(v3))
        if info in (RSA_OAEP_SHA256, "RSA", None) and not self.legacy:
            raise S3EncryptionClientError(f"legacy wrapping algorithm {info!r} needs legacy=True")
        if info == RSA_OAEP_SHA256:
            return self.private_key.decrypt(edk, OAEP_SHA256_JCE)
        if info in ("RSA", None):           # V1 (no x-amz-wrap-alg): RSA/ECB/PKCS1Padding
            return self.private_key.decrypt(edk, asym_padding.PKCS1v15())
        raise S3EncryptionClientError(f"{info} is not a valid key wrapping algorithm for an RSA key")


def relabel_as_java(metadata: dict, wrap: str) -> dict:
    """Metadata the 4.0.0 pipeline wrote through one of these keyrings, in the Java layout.

    ``wrap`` is ``"AES/GCM"`` or ``"RSA-OAEP-SHA1"``. V3: ``x-amz-w`` 12 → 02/22 and the context
    from ``x-amz-t`` to ``x-amz-m``. V2: ``x-amz-wrap-alg`` kms+context → the wrap name (the
    material description stays in ``x-amz-matdesc``). Other keys are copied unchanged.
    """
    code = {AES_GCM: "02", RSA_OAEP_SHA1: "22"}[wrap]
    out = dict(metadata)
    if "x-amz-3" in out:
        assert out.get("x-amz-w") == "12", out
        out["x-amz-w"] = code
        if "x-amz-t" in out:
            out["x-amz-m"] = out.pop("x-amz-t")
    else:
        assert out.get("x-amz-wrap-alg") == KMS_CONTEXT, out
        out["x-amz-wrap-alg"] = wrap
        out.setdefault("x-amz-matdesc", json.dumps({}))
    return out
