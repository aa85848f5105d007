#!/usr/bin/env bash
# 01 — Encryption in flight: the same S3 API on a plain-HTTP and an HTTPS listener, the local CA, and what curl does
# with no CA or the wrong one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
wt_init "01 · In flight: HTTP and HTTPS side by side"

B=wt-flight-$(rand_hex 4)
printf 'hello from the walkthrough, %s\n' "$(date -u +%FT%TZ)" >"$WT_TMP/hello.txt"
printf 'written over TLS\n' >"$WT_TMP/tls.txt"

section "Two listeners, one store"
say "s3emu serves the same buckets on $HTTP (plain) and $HTTPS (TLS)."
say "Its certificate is issued by a local CA it generated on first start:"
say "  $(openssl x509 -in "$CA" -noout -subject)"
openssl s_client -connect "${HTTPS#https://}" -CAfile "$CA" </dev/null 2>/dev/null | openssl x509 >"$WT_TMP/server.pem"
say "  server certificate: $(openssl x509 -in "$WT_TMP/server.pem" -noout -subject)"
say "    names: $(openssl x509 -in "$WT_TMP/server.pem" -noout -ext subjectAltName | tail -n +2 | sed 's/^ *//')"
say "    issued by: $(openssl x509 -in "$WT_TMP/server.pem" -noout -issuer)"

step "Health needs no signature; both listeners answer it" \
  plain GET "$HTTP/_s3emu/health"
expect_status 200
expect_body_contains '"status":"ok"'
step "…over TLS too: curl verifies the server certificate against the emulator's CA (--cacert)" \
  plain GET "$HTTPS/_s3emu/health" --cacert "$CA"
expect_status 200

section "Same request on both listeners"
step "CreateBucket over HTTP: SigV4 works the same on either listener" \
  s3 PUT "$HTTP/$B"
expect_status 200
step "PutObject over plain HTTP: the body crosses the network in clear text, then is encrypted at rest (SSE-S3)" \
  s3 PUT "$HTTP/$B/hello.txt" -T "$WT_TMP/hello.txt"
expect_status 200
expect_header x-amz-server-side-encryption AES256
etag_http=$(hdr etag)
step "GetObject of the same object over HTTPS: same store, same ETag, same bytes" \
  s3 GET "$HTTPS/$B/hello.txt"
expect_status 200
expect_header etag "$etag_http"
expect_eq "body equals the uploaded file" "$(md5_hex "$WT_TMP/hello.txt")" "$(md5_hex "$BODY")"
step "PutObject over HTTPS: the request (headers, signature, body) travels inside TLS" \
  s3 PUT "$HTTPS/$B/tls.txt" -T "$WT_TMP/tls.txt"
expect_status 200
expect_header x-amz-server-side-encryption AES256
step "…and it is readable over plain HTTP as well: transport and storage are independent" \
  s3 GET "$HTTP/$B/tls.txt"
expect_status 200
expect_eq "body" "written over TLS" "$(cat "$BODY")"
step "Unsigned requests are refused on both listeners (403 AccessDenied, as S3 answers anonymous callers)" \
  plain GET "$HTTPS/$B/tls.txt" --cacert "$CA"
expect_status 403
expect_error AccessDenied

section "Trusting the certificate"
step "HTTPS without --cacert: curl's default trust store does not know the emulator's CA, the handshake fails" \
  env_noca s3 GET "$HTTPS/$B/hello.txt"
expect_curl_fails 60 77
note "(exit 60 'unable to get local issuer certificate'; 77 where the system has no CA bundle at all)"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=some other CA" \
  -keyout "$WT_TMP/other-ca.key" -out "$WT_TMP/other-ca.pem" 2>/dev/null
step "HTTPS with the wrong CA (a fresh self-signed one): the server's chain does not lead to it — curl exit 60" \
  s3 GET "$HTTPS/$B/hello.txt" --cacert "$WT_TMP/other-ca.pem"
expect_curl_fails 60
step "The right CA: verification succeeds; nothing was sent before the certificate checked out" \
  s3 GET "$HTTPS/$B/hello.txt"
expect_status 200
port=${HTTPS##*:}
step "The certificate also names localhost (and *.s3.localhost for virtual-hosted buckets)" \
  s3 GET "https://localhost:$port/$B/hello.txt"
expect_status 200
step "A host name the certificate does not list fails even with the right CA (curl exit 60: name mismatch)" \
  s3 GET "https://files.example.test:$port/$B/hello.txt" --resolve "files.example.test:$port:127.0.0.1" --cacert "$CA"
expect_curl_fails 60
note "(curl -k/--insecure would skip verification: it encrypts, but no longer proves who is on the other end)"

section "Plain HTTP to the TLS port, TLS to the plain port"
step "Speaking TLS to the plain-HTTP listener fails in the handshake (curl exit 35)" \
  s3 GET "https://${HTTP#http://}/$B/hello.txt"
expect_curl_fails 35
step "Speaking plain HTTP to the TLS listener gets no S3 answer" \
  s3 GET "http://${HTTPS#https://}/$B/hello.txt"
[[ $STATUS != 200 ]] || fail "plain HTTP to the TLS port" "no 200" "200"
ok "no S3 answer (status $STATUS, curl exit $CURL_RC)"

wt_done
