"""make test: the unit tests and every lab test file, split into shards that run side by side,
each in a lab of its own (tests/lab/lab.sh run, holding the lab lock shared).

    python3 tests/lab/shards.py [--shards N] [--lab NAME] [--logs DIR] [-- PYTEST ARGS]

The split is greedy, longest first, by the seconds each file took in make test (the table
below; a file it does not know counts DEFAULT_SECONDS). Each shard's output goes to
DIR/shard-K.log and is shown when all have ended, with the seconds every file took (to refresh
the table). Exit 0 only when every shard passed and ran at least one test.
"""
import argparse
import fcntl
import glob
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional, Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNIT = "tests/unit"
LOCK = "/run/lago-lab.lock"
DEFAULT_SECONDS = 60.0

# Seconds per file in make test with 2 shards side by side on a 2-core host (the figures
# make test prints at its end). Only the balance depends on them, never a result.
SECONDS: Dict[str, float] = {
    "tests/unit": 49,
    "tests/lab/test_api_lab.py": 169,
    "tests/lab/test_bootstrap_options_lab.py": 32,
    "tests/lab/test_day2_lab.py": 597,
    "tests/lab/test_envmodel.py": 210,
    "tests/lab/test_foundation.py": 51,
    "tests/lab/test_lago_compat_lab.py": 54,
    "tests/lab/test_provision_lab.py": 529,
    "tests/lab/test_reference_api_lab.py": 23,
    "tests/lab/test_reliability.py": 256,
    "tests/lab/test_security_lab.py": 22,
    "tests/lab/test_sshkey_lab.py": 19,
}


def test_items(root: str = ROOT) -> List[str]:
    """What make test runs: the unit tests as one item, then every lab test file."""
    labs = sorted(glob.glob(os.path.join(root, "tests", "lab", "test_*.py")))
    return [UNIT] + [os.path.relpath(p, root) for p in labs]


def split(items: Sequence[str], shards: int, seconds: Dict[str, float],
          default: float = DEFAULT_SECONDS) -> List[List[str]]:
    """``items`` in at most ``shards`` non-empty groups of nearly equal expected seconds:
    longest first, each to the group with the fewest seconds so far (ties: the first)."""
    if shards < 1:
        raise ValueError("shards must be at least 1")
    groups: List[List[str]] = [[] for _ in range(shards)]
    load = [0.0] * shards
    for item in sorted(items, key=lambda i: (-seconds.get(i, default), i)):
        k = load.index(min(load))
        groups[k].append(item)
        load[k] += seconds.get(item, default)
    # The unit tests first: pytest keeps the conftest of the last directory it loads as the
    # module 'conftest', and the lab tests import their helpers from it.
    return [sorted(g, key=lambda i: i != UNIT) for g in groups if g]


def outcome(log: str) -> Dict[str, int]:
    """Counts from pytest's final line ("3 failed, 650 passed, 1 warning in 700.1s")."""
    lines = [l for l in log.splitlines() if re.search(r"\bin [0-9.]+s\b", l)]
    if not lines:
        return {}
    return {word: int(n) for n, word in re.findall(r"(\d+) ([a-z]+)", lines[-1])}


def shard_failed(returncode: int, log: str) -> bool:
    """A shard fails when pytest failed or when it ran no test at all."""
    return returncode != 0 or not outcome(log).get("passed")


def file_seconds(junit_xml: str) -> Dict[str, float]:
    """Seconds per test file (setup + call + teardown) from a pytest junit report."""
    out: Dict[str, float] = {}
    for case in ET.parse(junit_xml).getroot().iter("testcase"):
        parts = case.get("classname", "").split(".")
        # classname is the module path with dots ("tests.lab.test_x" or "tests.unit.test_y").
        name = UNIT if parts[:2] == ["tests", "unit"] else "/".join(parts[:3]) + ".py"
        out[name] = out.get(name, 0.0) + float(case.get("time", 0))
    return out


def shard_argv(lab: str, files: Sequence[str], junit: str, extra: Sequence[str]) -> List[str]:
    return ["bash", os.path.join(ROOT, "tests", "lab", "lab.sh"), "run", lab, "--",
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=12",
            f"--rootdir={ROOT}", f"--junitxml={junit}", *extra, *files]


def run(shards: List[List[str]], lab: str, logs: str, extra: Sequence[str]) -> int:
    os.makedirs(logs, exist_ok=True)
    env = dict(os.environ, LAGO_LAB_SHARED="1")
    procs, started, ended, caught = [], [], {}, []
    # Held shared for the whole run, so that every shard starts at once (an exclusive run
    # such as make bench waits for all of them, and they never wait for each other).
    lock = os.open(LOCK, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    fcntl.flock(lock, fcntl.LOCK_SH)
    t0 = time.monotonic()

    def forward(signum, _frame):
        caught.append(signum)
        # SIGINT to each shard's group: pytest stops, lab.sh tears its lab down, and the
        # daemons (background jobs, which ignore SIGINT) are stopped by lab.sh by PID.
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGINT)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    for k, files in enumerate(shards, 1):
        junit = os.path.join(logs, f"shard-{k}.xml")
        if os.path.exists(junit):
            os.remove(junit)
        with open(os.path.join(logs, f"shard-{k}.log"), "w") as log:
            procs.append(subprocess.Popen(shard_argv(f"{lab}-{k}", files, junit, extra),
                                          stdout=log, stderr=subprocess.STDOUT, env=env,
                                          cwd=ROOT, start_new_session=True))
        started.append(time.monotonic())
        print(f"shard {k}/{len(shards)}: {' '.join(files)}", flush=True)
    while len(ended) < len(procs):
        for k, p in enumerate(procs, 1):
            if k not in ended and p.poll() is not None:
                ended[k] = time.monotonic() - started[k - 1]
                print(f"shard {k} ended: exit {p.returncode} after {ended[k]:.0f} s", flush=True)
        time.sleep(0.5)
    os.close(lock)
    rc = report(shards, procs, ended, logs, time.monotonic() - t0)
    return 128 + caught[0] if caught else rc


def report(shards, procs, ended, logs: str, wall: float) -> int:
    failed = []
    rows = []
    seconds: Dict[str, float] = {}
    for k, p in enumerate(procs, 1):
        with open(os.path.join(logs, f"shard-{k}.log"), errors="replace") as fh:
            text = fh.read()
        print(f"\n======== shard {k}: {' '.join(shards[k - 1])}\n{text}", end="")
        counts = outcome(text)
        junit = os.path.join(logs, f"shard-{k}.xml")
        if os.path.exists(junit):
            seconds.update(file_seconds(junit))
        if shard_failed(p.returncode, text):
            failed.append(k)
        rows.append(f"shard {k}: exit {p.returncode}, {counts.get('passed', 0)} passed, "
                    f"{counts.get('failed', 0) + counts.get('error', 0) + counts.get('errors', 0)}"
                    f" failed, {ended[k]:.0f} s")
    print("\n======== seconds per file (the table in tests/lab/shards.py)")
    for name, s in sorted(seconds.items(), key=lambda kv: -kv[1]):
        print(f"{s:8.1f}  {name}")
    print("\n======== shards")
    print("\n".join(rows))
    print(f"all shards: {wall:.0f} s; logs in {logs}")
    if failed:
        print(f"FAILED: shard {', '.join(map(str, failed))} (a shard fails when a test fails "
              "or when it ran no test)")
        return 1
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shards", type=int, default=int(os.environ.get("SHARDS", "2")))
    parser.add_argument("--lab", default=f"lagolab-{os.getpid()}")
    parser.add_argument("--logs", default=os.path.join(ROOT, "test-logs"))
    parser.add_argument("pytest_args", nargs="*", help="passed to every shard's pytest")
    args = parser.parse_args(argv)
    if args.shards < 1:
        parser.error("--shards must be at least 1")
    return run(split(test_items(), args.shards, SECONDS), args.lab, args.logs, args.pytest_args)


if __name__ == "__main__":
    sys.exit(main())
