"""Lab fixtures: real libvirtd + qemu + ssh inside the private network namespace.

These tests run only inside the lab (``make test`` starts it). Outside it they fail loudly
instead of skipping: a lab test that did not run must never look like one that passed.
"""
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pytest_collection_modifyitems(config, items):
    lab_items = [i for i in items if "tests/lab" in str(i.fspath)]
    if lab_items and not os.environ.get("LAGO_LAB_NETNS"):
        raise pytest.UsageError("tests/lab needs the lab: run them with 'make test' "
                                "(or tests/lab/lab.sh run NAME -- pytest tests/lab)")


@pytest.fixture
def tmp_path(request):
    """A per-test directory QEMU can reach: it runs as libvirt's unprivileged user, which
    cannot traverse pytest's 0700 temp tree, so overlays there would be refused."""
    base = "/var/tmp/lago-lab-tests"
    os.makedirs(base, exist_ok=True)
    os.chmod(base, 0o755)
    path = tempfile.mkdtemp(prefix=request.node.name[:40] + "-", dir=base)
    os.chmod(path, 0o755)
    yield pathlib.Path(path)
    shutil.rmtree(path, ignore_errors=True)


def _template(var, script, disk):
    path = os.environ.get(var)
    assert path, f"{var} is not set (make test sets it from {script})"
    with open(os.path.join(path, "template.json")) as fh:
        meta = json.load(fh)
    meta["dir"] = path
    meta["disk"] = os.path.join(path, disk)
    meta["kernel_path"] = os.path.join(path, meta["kernel"])
    meta["initrd_path"] = os.path.join(path, meta["initrd"])
    return meta


@pytest.fixture(scope="session")
def template():
    """The tiny template built by tests/lab/build-tiny-template.sh."""
    return _template("LAGO_LAB_TEMPLATE", "tests/lab/build-tiny-template.sh", "tiny.qcow2")


@pytest.fixture(scope="session")
def debian():
    """The template built by tests/lab/build-debian-template.sh."""
    return _template("LAGO_LAB_DEBIAN", "tests/lab/build-debian-template.sh", "debian.qcow2")


@pytest.fixture(scope="session")
def pyz():
    path = os.environ.get("LAGO_PYZ", os.path.join(ROOT, "lago.pyz"))
    assert os.path.exists(path), f"{path} is missing: run 'make' first"
    return path


class Lago:
    """Runs the built lago.pyz against one workdir and one private lease directory."""

    def __init__(self, pyz, workdir, lease_dir, pool):
        self.pyz = pyz
        self.workdir = workdir
        self.env = dict(os.environ, LAGO_LEASE_DIR=lease_dir, LAGO_SUBNET_POOL=pool)
        self.lease_dir = lease_dir

    def run(self, *args, check=True, input=None, timeout=600):
        proc = subprocess.run([sys.executable, self.pyz, "-w", self.workdir, *args],
                              capture_output=True, text=True, env=self.env, input=input,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"lago {' '.join(args)} exited {proc.returncode}\n"
                                 f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
        return proc

    def json(self, *args):
        return json.loads(self.run("--json", *args).stdout)


@pytest.fixture
def lago(pyz, tmp_path):
    # Each test gets its own lease dir; the pool avoids the lab's own routed networks.
    lago = Lago(pyz, str(tmp_path / "work" / ".lago"), str(tmp_path / "leases"),
                "192.168.200.0-192.168.230.0")
    yield lago
    # Whatever a failing test left behind is removed, so the next test starts clean; a
    # destroy that fails here fails the test (a silent one would leak into the next tests).
    failed = []
    if os.path.isdir(lago.workdir):
        for name in os.listdir(lago.workdir):
            if name not in ("current",) and not name.startswith("."):
                proc = lago.run("-P", name, "destroy", "-y", check=False)
                if proc.returncode != 0:
                    failed.append(f"{name}: exit {proc.returncode}: {proc.stderr.strip()}")
    if failed:
        pytest.fail("destroy after the test failed: " + "; ".join(failed), pytrace=False)


@pytest.fixture(autouse=True)
def nothing_left_behind(request):
    """Every lab test must leave the host as it found it. Runs after the test's own fixtures
    have torn down (including the ``lago`` fixture's destroy of every prefix): anything lago
    still on the host is a leak, reported against the test that made it and then removed, so
    one leak fails one test instead of every test after it."""
    before = host_objects()
    yield
    after = host_objects()
    leaked = {kind: sorted(after[kind] - before[kind]) for kind in after}
    leaked = {kind: names for kind, names in leaked.items() if names}
    if not leaked:
        return
    for dom in leaked.get("domains", []):
        subprocess.run(["virsh", "-q", "-c", "qemu:///system", "destroy", dom],
                       capture_output=True)
        subprocess.run(["virsh", "-q", "-c", "qemu:///system", "undefine", dom,
                        "--snapshots-metadata", "--nvram"], capture_output=True)
    for net in leaked.get("networks", []):
        subprocess.run(["virsh", "-q", "-c", "qemu:///system", "net-destroy", net],
                       capture_output=True)
        subprocess.run(["virsh", "-q", "-c", "qemu:///system", "net-undefine", net],
                       capture_output=True)
    for bridge in leaked.get("bridges", []):
        subprocess.run(["ip", "link", "del", bridge], capture_output=True)
    pytest.fail(f"left on the host after the test: {leaked}", pytrace=False)


def virsh(*args):
    return subprocess.run(["virsh", "-q", "-c", "qemu:///system", *args], capture_output=True,
                          text=True, check=True).stdout


def host_objects():
    """Names of every lago domain, network and bridge on the host right now."""
    doms = {l.split()[1] for l in virsh("list", "--all").splitlines() if l.split()}
    nets = {l.split()[0] for l in virsh("net-list", "--all").splitlines() if l.split()}
    links = json.loads(subprocess.run(["ip", "-j", "link"], capture_output=True, text=True,
                                      check=True).stdout)
    bridges = {l["ifname"] for l in links}
    return {"domains": {d for d in doms if d.startswith("lago")},
            "networks": {n for n in nets if n.startswith("lago")},
            "bridges": {b for b in bridges if b.startswith("lago")}}


def write_env(tmp_path, template, vms, nets=None, name="env.yaml"):
    """An env file of tiny VMs: vms = {name: [nic dicts]}."""
    import yaml  # test-only dependency
    doc = {"nets": nets or {"lan": {"type": "nat"}}, "domains": {}}
    for vm, nics in vms.items():
        doc["domains"][vm] = {
            "memory": 256, "provision": "none", "root-password": template["root-password"],
            "nics": nics,
            "disks": [{"name": "root", "type": "file", "path": template["disk"],
                       "format": "qcow2"}],
            "boot": {"kernel": template["kernel_path"], "initrd": template["initrd_path"],
                     "cmdline": template["cmdline"]},
        }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


@pytest.fixture
def unique():
    return uuid.uuid4().hex[:6]


def tree(root):
    """{relative path: (kind, mode, content or link target)} of a local directory tree."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", None, os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode), None)
            else:
                with open(full, "rb") as fh:
                    out[rel] = ("file", stat.S_IMODE(st.st_mode), fh.read())
    return out
