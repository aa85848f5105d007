#!/usr/bin/env bash
# 03 — SSE-KMS: objects encrypted under data keys from a KMS key you control (the emulator's own KMS API).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
wt_init "03 · SSE-KMS: server-side encryption with KMS keys"

B=wt-sse-kms-$(rand_hex 4)
ALIAS=alias/wt-demo-$(rand_hex 3)
F=$WT_TMP/invoice.txt
printf 'invoice #%s — amount due: 1 234,56 EUR\n' "$(rand_hex 3)" >"$F"

section "A KMS key, made over curl"
step "CreateKey: a symmetric key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT); KMS answers with its id and ARN" \
  kms "$HTTPS" CreateKey '{"Description":"walkthrough 03","Tags":[{"TagKey":"demo","TagValue":"03"}]}'
expect_status 200
show_json KeyId Arn KeyState KeySpec
KEY=$(json_get KeyId) ARN=$(json_get Arn)
expect_eq "key ARN" "arn:aws:kms:$REGION:$ACCOUNT:key/$KEY" "$ARN"
step "CreateAlias: a friendly name for the key (aliases start with alias/)" \
  kms "$HTTPS" CreateAlias "{\"AliasName\":\"$ALIAS\",\"TargetKeyId\":\"$KEY\"}"
expect_status 200

section "PUT with SSE-KMS"
step "A bucket" mkbucket "$HTTPS" "$B"
step "SSE-KMS over plain HTTP is refused: S3 requires TLS (and SigV4) for every request that uses KMS" \
  s3 PUT "$HTTP/$B/invoice.txt" -T "$F" -H "x-amz-server-side-encryption: aws:kms" -H "x-amz-server-side-encryption-aws-kms-key-id: $KEY"
expect_status 400
expect_error InvalidArgument "Requests specifying Server Side Encryption with AWS KMS managed keys must be made over a secure connection."

step "Over HTTPS with the key id: S3 asks KMS for a data key under it and answers with the key's full ARN" \
  s3 PUT "$HTTPS/$B/by-id.txt" -T "$F" -H "x-amz-server-side-encryption: aws:kms" -H "x-amz-server-side-encryption-aws-kms-key-id: $KEY"
expect_status 200
expect_header x-amz-server-side-encryption aws:kms
expect_header x-amz-server-side-encryption-aws-kms-key-id "$ARN"
expect_no_header x-amz-server-side-encryption-bucket-key-enabled
etag=$(hdr etag)
expect_ne "ETag is not the MD5 of the plaintext (random for SSE-KMS)" "\"$(md5_hex "$F")\"" "$etag"

step "With the alias: resolved to the same key; the response still names the key ARN, not the alias" \
  s3 PUT "$HTTPS/$B/by-alias.txt" -T "$F" -H "x-amz-server-side-encryption: aws:kms" -H "x-amz-server-side-encryption-aws-kms-key-id: $ALIAS"
expect_status 200
expect_header x-amz-server-side-encryption-aws-kms-key-id "$ARN"

step "With the key ARN" \
  s3 PUT "$HTTPS/$B/by-arn.txt" -T "$F" -H "x-amz-server-side-encryption: aws:kms" -H "x-amz-server-side-encryption-aws-kms-key-id: $ARN"
expect_status 200
expect_header x-amz-server-side-encryption-aws-kms-key-id "$ARN"

step "aws:kms without a key id: S3 uses the account's AWS managed key aws/s3 (created on first use)" \
  s3 PUT "$HTTPS/$B/managed.txt" -T "$F" -H "x-amz-server-side-encryption: aws:kms"
expect_status 200
expect_header_match x-amz-server-side-encryption-aws-kms-key-id "^arn:aws:kms:$REGION:$ACCOUNT:key/[0-9a-f-]{36}$"
MANAGED_ARN=$(hdr x-amz-server-side-encryption-aws-kms-key-id)
expect_ne "the managed key is another key" "$ARN" "$MANAGED_ARN"
step "DescribeKey alias/aws/s3: KeyManager AWS" \
  kms "$HTTPS" DescribeKey '{"KeyId":"alias/aws/s3"}'
expect_status 200
expect_json KeyManager AWS
expect_json Arn "$MANAGED_ARN"

step "A key that does not exist: S3 reports KMS's answer as KMS.NotFoundException (400)" \
  s3 PUT "$HTTPS/$B/nokey.txt" -T "$F" -H "x-amz-server-side-encryption: aws:kms" -H "x-amz-server-side-encryption-aws-kms-key-id: alias/no-such-alias-$(rand_hex 3)"
expect_status 400
expect_error KMS.NotFoundException

step "A key id without aws:kms is a contradiction (400 InvalidArgument)" \
  s3 PUT "$HTTPS/$B/x.txt" -T "$F" -H "x-amz-server-side-encryption: AES256" -H "x-amz-server-side-encryption-aws-kms-key-id: $KEY"
expect_status 400
expect_error InvalidArgument "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms"

section "Encryption context and bucket keys"
CTX_JSON='{"department":"finance","project":"walkthrough"}'
CTX=$(printf '%s' "$CTX_JSON" | b64)
say "x-amz-server-side-encryption-context = base64('$CTX_JSON') = $CTX"
step "The context is authenticated data for KMS: S3 adds aws:s3:arn to it and echoes yours on the PUT" \
  s3 PUT "$HTTPS/$B/with-context.txt" -T "$F" -H "x-amz-server-side-encryption: aws:kms" \
    -H "x-amz-server-side-encryption-aws-kms-key-id: $ALIAS" -H "x-amz-server-side-encryption-context: $CTX"
expect_status 200
expect_header x-amz-server-side-encryption-context "$CTX"
step "HEAD: mode and key ARN, but S3 never returns the context on reads" \
  s3 HEAD "$HTTPS/$B/with-context.txt"
expect_status 200
expect_header x-amz-server-side-encryption aws:kms
expect_no_header x-amz-server-side-encryption-context
step "The inspection API: the stored context is yours (base64); the aws:s3:arn S3 adds shows in the audit trail below" \
  inspect "$HTTPS" "$B" with-context.txt
expect_json mode SSE-KMS
expect_json kms_key_arn "$ARN"
expect_json encryption_context "$CTX"
say "decoded: $(json_get encryption_context | base64 -d)"
step "A context that is not base64 JSON of strings is refused (400 InvalidArgument)" \
  s3 PUT "$HTTPS/$B/x.txt" -T "$F" -H "x-amz-server-side-encryption: aws:kms" -H "x-amz-server-side-encryption-context: $(printf '{"n":1}' | b64)"
expect_status 400
expect_error InvalidArgument

step "Bucket key: data keys come from a bucket-level key bound to the bucket ARN (on AWS: fewer KMS calls); the response says so" \
  s3 PUT "$HTTPS/$B/bucket-key.txt" -T "$F" -H "x-amz-server-side-encryption: aws:kms" \
    -H "x-amz-server-side-encryption-aws-kms-key-id: $KEY" -H "x-amz-server-side-encryption-bucket-key-enabled: true"
expect_status 200
expect_header x-amz-server-side-encryption-bucket-key-enabled true
step "…and so does HEAD" s3 HEAD "$HTTPS/$B/bucket-key.txt"
expect_header x-amz-server-side-encryption-bucket-key-enabled true

section "Reading SSE-KMS objects"
step "GET over HTTPS: S3 calls KMS Decrypt on the stored data key (you need kms:Decrypt), then decrypts" \
  s3 GET "$HTTPS/$B/by-id.txt"
expect_status 200
expect_header x-amz-server-side-encryption-aws-kms-key-id "$ARN"
expect_eq "body" "$(cat "$F")" "$(cat "$BODY")"
step "GET over plain HTTP is refused as well: reads of KMS objects need TLS too" \
  s3 GET "$HTTP/$B/by-id.txt"
expect_status 400
expect_error InvalidArgument "Requests specifying Server Side Encryption with AWS KMS managed keys must be made over a secure connection."

section "Key state: disable, enable"
step "DisableKey: the key can no longer be used for any cryptographic operation" \
  kms "$HTTPS" DisableKey "{\"KeyId\":\"$KEY\"}"
expect_status 200
step "GET of an object under the disabled key: S3 cannot decrypt its data key → 400 KMS.DisabledException" \
  s3 GET "$HTTPS/$B/by-id.txt"
expect_status 400
expect_error KMS.DisabledException "$ARN is disabled."
step "PUT with the disabled key fails the same way" \
  s3 PUT "$HTTPS/$B/new.txt" -T "$F" -H "x-amz-server-side-encryption: aws:kms" -H "x-amz-server-side-encryption-aws-kms-key-id: $KEY"
expect_status 400
expect_error KMS.DisabledException "$ARN is disabled."
step "Objects under other keys are unaffected" s3 GET "$HTTPS/$B/managed.txt"
expect_status 200
step "EnableKey" kms "$HTTPS" EnableKey "{\"KeyId\":\"$KEY\"}"
expect_status 200
step "…and the object reads again" s3 GET "$HTTPS/$B/by-id.txt"
expect_status 200
expect_eq "body" "$(cat "$F")" "$(cat "$BODY")"

section "Rotation: new key material, old objects still decrypt"
step "Key version (backing key) of an object written before rotation" inspect "$HTTPS" "$B" by-id.txt
v_before=$(json_get key_version)
step "RotateKeyOnDemand: KMS adds new key material; the old material is kept for decryption" \
  kms "$HTTPS" RotateKeyOnDemand "{\"KeyId\":\"$KEY\"}"
expect_status 200
step "ListKeyRotations" kms "$HTTPS" ListKeyRotations "{\"KeyId\":\"$KEY\"}"
expect_status 200
expect_body_contains '"RotationType":"ON_DEMAND"'
step "The old object still decrypts: its data key names the material it was sealed with" \
  s3 GET "$HTTPS/$B/by-id.txt"
expect_status 200
expect_eq "body" "$(cat "$F")" "$(cat "$BODY")"
step "A new object is sealed under the new material" \
  s3 PUT "$HTTPS/$B/after-rotation.txt" -T "$F" -H "x-amz-server-side-encryption: aws:kms" -H "x-amz-server-side-encryption-aws-kms-key-id: $KEY"
expect_status 200
expect_header x-amz-server-side-encryption-aws-kms-key-id "$ARN"
step "Inspect: same key ARN, another key version" inspect "$HTTPS" "$B" after-rotation.txt
expect_json kms_key_arn "$ARN"
expect_ne "key version after rotation" "$v_before" "$(json_get key_version)"

section "The audit trail"
if [[ -n $DATA && -s $DATA/keymodule/audit.jsonl ]]; then
  say "Every key use is appended to $DATA/keymodule/audit.jsonl (hash-chained; no key material)."
  step "Our key's records: who used it, which backing-key version, the object's context, the result" true
  if [[ -n $S3EMU ]]; then
    note "\$ s3emu audit tail --data-dir DATA -n 100000 | grep KEY_ID | grep -E 'with-context|:::BUCKET}|Disable|Enable|Rotate'"
    trail=$("$S3EMU" audit tail --data-dir "$DATA" -n 100000 | grep -F "$KEY")
  else
    note "\$ grep KEY_ID DATA/keymodule/audit.jsonl | grep -E 'with-context|:::BUCKET}|Disable|Enable|Rotate'"
    trail=$(grep -F "$KEY" "$DATA/keymodule/audit.jsonl")
  fi
  grep -E "with-context|:::$B\\}|Disable|Enable|Rotate" <<<"$trail" | sed "s/$KEY/KEY/g; s/^/      /"
  for op in CreateKey CreateAlias GenerateDataKey Decrypt DisableKey EnableKey RotateKeyOnDemand; do
    grep -q "$op" <<<"$trail" || fail "audit trail" "a $op record for key $KEY" "none"
  done
  ok "CreateKey, CreateAlias, GenerateDataKey, Decrypt, DisableKey, EnableKey, RotateKeyOnDemand are recorded"
  grep -qE 'Decrypt.*DisabledException' <<<"$trail" || fail "audit trail" "the refused Decrypt while disabled" "none"
  ok "the refused Decrypt while the key was disabled is recorded too (result DisabledException)"
  grep -qF "$B/by-id.txt" <<<"$trail" || fail "audit trail" "the object ARN in the context" "none"
  ok "records carry the object ARN (aws:s3:arn) that S3 adds to the encryption context"
  grep -F "$B/with-context.txt" <<<"$trail" | grep -q finance || fail "audit trail" "the caller's context next to aws:s3:arn" "none"
  ok "…next to the caller's own context (department=finance, project=walkthrough)"
  grep -qF "arn:aws:s3:::$B}" <<<"$trail" || fail "audit trail" "a bucket-key data key under the bucket ARN" "none"
  ok "with a bucket key the data key is bound to the bucket ARN (arn:aws:s3:::$B), not the object"
  if [[ -n $S3EMU ]]; then
    step "s3emu audit verify: recomputes the hash chain (exit 1 at the first edited or removed line)" true
    "$S3EMU" audit verify --data-dir "$DATA" | sed 's/^/      /'
    ok "chain verified"
  fi
else
  note "(no data directory known: set S3EMU_DATA_DIR to see the key module's audit trail)"
fi

wt_done
