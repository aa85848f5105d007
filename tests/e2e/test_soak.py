"""The concurrency soak (Scripts/soak) in its CI size: 16 clients racing PUT/GET/DELETE/LIST on a few keys in
every encryption mode for 10 s against a server of its own (the binary this suite uses); no errors, no torn
reads, flat memory. The full run (`Scripts/soak`, 64 clients, 60 s) is for release builds."""

from __future__ import annotations

import subprocess
import sys

from helpers import REPO_ROOT, server_binary


def test_soak_short():
    binary = server_binary()
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "Scripts" / "soak"), "--short", "--binary", str(binary)],
                          capture_output=True, text=True, timeout=300)
    report = proc.stdout + "\n" + proc.stderr[-3000:]
    print(report)
    assert proc.returncode == 0, f"Scripts/soak --short exited {proc.returncode}:\n{report}"
    assert "soak PASSED" in proc.stdout, report
