#!/usr/bin/env bash
# 02 — SSE-S3: server-side encryption with keys S3 manages. The default for every new object since January 2023.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
wt_init "02 · SSE-S3: encryption at rest with S3-managed keys"

B=wt-sse-s3-$(rand_hex 4)
F=$WT_TMP/report.txt
{ echo "QUARTERLY REPORT — confidential"; for i in $(seq 1 40); do echo "line $i: revenue figures nobody should read on disk"; done; } >"$F"
PLAIN_MD5=$(md5_hex "$F")

section "Upload with and without the header"
step "A bucket to play in" mkbucket "$HTTP" "$B"

step "PUT with x-amz-server-side-encryption: AES256 — ask for SSE-S3 explicitly; S3 confirms it in the response" \
  s3 PUT "$HTTP/$B/explicit.txt" -T "$F" -H "x-amz-server-side-encryption: AES256"
expect_status 200
expect_header x-amz-server-side-encryption AES256
expect_header etag "\"$PLAIN_MD5\""

step "PUT with no encryption header — since 2023 S3 encrypts anyway (bucket default SSE-S3) and says so" \
  s3 PUT "$HTTP/$B/implicit.txt" -T "$F"
expect_status 200
expect_header x-amz-server-side-encryption AES256
etag=$(hdr etag)

section "The ETag is the MD5 of the plaintext"
say "openssl dgst -md5 report.txt → $PLAIN_MD5"
expect_eq "SSE-S3 ETag = MD5 of the plaintext (S3 hashes before it encrypts)" "\"$PLAIN_MD5\"" "$etag"
say "(for SSE-KMS and SSE-C the ETag is random instead — see 03 and 04)"
md5_header=$(md5_b64 "$F")
step "Content-MD5 is checked against the plaintext received, before encryption" \
  s3 PUT "$HTTP/$B/checked.txt" -T "$F" -H "Content-MD5: $md5_header"
expect_status 200
expect_header etag "\"$PLAIN_MD5\""
step "…a wrong Content-MD5 is refused (400 BadDigest); nothing is stored" \
  s3 PUT "$HTTP/$B/bad-md5.txt" -T "$F" -H "Content-MD5: $(printf 'other' | openssl dgst -md5 -binary | b64)"
expect_status 400
expect_error BadDigest "The Content-MD5 you specified did not match what we received."

section "Reading it back"
step "HEAD reports the mode too; Content-Length is the plaintext size" \
  s3 HEAD "$HTTP/$B/implicit.txt"
expect_status 200
expect_header x-amz-server-side-encryption AES256
expect_header content-length "$(fsize "$F")"
step "GET decrypts transparently: the caller needs no key for SSE-S3" \
  s3 GET "$HTTP/$B/implicit.txt"
expect_status 200
expect_eq "MD5 of the body" "$PLAIN_MD5" "$(md5_hex "$BODY")"
step "Ranges address plaintext offsets; only the 64 KiB segments touched are decrypted" \
  s3 GET "$HTTP/$B/implicit.txt" -H "Range: bytes=0-17"
expect_status 206
expect_header content-range "bytes 0-17/$(fsize "$F")"
expect_eq "body" "QUARTERLY REPORT" "$(head -c 16 "$BODY")"

section "What S3 refuses"
step "The value is case-sensitive: 'aes256' is not a method (400 InvalidArgument)" \
  s3 PUT "$HTTP/$B/x.txt" -T "$F" -H "x-amz-server-side-encryption: aes256"
expect_status 400
expect_error InvalidArgument "The encryption method specified is not supported"
step "Encryption is chosen at write time only: an SSE header on GET is refused (400 InvalidArgument)" \
  s3 GET "$HTTP/$B/implicit.txt" -H "x-amz-server-side-encryption: AES256"
expect_status 400
expect_error InvalidArgument

section "What is on disk: the inspection API"
step "GET /_s3emu/inspect/{bucket}/{key} (SigV4-signed) shows how the object is stored" \
  inspect "$HTTP" "$B" implicit.txt
expect_status 200
expect_json mode SSE-S3
expect_json plaintext_prefix_found_in_stored_bytes false
expect_json plaintext_size "$(fsize "$F")"
prefix=$(json_get stored_prefix_hex)
plain_prefix=$(head -c $((${#prefix} / 2)) "$F" | od -An -tx1 -v | tr -d ' \n')
say "stored bytes (hex) : $(shorten "$prefix" 64)"
say "plaintext (hex)    : $(shorten "$plain_prefix" 64)   (\"$(head -c 24 "$F")…\")"
expect_ne "stored prefix is not the plaintext" "$plain_prefix" "$prefix"
stored=$(json_get stored_size) segs=$(json_get segments)
expect_eq "stored size = plaintext + 16-byte GCM tag per 64 KiB segment" "$(( $(fsize "$F") + 16 * segs ))" "$stored"
step "Each object has its own data key: the same plaintext uploaded twice is stored differently" \
  inspect "$HTTP" "$B" explicit.txt
expect_json mode SSE-S3
expect_ne "stored prefix of explicit.txt vs implicit.txt" "$prefix" "$(json_get stored_prefix_hex)"

if [[ -n $DATA && -d $DATA ]]; then
  step "Belt and braces: grep the whole data directory for a plaintext line — nothing" true
  hits=$( (grep -rlaF "revenue figures nobody should read" "$DATA" 2>/dev/null || true) | wc -l)
  expect_eq "files containing the plaintext" 0 "$hits"
fi

wt_done
