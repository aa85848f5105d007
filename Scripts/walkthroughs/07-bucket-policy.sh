#!/usr/bin/env bash
# 07 — Bucket default encryption (PutBucketEncryption) and a bucket policy that insists on encryption and TLS.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
wt_init "07 · Bucket default encryption and an encryption-enforcing bucket policy"

B=wt-policy-$(rand_hex 4)
F=$WT_TMP/ledger.txt
printf 'ledger entry %s: 42 widgets\n' "$(rand_hex 3)" >"$F"

section "Default encryption: SSE-KMS for every object"
step "A KMS key for the bucket" kms "$HTTPS" CreateKey '{"Description":"walkthrough 07 bucket default"}'
expect_status 200
KEY=$(json_get KeyId) ARN=$(json_get Arn)
step "A bucket" mkbucket "$HTTPS" "$B"
step "GetBucketEncryption of a new bucket: SSE-S3 (AES256) by default" s3 GET "$HTTPS/$B?encryption="
expect_status 200
show_xml SSEAlgorithm BucketKeyEnabled
expect_body_contains "<SSEAlgorithm>AES256</SSEAlgorithm>"

cat >"$WT_TMP/kms-default.xml" <<XML
<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Rule>
    <ApplyServerSideEncryptionByDefault>
      <SSEAlgorithm>aws:kms</SSEAlgorithm>
      <KMSMasterKeyID>$KEY</KMSMasterKeyID>
    </ApplyServerSideEncryptionByDefault>
    <BucketKeyEnabled>true</BucketKeyEnabled>
  </Rule>
</ServerSideEncryptionConfiguration>
XML
say "kms-default.xml: $(tr -d '\n' <"$WT_TMP/kms-default.xml" | sed 's/  */ /g; s/ xmlns="[^"]*"//')"
step "PutBucketEncryption: aws:kms with our key and a bucket key (a Content-MD5 or x-amz-checksum-* is required)" \
  s3 PUT "$HTTPS/$B?encryption=" --data-binary "@$WT_TMP/kms-default.xml" -H "Content-MD5: $(md5_b64 "$WT_TMP/kms-default.xml")"
expect_status 200
step "GetBucketEncryption echoes the key id as given (not resolved to an ARN)" s3 GET "$HTTPS/$B?encryption="
expect_status 200
show_xml SSEAlgorithm KMSMasterKeyID BucketKeyEnabled
expect_body_contains "<KMSMasterKeyID>$KEY</KMSMasterKeyID>"

step "PUT with no encryption header: the bucket default applies — aws:kms with our key and the bucket key" \
  s3 PUT "$HTTPS/$B/default.txt" -T "$F"
expect_status 200
expect_header x-amz-server-side-encryption aws:kms
expect_header x-amz-server-side-encryption-aws-kms-key-id "$ARN"
expect_header x-amz-server-side-encryption-bucket-key-enabled true
step "An explicit header wins over the default: AES256 gives SSE-S3" \
  s3 PUT "$HTTPS/$B/explicit-s3.txt" -T "$F" -H "x-amz-server-side-encryption: AES256"
expect_status 200
expect_header x-amz-server-side-encryption AES256
expect_no_header x-amz-server-side-encryption-aws-kms-key-id
step "Explicit aws:kms with no key id: the bucket's key is used (not aws/s3)" \
  s3 PUT "$HTTPS/$B/explicit-kms.txt" -T "$F" -H "x-amz-server-side-encryption: aws:kms"
expect_status 200
expect_header x-amz-server-side-encryption-aws-kms-key-id "$ARN"
step "An explicit bucket-key header overrides the bucket's BucketKeyEnabled" \
  s3 PUT "$HTTPS/$B/no-bucket-key.txt" -T "$F" -H "x-amz-server-side-encryption: aws:kms" -H "x-amz-server-side-encryption-bucket-key-enabled: false"
expect_status 200
expect_no_header x-amz-server-side-encryption-bucket-key-enabled
step "CopyObject with no headers: the copy is a new write, so it takes the bucket default too" \
  s3 PUT "$HTTPS/$B/copy.txt" -H "x-amz-copy-source: /$B/explicit-s3.txt"
expect_status 200
expect_header x-amz-server-side-encryption aws:kms
expect_header x-amz-server-side-encryption-aws-kms-key-id "$ARN"

section "A bucket policy: encrypted uploads only, TLS only"
cat >"$WT_TMP/policy.json" <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "DenyPlainHTTP", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::$B", "arn:aws:s3:::$B/*"],
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    {"Sid": "DenyUploadsWithoutSSEHeader", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
     "Resource": "arn:aws:s3:::$B/*",
     "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}},
    {"Sid": "DenyUploadsNotKMS", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
     "Resource": "arn:aws:s3:::$B/*",
     "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}
  ]
}
JSON
sed 's/^/      /' "$WT_TMP/policy.json"
step "PutBucketPolicy (204 No Content)" \
  s3 PUT "$HTTPS/$B?policy=" --data-binary "@$WT_TMP/policy.json"
expect_status 204
step "GetBucketPolicy over HTTPS returns it" s3 GET "$HTTPS/$B?policy="
expect_status 200
expect_body_contains '"DenyUploadsWithoutSSEHeader"'

step "PUT without an encryption header: denied — the condition key is absent even though the default would encrypt" \
  s3 PUT "$HTTPS/$B/no-header.txt" -T "$F"
expect_status 403
expect_error AccessDenied "User: arn:aws:iam::$ACCOUNT:user/$AK is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::$B/no-header.txt\" with an explicit deny in a resource-based policy"
step "PUT with AES256: denied by StringNotEquals aws:kms" \
  s3 PUT "$HTTPS/$B/sse-s3.txt" -T "$F" -H "x-amz-server-side-encryption: AES256"
expect_status 403
expect_error AccessDenied
step "PUT with aws:kms over HTTPS: allowed" \
  s3 PUT "$HTTPS/$B/kms.txt" -T "$F" -H "x-amz-server-side-encryption: aws:kms"
expect_status 200
expect_header x-amz-server-side-encryption aws:kms
expect_header x-amz-server-side-encryption-aws-kms-key-id "$ARN"
step "The same PUT over plain HTTP: denied by aws:SecureTransport=false (the policy is evaluated before the KMS TLS check)" \
  s3 PUT "$HTTP/$B/kms-http.txt" -T "$F" -H "x-amz-server-side-encryption: aws:kms"
expect_status 403
expect_error AccessDenied
step "Any request over plain HTTP is denied, reads and listings too" s3 GET "$HTTP/$B/explicit-s3.txt"
expect_status 403
expect_error AccessDenied "User: arn:aws:iam::$ACCOUNT:user/$AK is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::$B/explicit-s3.txt\" with an explicit deny in a resource-based policy"
s3 GET "$HTTP/$B?list-type=2"
expect_status 403
step "GET over HTTPS is allowed (the policy only restricts uploads and transport)" s3 GET "$HTTPS/$B/kms.txt"
expect_status 200
expect_eq "body" "$(cat "$F")" "$(cat "$BODY")"

section "Clean up: policy and default removed"
step "DeleteBucketPolicy (over HTTPS: over HTTP the policy would deny even this)" s3 DELETE "$HTTPS/$B?policy="
expect_status 204
step "Without the policy, a header-less PUT is accepted again and gets the bucket default" \
  s3 PUT "$HTTPS/$B/after-policy.txt" -T "$F"
expect_status 200
expect_header x-amz-server-side-encryption aws:kms
step "DeleteBucketEncryption (204)" s3 DELETE "$HTTPS/$B?encryption="
expect_status 204
step "…and new objects are SSE-S3 again; existing objects keep the encryption they were written with" \
  s3 PUT "$HTTP/$B/after-default.txt" -T "$F"
expect_status 200
expect_header x-amz-server-side-encryption AES256
s3 HEAD "$HTTPS/$B/default.txt"
expect_header x-amz-server-side-encryption aws:kms

wt_done
