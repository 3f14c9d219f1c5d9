#!/usr/bin/env python3
"""make bench: lago.pyz against the raw baseline, inside the lab (tests/lab/lab.sh).

Raw baseline: what a person does by hand with the same template — qemu-img overlays, one
transient libvirt network, `virsh create` of N transient domains at once, then poll each
guest's port 22 until it speaks SSH. lago: `lago.pyz up` of the same N VMs to all-ssh-ready,
twice per run: with `provision: none` and the template's password (the env key installed at
first login), and with `--ssh-key` on a copy of the image that already trusts that key (made
by one `up` and `export --standalone`). lago's own overhead is up's wall time minus the
guests' boot (per VM, from `virsh start` returning to sshd answering; from --events).
Also: `status --json` of 10 VMs, `--help` and `--version` against `python3 -c pass`, lease
throughput with 8 processes, sysprep of 1 vs 4 Debian VMs (when LAGO_LAB_DEBIAN is set and
not --quick), whole-env snapshot and revert of 4 running VMs (a snapshot right after a revert
apart: libvirt starts a new QEMU process on revert), and 20 sequential `ssh VM -- true`
(lago.pyz, `ssh -F` with the exported config, plain ssh over the same master). Every figure
is the median of RUNS runs with min and max; results go to bench/results.json, and a table
on stdout ends with every speed target, MET or NOT MET, from figures of this run.

    LAGO_LAB_TEMPLATE=DIR [LAGO_LAB_DEBIAN=DIR] LAGO_PYZ=lago.pyz python3 bench/bench.py \
        [--quick] [--runs 3] [--sizes 1,4,8]
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "src"))
from lago import addressing, xmlgen  # noqa: E402  (the same pure XML builders lago uses)

URI = "qemu:///system"
RAW_SUBNET = ipaddress.IPv4Network("192.168.250.0/24")
WORK = "/var/tmp/lago-bench"


def sh(*argv: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), check=True, capture_output=True, text=True, **kw)


def virsh(*args: str, input: str | None = None) -> str:
    return sh("virsh", "-q", "-c", URI, *args, input=input).stdout


def ssh_banner(ip: str) -> bool:
    # Probes as short and as often as lago's own (0.2 s connect, every 0.05 s), so the
    # baseline is not slowed by a probe that is still waiting when the guest comes up.
    try:
        with socket.create_connection((ip, 22), timeout=0.2) as s:
            s.settimeout(1)
            return s.recv(8).startswith(b"SSH-")
    except OSError:
        return False


def raw_up(tmpl: dict, n: int, work: str) -> tuple:
    """The baseline: overlays, a network, N transient domains, poll SSH. Returns (seconds,
    overhead): the overhead by lago's definition, wall time minus the longest guest boot
    (`virsh create` returned → sshd answered), for comparison."""
    gw = str(RAW_SUBNET.network_address + 1)
    ips = [str(RAW_SUBNET.network_address + 2 + i) for i in range(n)]
    t0 = time.monotonic()
    for i in range(n):
        sh("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", tmpl["disk"],
           f"{work}/raw{i}.qcow2")
    hosts = [{"mac": addressing.mac_for(ip), "ip": ip, "name": f"raw{i}"}
             for i, ip in enumerate(ips)]
    virsh("net-create", "/dev/stdin", input=xmlgen.network_xml(
        "benchraw", "benchraw0", "nat", str(RAW_SUBNET), gw, None, hosts, "raw.local", {}))
    procs = [subprocess.Popen(["virsh", "-q", "-c", URI, "create", "/dev/stdin"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
             for _ in ips]
    created = {}
    for i, (proc, ip) in enumerate(zip(procs, ips)):
        proc.communicate(xmlgen.domain_xml(
            name=f"benchraw{i}", vm=f"raw{i}", domain_type="qemu", arch=os.uname().machine,
            memory_mib=256, vcpu=1,
            disks=[{"path": f"{work}/raw{i}.qcow2", "format": "qcow2", "dev": "vda"}],
            nics=[{"network": "benchraw", "mac": addressing.mac_for(ip), "mtu": None}],
            kernel=tmpl["kernel_path"], initrd=tmpl["initrd_path"], cmdline=tmpl["cmdline"]))
        created[ip] = time.monotonic()
    pending, answered = set(ips), {}
    while pending:
        for ip in list(pending):
            if ssh_banner(ip):
                answered[ip] = time.monotonic()
                pending.discard(ip)
        if pending:
            time.sleep(0.05)
    wall = time.monotonic() - t0
    return wall, wall - max(answered[ip] - created[ip] for ip in ips)


def raw_down(n: int, work: str) -> None:
    for i in range(n):
        subprocess.run(["virsh", "-q", "-c", URI, "destroy", f"benchraw{i}"], capture_output=True)
    subprocess.run(["virsh", "-q", "-c", URI, "net-destroy", "benchraw"], capture_output=True)
    for i in range(n):
        if os.path.exists(f"{work}/raw{i}.qcow2"):
            os.unlink(f"{work}/raw{i}.qcow2")


def write_env(tmpl: dict, n: int, path: str, provision: str = "none") -> None:
    doms = {f"vm{i}": {"memory": tmpl.get("memory", 256), "provision": provision,
                       "distro": tmpl.get("distro", "linux"),
                       "root-password": tmpl["root-password"], "nics": [{"net": "lan"}],
                       "disks": [{"name": "root", "type": "file", "path": tmpl["disk"]}],
                       "boot": {"kernel": tmpl["kernel_path"], "initrd": tmpl["initrd_path"],
                                "cmdline": tmpl["cmdline"]}} for i in range(n)}
    with open(path, "w") as fh:
        json.dump({"nets": {"lan": {"type": "nat"}}, "domains": doms}, fh)


def lago(pyz: str, work: str, *args: str) -> float:
    env = dict(os.environ, LAGO_LEASE_DIR=f"{work}/leases",
               LAGO_SUBNET_POOL="192.168.240.0-192.168.249.0")
    t0 = time.monotonic()
    sh(sys.executable, pyz, "-q", "-w", f"{work}/.lago", *args, env=env)
    return time.monotonic() - t0


def lago_events(pyz: str, work: str, *args: str) -> tuple:
    """Run lago with --events; returns (wall seconds, [event dicts])."""
    path = f"{work}/events.jsonl"
    if os.path.exists(path):
        os.unlink(path)
    wall = lago(pyz, work, "--events", path, *args)
    with open(path) as fh:
        return wall, [json.loads(line) for line in fh]


def guest_boot(evs: list) -> float:
    """The longest per-VM guest time: `virsh start` returned → sshd answered."""
    started = {e["vm"]: e["ts"] for e in evs if e["event"] == "end" and e["phase"] == "boot"}
    answered = {e["vm"]: e["ts"] for e in evs if e["event"] == "end" and e["phase"] == "banner"}
    return max(answered[vm] - started[vm] for vm in answered)


def timed(argv: list) -> float:
    t0 = time.monotonic()
    sh(*argv)
    return time.monotonic() - t0


def stats(values: list) -> dict:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3), "runs": len(values)}


def lease_worker_code() -> str:
    return ("import os,sys,time;sys.path.insert(0,sys.argv[1]);from lago import leases as L\n"
            "d,i,k=sys.argv[2],sys.argv[3],int(sys.argv[4])\n"
            "p=os.path.join(d,'o'+i);os.makedirs(p,exist_ok=True)\n"
            "open(p+'/uuid','w').write('u'+i)\n"
            "pool=L.parse_pool('10.200.0.0-10.200.63.0')\n"
            "for _ in range(k):\n"
            "    L.acquire(d+'/l',pool,L.Owner(p,p+'/uuid','u'+i),[None]);L.release(d+'/l','u'+i)\n")


def lease_throughput(work: str, procs: int = 8, each: int = 50) -> float:
    """acquire+release pairs per second with `procs` processes racing on one lease dir."""
    d = tempfile.mkdtemp(dir=work)
    t0 = time.monotonic()
    ps = [subprocess.Popen([sys.executable, "-c", lease_worker_code(), os.path.join(ROOT, "src"),
                            d, str(i), str(each)]) for i in range(procs)]
    for p in ps:
        if p.wait() != 0:
            raise SystemExit("bench: lease worker failed")
    return procs * each / (time.monotonic() - t0)


def trusting_image(pyz: str, tmpl: dict) -> tuple:
    """(template dict, private key): the tiny image after one `up` installed an env key in it
    (exported with `lago.pyz export --standalone`), and that key, for `up --ssh-key`."""
    envfile = f"{WORK}/env.json"
    write_env(tmpl, 1, envfile)
    lago(pyz, WORK, "up", envfile)
    try:
        cfg = ssh_config(pyz)
        key = f"{WORK}/trusted_key"
        shutil.copy(config_value(cfg, "IdentityFile"), key)
        os.chmod(key, 0o600)
        # `stop` pulls the plug: the key the first login wrote must be on the disk first.
        lago(pyz, WORK, "ssh", "vm0", "--", "sync")
        lago(pyz, WORK, "stop", "vm0")
        lago(pyz, WORK, "export", "--standalone", "-o", f"{WORK}/trusted")
    finally:
        lago(pyz, WORK, "destroy", "-y")
    disks = [os.path.join(d, f) for d, _, fs in os.walk(f"{WORK}/trusted") for f in fs
             if f.endswith(".qcow2")]
    return dict(tmpl, disk=disks[0]), key


def ssh_config(pyz: str) -> str:
    env = dict(os.environ, LAGO_LEASE_DIR=f"{WORK}/leases")
    return sh(sys.executable, pyz, "-q", "-w", f"{WORK}/.lago", "ssh-config", "--write",
              env=env).stdout.strip()


def config_value(path: str, key: str) -> str:
    """The first ``key`` of an ssh_config lago wrote (vm0's block comes first)."""
    with open(path) as fh:
        for line in fh:
            words = line.split(None, 1)
            if words and words[0] == key:
                return words[1].strip().strip('"')
    raise KeyError(key)


def bench_up(pyz: str, tmpl: dict, sizes: list, runs: int) -> dict:
    """Per size, in each run: lago with `provision: none` and the template's password (key
    installed at first login) next to a raw boot of the template, then lago with --ssh-key
    on an image that trusts that key next to a raw boot of that image."""
    out = {}
    envfile, keyfile = f"{WORK}/env.json", f"{WORK}/env-key.json"
    trusted, key = trusting_image(pyz, tmpl)
    for n in sizes:
        raw, raw_overhead, up, overhead, keyed, keyed_overhead = [], [], [], [], [], []
        raw_keyed = []
        write_env(tmpl, n, envfile)
        write_env(trusted, n, keyfile)
        def raw_run(image: dict, walls: list) -> None:
            try:
                wall, over = raw_up(image, n, WORK)
                walls.append(wall)
                if image is tmpl:
                    raw_overhead.append(over)
            finally:
                raw_down(n, WORK)

        def lago_run(walls: list, overs: list, args: tuple) -> None:
            try:
                wall, evs = lago_events(pyz, WORK, *args)
                if "--ssh-key" in args and [e for e in evs if e["phase"] == "key-install"]:
                    # The figure is of an image that trusts the key: not a password login.
                    raise RuntimeError("up --ssh-key fell back to the password: the "
                                       "exported image does not trust the key")
                walls.append(wall)
                overs.append(wall - guest_boot(evs))
            finally:
                lago(pyz, WORK, "destroy", "-y")

        for r in range(runs):
            # Each lago figure next to its raw baseline, which boots the same image (the
            # exported one boots faster: its guest made its SSH host keys at the first boot
            # already); which of the two goes first alternates from run to run, so neither
            # always follows the other's teardown.
            pairs = ((lambda: raw_run(tmpl, raw), lambda: lago_run(up, overhead, ("up", envfile))),
                     (lambda: raw_run(trusted, raw_keyed),
                      lambda: lago_run(keyed, keyed_overhead, ("up", keyfile, "--ssh-key", key))))
            for first, second in pairs:
                for run in ((first, second) if r % 2 == 0 else (second, first)):
                    run()
        out[str(n)] = {"raw": stats(raw), "lago": stats(up), "overhead": stats(overhead),
                       "raw_overhead": stats(raw_overhead), "lago_ssh_key": stats(keyed),
                       "raw_trusting_image": stats(raw_keyed),
                       "overhead_ssh_key": stats(keyed_overhead),
                       "ratio": round(statistics.median(up) / statistics.median(raw), 3),
                       "ratio_ssh_key": round(statistics.median(keyed) /
                                              statistics.median(raw_keyed), 3)}
    return out


def bench_status_and_version(pyz: str, tmpl: dict, runs: int) -> dict:
    # status --json of a 10-VM env (initialized, not started: status reads state + virsh).
    envfile = f"{WORK}/env.json"
    write_env(tmpl, 10, envfile)
    lago(pyz, WORK, "init", envfile)
    py = [sys.executable]
    k = max(runs, 5)
    status = [timed(py + [pyz, "-w", f"{WORK}/.lago", "--json", "status"]) for _ in range(k)]
    base = [timed(py + ["-c", "pass"]) + timed(["virsh", "-q", "-c", URI, "list", "--all"])
            for _ in range(k)]
    lago(pyz, WORK, "destroy", "-y")
    version, helps, pypass = [], [], []
    for _ in range(max(k, 11)):  # interleaved: the machine's speed drifts
        version.append(timed(py + [pyz, "--version"]))
        helps.append(timed(py + [pyz, "--help"]))
        pypass.append(timed(py + ["-c", "pass"]))
    return {"status_json_10vms": {"lago": stats(status), "python_pass_plus_virsh_list":
                                  stats(base), "ratio": round(statistics.median(status) /
                                                              statistics.median(base), 2)},
            "version": {"lago": stats(version), "python_pass": stats(pypass),
                        "ratio": round(statistics.median(version) /
                                       statistics.median(pypass), 2)},
            "help": {"lago": stats(helps), "python_pass": stats(pypass),
                     "ratio": round(statistics.median(helps) / statistics.median(pypass), 2)}}


def bench_bootstrap(pyz: str, debian: dict, runs: int) -> dict:
    """sysprep of 1 and of 4 VMs: the provision phase of `init` (one appliance for all)."""
    envfile = f"{WORK}/env.json"
    out = {}
    for n in (1, 4):
        write_env(debian, n, envfile, provision="sysprep")
        took = []
        for _ in range(runs):
            try:
                wall, evs = lago_events(pyz, WORK, "init", envfile)
                # From the last overlay made (the appliance starts then; its boot is in no
                # VM's provision phase) to the last VM provisioned.
                starts = [e["ts"] for e in evs if e["phase"] == "overlay"
                          and e["event"] == "end"]
                ends = [e["ts"] for e in evs if e["phase"] == "provision" and e["event"] == "end"]
                took.append(max(ends) - max(starts))
            finally:
                lago(pyz, WORK, "destroy", "-y")
        out[str(n)] = stats(took)
    out["ratio"] = round(out["4"]["median"] / out["1"]["median"], 2)
    return out


def bench_snapshot(pyz: str, tmpl: dict, runs: int) -> dict:
    """Whole-env snapshot and revert of 4 running VMs, and ssh connection reuse."""
    envfile = f"{WORK}/env.json"
    write_env(tmpl, 4, envfile)
    lago(pyz, WORK, "up", envfile)
    snap, snap_after_revert, revert = [], [], []
    try:
        # up leaves each VM's master connection open: the first call rides on it.
        after_up = lago(pyz, WORK, "ssh", "vm0", "--", "true")
        cfg = ssh_config(pyz)
        # A call that must log in (no master), then 20 that ride on the master it opened.
        sh("ssh", "-F", cfg, "-O", "exit", "vm0")
        one = lago(pyz, WORK, "ssh", "vm0", "--", "true")
        twenty = sum(lago(pyz, WORK, "ssh", "vm0", "--", "true") for _ in range(20))
        # The same 20 calls with plain ssh and the exported config, which shares the master.
        t0 = time.monotonic()
        for _ in range(20):
            sh("ssh", "-F", cfg, "-o", "BatchMode=yes", "vm0", "true")
        plain = time.monotonic() - t0
        # Plain ssh over the same master, no config file: the floor of a reused call.
        bare = ["ssh", "-F", "/dev/null", "-o", "ControlMaster=no", "-o",
                f"ControlPath={config_value(cfg, 'ControlPath')}", "-o", "BatchMode=yes",
                "root@" + config_value(cfg, "HostName"), "true"]
        t0 = time.monotonic()
        for _ in range(20):
            sh(*bare)
        bare_twenty = time.monotonic() - t0
        pypass = sum(timed([sys.executable, "-c", "pass"]) for _ in range(20))
        reuse = {"first_call_after_up": round(after_up, 3), "first_call": round(one, 3),
                 "twenty_calls": round(twenty, 3), "ratio": round(twenty / one, 2),
                 "ssh_config_twenty_calls": round(plain, 3),
                 "ssh_config_ratio": round(plain / one, 2),
                 "plain_ssh_twenty_calls": round(bare_twenty, 3),
                 "python_pass_twenty": round(pypass, 3)}
        # libvirt 9.0 reverts a running VM by starting a new QEMU process, whose first
        # snapshot is slower than any later one: the two kinds are reported apart.
        snap.append(lago(pyz, WORK, "snapshot", "base"))
        for i in range(runs):
            revert.append(lago(pyz, WORK, "revert", "base"))
            snap_after_revert.append(lago(pyz, WORK, "snapshot", f"a{i}"))
            snap.append(lago(pyz, WORK, "snapshot", f"b{i}"))
    finally:
        lago(pyz, WORK, "destroy", "-y")
    return {"snapshot": stats(snap), "snapshot_first_after_revert": stats(snap_after_revert),
            "revert": stats(revert), "ssh_reuse": reuse}


def load_template(var: str, disk: str) -> dict:
    tdir = os.environ[var]
    with open(os.path.join(tdir, "template.json")) as fh:
        tmpl = json.load(fh)
    tmpl.update(disk=f"{tdir}/{disk}", kernel_path=f"{tdir}/{tmpl['kernel']}",
                initrd_path=f"{tdir}/{tmpl['initrd']}")
    return tmpl


def row(label: str, s: dict, note: str = "", digits: int = 2) -> str:
    return (f"{label:<40} {s['median']:>8.{digits}f} {s['min']:>8.{digits}f} "
            f"{s['max']:>8.{digits}f}  {note}")


def targets(results: dict) -> list:
    """[(what, figures, target, met)] for every speed target, each a ratio or a sum of figures
    measured in this run."""
    rows = []

    def add(what: str, figures: str, target: str, met: bool) -> None:
        rows.append((what, figures, target, met))
    up = results["up"]
    for n, r in up.items():
        limit = 1.10 if n == "1" else 1.05
        add(f"up {n} VM(s), --ssh-key, image trusts it",
            f"{r['lago_ssh_key']['median']:.2f} s / raw "
            f"{r['raw_trusting_image']['median']:.2f} s = "
            f"{r['ratio_ssh_key']:.3f}", f"<= {limit:.2f} x raw", r["ratio_ssh_key"] <= limit)
    if "1" in up:
        r = up["1"]
        extra = r["lago"]["median"] - r["raw"]["median"]
        add("up 1 VM, provision: none + password", f"{r['lago']['median']:.2f} s - raw "
            f"{r['raw']['median']:.2f} s = +{extra:.2f} s", "<= raw + 0.6 s", extra <= 0.6)
    for n, r in up.items():
        if n != "1":
            add(f"up {n} VMs: lago's own overhead", f"{r['overhead']['median']:.2f} s vs raw's "
                f"{r['raw_overhead']['median']:.2f} s", "<= raw's own",
                r["overhead"]["median"] <= r["raw_overhead"]["median"])
    s = results["ssh_reuse"]
    per, base = s["twenty_calls"] / 20, s["python_pass_twenty"] / 20
    add("lago.pyz ssh VM -- true, repeated", f"{per:.3f} s a call vs python3 -c pass "
        f"{base:.3f} s", "<= python3 -c pass + 0.06 s", per <= base + 0.06)
    ratio = s["ssh_config_twenty_calls"] / s["plain_ssh_twenty_calls"]
    add("ssh -F (ssh-config) VM true, repeated", f"{s['ssh_config_twenty_calls'] / 20:.3f} s vs "
        f"plain ssh {s['plain_ssh_twenty_calls'] / 20:.3f} s = {ratio:.2f}",
        "<= 1.2 x plain ssh over a master", ratio <= 1.2)
    for key, limit in (("help", 2.0), ("version", 1.5)):
        v = results[key]
        add(f"lago.pyz --{key}", f"{v['lago']['median']:.3f} s / python3 -c pass "
            f"{v['python_pass']['median']:.3f} s = {v['ratio']:.2f}", f"<= {limit} x",
            v["ratio"] <= limit)
    v = results["status_json_10vms"]
    add("status --json, 10 VMs", f"{v['lago']['median']:.3f} s / (python3 -c pass + virsh "
        f"list) {v['python_pass_plus_virsh_list']['median']:.3f} s = {v['ratio']:.2f}", "<= 2 x",
        v["ratio"] <= 2)
    v = results["snapshot_4vms"]
    add("snapshot, 4 running VMs", f"{v['snapshot']['median']:.2f} s", "<= 2 s",
        v["snapshot"]["median"] <= 2)
    add("revert, 4 running VMs", f"{v['revert']['median']:.2f} s", "<= 5 s",
        v["revert"]["median"] <= 5)
    b = results.get("bootstrap")
    if b:
        add("sysprep, 1 Debian disk", f"{b['1']['median']:.1f} s", "<= 20 s",
            b["1"]["median"] <= 20)
        add("sysprep, 4 Debian disks", f"{b['4']['median']:.1f} s / one {b['1']['median']:.1f} s"
            f" = {b['ratio']:.2f}", "<= 1.5 x one", b["ratio"] <= 1.5)
    return rows


def report(results: dict) -> None:
    print(f"{'what (seconds)':<40} {'median':>8} {'min':>8} {'max':>8}  ratio / note")
    for n, r in results["up"].items():
        print(row(f"up {n} VM(s) to ssh: raw baseline", r["raw"]))
        print(row(f"up {n} VM(s) to ssh: lago.pyz", r["lago"], f"{r['ratio']} x raw"))
        print(row(f"up {n} VM(s), trusting image: raw", r["raw_trusting_image"]))
        print(row(f"up {n} VM(s) --ssh-key: lago.pyz", r["lago_ssh_key"],
                  f"{r['ratio_ssh_key']} x raw"))
        print(row(f"up {n} VM(s): lago's own overhead", r["overhead"]))
        print(row(f"up {n} VM(s): the same, --ssh-key", r["overhead_ssh_key"]))
        print(row(f"up {n} VM(s): raw's, same definition", r["raw_overhead"]))
    print(f"{'lease acquire+release, 8 procs':<40} {results['lease_pairs_per_s_8_procs']:>8} /s")
    b = results.get("bootstrap")
    if b:
        print(row("sysprep bootstrap, 1 VM", b["1"]))
        print(row("sysprep bootstrap, 4 VMs", b["4"], f"{b['ratio']} x one"))
    else:
        print("sysprep bootstrap: not measured (--quick, or no LAGO_LAB_DEBIAN)")
    s = results["snapshot_4vms"]
    print(row("snapshot, first after a revert", s["snapshot_first_after_revert"],
              "new QEMU process (libvirt 9.0)"))
    r = results["ssh_reuse"]
    print(f"{'ssh -- true: first call after up':<40} {r['first_call_after_up']:>8.2f}"
          f"{'':>18}  rides on up's master connection")
    print(f"{'ssh -- true: first call that logs in':<40} {r['first_call']:>8.2f}")
    print()
    print("| target | measured (same run) | limit | |")
    print("|---|---|---|---|")
    for what, figures, limit, met in targets(results):
        print(f"| {what} | {figures} | {limit} | {'MET' if met else 'NOT MET'} |")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=None, help="runs per figure (3; --quick 2)")
    ap.add_argument("--sizes", default=None, help="VMs per up (1,4,8; --quick 1,4)")
    ap.add_argument("--quick", action="store_true",
                    help="the figures that need no Debian template, fewer runs (~3 min)")
    args = ap.parse_args()
    args.runs = args.runs or (2 if args.quick else 3)
    args.sizes = args.sizes or ("1,4" if args.quick else "1,4,8")
    pyz = os.path.abspath(os.environ.get("LAGO_PYZ", os.path.join(ROOT, "lago.pyz")))
    tmpl = load_template("LAGO_LAB_TEMPLATE", "tiny.qcow2")
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK, mode=0o755)
    os.chmod(WORK, 0o755)
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                 "kernel": platform.release(), "domain_type": "qemu (TCG)",
                                 "date": time.strftime("%Y-%m-%d")},
                     "runs": args.runs, "quick": args.quick}
    results["up"] = bench_up(pyz, tmpl, [int(x) for x in args.sizes.split(",")], args.runs)
    results.update(bench_status_and_version(pyz, tmpl, args.runs))
    results["lease_pairs_per_s_8_procs"] = round(lease_throughput(WORK), 1)
    results["snapshot_4vms"] = bench_snapshot(pyz, tmpl, args.runs)
    results["ssh_reuse"] = results["snapshot_4vms"].pop("ssh_reuse")
    if os.environ.get("LAGO_LAB_DEBIAN") and not args.quick:
        debian = load_template("LAGO_LAB_DEBIAN", "debian.qcow2")
        debian["memory"] = 512
        results["bootstrap"] = bench_bootstrap(pyz, debian, args.runs)
    shutil.rmtree(WORK, ignore_errors=True)
    with open(os.path.join(HERE, "results.json"), "w") as fh:
        json.dump(results, fh, indent=2, sort_keys=True)
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
