"""Upstream Lago's module API over this build's pieces: subnet_lease and dirlock across
processes, utils, sysprep's commands, paths, config.get, Prefix before any VM exists."""
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from lago import config, dirlock, prefix, sysprep, utils
from lago.errors import SpecError, UsageError
from lago.paths import Paths

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                   "src")
POOL = "10.213.0.0-10.213.15.0"  # no host routes these; the lease code checks

LEASER = """
import os, sys
sys.path.insert(0, sys.argv[1])
from lago import subnet_lease
uuid_path = sys.argv[2]
os.makedirs(os.path.dirname(uuid_path), exist_ok=True)
with open(uuid_path, "w") as fh:
    fh.write(os.path.basename(os.path.dirname(uuid_path)) + "-uuid\\n")
sys.stdin.read()  # start line: every process is ready before any takes a lease
print(subnet_lease.acquire(uuid_path), subnet_lease.LEASE_DIR, subnet_lease.MIN_SUBNET,
      subnet_lease.MAX_SUBNET)
"""


def leasers(tmp_path, names, lease_dir):
    env = dict(os.environ, LAGO_LEASE_DIR=lease_dir, LAGO_SUBNET_POOL=POOL)
    procs = [subprocess.Popen([sys.executable, "-c", LEASER, SRC,
                               str(tmp_path / name / "uuid")], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for name in names]
    for proc in procs:
        proc.stdin.close()
    out = []
    for proc in procs:
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
        out.append(proc.stdout.read().split())
    return out


def test_subnet_lease_from_eight_processes_gives_eight_subnets_and_release_frees(tmp_path):
    lease_dir = str(tmp_path / "leases")
    got = leasers(tmp_path, [f"p{i}" for i in range(8)], lease_dir)
    gateways = [g[0] for g in got]
    assert len(set(gateways)) == 8, gateways
    assert all(g.startswith("10.213.") and g.endswith(".1") for g in gateways), gateways
    # The module's constants are the configured lease directory and pool.
    assert {tuple(g[1:]) for g in got} == {(lease_dir + "/", "0", "15")}
    files = sorted(os.listdir(lease_dir))
    assert len([f for f in files if f.endswith(".json")]) == 8
    lease = json.loads((tmp_path / "leases" / f"{gateways[0][:-1]}0.json").read_text())
    assert lease["uuid_path"] == str(tmp_path / "p0" / "uuid") and lease["uuid"] == "p0-uuid"

    env = dict(os.environ, LAGO_LEASE_DIR=lease_dir, LAGO_SUBNET_POOL=POOL)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from lago import subnet_lease as s; "
            "s.release(sys.argv[2]); print(s.is_leasable_subnet(sys.argv[2]), "
            "s.is_leasable_subnet('10.214.0.1'))")
    out = subprocess.run([sys.executable, "-c", code, SRC, gateways[0]], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    assert out == ["True", "False"]
    assert not os.path.exists(os.path.join(lease_dir, f"{gateways[0][:-1]}0.json"))
    # The eight took the pool's first eight /24s; a ninth prefix gets the one freed.
    assert sorted(int(g.split(".")[2]) for g in gateways) == list(range(8))
    assert leasers(tmp_path, ["p8"], lease_dir)[0][0] == gateways[0]


def test_subnet_lease_keeps_a_prefixs_earlier_leases(tmp_path):
    """Upstream leases one subnet per call for the same prefix (one per network)."""
    lease_dir = str(tmp_path / "leases")
    first = leasers(tmp_path, ["p"], lease_dir)[0][0]
    second = leasers(tmp_path, ["p"], lease_dir)[0][0]
    assert first != second
    assert len([f for f in os.listdir(lease_dir) if f.endswith(".json")]) == 2


HOLDER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from lago import dirlock
print(dirlock.trylock(sys.argv[2], sys.argv[3] == "excl", sys.argv[4]), flush=True)
"""


def keyfile(tmp_path, name):
    path = tmp_path / f"{name}.uuid"
    path.write_text(f"key-{name}")
    return str(path)


def hold(tmp_path, mode, key):
    """Take the lock in another process (the lock belongs to the key, not the process)."""
    out = subprocess.run([sys.executable, "-c", HOLDER, SRC, str(tmp_path / "dir"), mode, key],
                         capture_output=True, text=True, check=True).stdout
    return out.strip() == "True"


def test_dirlock_excludes_a_second_holder_until_unlock_or_its_key_is_gone(tmp_path):
    (tmp_path / "dir").mkdir()
    d = str(tmp_path / "dir")
    a, b, c = (keyfile(tmp_path, n) for n in "abc")
    assert hold(tmp_path, "excl", a) is True
    assert dirlock.trylock(d, True, b) is False
    assert dirlock.trylock(d, False, b) is False
    assert hold(tmp_path, "excl", a) is True  # the same key may take it again
    dirlock.unlock(d, a)
    # Shared holders together; an exclusive one waits for both.
    assert dirlock.trylock(d, False, b) is True and hold(tmp_path, "shared", a) is True
    assert dirlock.trylock(d, True, c) is False
    dirlock.unlock(d, b)
    os.unlink(a)  # a dead holder (its key is gone) does not count
    assert dirlock.trylock(d, True, c) is True

    # lock() waits until the holder lets go.
    threading.Timer(0.3, dirlock.unlock, (d, c)).start()
    t0 = time.monotonic()
    dirlock.lock(d, True, b)
    assert 0.2 < time.monotonic() - t0 < 5


def test_rollback_context_runs_everything_on_failure_and_nothing_after_clear():
    ran = []
    with pytest.raises(KeyError):
        with utils.RollbackContext() as rb:
            rb.defer(ran.append, "defer")
            rb.prependDefer(ran.append, "prepend")
            raise KeyError("boom")
    assert ran == ["prepend", "defer"]
    with utils.RollbackContext() as rb:
        rb.defer(ran.append, "never")
        rb.clear()
    assert ran == ["prepend", "defer"]


def test_threads_timers_and_commands():
    assert utils.invoke_in_parallel(lambda a, b: a * b, [1, 2, 3], [4, 5, 6]) == [4, 10, 18]
    vt = utils.VectorThread(utils.func_vector(lambda x: 1 / x, [(1,), (0,)]))
    vt.start_all()
    with pytest.raises(ZeroDivisionError):
        vt.join_all()
    assert vt.join_all(raise_exceptions=False) == [1.0, None]
    with utils.EggTimer(0.05) as timer:
        assert not timer.elapsed()
        time.sleep(0.1)
        assert timer.elapsed()
    res = utils.run_command(["sh", "-c", "cat; pwd; echo e >&2; exit 3"], input_data=b"in\n",
                            cwd="/")
    assert (res.code, res.out, res.err) == (3, "in\n/\n", "e\n") and bool(res)
    code, out, _ = utils.run_command(["true"])
    assert (code, out) == (0, "") and not utils.run_command(["true"])
    with pytest.raises(TypeError):
        utils.run_command(["true"], shell=True)


def test_sysprep_commands_hold_each_modification(tmp_path):
    key = tmp_path / "id.pub"
    key.write_text("ssh-ed25519 AAAAC3Nz test\n")
    text = sysprep.commands([sysprep.set_hostname("web1"), sysprep.add_ssh_key(str(key)),
                             sysprep.set_iscsi_initiator_name("iqn.2014-07.org.lago:web1"),
                             sysprep.config_net_interface_dhcp("eth0", "54:52:C0:A8:C8:02")],
                            str(tmp_path))
    lines = text.splitlines()
    assert "write /etc/hostname:web1" in lines
    assert "write /etc/iscsi/initiatorname.iscsi:InitiatorName=iqn.2014-07.org.lago:web1" in lines
    uploads = {l.split(":", 1)[1]: l.split()[1].split(":")[0] for l in lines
               if l.startswith("upload ")}
    keys = open(uploads["/root/.ssh/authorized_keys"]).read()
    assert keys == "ssh-ed25519 AAAAC3Nz test\n"
    networkd = open(uploads["/etc/systemd/network/10-lago-eth0.network"]).read()
    assert "MACAddress=54:52:c0:a8:c8:02" in networkd and "DHCP=ipv4" in networkd
    assert oct(os.stat(uploads["/root/.ssh/authorized_keys"]).st_mode & 0o777) == "0o600"
    (tmp_path / "r").mkdir()
    relabel = sysprep.commands([sysprep.add_ssh_key(str(key), with_restorecon_fix=True),
                                sysprep.set_hostname("x")], str(tmp_path / "r"))
    assert relabel.splitlines()[-1] == "selinux-relabel"
    for bad in (lambda: sysprep.set_hostname("a b"), lambda: sysprep.set_selinux_mode("on"),
                lambda: sysprep.config_net_interface_dhcp("eth0", "nope"),
                lambda: sysprep.add_ssh_key(str(tmp_path / "missing"))):
        with pytest.raises(UsageError):
            bad()


def test_paths_name_the_prefix_files_and_config_get(tmp_path, monkeypatch):
    p = Paths(str(tmp_path / "pfx"))
    root = str(tmp_path / "pfx")
    assert (p.prefix(), p.uuid(), p.ssh_id_rsa(), p.ssh_id_rsa_pub()) == (
        root, f"{root}/uuid", f"{root}/id_rsa", f"{root}/id_rsa.pub")
    assert (p.images("a.qcow2"), p.virt("vm-x"), p.logs(), p.prefix_lagofile()) == (
        f"{root}/images/a.qcow2", f"{root}/virt/vm-x", f"{root}/logs", f"{root}/initialized")
    monkeypatch.setenv("LAGO_LEASE_DIR", "/srv/leases")
    monkeypatch.setenv("LAGO_SOMETHING_ELSE", "x")
    assert config.get("lease_dir") == "/srv/leases"
    assert config.get("something_else") == "x" and config.get("nope", 7) == 7
    with pytest.raises(KeyError):
        config.get("nope")


def test_prefix_initialize_makes_dir_uuid_and_key_once(tmp_path):
    assert prefix._create_ip("192.168.200", 7) == "192.168.200.7"
    assert prefix._ip_in_subnet("192.168.200.0", "192.168.200.99")
    assert not prefix._ip_in_subnet("192.168.200.1", "192.168.201.99")
    p = prefix.Prefix(str(tmp_path / "work" / "pfx"))
    p.initialize()
    assert len(open(p.paths.uuid()).read().strip()) == 36
    assert open(p.paths.ssh_id_rsa_pub()).read().startswith("ssh-ed25519 ")
    assert not os.path.exists(p.paths.prefix_lagofile())  # no env in it yet
    with pytest.raises(RuntimeError):
        p.initialize()
    with pytest.raises(UsageError):
        prefix.Prefix(str(tmp_path / "other")).virt_conf({"domains": {}, "nets": {}})
    # A bad document is refused with every problem before anything is leased or made.
    with pytest.raises(SpecError) as bad:
        p.virt_conf({"nets": {"lan": {}}, "domains": {"vm0": {
            "memroy": 1, "nics": [{"net": "lan"}],
            "disks": [{"type": "file", "path": "rel/disk.qcow2"}]}}})
    assert any("memroy" in problem for problem in bad.value.problems), bad.value.problems
    kept = json.loads(open(p.paths.virt("init.json")).read())
    assert kept["domains"]["vm0"]["disks"][0]["path"] == os.path.abspath("rel/disk.qcow2")
    assert sorted(os.listdir(p.paths.prefix())) == [".lock", "id_rsa", "id_rsa.pub", "images",
                                                     "logs", "uuid", "virt"]


def test_a_network_mapping_reaches_libvirt_as_a_dns_host_update():
    from lago import virsh, xmlgen
    xml = xmlgen.dns_host_xml("192.168.200.3", ["vm1", "db-alias"])
    assert xml == ('<host ip="192.168.200.3"><hostname>vm1</hostname>'
                   '<hostname>db-alias</hostname></host>')
    assert virsh.net_update_args("lago-1-lan", "add-last", "dns-host", xml, True) == [
        "net-update", "lago-1-lan", "add-last", "dns-host", xml, "--config", "--live"]
    assert virsh.net_update_args("n", "delete", "dns-host", xml, False)[-1] == "--config"


def test_prefixed_names_and_the_paths_a_document_names(tmp_path):
    from lago import virt
    p = prefix.Prefix(str(tmp_path / "pfx"))
    p.initialize()
    short = open(p.paths.uuid()).read().replace("-", "")[:8]
    env = virt.VirtEnv(p, {}, {})
    assert env.prefixed_name("lan") == f"lago-{short}-lan"
    long = env.prefixed_name("a-very-long-network-name", max_length=20)
    assert len(long) == 20 and long.startswith(f"lago-{short}-")
    assert env.get_vms() == {} and env.get_net() is None
    doc = prefix._absolute_paths({
        "prototypes": {"base": {"boot": {"kernel": "k", "initrd": "/i"}}},
        "domains": {"vm": {"metadata": {"deploy-scripts": ["s.sh"]},
                           "disks": [{"path": "$IMAGES/d"}]}}})
    assert doc["prototypes"]["base"]["boot"] == {"kernel": os.path.abspath("k"), "initrd": "/i"}
    assert doc["domains"]["vm"]["metadata"]["deploy-scripts"] == [os.path.abspath("s.sh")]
    assert doc["domains"]["vm"]["disks"][0]["path"] == "$IMAGES/d"  # expanded by the loader
