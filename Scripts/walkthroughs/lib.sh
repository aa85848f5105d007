# shellcheck shell=bash
# Plumbing shared by the walkthrough scripts (sourced, not run).
#
# Server: with S3EMU_ENDPOINT set (http URL of a running emulator) the scripts use it, together with
#   S3EMU_HTTPS_ENDPOINT (https URL), S3EMU_CA_CERT (its CA PEM) and S3EMU_DATA_DIR (its data directory; only for
#   the steps that look at files: audit trail, grep for SSE-C keys). Without it a script starts its own
#   `s3emu serve --http-port 0 --https-port 0` in a temporary data directory and stops it on exit.
#   Binary: $S3EMU_BIN, else `s3emu` on PATH, else <repo>/.build/debug/s3emu.
#
# Requests: `s3 METHOD URL [curl args…]`, `kms URL Operation JSON`, `inspect URL BUCKET KEY`, `plain METHOD URL
#   [curl args…]` (unsigned) print the request and the interesting response headers, and leave STATUS, the header
#   file HDRS, the body file BODY and CURL_RC behind for the assertions (`expect_status`, `expect_header`,
#   `expect_no_header`, `expect_body_contains`, `expect_error`, `expect_json`, `expect_eq`), each of which prints
#   expected vs got and exits 1 on a difference. `step "why" CMD…` prints a one-line explanation, then runs CMD.
#
# Only curl, openssl and standard shell tools are used (no jq, python or aws-cli).

set -euo pipefail

WT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WT_REPO=$(cd "$WT_DIR/../.." && pwd)
REGION=${S3EMU_REGION:-us-east-1}
AK=${S3EMU_ACCESS_KEY:-s3emu-access-key}
SK=${S3EMU_SECRET_KEY:-s3emu-secret-key-for-local-testing-only}
# shellcheck disable=SC2034  # used by the scripts
ACCOUNT=${S3EMU_ACCOUNT_ID:-123456789012}

HTTP="" HTTPS="" CA="" DATA="" S3EMU=""
STATUS="" CURL_RC=0 LAST_METHOD="" LAST_URL=""
WT_PIDS=()
WT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/s3emu-walkthrough.XXXXXX")
HDRS="$WT_TMP/last.headers"
BODY="$WT_TMP/last.body"
: >"$HDRS"; : >"$BODY"

# ------------------------------------------------------------------------------------------------ output

if [[ -t 1 && -z ${NO_COLOR:-} ]]; then
  C_B=$'\e[1m' C_D=$'\e[2m' C_R=$'\e[31m' C_G=$'\e[32m' C_Y=$'\e[33m' C_C=$'\e[36m' C_0=$'\e[0m'
else
  C_B="" C_D="" C_R="" C_G="" C_Y="" C_C="" C_0=""
fi

title() {   # title "01 · …" — the banner of a script
  local line; line=$(printf '%*s' 78 '' | tr ' ' '=')
  printf '\n%s%s\n  %s\n%s%s\n' "$C_B" "$line" "$*" "$line" "$C_0"
}
section() { printf '\n%s── %s %s%s\n' "$C_B$C_C" "$*" "$(printf '%*s' $((72 - ${#1} > 0 ? 72 - ${#1} : 2)) '' | tr ' ' '-')" "$C_0"; }
say()     { printf '  %s\n' "$*"; }
note()    { printf '  %s%s%s\n' "$C_D" "$*" "$C_0"; }
step()    { local why=$1; shift; printf '\n  %s▸ %s%s\n' "$C_Y" "$why" "$C_0"; "$@"; }
ok()      { printf '    %s✓ %s%s\n' "$C_G" "$*" "$C_0"; }
shorten() { local s=$1 n=${2:-100}; if ((${#s} > n)); then printf '%s…' "${s:0:n}"; else printf '%s' "$s"; fi; }

fail() {    # fail "what" "expected" "got"
  printf '\n    %s✗ FAILED: %s%s\n' "$C_R$C_B" "$1" "$C_0"
  printf '      expected: %s\n' "$2"
  printf '      got:      %s\n' "$3"
  if [[ -s $HDRS ]]; then
    printf '      last response headers:\n'
    sed 's/\r$//; s/^/        /' "$HDRS"
  fi
  if [[ -s $BODY ]]; then
    printf '      last response body (first 600 bytes):\n'
    head -c 600 "$BODY" | tr -c '[:print:]\n' '.' | sed 's/^/        /'; echo
  fi
  exit 1
}

# ------------------------------------------------------------------------------------------------ small tools

rand_hex()  { openssl rand -hex "${1:-4}"; }
md5_hex()   { openssl dgst -md5 -r "$1" | awk '{print $1}'; }           # hex MD5 of a file
md5_b64()   { openssl dgst -md5 -binary "$1" | base64 -w0; }            # base64 MD5 of a file (Content-MD5)
sha256_hex(){ openssl dgst -sha256 -r "$1" | awk '{print $1}'; }
b64()       { base64 -w0; }                                             # stdin → one line of base64
hex_of()    { od -An -tx1 -v "$1" | tr -d ' \n'; }                      # file → hex string
unhex()     { sed 's/../\\x&/g' | xargs -0 printf '%b'; }                # hex on stdin → bytes
fsize()     { wc -c <"$1" | tr -d ' '; }

# json_get FIELD [FILE] — first value of "FIELD" in a flat or nested JSON document (strings unquoted; numbers,
# booleans and null as written). Enough for the emulator's answers; not a JSON parser.
json_get() {
  local f=$1 file=${2:-$BODY} v
  v=$(tr -d '\n' <"$file" | grep -o "\"$f\" *: *\(\"\([^\"\\\\]\|\\\\.\)*\"\|[^,}]*\)" | head -1 | sed "s/^\"$f\" *: *//") || true
  v=${v#\"}; v=${v%\"}
  printf '%s' "$v"
}
# xml_get TAG [FILE] — text of the first <TAG>…</TAG>, basic entities decoded.
xml_get() {
  local t=$1 file=${2:-$BODY}
  tr -d '\n' <"$file" | sed -n "s:.*<$t>\([^<]*\)</$t>.*:\1:p" | head -1 |
    sed 's/&quot;/"/g; s/&apos;/'"'"'/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g'
}
# hdr NAME — value of response header NAME (case-insensitive) of the last request, "" when absent.
hdr() {
  awk -v n="$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')" 'BEGIN{FS=": *"} {sub(/\r$/, "")}
    /^HTTP\// {delete h; next}
    { k=tolower($1); if (!(k in h)) { v=$0; sub(/^[^:]*: */, "", v); h[k]=v } }
    END { if (n in h) print h[n] }' "$HDRS"
}
has_hdr() {
  awk -v n="$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')" 'BEGIN{FS=":"} {sub(/\r$/, "")}
    /^HTTP\// {found=0; next} tolower($1)==n {found=1} END {exit !found}' "$HDRS"
}

# ------------------------------------------------------------------------------------------------ server

wt_find_bin() {   # wt_find_bin [SECONDS to wait for a binary being rebuilt, default 180] — sets S3EMU
  local bin=${S3EMU_BIN:-}
  if [[ -z $bin ]]; then bin=$(command -v s3emu 2>/dev/null || true); fi
  if [[ -z $bin ]]; then bin=$WT_REPO/.build/debug/s3emu; fi
  local waited=0 limit=${1:-180}
  while [[ ! -x $bin ]] && ((waited < limit)); do     # another build may be replacing it
    ((waited == 0)) && note "waiting for $bin to appear (a build may be replacing it)…"
    sleep 2; waited=$((waited + 2))
  done
  [[ -x $bin ]] || { echo "s3emu binary not found at $bin (set S3EMU_BIN or build it)" >&2; return 1; }
  S3EMU=$bin
}

# wt_start_server DATA_DIR [extra serve args…] — starts a server on free ports; sets SRV_HTTP SRV_HTTPS SRV_CA.
wt_start_server() {
  local dir=$1; shift
  mkdir -p "$dir"
  local log="$dir.log"
  # The server reads S3EMU_* settings from the environment: keep only those the scripts also use, so that e.g. an
  # exported S3EMU_ALLOW_SSE_C or S3EMU_NO_DEFAULT_ENCRYPTION cannot change what the walkthroughs show.
  local unset=() v
  for v in $(compgen -e); do
    case $v in
      S3EMU_ACCESS_KEY|S3EMU_SECRET_KEY|S3EMU_REGION|S3EMU_ACCOUNT_ID) ;;
      S3EMU_*) unset+=(-u "$v") ;;
    esac
  done
  env "${unset[@]}" "$S3EMU" serve --data-dir "$dir" --http-port 0 --https-port 0 --host 127.0.0.1 "$@" >"$log" 2>&1 &
  local pid=$!
  WT_PIDS+=("$pid")
  local i
  for ((i = 0; i < 300; i++)); do
    [[ -s $dir/endpoints.json ]] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "s3emu serve exited during start-up; its log:" >&2; tail -n 30 "$log" >&2; return 1
    fi
    sleep 0.1
  done
  [[ -s $dir/endpoints.json ]] || { echo "s3emu serve did not write $dir/endpoints.json in 30 s" >&2; tail -n 30 "$log" >&2; return 1; }
  SRV_HTTP=$(json_get http "$dir/endpoints.json")
  SRV_HTTPS=$(json_get https "$dir/endpoints.json")
  SRV_CA=$(json_get ca_cert "$dir/endpoints.json")
}

wt_cleanup() {
  local rc=$? pid log
  trap - ERR
  if ((rc != 0)) && [[ -z ${WT_QUIET_LOG:-} ]]; then     # a failure: the server's view helps
    for log in "$WT_TMP"/*.log; do
      [[ -s $log ]] || continue
      printf '\n--- last lines of the server log %s ---\n' "$(basename "$log")" >&2
      tail -n 25 "$log" >&2
    done
  fi
  for pid in "${WT_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${WT_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n ${WT_KEEP:-} ]]; then echo "kept $WT_TMP" >&2; else rm -rf "$WT_TMP"; fi
  return "$rc"
}

trap wt_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wt_init "title" — banner, then attach to S3EMU_ENDPOINT or start a private server.
wt_init() {
  set -E
  trap '((BASH_SUBSHELL)) || printf "\n%s✗ unexpected failure (exit %s) at %s line %s: %s%s\n" "$C_R$C_B" "$?" "${BASH_SOURCE[0]##*/}" "$LINENO" "$BASH_COMMAND" "$C_0" >&2' ERR
  title "$1"
  if [[ -n ${S3EMU_ENDPOINT:-} ]]; then
    HTTP=${S3EMU_ENDPOINT%/}
    HTTPS=${S3EMU_HTTPS_ENDPOINT:-}; HTTPS=${HTTPS%/}
    CA=${S3EMU_CA_CERT:-}
    DATA=${S3EMU_DATA_DIR:-}
    if [[ -z $HTTPS || -z $CA ]] && [[ -n $DATA && -s $DATA/endpoints.json ]]; then
      HTTPS=$(json_get https "$DATA/endpoints.json"); CA=$(json_get ca_cert "$DATA/endpoints.json")
    fi
    [[ -n $HTTPS && -n $CA ]] || { echo "S3EMU_ENDPOINT is set: also set S3EMU_HTTPS_ENDPOINT and S3EMU_CA_CERT (or S3EMU_DATA_DIR)" >&2; exit 2; }
    wt_find_bin "$([[ -n ${S3EMU_BIN:-} ]] && echo 60 || echo 0)" 2>/dev/null || S3EMU=""   # optional here
    say "using the running emulator at $HTTP and $HTTPS"
  else
    wt_find_bin
    wt_start_server "$WT_TMP/data"
    HTTP=$SRV_HTTP HTTPS=$SRV_HTTPS CA=$SRV_CA DATA=$WT_TMP/data
    say "started $S3EMU serve --data-dir $DATA --http-port 0 --https-port 0"
    say "  http:  $HTTP"
    say "  https: $HTTPS   (CA: $CA)"
  fi
  note "S3 requests below are:  curl --aws-sigv4 \"aws:amz:$REGION:s3\" --user \"$AK:…\" -H \"x-amz-content-sha256: UNSIGNED-PAYLOAD\" [--cacert CA] …"
  note "KMS requests are:       curl --aws-sigv4 \"aws:amz:$REGION:kms\" --user \"$AK:…\" -X POST -H \"X-Amz-Target: TrentService.<Op>\" -H \"Content-Type: application/x-amz-json-1.1\" -d JSON …"
}

wt_done() { printf '\n%s✔ %s: every step answered as S3 does.%s\n' "$C_G$C_B" "$(basename "$0")" "$C_0"; }

# ------------------------------------------------------------------------------------------------ requests

# Headers not worth showing in a demo.
WT_BORING='^(date|server|x-amz-request-id|x-amz-id-2|x-amzn-requestid|connection|accept-ranges|last-modified|content-type|transfer-encoding|keep-alive|x-amz-checksum-[a-z0-9]+|x-amz-checksum-type|x-amz-version-id)$'

_print_request() {   # METHOD URL curl-args…
  local method=$1 url=$2; shift 2
  printf '    %s→ %s %s%s\n' "$C_B" "$method" "$url" "$C_0"
  while (($#)); do
    case $1 in
      -H) case ${2,,} in
            x-amz-content-sha256:*|content-type:*|x-amz-target:*) ;;
            *) printf '        %s\n' "$(shorten "$2" 110)" ;;
          esac; shift 2 ;;
      -T) printf '        %s(body: %s, %s bytes)%s\n' "$C_D" "$(basename "$2")" "$(fsize "$2")" "$C_0"; shift 2 ;;
      --data-binary|-d)
          if [[ ${2:0:1} == @ ]]; then
            printf '        %s(body: %s, %s bytes)%s\n' "$C_D" "$(basename "${2:1}")" "$(fsize "${2:1}")" "$C_0"
          else
            printf '        %s\n' "$(shorten "$2" 160)"
          fi; shift 2 ;;
      --cacert) printf '        %s(--cacert %s)%s\n' "$C_D" "$2" "$C_0"; shift 2 ;;
      *) shift ;;
    esac
  done
}

_print_response() {
  if ((CURL_RC != 0)); then
    printf '    %s← curl failed (exit %s): %s%s\n' "$C_R" "$CURL_RC" "$(head -1 "$WT_TMP/curl.err")" "$C_0"
    return
  fi
  local statusline
  statusline=$(grep -a '^HTTP/' "$HDRS" | tail -1 | tr -d '\r' | cut -d' ' -f2-)
  printf '    %s← %s%s\n' "$C_B" "$statusline" "$C_0"
  awk -v boring="$WT_BORING" -v showlen="$([[ $LAST_METHOD == GET || $LAST_METHOD == HEAD ]] && [[ $LAST_URL != */_s3emu/* ]] && ((STATUS < 300)) && echo 1)" '
    {sub(/\r$/, "")}
    /^HTTP\// {n=0; next}
    /^$/ {next}
    { k=$0; sub(/:.*/, "", k); lk=tolower(k)
      if (lk ~ boring) next
      if (lk == "content-length" && !showlen) next
      lines[n++]=$0 }
    END { for (i=0;i<n;i++) printf "        %s\n", lines[i] }' "$HDRS"
  if [[ -s $BODY ]] && ((STATUS >= 300)); then
    if grep -aq '<Error>' "$BODY"; then
      local t v
      for t in Code Message ArgumentName ArgumentValue HeadersNotSigned; do
        v=$(xml_get "$t")
        if [[ -n $v ]]; then printf '        %s<%s>%s</%s>%s\n' "$C_C" "$t" "$(shorten "$v" 320)" "$t" "$C_0"; fi
      done
    elif grep -aq '"__type"' "$BODY"; then
      printf '        %s__type: %s%s\n' "$C_C" "$(json_get __type)" "$C_0"
      local m; m=$(json_get message)
      if [[ -n $m ]]; then printf '        %smessage: %s%s\n' "$C_C" "$(shorten "$m" 200)" "$C_0"; fi
    fi
  fi
  return 0
}

# _curl METHOD URL curl-args… — runs curl, fills HDRS BODY STATUS CURL_RC.
_curl() {
  local method=$1 url=$2; shift 2
  LAST_METHOD=$method LAST_URL=$url
  : >"$HDRS"; : >"$BODY"
  local m=(-X "$method")
  [[ $method == HEAD ]] && m=(-I)
  [[ $method == GET ]] && m=()
  CURL_RC=0
  STATUS=$(curl -sS "${m[@]}" -D "$HDRS" -o "$BODY" -w '%{http_code}' "$@" "$url" 2>"$WT_TMP/curl.err") || CURL_RC=$?
  [[ $method == HEAD ]] && : >"$BODY"   # -I writes the headers to -o as well
  [[ -n $STATUS ]] || STATUS=000
}

# --cacert CA for https URLs, unless WT_NOCA is set (then curl uses its default trust store) or the caller gave one.
_tls_args() {
  local url=$1; shift
  [[ $url == https://* && -z ${WT_NOCA:-} ]] || return 0
  local a; for a in "$@"; do [[ $a == --cacert || $a == -k || $a == --insecure ]] && return 0; done
  printf '%s\n' --cacert "$CA"
}

# s3 METHOD URL [curl args…] — a SigV4-signed S3 request (UNSIGNED-PAYLOAD; --cacert added for https).
s3() {
  local method=$1 url=$2; shift 2
  local tls=(); mapfile -t tls < <(_tls_args "$url" "$@")
  _print_request "$method" "$url" "$@"
  _curl "$method" "$url" --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK" \
        -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "${tls[@]}" "$@"
  _print_response
}

# plain METHOD URL [curl args…] — unsigned request, no CA added (the caller chooses).
plain() {
  local method=$1 url=$2; shift 2
  _print_request "$method" "$url" "$@"
  _curl "$method" "$url" "$@"
  _print_response
}

# kms URL Operation JSON [curl args…] — a KMS JSON 1.1 call (SigV4, service kms).
kms() {
  local url=$1 op=$2 json=$3; shift 3
  local tls=(); mapfile -t tls < <(_tls_args "$url")
  printf '    %s→ POST %s/  X-Amz-Target: TrentService.%s%s\n' "$C_B" "$url" "$op" "$C_0"
  printf '        %s\n' "$(shorten "$json" 160)"
  _curl POST "$url/" --aws-sigv4 "aws:amz:$REGION:kms" --user "$AK:$SK" \
        -H "X-Amz-Target: TrentService.$op" -H "Content-Type: application/x-amz-json-1.1" \
        "${tls[@]}" --data-binary "$json" "$@"
  _print_response
}

kms_file() {   # kms_file URL Operation FILE — JSON body from a file (large requests)
  local url=$1 op=$2 file=$3; shift 3
  local tls=(); mapfile -t tls < <(_tls_args "$url")
  printf '    %s→ POST %s/  X-Amz-Target: TrentService.%s%s\n' "$C_B" "$url" "$op" "$C_0"
  printf '        %s(body: %s, %s bytes)%s\n' "$C_D" "$(basename "$file")" "$(fsize "$file")" "$C_0"
  _curl POST "$url/" --aws-sigv4 "aws:amz:$REGION:kms" --user "$AK:$SK" \
        -H "X-Amz-Target: TrentService.$op" -H "Content-Type: application/x-amz-json-1.1" \
        "${tls[@]}" --data-binary "@$file" "$@"
  _print_response
}

# show_json FIELD… — print FIELD: value from the last (JSON) body.
show_json() { local f; for f in "$@"; do printf '        %s%s: %s%s\n' "$C_C" "$f" "$(shorten "$(json_get "$f")" 140)" "$C_0"; done; }
# show_xml TAG… — print TAG: text from the last (XML) body.
show_xml()  { local t; for t in "$@"; do printf '        %s%s: %s%s\n' "$C_C" "$t" "$(shorten "$(xml_get "$t")" 140)" "$C_0"; done; }
# show_body [N] — the first N bytes (default 200) of the last body, printable characters only.
show_body() { printf '        %sbody: %s%s\n' "$C_C" "$(head -c "${1:-200}" "$BODY" | tr -c '[:print:]' '.')" "$C_0"; }

# inspect URL BUCKET KEY — the emulator's inspection API (SigV4-signed GET /_s3emu/inspect/BUCKET/KEY).
inspect() {
  s3 GET "$1/_s3emu/inspect/$2/$3"
  [[ $STATUS == 200 ]] && show_json mode kms_key_arn key_version algorithm segments plaintext_size stored_size \
    stored_prefix_hex plaintext_prefix_found_in_stored_bytes
  return 0
}

# mkbucket URL NAME — create a bucket (200).
mkbucket() { s3 PUT "$1/$2"; expect_status 200; }

# ------------------------------------------------------------------------------------------------ assertions

expect_status() {
  [[ $STATUS == "$1" ]] || fail "HTTP status" "$1" "$STATUS$( ((CURL_RC)) && printf ' (curl exit %s: %s)' "$CURL_RC" "$(head -1 "$WT_TMP/curl.err")")"
  ok "status $1"
}
expect_header() {      # expect_header NAME VALUE — exact value
  has_hdr "$1" || fail "header $1" "$1: $2" "(absent)"
  local v; v=$(hdr "$1")
  [[ $v == "$2" ]] || fail "header $1" "$1: $2" "$1: $v"
  ok "$1: $(shorten "$2" 90)"
}
expect_header_match() {  # expect_header_match NAME ERE
  has_hdr "$1" || fail "header $1" "$1 matching /$2/" "(absent)"
  local v; v=$(hdr "$1")
  [[ $v =~ $2 ]] || fail "header $1" "$1 matching /$2/" "$1: $v"
  ok "$1: $(shorten "$v" 90)"
}
expect_no_header() {
  has_hdr "$1" && fail "no header $1" "(absent)" "$1: $(hdr "$1")"
  ok "no $1 header"
}
expect_body_contains() {
  grep -aqF -- "$1" "$BODY" || fail "body contains" "$1" "$(head -c 300 "$BODY" | tr -c '[:print:]' '.')"
  ok "body contains $(shorten "$1" 90)"
}
expect_body_empty() {
  [[ ! -s $BODY ]] || fail "empty body" "(no body)" "$(fsize "$BODY") bytes"
  ok "no body"
}
expect_error() {       # expect_error CODE [MESSAGE] — S3 XML <Code>/<Message> or KMS JSON __type/message
  local code msg
  if grep -aq '"__type"' "$BODY"; then code=$(json_get __type); msg=$(json_get message)
  else code=$(xml_get Code); msg=$(xml_get Message); fi
  [[ $code == "$1" ]] || fail "error code" "$1" "${code:-(none)}"
  if (($# > 1)); then
    [[ $msg == "$2" ]] || fail "error message of $1" "$2" "$msg"
    ok "$1: $(shorten "$2" 90)"
  else
    ok "error $1"
  fi
}
expect_json() {        # expect_json FIELD VALUE
  local v; v=$(json_get "$1")
  [[ $v == "$2" ]] || fail "JSON field $1" "$2" "${v:-(absent)}"
  ok "$1: $(shorten "$2" 90)"
}
expect_eq() {          # expect_eq WHAT EXPECTED ACTUAL
  [[ $3 == "$2" ]] || fail "$1" "$2" "$3"
  ok "$1: $(shorten "$2" 90)"
}
expect_ne() {          # expect_ne WHAT UNWANTED ACTUAL
  [[ $3 != "$2" ]] || fail "$1" "anything but $2" "$3"
  ok "$1: $(shorten "$3" 60) ≠ $(shorten "$2" 60)"
}
expect_curl_fails() {  # expect_curl_fails EXIT_CODE… — curl itself failed (TLS errors and the like) with one of them
  local c; for c in "$@"; do
    if ((CURL_RC == c)); then ok "curl gave up before any HTTP exchange (exit $c)"; return 0; fi
  done
  fail "curl exit code" "$*" "$CURL_RC (HTTP $STATUS)"
}

# env_noca CMD… — run CMD without adding --cacert (curl falls back to its default trust store).
env_noca() { local WT_NOCA=1; "$@"; }
