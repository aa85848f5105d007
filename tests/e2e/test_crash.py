"""Crash test (issue #7): `Scripts/crash-test --short` kills the server with SIGKILL mid-load several times and
the key module once, restarts on the same data directory and checks that every acknowledged object reads back
whole with its SSE headers, nothing is torn, store/tmp is emptied, no key module is left behind."""

import json
import subprocess
import sys

from helpers import REPO_ROOT, server_binary

SCRIPT = REPO_ROOT / "Scripts" / "crash-test"
TIMEOUT = 15 * 60     # the short run takes about 1-2 minutes; a hang must still end the test


def test_crash_short():
    binary = server_binary()
    assert binary.exists(), f"s3emu binary not found at {binary} (set S3EMU_BIN or build it)"
    cmd = [sys.executable, str(SCRIPT), "--short", "--json", "--binary", str(binary)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd=REPO_ROOT)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        raise AssertionError(f"crash-test did not finish within {TIMEOUT} s:\n{out[-8000:]}") from None
    report = proc.stdout + ("\n[stderr]\n" + proc.stderr if proc.stderr.strip() else "")
    assert proc.returncode == 0, f"crash-test exited with {proc.returncode}:\n{report}"
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["ok"] and summary["lost"] == 0 and summary["torn"] == 0, report
    assert summary["server_kills"] >= 5 and summary["module_kills"] >= 1, report
    print(report)
