"""pytest fixtures for the s3emu end-to-end suite.

One ``s3emu serve`` process is started per session (temporary data dir, port 0
for both listeners). Most tests take the ``ep`` fixture, which is parametrized
over the HTTP and HTTPS listeners.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import SSE_SECRETS, Endpoint, Server, close_shared_endpoints, random_bytes, shared_endpoint  # noqa: E402
from secrets_registry import REGISTRY as SECRETS_REGISTRY, scan_server  # noqa: E402

SCHEMES = ["http", "https"]


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    base = tmp_path_factory.mktemp("s3emu-session")
    srv = Server(base / "data", base / "server.log")
    srv.secrets_scanned = True          # its listeners are noted at every start (secrets_registry.py)
    srv.start()
    try:
        yield srv
    finally:
        _scan_for_secrets(srv)


_SCAN_REPORT: list = []


def _scan_for_secrets(srv: Server) -> None:
    """End of session: no SSE-C key, KMS data key, SSE_SECRETS entry or plaintext body prefix the suite sent may be
    anywhere in the session server's data dir (incl. SQLite WAL, key store, audit trail) or log
    (secrets_registry.py). Stops the server (the scan covers the files its shutdown writes too)."""
    report = scan_server(SECRETS_REGISTRY, srv, extra=dict(SSE_SECRETS), stop=srv.stop)
    _SCAN_REPORT.append(report)
    if report.findings:
        pytest.fail("secrets found at rest after the session (the values are not shown):\n  "
                    + "\n  ".join(str(f) for f in report.findings[:50])
                    + f"\n{report.summary()}", pytrace=False)
    if not report.keystore_checked:
        pytest.fail(f"the key module's key store was not found under {srv.data_dir}\n{report.summary()}",
                    pytrace=False)


def pytest_terminal_summary(terminalreporter):
    for report in _SCAN_REPORT:
        terminalreporter.write_line(report.summary())


@pytest.fixture(autouse=True)
def _server_survives(request):
    """Fail the test during which the shared server died, then restart it.

    Without this a single server crash would turn every later test into an
    error; with it the crash is pinned on the request that caused it.
    """
    yield
    if "server" not in request.fixturenames:
        return
    srv = request.getfixturevalue("server")
    if srv.proc is not None and srv.proc.poll() is None:
        return
    rc = srv.proc.returncode if srv.proc is not None else None
    tail = srv.crash_summary()
    srv.stop()
    srv.start()
    pytest.fail(f"the s3emu server died during this test (exit {rc}); it was restarted. "
                f"Log tail:\n{tail}", pytrace=False)


@pytest.fixture(scope="module", autouse=True)
def _close_shared_endpoints():
    """Shared boto3 clients (helpers.shared_endpoint) are closed when each module ends: idle keep-alive connections
    slow a server's shutdown."""
    yield
    close_shared_endpoints()


@pytest.fixture
def hs(server) -> Endpoint:
    """The session server's HTTPS listener (KMS and SSE-C need TLS), one shared boto3 client."""
    return shared_endpoint(server, "https")


@pytest.fixture
def h(server) -> Endpoint:
    """The session server's HTTP listener, one shared boto3 client."""
    return shared_endpoint(server, "http")


@pytest.fixture(params=SCHEMES)
def scheme(request) -> str:
    return request.param


@pytest.fixture
def ep(server, scheme) -> Endpoint:
    return server.endpoint(scheme)


@pytest.fixture
def s3(ep):
    return ep.s3


@pytest.fixture
def bucket(ep) -> str:
    return ep.create_bucket()


@pytest.fixture
def server_factory(tmp_path):
    """Start extra, function-scoped servers (own data dir), stopped at the end."""
    started: list[Server] = []

    def make(data_dir: Path | None = None, extra_args=()) -> Server:
        srv = Server(data_dir or tmp_path / "data", tmp_path / "server.log", extra_args)
        started.append(srv)
        return srv.start()

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture(scope="session")
def five_mib() -> bytes:
    return random_bytes(5 * 1024 * 1024)


def _require(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed on this machine (apt-get/pip install it)")
    return path


@pytest.fixture(scope="session")
def curl_bin() -> str:
    return _require("curl")


@pytest.fixture(scope="session")
def rclone_bin() -> str:
    return _require("rclone")


@pytest.fixture(scope="session")
def s3cmd_bin() -> str:
    return _require("s3cmd")


@pytest.fixture(scope="session")
def aws_cmd() -> list[str]:
    if importlib.util.find_spec("awscli") is None:
        pytest.skip("awscli is not installed (pip install -r tests/requirements.txt)")
    return [sys.executable, "-m", "awscli"]
