"""Upstream Lago's documented API on real libvirt, imported from the built lago.pyz, driven
as an upstream script drives it: lago.Prefix, lago.virt, lago.sdk (lago.sysprep: in
test_api_lab.py, which boots a Debian disk it prepared).

Settings reach it as they reach upstream scripts: through LAGO_* variables (the test's own
lease directory and subnet pool). The prefixes live in the ``lago`` fixture's workdir, so a
failing test leaves nothing behind (the fixture destroys every prefix there).
"""
import os
import shutil
import time

import pytest
import yaml  # test-only dependency, to write the env file

from conftest import host_objects, virsh
from test_api_lab import lagoapi  # noqa: F401  (the fixture: `import lago` from the pyz)


def timed(what, fn, *args, **kwargs):
    t0 = time.monotonic()
    result = fn(*args, **kwargs)
    print(f"{what}: {time.monotonic() - t0:.2f} s")
    return result


def settings(monkeypatch, lago):
    monkeypatch.setenv("LAGO_LEASE_DIR", lago.lease_dir)
    monkeypatch.setenv("LAGO_SUBNET_POOL", lago.env["LAGO_SUBNET_POOL"])


def tiny_conf(template):
    def vm(groups):
        return {"memory": 256, "provision": "none", "root-password": template["root-password"],
                "nics": [{"net": "lan"}], "groups": groups,
                "disks": [{"name": "root", "type": "file", "path": template["disk"],
                           "format": "qcow2"}],
                "boot": {"kernel": template["kernel_path"], "initrd": template["initrd_path"],
                         "cmdline": template["cmdline"]}}
    return {"nets": {"lan": {"type": "nat", "management": True}},
            "domains": {"vm0": vm(["web"]), "vm1": vm([])}}


# A SysV-style service manager for the busybox guest, so services have a manager to ask. The
# scripts are not named after their daemons: pidof and killall would find the script itself.
SERVICE = '#!/bin/sh\nexec /etc/init.d/"$1" "$2"\n'
INIT_TICKER = """#!/bin/sh
case "$1" in
status) [ -f /run/ticker.pid ] && kill -0 "$(cat /run/ticker.pid)" 2>/dev/null ;;
start) sleep 100000 </dev/null >/dev/null 2>&1 & echo $! > /run/ticker.pid ;;
stop) kill "$(cat /run/ticker.pid)" && rm /run/ticker.pid ;;
esac
"""
INIT_SSHD = '#!/bin/sh\n[ "$1" = status ] && pidof dropbear >/dev/null\n'


def leftovers(short):
    return [n for kind in host_objects().values() for n in kind
            if n.startswith((f"lago-{short}-", f"lago{short}n"))]


def test_an_upstream_script_drives_an_env_through_the_reference_api(
        lagoapi, lago, template, tmp_path, monkeypatch):  # noqa: F811
    settings(monkeypatch, lago)
    conf = tiny_conf(template)
    path = os.path.join(lago.workdir, "ref")
    prefix = lagoapi.Prefix(path)
    timed("initialize", prefix.initialize)
    timed("virt_conf", prefix.virt_conf, conf)
    timed("start", prefix.start)

    env = prefix.virt_env
    vms = env.get_vms()
    assert sorted(vms) == ["vm0", "vm1"] and env.get_vm("vm1") is vms["vm1"]
    vm0, vm1 = vms["vm0"], vms["vm1"]
    res = vm0.ssh(["hostname"])
    assert (res.code, res.out) == (0, "vm0\n") and res == (0, "vm0\n", "")
    # As upstream, the words form one shell line in the guest.
    assert vm1.ssh(["echo", "a", "|", "tr", "a", "b"], show_output=False).out == "b\n"
    assert vm1.ssh(["cat"], data="via stdin").out == "via stdin"
    assert vm1.ssh(["ping", "-c", "1", "-W", "5", vm0.ip()]).code == 0
    assert vm1.ssh(["exit", "3"]).code == 3
    assert vm0.alive() and isinstance(vm0.vnc_port(), int)
    assert [n["mac"] for n in vm0.nics()] == [lagoapi.virt._ip_to_mac(vm0.ip())]

    net = env.get_net()
    assert net is env.get_nets()["lan"] and net.name() == "lan" and net.is_management()
    assert net.resolve("vm0") == vm0.ip() and net.alive()
    assert net.gw().endswith(".1") and lagoapi._ip_in_subnet(net.gw(), vm0.ip())
    assert vm0.ssh(["ping", "-c", "1", "-W", "5", net.gw()]).code == 0

    timed("create_snapshots", prefix.create_snapshots, "s")
    vm0.ssh(["touch", "/root/marker"])
    assert vm0.ssh(["test", "-e", "/root/marker"]).code == 0
    timed("revert_snapshots", prefix.revert_snapshots, "s")
    assert vm0.ssh(["test", "-e", "/root/marker"]).code == 1

    # copy_to a service manager and two init scripts; copy_from them back unchanged.
    local = tmp_path / "sysv"
    (local / "init.d").mkdir(parents=True)
    for name, text in (("service", SERVICE), ("init.d/ticker", INIT_TICKER),
                       ("init.d/sshd", INIT_SSHD)):
        (local / name).write_text(text)
        (local / name).chmod(0o755)
    vm0.copy_to(str(local / "service"), "/usr/bin/service")
    vm0.copy_to(str(local / "init.d"), "/etc")
    back = tmp_path / "back"
    back.mkdir()
    vm0.copy_from("/etc/init.d", str(back))
    for name in ("ticker", "sshd"):
        got, sent = back / "init.d" / name, local / "init.d" / name
        assert got.read_text() == sent.read_text() and got.stat().st_mode == sent.stat().st_mode

    State = lagoapi.virt.ServiceState
    sshd = vm0.service("sshd")
    assert sshd.state() == State.ACTIVE and sshd.alive() and sshd.exists()
    ticker = vm0.service("ticker")
    assert ticker.state() == State.INACTIVE and ticker.exists() and not ticker.alive()
    timed("service start", ticker.start)
    assert ticker.state() == State.ACTIVE
    ticker.stop()
    assert ticker.state() == State.INACTIVE
    assert vm0.service("no-such").state() == State.MISSING
    assert vm1.service("sshd").state() == State.MISSING  # no manager on vm1

    assert vm0.ssh_script(str(local / "init.d" / "sshd")).code == 1  # no "status" argument
    (tmp_path / "s.sh").write_text('#!/bin/sh\necho "$(hostname) ok"\nexit 4\n')
    assert vm0.ssh_script(str(tmp_path / "s.sh"), show_output=False) == (4, "vm0 ok\n", "")
    vm0.wait_for_ssh()
    assert vm0.extract_paths([("/etc/hostname", str(tmp_path / "hostname"))]) == [
        str(tmp_path / "hostname")]
    assert (tmp_path / "hostname").read_text() == "vm0\n"
    with pytest.raises(lagoapi.NotFound):
        vm0.guest_agent()  # neither qemu-ga nor qemu-guest-agent in the guest
    # One VM's own snapshot, apart from the env's.
    timed("VM.create_snapshot", vm1.create_snapshot, "one")
    vm1.ssh(["touch", "/root/marker1"])
    timed("VM.revert_snapshot", vm1.revert_snapshot, "one")
    assert vm1.ssh(["test", "-e", "/root/marker1"]).code == 1 and vm0.alive()
    prefix.save()
    assert os.path.isfile(prefix.paths.metadata())

    timed("stop", prefix.stop)
    assert not vm0.alive() and not vm1.alive() and not net.alive()
    # Names for the env's DNS, one on a VM's address and one on a free address, while the
    # network is down; another while it is up: libvirt's network has them all.
    net.add_mappings([("db-alias", vm1.ip()), ("spare", lagoapi._create_ip(net.gw(), 77))])
    assert net.resolve("db-alias") == vm1.ip() and net.resolve("vm1") == vm1.ip()
    timed("Network.start", net.start)
    net.add_mapping("late", lagoapi._create_ip(net.gw(), 78))
    xml = virsh("net-dumpxml", env.prefixed_name("lan"))
    assert net.alive() and all(f"<hostname>{n}</hostname>" in xml
                               for n in ("db-alias", "spare", "late", "vm1")), xml
    net.stop()
    assert not net.alive()
    short = env.prefixed_name("x").split("-")[1]
    timed("cleanup", prefix.cleanup)
    assert leftovers(short) == []
    assert not os.path.exists(prefix.paths.prefix_lagofile())
    assert [f for f in os.listdir(lago.lease_dir) if f.endswith(".json")] == []
    shutil.rmtree(path)

    # -- a host bridge through lago.brctl ------------------------------------------------------
    bridge = f"lagoref{os.getpid() % 100000}"
    lagoapi.brctl.create(bridge)
    assert lagoapi.brctl.exists(bridge) and bridge in host_objects()["bridges"]
    lagoapi.brctl.destroy(bridge)
    assert not lagoapi.brctl.exists(bridge)

    # -- the same env through lago.sdk ---------------------------------------------------------
    envfile = tmp_path / "env.yaml"
    envfile.write_text(yaml.safe_dump(conf, sort_keys=False))
    sdk_env = timed("sdk.init", lagoapi.sdk.init, str(envfile), workdir=lago.workdir,
                    prefix_name="sdk")
    assert sorted(sdk_env.get_vms()) == ["vm0", "vm1"] and list(sdk_env.get_nets()) == ["lan"]
    inventory = sdk_env.ansible_inventory()
    ip0 = sdk_env.get_vms()["vm0"].ip()
    assert f"vm0 ansible_host={ip0} ansible_user=root" in inventory
    assert "\n[web]\nvm0\n" in inventory
    with sdk_env.ansible_inventory_temp_file() as f:
        assert open(f.name).read() == inventory
    assert not os.path.exists(f.name)
    # Not started again (the Prefix above proved the VMs): a boot would add ~10 s.
    assert os.path.isfile(sdk_env.paths.uuid())  # passed on to the Prefix
    loaded = lagoapi.sdk.load_env(lago.workdir, prefix="sdk")
    assert loaded.get_net().gw() == sdk_env.get_nets()["lan"].gw()  # passed on to the VirtEnv
    assert not loaded.get_vms()["vm1"].alive()
    short = sdk_env.prefixed_name("x").split("-")[1]
    timed("sdk destroy", sdk_env.destroy)
    assert leftovers(short) == [] and not os.path.exists(lago.workdir)

