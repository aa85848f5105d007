"""The curl walkthroughs in Scripts/walkthroughs, run as tests.

Each script starts its own ``s3emu serve`` (``S3EMU_BIN``, free ports, temporary data dir), drives it with curl and
openssl only, asserts every status and header it shows, and exits non-zero at the first difference. ``run-all``
runs them all again against one shared server (the ``S3EMU_ENDPOINT`` path of the scripts).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import REPO_ROOT, server_binary

WALKTHROUGHS = REPO_ROOT / "Scripts" / "walkthroughs"
SCRIPTS = sorted(WALKTHROUGHS.glob("[0-9][0-9]-*.sh"))
TIMEOUT = 300


def _env(tmp_path: Path) -> dict:
    # The scripts read S3EMU_ENDPOINT & co. and the AWS_* variables of `s3emu cse`: start from a clean slate.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3EMU_", "AWS_"))}
    env.update(S3EMU_BIN=str(server_binary()), NO_COLOR="1", TMPDIR=str(tmp_path))
    return env


def _run(cmd: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    for tool in ("curl", "openssl"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    if not server_binary().exists():
        pytest.fail(f"s3emu binary not found at {server_binary()} (set S3EMU_BIN or build it)")
    try:
        return subprocess.run(cmd, env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail(f"{cmd[0]} did not finish in {TIMEOUT} s; output so far:\n{out[-8000:]}", pytrace=False)


def _check(proc: subprocess.CompletedProcess, name: str, tmp_path: Path) -> None:
    if proc.returncode != 0:
        pytest.fail(f"{name} exited {proc.returncode}\n"
                    f"--- stdout (last 12000 chars) ---\n{proc.stdout[-12000:]}\n"
                    f"--- stderr ---\n{proc.stderr[-4000:]}", pytrace=False)
    assert "✔" in proc.stdout, proc.stdout[-2000:]
    leftovers = [p.name for p in tmp_path.glob("s3emu-walkthrough.*")]
    assert not leftovers, f"{name} left its temporary directory behind: {leftovers}"


def test_walkthroughs_found():
    assert len(SCRIPTS) >= 7, SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_walkthrough(script: Path, tmp_path: Path):
    proc = _run(["bash", str(script)], tmp_path)
    _check(proc, script.name, tmp_path)


def test_run_all_shares_one_server(tmp_path: Path):
    proc = _run(["bash", str(WALKTHROUGHS / "run-all")], tmp_path)
    _check(proc, "run-all", tmp_path)
    assert f"{len(SCRIPTS)} of {len(SCRIPTS)} walkthroughs passed" in proc.stdout, proc.stdout[-3000:]
    assert proc.stdout.count("using the running emulator") == len(SCRIPTS), proc.stdout[-3000:]
