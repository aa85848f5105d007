"""The web inspector (``/_s3emu/ui/``) driven by headless Chromium: buckets, objects in every mode, one object's
stored bytes next to its plaintext, KMS keys, the audit trail; the token/cookie and Basic sign-in; 401 without them;
no secret on any page; a screenshot.

Chromium is the Debian ``chromium`` package (``Scripts/test`` installs it). Without it these tests are skipped,
or fail when ``S3EMU_REQUIRE_CHROMIUM=1``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from helpers import (ACCESS_KEY, REGION, REPO_ROOT, SECRET_KEY, allow_ssec, kms_client, new_customer_key, ssec_args)

UI = "/_s3emu/ui/"


# ---------------------------------------------------------------- Chromium


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    message = "headless Chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("S3EMU_REQUIRE_CHROMIUM") == "1":
        pytest.fail(message + " and S3EMU_REQUIRE_CHROMIUM=1", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def chromium():
    binary = chromium_binary()
    profile = tempfile.TemporaryDirectory(prefix="s3emu-chromium-")

    def run(url: str, *extra: str) -> subprocess.CompletedProcess:
        # A fresh profile per run: no cookie survives from one page load to the next, so every load that needs
        # a session goes through the ?token= login and its redirect.
        with tempfile.TemporaryDirectory(dir=profile.name) as user_dir:
            cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                   "--no-first-run", "--no-default-browser-check", "--ignore-certificate-errors",
                   f"--user-data-dir={user_dir}", *extra, url]
            return subprocess.run(cmd, capture_output=True, timeout=120)

    yield run
    profile.cleanup()


def dom(chromium, url: str) -> str:
    proc = chromium(url, "--dump-dom")
    out = proc.stdout.decode(errors="replace")
    assert proc.returncode == 0 and "<html" in out, (
        f"chromium --dump-dom {redact(url)} failed ({proc.returncode}):\n{proc.stderr.decode(errors='replace')[-2000:]}")
    return out


def redact(url: str) -> str:
    return re.sub(r"token=[^&]+", "token=…", url)


class Tables(HTMLParser):
    """Text of every table cell, by table id: {id: [[cell text, …], …]} (header rows included)."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.texts: list[str] = []
        self._stack: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._depth = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._stack.append(dict(attrs).get("id") or f"#{len(self.tables)}")
            self.tables.setdefault(self._stack[-1], [])
        elif tag == "tr" and len(self._stack) == 1:
            self._row = []
        elif tag in ("td", "th") and len(self._stack) == 1:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag):
        if tag == "table" and self._stack:
            self._stack.pop()
        elif tag in ("td", "th") and self._cell is not None and len(self._stack) == 1:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and len(self._stack) == 1:
            self.tables[self._stack[0]].append(self._row)
            self._row = None

    def handle_data(self, data):
        self.texts.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def rows(self, table: str) -> list[list[str]]:
        assert table in self.tables, f"no table #{table}; tables: {list(self.tables)}"
        return self.tables[table]

    def row(self, table: str, first_cell: str) -> list[str]:
        for r in self.rows(table):
            if r and r[0].split("\n")[0] == first_cell:
                return r
        raise AssertionError(f"no row {first_cell!r} in #{table}: {[r[0] for r in self.rows(table)]}")

    @property
    def text(self) -> str:
        return "".join(self.texts)


# ---------------------------------------------------------------- the world the pages show


def inspector_token(server) -> str:
    """The token from the last serve banner in the server's log (a restarted server has a new one)."""
    urls = re.findall(r"inspector: (\S+)", server.log_path.read_text(errors="replace"))
    assert urls, "serve printed no inspector: line"
    assert urls[-1].startswith(server.endpoints["http"] + UI + "?token="), urls[-1]
    return urls[-1].split("?token=", 1)[1]


@pytest.fixture(scope="module")
def world(server):
    hs, h = server.endpoint("https"), server.endpoint("http")
    kms = kms_client(hs)
    key = kms.create_key(Description="web inspector key")["KeyMetadata"]
    alias = f"alias/ui-{uuid.uuid4().hex[:10]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    doomed = kms.create_key(Description="web inspector doomed key")["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)

    marker = f"INSPECTOR-PLAINTEXT-{uuid.uuid4().hex}".encode()
    main = hs.create_bucket("ui")
    s3 = hs.s3
    s3.put_object(Bucket=main, Key="sse-s3.txt", Body=marker + b" sse-s3 " * 40)
    s3.put_object(Bucket=main, Key="kms.txt", Body=marker + b" kms " * 60, ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=alias, SSEKMSEncryptionContext=base64.b64encode(b'{"team":"ui"}').decode())
    s3.put_object(Bucket=main, Key="dsse.bin", Body=marker + b" dsse", ServerSideEncryption="aws:kms:dsse",
                  SSEKMSKeyId=key["Arn"])
    s3.get_object(Bucket=main, Key="kms.txt")["Body"].read()  # a Decrypt in the audit trail
    s3.put_object(Bucket=main, Key="kms-default.txt", Body=b"aws/s3", ServerSideEncryption="aws:kms")  # alias/aws/s3
    s3.put_object(Bucket=main, Key="plain-meta.txt", Body=b"just metadata", Metadata={"color": "blue"})
    odd = "dir/<b>x</b> & 'q'.txt"
    s3.put_object(Bucket=main, Key=odd, Body=b"odd key")
    s3.put_bucket_policy(Bucket=main, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{main}/*"}]}))

    ssec = hs.create_bucket("uissec")
    allow_ssec(s3, ssec)
    customer_key = new_customer_key()
    s3.put_object(Bucket=ssec, Key="ssec.bin", Body=marker + b" sse-c", **ssec_args(customer_key))

    cse = h.create_bucket("uicse")
    from test_cse_interop import official_kms, official_v2_writer  # the official S3 Encryption Client
    official_kms(h, key["Arn"]).put_object(Bucket=cse, Key="cse-v3.txt", Body=b"client secret v3",
                                           EncryptionContext={"tenant": "acme"})
    official_v2_writer(h, key["Arn"]).put_object(Bucket=cse, Key="cse-v2.txt", Body=b"client secret v2")
    return dict(main=main, ssec=ssec, cse=cse, key=key, alias=alias, doomed=doomed, marker=marker, odd=odd,
                customer_key=customer_key, http=h.url, https=hs.url, ca=server.ca_cert, server=server)


def page(world, base: str, path: str, **query) -> str:
    """A page URL with the start token (the cookie flow), `base` the listener."""
    query["token"] = inspector_token(world["server"])
    return base + UI + path + "?" + "&".join(f"{k}={quote(str(v), safe='')}" for k, v in query.items())


def secrets_of(world) -> list[str]:
    ck = world["customer_key"]
    return [inspector_token(world["server"]), base64.b64encode(ck).decode(), ck.hex(), SECRET_KEY]


def assert_no_secrets(world, html: str):
    for s in secrets_of(world):
        assert s not in html, "a secret was rendered"


# ---------------------------------------------------------------- tests


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_unauthenticated_requests_get_401(server, scheme):
    base = server.endpoints[scheme] + UI
    verify = server.ca_cert if scheme == "https" else True
    for url, headers in [(base, {}), (base + "keys", {}), (base + "?token=not-the-token", {}),
                         (base + "audit", {"Cookie": "s3emu_inspector=forged"}),
                         (base, {"Authorization": "Basic " + base64.b64encode(f"{ACCESS_KEY}:wrong".encode()).decode()}),
                         (base, {"Cookie": f"s3emu_inspector={inspector_token(server)}"})]:
        r = requests.get(url, headers=headers, verify=verify, allow_redirects=False, timeout=30)
        assert r.status_code == 401, (url, r.status_code)
        assert r.headers["Content-Type"].startswith("text/html")
        assert "?token=" in r.text and "access key" in r.text
        assert inspector_token(server) not in r.text
        assert "WWW-Authenticate" not in r.headers
    login = requests.get(base + "login", verify=verify, timeout=30)
    assert login.status_code == 401 and login.headers["WWW-Authenticate"].startswith("Basic ")


def test_token_sets_a_cookie_and_redirects_without_it(server):
    token = inspector_token(server)
    for scheme in ("http", "https"):
        verify = server.ca_cert if scheme == "https" else True
        url = server.endpoints[scheme] + UI + "keys?token=" + token + "&x=1"
        r = requests.get(url, verify=verify, allow_redirects=False, timeout=30)
        assert r.status_code == 303 and r.headers["Location"] == UI + "keys?x=1"
        cookie = r.headers["Set-Cookie"]
        assert token not in cookie
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/_s3emu/ui/" in cookie
        assert ("Secure" in cookie) == (scheme == "https")
        session = cookie.split(";", 1)[0]
        ok = requests.get(server.endpoints[scheme] + UI + "keys", headers={"Cookie": session}, verify=verify, timeout=30)
        assert ok.status_code == 200 and "KMS keys" in ok.text and token not in ok.text
        assert "default-src 'none'" in ok.headers["Content-Security-Policy"]
        assert ok.headers["Cache-Control"] == "no-store"


def test_basic_auth_and_read_only(server):
    auth = (ACCESS_KEY, SECRET_KEY)
    r = requests.get(server.endpoints["http"] + UI, auth=auth, timeout=30)
    assert r.status_code == 200 and "Buckets" in r.text
    head = requests.head(server.endpoints["http"] + UI, auth=auth, timeout=30)
    assert head.status_code == 200 and head.content == b""
    post = requests.post(server.endpoints["http"] + UI, auth=auth, timeout=30)
    assert post.status_code == 405
    missing = requests.get(server.endpoints["http"] + UI + "object?bucket=nope&key=k", auth=auth, timeout=30)
    assert missing.status_code == 404


def test_buckets_page(world, chromium):
    html = dom(chromium, page(world, world["http"], ""))
    t = Tables(html)
    assert t.rows("buckets")[0][:4] == ["Bucket", "Region", "Created", "Objects"]
    main = t.row("buckets", world["main"])
    assert main[1] == REGION and main[3] == "6"
    assert main[4].startswith("SSE-S3") and main[5] == "blocked" and main[6] == "yes"
    ssec = t.row("buckets", world["ssec"])
    assert ssec[3] == "1" and ssec[5] == "allowed" and ssec[6] == "no"
    assert t.row("buckets", world["cse"])[3] == "2"
    assert "Audit trail" in t.text and "KMS keys" in t.text  # the nav bar
    assert_no_secrets(world, html)


def test_bucket_pages_show_every_mode(world, chromium):
    t = Tables(dom(chromium, page(world, world["https"], "bucket", name=world["main"])))
    assert t.rows("objects")[0] == ["Key", "Size", "Stored size", "Encryption", "KMS key", "Key version", "Parts",
                                    "Last modified"]
    kms = t.row("objects", "kms.txt")
    assert kms[3] == "SSE-KMS" and kms[4] == world["key"]["KeyId"] and re.fullmatch(r"[0-9a-f]{12}", kms[5])
    dsse = t.row("objects", "dsse.bin")
    assert dsse[3] == "DSSE-KMS" and dsse[4] == world["key"]["KeyId"]
    assert t.row("objects", "sse-s3.txt")[3] == "SSE-S3" and t.row("objects", "sse-s3.txt")[4] == "—"
    assert t.row("objects", "plain-meta.txt")[3] == "SSE-S3"
    assert t.row("objects", world["odd"])[3] == "SSE-S3", "the odd key is shown as text, not markup"
    assert int(kms[2].split()[0]) > int(kms[1].split()[0]), "stored size includes the GCM tags"

    t = Tables(dom(chromium, page(world, world["https"], "bucket", name=world["ssec"])))
    assert t.row("objects", "ssec.bin")[3] == "SSE-C" and t.row("objects", "ssec.bin")[4] == "—"
    html = dom(chromium, page(world, world["http"], "bucket", name=world["cse"]))
    t = Tables(html)
    assert t.row("objects", "cse-v3.txt")[3] == "client-side V3 (SSE-S3 at rest)"
    assert t.row("objects", "cse-v2.txt")[3] == "client-side V2 (SSE-S3 at rest)"
    assert_no_secrets(world, html)


def test_object_page_kms_shows_plaintext_and_ciphertext(world, chromium):
    html = dom(chromium, page(world, world["https"], "object", bucket=world["main"], key="kms.txt"))
    t = Tables(html)
    info = {r[0]: r[1] for r in t.rows("inspection")}
    assert info["mode"] == "SSE-KMS" and info["kms_key_arn"] == world["key"]["Arn"]
    assert info["format_version"] == "1" and info["algorithm"] and int(info["segments"]) == 1
    assert "team" in info["encryption_context"]
    assert t.rows("parts")[1][1] == "SSE-KMS"
    assert "plaintext_prefix_found_in_stored_bytes: false" in " ".join(t.text.split())
    dumps = re.findall(r'<pre class="hex">(.*?)</pre>', html, re.S)
    assert len(dumps) == 2, "plaintext and stored dumps side by side"
    plain, stored = dumps
    assert "|INSPECTOR-PLAINT|" in plain and len(plain.strip().splitlines()) == 16  # 256 bytes
    assert "INSPECTOR" not in stored and len(stored.strip().splitlines()) == 16
    assert_no_secrets(world, html)


def test_object_page_ssec_and_client_side_explain_why_no_plaintext(world, chromium):
    html = dom(chromium, page(world, world["https"], "object", bucket=world["ssec"], key="ssec.bin"))
    t = Tables(html)
    assert {r[0]: r[1] for r in t.rows("inspection")}["mode"] == "SSE-C"
    text = " ".join(t.text.split())
    assert "SSE-C: the server keeps only a salted MAC" in text and "null" in text
    assert html.count('<pre class="hex">') == 1 and world["marker"].decode()[:12] not in html
    assert_no_secrets(world, html)

    html = dom(chromium, page(world, world["http"], "object", bucket=world["cse"], key="cse-v3.txt"))
    t = Tables(html)
    cse = {r[0]: r[1] for r in t.rows("client-side")}
    assert cse["format"] == "V3" and cse["key_id"] == world["key"]["KeyId"] and cse["instruction_file"] == "false"
    assert "Client-side encrypted" in t.text and html.count('<pre class="hex">') == 1
    assert "client secret" not in html


def test_keys_page(world, chromium):
    html = dom(chromium, page(world, world["http"], "keys"))
    t = Tables(html)
    k = t.row("keys", world["key"]["KeyId"])
    assert world["alias"] in k[1] and k[2] == "Enabled" and k[3] == "SYMMETRIC_DEFAULT / ENCRYPT_DECRYPT"
    assert k[4].startswith("enabled, every 90 days") and k[5] == "1"
    assert k[6].startswith("2:") and "original" in k[6] and "on-demand rotation" in k[6] and "(current)" in k[6]
    assert k[8] == "—"
    d = t.row("keys", world["doomed"]["KeyId"])
    assert d[2] == "PendingDeletion" and re.match(r"\d{4}-\d\d-\d\d ", d[8])
    managed = [r for r in t.rows("keys")[1:] if "alias/aws/s3" in r[1]]
    assert managed and "AWS-managed" in managed[0][0]
    assert_no_secrets(world, html)


def test_audit_page_is_a_timeline(world, chromium):
    html = dom(chromium, page(world, world["http"], "audit", limit=2000))
    t = Tables(html)
    rows = t.rows("audit")[1:]
    seqs = [int(r[0]) for r in rows]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) > 5, "newest first"
    key_id, ops = world["key"]["KeyId"], {(r[2], r[3].split()[0] if r[3] != "—" else None) for r in rows}
    for op in ("CreateKey", "CreateAlias", "EnableKeyRotation", "RotateKeyOnDemand", "GenerateDataKey", "Decrypt"):
        assert (op, key_id) in ops, op
    assert ("ScheduleKeyDeletion", world["doomed"]["KeyId"]) in ops
    kms_put = [r for r in rows if r[2] == "GenerateDataKey" and f"aws:s3:arn=arn:aws:s3:::{world['main']}/kms.txt" in r[5]]
    assert kms_put and kms_put[0][4] in ("s3", ACCESS_KEY), kms_put
    assert "team=ui" in kms_put[0][5] and kms_put[0][6] == "ok"
    assert all(r[4] != "s3emu-web-inspector" for r in rows), "the inspector's own reads are hidden by default"
    full = Tables(dom(chromium, page(world, world["http"], "audit", limit=2000, show_inspector=1)))
    assert any(r[4] == "s3emu-web-inspector" and r[2] == "ListKeys" for r in full.rows("audit")[1:])
    assert_no_secrets(world, html)


def test_basic_auth_in_the_url_signs_chromium_in(world, chromium):
    host = world["http"].split("://", 1)[1]
    url = f"http://{quote(ACCESS_KEY, safe='')}:{quote(SECRET_KEY, safe='')}@{host}{UI}login"
    t = Tables(dom(chromium, url))
    assert t.row("buckets", world["main"])


def test_screenshot(world, chromium):
    out = Path(os.environ.get("S3EMU_ARTIFACTS") or REPO_ROOT / ".build" / "test-artifacts")
    out.mkdir(parents=True, exist_ok=True)
    shots = {"web-inspector-object.png": page(world, world["https"], "object", bucket=world["main"], key="kms.txt"),
             "web-inspector-bucket.png": page(world, world["http"], "bucket", name=world["main"]),
             "web-inspector-keys.png": page(world, world["http"], "keys"),
             "web-inspector-audit.png": page(world, world["http"], "audit")}
    for name, url in shots.items():
        path = out / name
        path.unlink(missing_ok=True)
        proc = chromium(url, f"--screenshot={path}", "--window-size=1280,900", "--hide-scrollbars")
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
        assert len(data) > 20_000, f"{path} is only {len(data)} bytes"
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert (width, height) == (1280, 900), (width, height)
