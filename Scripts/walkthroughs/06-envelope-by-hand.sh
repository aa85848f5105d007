#!/usr/bin/env bash
# 06 — Envelope encryption by hand: KMS GenerateDataKey, local encryption with openssl, the wrapped key stored as
# object metadata, and the way back with KMS Decrypt. Plus the 4 KB limit of KMS Encrypt.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
wt_init "06 · Envelope encryption by hand: KMS data keys + openssl"

B=wt-envelope-$(rand_hex 4)
F=$WT_TMP/contract.txt
{ echo "CONTRACT between ACME and Globex"; for i in $(seq 1 30); do echo "clause $i: terms that only the two parties may read"; done; } >"$F"
CTX='{"purpose":"walkthrough-06","file":"contract.txt"}'

section "1. A master key in KMS, a data key from it"
step "CreateKey: the master key never leaves KMS; it only wraps and unwraps data keys" \
  kms "$HTTPS" CreateKey '{"Description":"walkthrough 06 envelope"}'
expect_status 200
KEY=$(json_get KeyId) ARN=$(json_get Arn)
step "GenerateDataKey: 64 fresh random bytes, returned twice — in clear (Plaintext) and wrapped (CiphertextBlob)" \
  kms "$HTTPS" GenerateDataKey "{\"KeyId\":\"$KEY\",\"NumberOfBytes\":64,\"EncryptionContext\":$CTX}"
expect_status 200
expect_json KeyId "$ARN"
PLAINTEXT_B64=$(json_get Plaintext)
BLOB=$(json_get CiphertextBlob)
say "Plaintext      : $(shorten "$PLAINTEXT_B64" 40)  (base64; use it, never store it)"
say "CiphertextBlob : $(shorten "$BLOB" 40)  ($(printf '%s' "$BLOB" | base64 -d | wc -c) bytes; safe to store anywhere)"
KEYHEX=$(printf '%s' "$PLAINTEXT_B64" | base64 -d | od -An -tx1 -v | tr -d ' \n')
expect_eq "plaintext key length (bytes)" 64 "$(( ${#KEYHEX} / 2 ))"
ENC_KEY=${KEYHEX:0:64} MAC_KEY=${KEYHEX:64:64}
say "(openssl enc has no GCM, so: first 32 bytes → AES-256-CBC key, last 32 → HMAC-SHA256 key, encrypt-then-MAC)"

section "2. Encrypt locally with openssl, store the wrapped key beside the ciphertext"
IV=$(openssl rand -hex 16)
step "openssl enc -aes-256-cbc -K <enc key> -iv $IV -in contract.txt -out contract.enc; HMAC over iv ‖ ciphertext" true
openssl enc -aes-256-cbc -K "$ENC_KEY" -iv "$IV" -in "$F" -out "$WT_TMP/contract.enc"
MAC=$( { printf '%s' "$IV" | unhex; cat "$WT_TMP/contract.enc"; } |
  openssl dgst -sha256 -mac HMAC -macopt "hexkey:$MAC_KEY" -r | awk '{print $1}')
say "contract.txt $(fsize "$F") bytes → contract.enc $(fsize "$WT_TMP/contract.enc") bytes (PKCS#7 padding), HMAC $(shorten "$MAC" 24)"
unset PLAINTEXT_B64 KEYHEX ENC_KEY MAC_KEY
ok "plaintext data key forgotten (unset): from now on only KMS can give it back"

step "A bucket" mkbucket "$HTTPS" "$B"
step "PUT the ciphertext; the wrapped key, IV, MAC and context go in x-amz-meta-* headers" \
  s3 PUT "$HTTPS/$B/contract.enc" -T "$WT_TMP/contract.enc" \
    -H "x-amz-meta-wrapped-key: $BLOB" -H "x-amz-meta-iv: $IV" -H "x-amz-meta-hmac-sha256: $MAC" \
    -H "x-amz-meta-kms-context: $(printf '%s' "$CTX" | b64)" -H "x-amz-meta-cipher: AES-256-CBC+HMAC-SHA256"
expect_status 200
expect_header x-amz-server-side-encryption AES256
say "(S3 adds its own SSE-S3 layer at rest; to S3 the body is just bytes)"

section "3. Later: read the metadata, unwrap the key, decrypt"
step "GET: ciphertext and metadata come back as stored" s3 GET "$HTTPS/$B/contract.enc"
expect_status 200
cp "$BODY" "$WT_TMP/fetched.enc"
W_BLOB=$(hdr x-amz-meta-wrapped-key) W_IV=$(hdr x-amz-meta-iv) W_MAC=$(hdr x-amz-meta-hmac-sha256)
W_CTX=$(hdr x-amz-meta-kms-context | base64 -d)
expect_eq "wrapped key from the metadata" "$BLOB" "$W_BLOB"

step "Decrypt with the wrong encryption context: KMS refuses (the context is authenticated with the blob)" \
  kms "$HTTPS" Decrypt "{\"CiphertextBlob\":\"$W_BLOB\",\"EncryptionContext\":{\"purpose\":\"something-else\",\"file\":\"contract.txt\"}}"
expect_status 400
expect_error InvalidCiphertextException
step "Decrypt with the stored context: no KeyId needed — the blob names its key (and key version)" \
  kms "$HTTPS" Decrypt "{\"CiphertextBlob\":\"$W_BLOB\",\"EncryptionContext\":$W_CTX}"
expect_status 200
expect_json KeyId "$ARN"
KEYHEX=$(json_get Plaintext | base64 -d | od -An -tx1 -v | tr -d ' \n')
ENC_KEY=${KEYHEX:0:64} MAC_KEY=${KEYHEX:64:64}

step "Check the HMAC first (a tampered body or IV must not reach the decryptor), then openssl enc -d" true
MAC2=$( { printf '%s' "$W_IV" | unhex; cat "$WT_TMP/fetched.enc"; } |
  openssl dgst -sha256 -mac HMAC -macopt "hexkey:$MAC_KEY" -r | awk '{print $1}')
expect_eq "HMAC-SHA256 over iv ‖ ciphertext" "$W_MAC" "$MAC2"
openssl enc -d -aes-256-cbc -K "$ENC_KEY" -iv "$W_IV" -in "$WT_TMP/fetched.enc" -out "$WT_TMP/contract.out"
expect_eq "MD5 of the decrypted file" "$(md5_hex "$F")" "$(md5_hex "$WT_TMP/contract.out")"
say "$(head -1 "$WT_TMP/contract.out")"

section "KMS Encrypt is for small secrets: 4096 bytes at most"
head -c 4096 /dev/urandom >"$WT_TMP/4096.bin"
head -c 4097 /dev/urandom >"$WT_TMP/4097.bin"
printf '{"KeyId":"%s","Plaintext":"%s"}' "$KEY" "$(b64 <"$WT_TMP/4096.bin")" >"$WT_TMP/enc-4096.json"
printf '{"KeyId":"%s","Plaintext":"%s"}' "$KEY" "$(b64 <"$WT_TMP/4097.bin")" >"$WT_TMP/enc-4097.json"
step "Encrypt 4096 bytes directly under the master key: accepted" \
  kms_file "$HTTPS" Encrypt "$WT_TMP/enc-4096.json"
expect_status 200
SMALL_BLOB=$(json_get CiphertextBlob)
say "CiphertextBlob: $(printf '%s' "$SMALL_BLOB" | base64 -d | wc -c) bytes"
step "…and Decrypt gives the same 4096 bytes back" \
  kms "$HTTPS" Decrypt "{\"CiphertextBlob\":\"$SMALL_BLOB\"}"
expect_status 200
expect_eq "MD5 of the round trip" "$(md5_hex "$WT_TMP/4096.bin")" "$(json_get Plaintext | base64 -d | openssl dgst -md5 -r | awk '{print $1}')"
step "Encrypt 4097 bytes: 400 ValidationException — anything bigger takes a data key, as above" \
  kms_file "$HTTPS" Encrypt "$WT_TMP/enc-4097.json"
expect_status 400
expect_error ValidationException

wt_done
