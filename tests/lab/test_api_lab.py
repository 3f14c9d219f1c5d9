"""The Python API on real libvirt, imported from the built lago.pyz (not from src/).

One env, one Debian VM (systemd) and one tiny busybox VM (no service manager), driven
through the API, with the command line looking at the same env in between: neither side may
see a stale picture of what the other did. The Debian disk is prepared by the reference API's
``lago.sysprep`` module (hostname and key, nothing else), so the VM is reachable only if that
worked.
"""
import os
import socket
import subprocess
import sys
import time

import pytest
import yaml  # test-only dependency, to write the env file

from conftest import host_objects, tree

PASSWORD = "Lago-Api.6142"


@pytest.fixture
def lagoapi(pyz):
    """``import lago`` from the built file. src/ is on sys.path for the unit tests, so the
    modules they loaded are set aside while this test runs and put back afterwards."""
    saved = {n: m for n, m in sys.modules.items() if n == "lago" or n.startswith("lago.")}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, pyz)
    try:
        import lago
        assert lago.__file__.startswith(pyz + os.sep), lago.__file__
        yield lago
    finally:
        sys.path.remove(pyz)
        for name in [n for n in sys.modules if n == "lago" or n.startswith("lago.")]:
            del sys.modules[name]
        sys.modules.update(saved)


def write_env(tmp_path, deb_disk, debian, template):
    def direct_boot(t):
        return {"kernel": t["kernel_path"], "initrd": t["initrd_path"], "cmdline": t["cmdline"]}
    doc = {"nets": {"lan": {"type": "nat", "management": True}},
           "domains": {
               # No password, no provisioning: only the key lago.sysprep put in lets lago in.
               "deb": {"memory": 512, "provision": "none", "distro": "debian",
                       "nics": [{"net": "lan"}],
                       "disks": [{"name": "root", "type": "file", "path": deb_disk,
                                  "format": "qcow2"}],
                       "boot": direct_boot(debian)},
               "tiny": {"memory": 256, "provision": "none",
                        "root-password": template["root-password"], "nics": [{"net": "lan"}],
                        "disks": [{"name": "root", "type": "file", "path": template["disk"]}],
                        "boot": direct_boot(template), "artifacts": ["/etc/os-release"]}}}
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def timed(what, fn, *args, **kwargs):
    t0 = time.monotonic()
    result = fn(*args, **kwargs)
    print(f"{what}: {time.monotonic() - t0:.2f} s")
    return result


def test_the_api_drives_an_env_and_agrees_with_the_cli(lagoapi, lago, debian, template,
                                                       tmp_path):
    settings = {"lease_dir": lago.lease_dir, "subnet_pool": lago.env["LAGO_SUBNET_POOL"]}
    # The env's key, brought along; the Debian disk learns it (and its name) from lago.sysprep.
    key = str(tmp_path / "id_ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    overlay = str(tmp_path / "deb.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                    debian["disk"], overlay], check=True)
    sysprep = lagoapi.sysprep
    timed("lago.sysprep", sysprep.sysprep, overlay,
          [sysprep.set_hostname("deb"), sysprep.add_ssh_key(key + ".pub")])
    envfile = write_env(tmp_path, overlay, debian, template)
    env = timed("up (API)", lagoapi.up, envfile, workdir=lago.workdir, ssh_key=key, **settings)

    # -- the env, its VMs and net: the API's data is the CLI's data -----------------------------
    assert env.name == "default"
    assert env.status() == lago.json("status")
    loaded = lagoapi.load(workdir=lago.workdir, **settings)
    assert loaded.status() == env.status()
    status = env.status()
    assert sorted(vm.name for vm in env.vms()) == ["deb", "tiny"]
    deb, tiny = env.vm("deb"), env.vm("tiny")
    assert deb.ip == status["vms"]["deb"]["ip"] and deb.distro == "debian"
    assert tiny.nics == [{k: n[k] for k in ("dev", "net", "ip", "mac")}
                         for n in status["vms"]["tiny"]["nics"]]
    lan = env.net("lan")
    assert [n.name for n in env.nets()] == ["lan"]
    assert (lan.subnet, lan.gw) == (status["nets"]["lan"]["subnet"],
                                    status["nets"]["lan"]["gw"])
    assert lan.is_management and lan.resolve("tiny") == tiny.ip
    with pytest.raises(lagoapi.NotFound):
        env.vm("nope")

    # -- commands in the guests ----------------------------------------------------------------
    assert deb.ssh(["hostname"]).stdout.strip() == "deb"
    with open(key + ".pub") as fh:
        assert deb.ssh(["cat", "/root/.ssh/authorized_keys"]).stdout.strip() == fh.read().strip()
    res = tiny.ssh(["sh", "-c", "echo out; echo err >&2; exit 7"])
    assert (res.code, res.stdout, res.stderr) == (7, "out\n", "err\n")
    assert tiny.ssh(["cat"], input="via stdin\n").stdout == "via stdin\n"
    assert tiny.ssh(["echo", "a  b", "$HOME;x"]).stdout == "a  b $HOME;x\n"
    with pytest.raises(lagoapi.Timeout):
        tiny.ssh(["sleep", "30"], timeout=2)
    script = tmp_path / "s.sh"
    script.write_text("#!/bin/sh\necho \"args:$*\"\nexit 3\n")
    res = deb.ssh_script(str(script), ["x y", "z"])
    assert (res.code, res.stdout) == (3, "args:x y z\n")
    (tmp_path / "up.txt").write_text("to the guest\n")
    assert tiny.copy_to(str(tmp_path / "up.txt"), "/root/") == "/root/up.txt"
    back = tiny.copy_from("/root/up.txt", str(tmp_path / "down.txt"))
    assert open(back).read() == "to the guest\n"

    # -- services: systemd on Debian, nothing on busybox; the CLI sees what the API did --------
    ssh_svc = deb.service("ssh")
    assert ssh_svc.manager() == "systemd" and ssh_svc.state() == "active" and ssh_svc.alive()
    assert timed("service stop", ssh_svc.stop) == "inactive"
    assert deb.ssh(["systemctl", "is-active", "ssh"]).stdout.strip() == "inactive"
    assert lago.json("service", "deb", "ssh", "status")["state"] == "inactive"
    assert lago.json("service", "deb", "ssh", "start")["state"] == "active"
    assert ssh_svc.state() == "active"
    assert deb.service("no-such-unit").state() == "missing"
    assert tiny.service("ssh").state() == "missing"
    assert tiny.service("ssh").manager() == "none"
    with pytest.raises(lagoapi.NotFound):
        tiny.service("ssh").start()
    assert lago.run("service", "tiny", "ssh", "stop", check=False).returncode == 2

    # -- what the domains offer ----------------------------------------------------------------
    port = tiny.vnc_port()
    assert isinstance(port, int) and port >= 5900
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        assert sock.recv(12).startswith(b"RFB ")
    assert tiny.guest_agent() is False  # the channel is there; no agent answers in busybox

    # -- power: every change on one side is seen by the other at once --------------------------
    assert tiny.stop() == ["tiny"]
    assert lago.json("status")["vms"]["tiny"]["state"] == "shut off"
    assert tiny.state() == "shut off" and not tiny.alive() and tiny.vnc_port() is None
    lago.run("start", "tiny", "--no-wait")
    assert tiny.state() == "running"
    assert timed("wait_for_ssh", tiny.wait_for_ssh, 120) > 0
    assert tiny.ssh(["true"]).code == 0

    # -- extract_paths: the same files from a running and from a stopped VM --------------------
    tiny.ssh(["sh", "-c", "mkdir -p /root/ex/sub && echo one > /root/ex/a.txt && "
                          "printf 'two\\000' > /root/ex/sub/b.bin && chmod 600 /root/ex/sub/b.bin"
                          " && ln -s a.txt /root/ex/link && sync"])
    running, stopped = tmp_path / "running", tmp_path / "stopped"
    running.mkdir()
    stopped.mkdir()
    pairs = [("/root/ex", str(running)), ("/etc/hostname", str(running / "hostname"))]
    assert timed("extract (ssh)", tiny.extract_paths, pairs) == [
        str(running / "ex"), str(running / "hostname")]
    # A short timeout: a just-booted tiny VM ignores the ACPI button (seen before this API
    # too), and the ssh poweroff that follows after timeout/2 is what stops it.
    assert timed("shutdown (API)", tiny.shutdown, timeout=16) == ["tiny"]
    assert tiny.state() == "shut off"
    with open(os.path.join(env.path, "logs", "lago.log"), errors="replace") as fh:
        print("tiny shut down by", "ssh poweroff" if "tiny ignored ACPI" in fh.read() else "ACPI")
    pairs = [("/root/ex", str(stopped)), ("/etc/hostname", str(stopped / "hostname"))]
    assert timed("extract (disk)", tiny.extract_paths, pairs) == [
        str(stopped / "ex"), str(stopped / "hostname")]
    got = tree(str(running))
    assert got == tree(str(stopped))
    assert got["ex/sub/b.bin"] == ("file", 0o600, b"two\0")
    assert got["ex/link"] == ("link", None, "a.txt") and got["hostname"][2] == b"tiny\n"
    timed("start (API)", tiny.start)
    assert lago.json("status")["vms"]["tiny"]["state"] == "running"

    # -- snapshot and revert of the whole env ---------------------------------------------------
    deb.ssh(["sh", "-c", "echo before > /root/marker"])
    timed("snapshot", env.snapshot, "s1")
    assert [s["name"] for s in lago.json("snapshot", "--list")] == ["s1"]
    deb.ssh(["sh", "-c", "echo after > /root/marker"])
    timed("revert", env.revert, "s1")
    assert deb.ssh(["cat", "/root/marker"]).stdout == "before\n"
    assert {vm.name: vm.state() for vm in env.vms()} == {"deb": "running", "tiny": "running"}
    lago.run("snapshot", "--delete", "s1")
    assert env.status()["snapshots"] == []

    # -- collect, then destroy ------------------------------------------------------------------
    out = env.collect(str(tmp_path / "artifacts"))
    assert out["tiny"]["from"] == "ssh"
    assert "lago tiny" in (tmp_path / "artifacts" / "tiny" / "etc" / "os-release").read_text()
    short = status["vms"]["deb"]["libvirt_name"].split("-")[1]
    env.destroy()
    with pytest.raises(lagoapi.NotFound):
        deb.state()
    with pytest.raises(lagoapi.NotFound):
        lagoapi.load(workdir=lago.workdir, **settings)
    assert lago.run("status", check=False).returncode == 2
    left = host_objects()
    assert not [n for kind in left.values() for n in kind
                if n.startswith((f"lago-{short}-", f"lago{short}n"))], left
