#!/usr/bin/env bash
# 04 — SSE-C: server-side encryption with a key the customer sends on every request and S3 never keeps.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
wt_init "04 · SSE-C: server-side encryption with customer-provided keys"

B=wt-sse-c-$(rand_hex 4)
F=$WT_TMP/payroll.csv
{ echo "name,salary"; echo "alice,123456"; echo "bob,654321"; echo "marker,sse-c-walkthrough-$(rand_hex 4)"; } >"$F"

section "A 256-bit key of your own"
openssl rand 32 >"$WT_TMP/key.bin"
KEY_B64=$(b64 <"$WT_TMP/key.bin")
KEY_MD5=$(md5_b64 "$WT_TMP/key.bin")
openssl rand 32 >"$WT_TMP/other.bin"
OTHER_B64=$(b64 <"$WT_TMP/other.bin")
OTHER_MD5=$(md5_b64 "$WT_TMP/other.bin")
say "openssl rand 32 > key.bin"
say "key     = base64(key.bin)                        = $KEY_B64"
say "key MD5 = openssl dgst -md5 -binary key.bin | base64 = $KEY_MD5   (lets S3 check the key arrived intact)"
SSEC=(-H "x-amz-server-side-encryption-customer-algorithm: AES256"
      -H "x-amz-server-side-encryption-customer-key: $KEY_B64"
      -H "x-amz-server-side-encryption-customer-key-MD5: $KEY_MD5")
WRONG=(-H "x-amz-server-side-encryption-customer-algorithm: AES256"
       -H "x-amz-server-side-encryption-customer-key: $OTHER_B64"
       -H "x-amz-server-side-encryption-customer-key-MD5: $OTHER_MD5")

section "Only over TLS"
step "A bucket" mkbucket "$HTTPS" "$B"
step "SSE-C over plain HTTP: the key would cross the network in clear, so S3 refuses before anything else" \
  s3 PUT "$HTTP/$B/payroll.csv" -T "$F" "${SSEC[@]}"
expect_status 400
expect_error InvalidRequest "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection."

section "New buckets block SSE-C (April 2026 default)"
step "Over HTTPS, into a new bucket: S3 now blocks SSE-C writes unless the bucket allows them (403)" \
  s3 PUT "$HTTPS/$B/payroll.csv" -T "$F" "${SSEC[@]}"
expect_status 403
expect_error AccessDenied
expect_body_contains "because this bucket has blocked upload requests that specify Server Side Encryption with Customer provided keys (SSE-C)"
step "GetBucketEncryption shows why: BlockedEncryptionTypes = SSE-C" \
  s3 GET "$HTTPS/$B?encryption="
expect_status 200
show_xml SSEAlgorithm EncryptionType
expect_body_contains "<EncryptionType>SSE-C</EncryptionType>"
cat >"$WT_TMP/unblock.xml" <<'XML'
<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Rule>
    <ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>
    <BlockedEncryptionTypes><EncryptionType>NONE</EncryptionType></BlockedEncryptionTypes>
  </Rule>
</ServerSideEncryptionConfiguration>
XML
say "unblock.xml: $(tr -d '\n' <"$WT_TMP/unblock.xml" | sed 's/  */ /g; s/ xmlns="[^"]*"//')"
step "PutBucketEncryption with BlockedEncryptionTypes NONE lifts the block (a checksum such as Content-MD5 is required)" \
  s3 PUT "$HTTPS/$B?encryption=" --data-binary "@$WT_TMP/unblock.xml" -H "Content-MD5: $(md5_b64 "$WT_TMP/unblock.xml")"
expect_status 200
step "GetBucketEncryption: NONE is blocked now" s3 GET "$HTTPS/$B?encryption="
expect_body_contains "<EncryptionType>NONE</EncryptionType>"
note "(curl 7.88 signs the query as written and SigV4 canonicalizes '?encryption' as 'encryption=': write '?encryption=')"

if [[ -n $S3EMU ]]; then
  step "The other way: a server started with --allow-sse-c creates buckets without the block (S3 before April 2026)" true
  wt_start_server "$WT_TMP/data-allow" --allow-sse-c
  note "started a second server: s3emu serve --allow-sse-c … ($SRV_HTTPS)"
  SAVED_CA=$CA; CA=$SRV_CA
  s3 PUT "$SRV_HTTPS/$B"
  expect_status 200
  s3 PUT "$SRV_HTTPS/$B/payroll.csv" -T "$F" "${SSEC[@]}"
  expect_status 200
  CA=$SAVED_CA
  kill -TERM "${WT_PIDS[-1]}"; wait "${WT_PIDS[-1]}" 2>/dev/null || true
fi

section "Write and read with your key"
step "PUT over HTTPS with the key: S3 encrypts, then forgets the key; the response echoes algorithm and key MD5" \
  s3 PUT "$HTTPS/$B/payroll.csv" -T "$F" "${SSEC[@]}"
expect_status 200
expect_header x-amz-server-side-encryption-customer-algorithm AES256
expect_header x-amz-server-side-encryption-customer-key-MD5 "$KEY_MD5"
expect_no_header x-amz-server-side-encryption
expect_ne "ETag is not the MD5 of the plaintext (random for SSE-C)" "\"$(md5_hex "$F")\"" "$(hdr etag)"

step "GET without the key: S3 cannot decrypt (400 InvalidRequest)" \
  s3 GET "$HTTPS/$B/payroll.csv"
expect_status 400
expect_error InvalidRequest "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."
step "GET with another key: S3 compares against what it kept of your key and refuses (403 AccessDenied)" \
  s3 GET "$HTTPS/$B/payroll.csv" "${WRONG[@]}"
expect_status 403
expect_error AccessDenied "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key."
step "GET with a key MD5 that does not match the key: caught before any lookup (400 InvalidArgument)" \
  s3 GET "$HTTPS/$B/payroll.csv" -H "x-amz-server-side-encryption-customer-algorithm: AES256" \
    -H "x-amz-server-side-encryption-customer-key: $KEY_B64" -H "x-amz-server-side-encryption-customer-key-MD5: $OTHER_MD5"
expect_status 400
expect_error InvalidArgument "The calculated MD5 hash of the key did not match the hash that was provided."
step "GET with the right key: the plaintext, and the algorithm and key MD5 echoed" \
  s3 GET "$HTTPS/$B/payroll.csv" "${SSEC[@]}"
expect_status 200
expect_header x-amz-server-side-encryption-customer-key-MD5 "$KEY_MD5"
expect_eq "body MD5" "$(md5_hex "$F")" "$(md5_hex "$BODY")"
step "…ranges too (they need the key like any read)" \
  s3 GET "$HTTPS/$B/payroll.csv" "${SSEC[@]}" -H "Range: bytes=0-10"
expect_status 206
expect_eq "body" "name,salary" "$(cat "$BODY")"

step "HEAD without the key: 400, and HEAD never has an error body" s3 HEAD "$HTTPS/$B/payroll.csv"
expect_status 400
expect_body_empty
step "HEAD with another key: 403, no body" s3 HEAD "$HTTPS/$B/payroll.csv" "${WRONG[@]}"
expect_status 403
expect_body_empty
step "HEAD with the key: 200 with the plaintext length" s3 HEAD "$HTTPS/$B/payroll.csv" "${SSEC[@]}"
expect_status 200
expect_header content-length "$(fsize "$F")"
expect_header x-amz-server-side-encryption-customer-algorithm AES256

step "SSE-C headers on an object that is not SSE-C are refused (400 InvalidRequest)" true
s3 PUT "$HTTPS/$B/plain.txt" -T "$F"
expect_status 200
s3 GET "$HTTPS/$B/plain.txt" "${SSEC[@]}"
expect_status 400
expect_error InvalidRequest "The encryption parameters are not applicable to this object."

section "CopyObject: the source key goes in x-amz-copy-source-server-side-encryption-customer-*"
COPYSRC=(-H "x-amz-copy-source-server-side-encryption-customer-algorithm: AES256"
         -H "x-amz-copy-source-server-side-encryption-customer-key: $KEY_B64"
         -H "x-amz-copy-source-server-side-encryption-customer-key-MD5: $KEY_MD5")
step "Copy without the source key: S3 cannot read the source (400 InvalidRequest)" \
  s3 PUT "$HTTPS/$B/copy-nokey.csv" -H "x-amz-copy-source: /$B/payroll.csv"
expect_status 400
expect_error InvalidRequest
step "Copy under a new key (key rotation, done by the customer): source key to read, destination key to write" \
  s3 PUT "$HTTPS/$B/payroll-rekeyed.csv" -H "x-amz-copy-source: /$B/payroll.csv" "${COPYSRC[@]}" "${WRONG[@]}"
expect_status 200
expect_header x-amz-server-side-encryption-customer-key-MD5 "$OTHER_MD5"
show_xml ETag
step "The copy opens with the destination key only" s3 GET "$HTTPS/$B/payroll-rekeyed.csv" "${WRONG[@]}"
expect_status 200
expect_eq "body MD5" "$(md5_hex "$F")" "$(md5_hex "$BODY")"
step "Copy with the source key and no destination key: encryption is never inherited, the copy is SSE-S3" \
  s3 PUT "$HTTPS/$B/payroll-sse-s3.csv" -H "x-amz-copy-source: /$B/payroll.csv" "${COPYSRC[@]}"
expect_status 200
expect_header x-amz-server-side-encryption AES256
expect_eq "ETag of the SSE-S3 copy = MD5 of the plaintext" "\"$(md5_hex "$F")\"" "$(xml_get ETag)"

section "The key is not stored"
step "Inspection: mode SSE-C; the server cannot even check for plaintext in the stored bytes (null): it has no key" \
  inspect "$HTTPS" "$B" payroll.csv
expect_json mode SSE-C
expect_json plaintext_prefix_found_in_stored_bytes null
expect_json key_version null
if [[ -n $DATA && -d $DATA ]]; then
  step "Search every file of the data directory for the key: raw bytes (as hex), base64 — nothing" true
  KEY_HEX=$(hex_of "$WT_TMP/key.bin")
  hits_raw=0 hits_b64=0
  while IFS= read -r -d '' f; do
    if hex_of "$f" | grep -q "$KEY_HEX"; then hits_raw=$((hits_raw + 1)); say "raw key found in $f"; fi
    if grep -qaF "$KEY_B64" "$f"; then hits_b64=$((hits_b64 + 1)); say "base64 key found in $f"; fi
  done < <(find "$DATA" -type f ! -name '*.sock' -print0)
  note "\$ grep -raF \"$KEY_B64\" DATA; od -An -tx1 -v FILE | tr -d ' \\n' | grep $KEY_HEX  (for every file)"
  expect_eq "files holding the raw key" 0 "$hits_raw"
  expect_eq "files holding the base64 key" 0 "$hits_b64"
  MD5_HEX=$(openssl dgst -md5 -binary "$WT_TMP/key.bin" | od -An -tx1 -v | tr -d ' \n')
  hits_md5=0
  while IFS= read -r -d '' f; do
    if hex_of "$f" | grep -q "$MD5_HEX" || grep -qaF "$KEY_MD5" "$f"; then hits_md5=$((hits_md5 + 1)); fi
  done < <(find "$DATA" -type f ! -name '*.sock' -print0)
  if ((hits_md5)); then
    say "(the key's MD5, which S3 echoes on every response, is in $hits_md5 file(s): an MD5 does not give the key back)"
  else
    say "(not even the key's MD5 is stored in clear: the server recognises your key by a salted MAC)"
  fi
else
  note "(no data directory known: set S3EMU_DATA_DIR to grep it for the key)"
fi

wt_done
