#!/usr/bin/env python3
"""Two builds side by side in one lab run, interleaved: `status --json` of 10 VMs and
`ssh VM -- true` (over a master), against `python3 -c pass` (+ one `virsh list`).

A change's effect on the short commands is a few milliseconds, less than a shared machine's
drift over minutes; alternating old, new and the baseline call by call moves all three alike.

    LAGO_LAB_TEMPLATE=DIR python3 bench/ab.py OLD.pyz NEW.pyz [--rounds 15]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the same helpers and work directory as make bench)


def median_ms(values: list) -> str:
    return f"{statistics.median(values) * 1000:7.1f} ms (min {min(values) * 1000:6.1f})"


def compare(what: str, runs: dict, base: str, how) -> None:
    """One line per build: its median, and ``how``(its median, the baseline's median)."""
    floor = statistics.median(runs[base])
    for name in ("old", "new"):
        print(f"{what} {name}: {median_ms(runs[name])} {how(statistics.median(runs[name]), floor)}")
    print(f"{base}: {median_ms(runs[base])}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--keep", metavar="DIR", help="copy the 10-VM workdir here (to profile)")
    args = ap.parse_args()
    old, new = os.path.abspath(args.old), os.path.abspath(args.new)
    tmpl = bench.load_template("LAGO_LAB_TEMPLATE", "tiny.qcow2")
    work = bench.WORK
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work, mode=0o755)
    py = [sys.executable]
    envfile = f"{work}/env.json"
    with open("/proc/loadavg") as fh:
        print("load before:", fh.read().strip())

    bench.write_env(tmpl, 10, envfile)
    bench.lago(new, work, "init", envfile)
    status = {"old": [], "new": [], "base": []}
    for _ in range(args.rounds):
        for name, pyz in (("old", old), ("new", new)):
            status[name].append(bench.timed(py + [pyz, "-w", f"{work}/.lago", "--json",
                                                  "status"]))
        status["base"].append(bench.timed(py + ["-c", "pass"]) + bench.timed(
            ["virsh", "-q", "-c", bench.URI, "list", "--all"]))
    if args.keep:
        shutil.copytree(f"{work}/.lago", args.keep, symlinks=True, dirs_exist_ok=True)
        with open(f"{args.keep}/virsh-inventory.txt", "w") as fh:
            fh.write(bench.virsh("list", "--all") + "\n--\n" + bench.virsh("net-list", "--all"))
    bench.lago(new, work, "destroy", "-y")
    status["python3 -c pass + virsh list"] = status.pop("base")
    compare("status --json 10 VMs", status, "python3 -c pass + virsh list",
            lambda t, base: f"= {t / base:.2f} x")

    # One VM per build: a build that keeps another kind of boot stamp would close the other's
    # master connection on every call.
    bench.write_env(tmpl, 2, envfile)
    bench.lago(new, work, "up", envfile)
    try:
        calls = {"old": [], "new": [], "python3 -c pass": []}
        for name, pyz, vm in (("old", old, "vm0"), ("new", new, "vm1")):
            bench.lago(pyz, work, "ssh", vm, "--", "true")  # its master, its stamp
        for _ in range(args.rounds * 2):
            for name, pyz, vm in (("old", old, "vm0"), ("new", new, "vm1")):
                calls[name].append(bench.lago(pyz, work, "ssh", vm, "--", "true"))
            calls["python3 -c pass"].append(bench.timed(py + ["-c", "pass"]))
    finally:
        bench.lago(new, work, "destroy", "-y")
    compare("ssh VM -- true", calls, "python3 -c pass",
            lambda t, base: f"= python3 -c pass + {(t - base) * 1000:.1f} ms")
    with open("/proc/loadavg") as fh:
        print("load after:", fh.read().strip())
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
