"""Client-side encryption figures for Scripts/bench (issue #5).

`s3emu cse put` / `s3emu cse get` of one big file (1 GiB; 256 MiB with --quick) against a fresh local emulator
with an SSE-KMS-style KMS key from its own KMS API, side by side with `aws s3 cp` up and down of the same file in
the same run (aws-cli's defaults: 8 MiB parts, 10 threads), over HTTP. Throughput is file bytes / wall time of the
whole command (process start to exit), the median of `reps` runs, alternating the two tools. Peak RSS of each
command is its VmHWM (the high-water mark of its own address space), sampled every 5 ms until it exits (ru_maxrss
is not used: on Linux a child's ru_maxrss includes its parent's RSS at the fork, i.e. this bench's). Targets: cse throughput >= 0.50 of aws s3 cp's, cse peak RSS < 100 MiB.
"""

import hashlib
import os
import shutil
import statistics
import subprocess
import time

MiB = 1 << 20


def _vmhwm_mib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _timed(argv, env):
    """Runs argv; returns (seconds, peak RSS MiB, rc, stderr tail)."""
    start = time.monotonic()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err_chunks = []
    # stderr is small (errors only: --quiet / aws --only-show-errors); read it after exit
    peak = 0.0
    while True:
        pid, status = os.waitpid(p.pid, os.WNOHANG)
        if pid:
            break
        hwm = _vmhwm_mib(p.pid)   # the high-water mark only grows; the last reading before exit is the peak
        if hwm is not None:
            peak = max(peak, hwm)
        time.sleep(0.005)
    took = time.monotonic() - start
    err = p.stderr.read().decode("utf-8", "replace")
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    err_chunks.append(err)
    return took, peak, p.returncode, "".join(err_chunks)[-400:]


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(8 * MiB)
            if not b:
                return h.hexdigest()
            h.update(b)


def measure(binary, endpoint, kms_key, workdir, size, reps, log, ak, sk, region):
    aws = shutil.which("aws")
    if not aws:
        raise RuntimeError("aws-cli not found (pip install -r tests/requirements.txt)")
    src = os.path.join(workdir, "cse-src.bin")
    with open(src, "wb") as f:
        chunk = os.urandom(8 * MiB)
        for i in range(size // (8 * MiB)):
            f.write(chunk[i % 7:] + chunk[:i % 7])   # distinct chunks, cheap
    want = _sha256(src)
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ak, AWS_SECRET_ACCESS_KEY=sk, AWS_DEFAULT_REGION=region,
               AWS_REGION=region, AWS_EC2_METADATA_DISABLED="true")
    env.pop("AWS_CA_BUNDLE", None)
    base = [aws, "--endpoint-url", endpoint]
    subprocess.run(base + ["s3", "mb", "s3://csebench"], env=env, check=True, stdout=subprocess.DEVNULL)
    cse = [binary, "cse"]
    conn = ["--endpoint", endpoint, "--access-key", ak, "--secret-key", sk, "--region", region, "--quiet"]
    runs = {"aws_put": [], "aws_get": [], "cse_put": [], "cse_get": []}
    rss = {"cse_put": [], "cse_get": [], "aws_put": [], "aws_get": []}
    out = os.path.join(workdir, "cse-out.bin")
    for i in range(reps):
        steps = [
            ("aws_put", base + ["s3", "cp", "--only-show-errors", src, "s3://csebench/plain"]),
            ("cse_put", cse + ["put", src, "s3://csebench/cse"] + conn + ["--kms-key", kms_key]),
            ("aws_get", base + ["s3", "cp", "--only-show-errors", "s3://csebench/plain", out]),
            ("cse_get", cse + ["get", "s3://csebench/cse", out] + conn + ["--kms-key", kms_key]),
        ]
        for name, argv in steps:
            took, peak, rc, err = _timed(argv, env)
            if rc != 0:
                raise RuntimeError("%s failed (rc %d): %s" % (name, rc, err.strip()))
            if name.endswith("_get"):
                got = _sha256(out)
                os.unlink(out)
                if got != want:
                    raise RuntimeError("%s: downloaded bytes differ from the source" % name)
            runs[name].append(size / took / 1e6)
            rss[name].append(peak)
            log("  %s #%d: %.0f MB/s, peak RSS %.1f MiB" % (name.replace("_", " "), i, size / took / 1e6, peak))
    os.unlink(src)
    return {k: statistics.median(v) for k, v in runs.items()}, {k: max(v) for k, v in rss.items()}
