#!/usr/bin/env bash
# 05 — Client-side encryption: the client encrypts (s3emu cse, in the AWS S3 Encryption Client's format), S3 only
# ever sees ciphertext.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
wt_init "05 · Client-side encryption: the server only ever holds ciphertext"

[[ -n $S3EMU ]] || { echo "this walkthrough needs the s3emu binary for 's3emu cse' (set S3EMU_BIN)" >&2; exit 2; }
B=wt-cse-$(rand_hex 4)
F=$WT_TMP/medical-record.txt
{ echo "PATIENT: Jane Doe"; for i in $(seq 1 60); do echo "visit $i: blood pressure 120/80, notes nobody at the provider should read"; done; } >"$F"
cse() {   # cse put|get|inspect ARGS… — runs `s3emu cse` against this server, printing the command line
  local sub=$1; shift
  printf '    %s$ s3emu cse %s %s%s\n' "$C_B" "$sub" "$*" "$C_0"
  local rc=0
  "$S3EMU" cse "$sub" --endpoint "$HTTPS" --ca-bundle "$CA" --access-key "$AK" --secret-key "$SK" --region "$REGION" \
    "$@" >"$WT_TMP/cse.out" 2>&1 || rc=$?
  sed 's/^/        /' "$WT_TMP/cse.out"
  CSE_RC=$rc
}

section "A KMS key to wrap the data keys"
step "CreateKey over curl; the client will ask KMS for data keys under it (over HTTPS: the answer holds a plaintext key)" \
  kms "$HTTPS" CreateKey '{"Description":"walkthrough 05 client-side"}'
expect_status 200
KEY=$(json_get KeyId)
show_json KeyId
step "A bucket" mkbucket "$HTTPS" "$B"

section "Encrypt locally, upload ciphertext"
step "s3emu cse put: GenerateDataKey (context tenant=acme), AES-256-GCM locally (V3, key-committing), then PutObject" \
  cse put "$F" "s3://$B/record.txt" --kms-key "$KEY" --context tenant=acme --quiet
expect_eq "exit status" 0 "$CSE_RC"

section "What the server holds (looked at with plain curl)"
step "HEAD: the envelope travels as user metadata — x-amz-c 115 (AES-256-GCM, HKDF, key commitment), x-amz-w 12 (kms+context) …" \
  s3 HEAD "$HTTPS/$B/record.txt"
expect_status 200
expect_header x-amz-meta-x-amz-c 115
expect_header x-amz-meta-x-amz-w 12
expect_header_match x-amz-meta-x-amz-3 '^[A-Za-z0-9+/=]{40,}$'
expect_header_match x-amz-meta-x-amz-t '"tenant": *"acme"'
say "x-amz-3 = the data key wrapped by KMS; x-amz-d = key commitment; x-amz-i = message id; x-amz-t = context"
expect_header content-length "$(( $(fsize "$F") + 16 ))"
ok "stored size = plaintext $(fsize "$F") + 16-byte GCM tag"
expect_header x-amz-server-side-encryption AES256
say "(the server still applies SSE-S3 at rest on top: two layers, only the client holds the inner key)"

step "GET with curl: you get the ciphertext back, byte for byte as uploaded; the server never decrypts it" \
  s3 GET "$HTTPS/$B/record.txt"
expect_status 200
cp "$BODY" "$WT_TMP/downloaded.bin"
expect_eq "body size" "$(( $(fsize "$F") + 16 ))" "$(fsize "$BODY")"
expect_ne "body MD5 vs plaintext MD5" "$(md5_hex "$F")" "$(md5_hex "$BODY")"
if grep -qaF "notes nobody at the provider should read" "$BODY"; then fail "plaintext in the body" "absent" "present"; fi
ok "no plaintext line in the body"
say "plaintext  : $(head -c 24 "$F" | od -An -tx1 -v | tr -d ' \n')  (\"$(head -c 17 "$F")\")"
say "body bytes : $(head -c 24 "$BODY" | od -An -tx1 -v | tr -d ' \n')"

step "The inspection API recognises the format (client_side) without any key" \
  s3 GET "$HTTPS/_s3emu/inspect/$B/record.txt"
expect_status 200
show_json mode format content_algorithm wrap_algorithm key_id key_committing instruction_file
expect_json format V3
expect_json wrap_algorithm kms+context
expect_json key_id "$KEY"
expect_json key_committing true
expect_json mode SSE-S3
step "s3emu cse inspect says the same from the metadata" cse inspect "s3://$B/record.txt"
expect_eq "exit status" 0 "$CSE_RC"

section "Decrypt on the client"
step "s3emu cse get: Decrypt the wrapped key at KMS (same context), check the key commitment, then the GCM tag" \
  cse get "s3://$B/record.txt" "$WT_TMP/record.out" --kms-key "$KEY" --context tenant=acme
expect_eq "exit status" 0 "$CSE_RC"
expect_eq "MD5 of the decrypted file" "$(md5_hex "$F")" "$(md5_hex "$WT_TMP/record.out")"
step "The wrong context: KMS would refuse; the client checks first, and writes nothing (exit 1)" \
  cse get "s3://$B/record.txt" "$WT_TMP/evil.out" --kms-key "$KEY" --context tenant=evil
expect_eq "exit status" 1 "$CSE_RC"
[[ ! -e $WT_TMP/evil.out ]] || fail "no output file" "absent" "present"
ok "no output file"

step "A ciphertext that was altered on the server fails authentication: overwrite with one flipped byte" true
byte=$(head -c 101 "$WT_TMP/downloaded.bin" | tail -c 1 | od -An -tu1 | tr -d ' ')
# shellcheck disable=SC2059  # the format is the octal escape of the flipped byte
{ head -c 100 "$WT_TMP/downloaded.bin"; printf "\\$(printf '%03o' $((byte ^ 1)))"; tail -c +102 "$WT_TMP/downloaded.bin"; } >"$WT_TMP/tampered.bin"
expect_eq "bytes that differ" 1 "$( (cmp -l "$WT_TMP/downloaded.bin" "$WT_TMP/tampered.bin" || true) | wc -l)"
s3 HEAD "$HTTPS/$B/record.txt" >/dev/null      # keep the envelope: the same metadata headers as the original
META=()
while IFS= read -r line; do META+=(-H "$line"); done < <(grep -i '^x-amz-meta-' "$HDRS" | tr -d '\r')
s3 PUT "$HTTPS/$B/tampered.txt" -T "$WT_TMP/tampered.bin" "${META[@]}"
expect_status 200
cse get "s3://$B/tampered.txt" "$WT_TMP/tampered.out" --kms-key "$KEY" --context tenant=acme
expect_eq "exit status" 1 "$CSE_RC"
grep -q "authentication failed" "$WT_TMP/cse.out" || fail "error message" "authentication failed …" "$(cat "$WT_TMP/cse.out")"
[[ ! -e $WT_TMP/tampered.out ]] || fail "no output file" "absent" "present"
ok "authentication failed; nothing written"

section "The older V2 format, for comparison"
step "cse put --format v2: x-amz-key-v2 (wrapped key), x-amz-cek-alg AES/GCM/NoPadding, x-amz-wrap-alg kms+context" \
  cse put "$F" "s3://$B/record-v2.txt" --kms-key "$KEY" --context tenant=acme --format v2 --quiet
expect_eq "exit status" 0 "$CSE_RC"
s3 HEAD "$HTTPS/$B/record-v2.txt"
expect_header x-amz-meta-x-amz-cek-alg AES/GCM/NoPadding
expect_header x-amz-meta-x-amz-wrap-alg kms+context
expect_header_match x-amz-meta-x-amz-key-v2 '^[A-Za-z0-9+/=]{40,}$'

wt_done
