"""Day-2 operations on real libvirt: whole-env snapshots, ssh, copy, deploy, exports."""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
import time

from conftest import Lago, tree, virsh, write_env

VMS = ("vm0", "vm1", "vm2")


def up(lago, template, tmp_path, names=VMS, **domain_extra):
    envfile = write_env(tmp_path, template, {n: [{"net": "lan"}] for n in names})
    lago.run("up", envfile)
    return lago.json("status")


def set_marker(lago, vm, text):
    """Replace the VM's markers with one file; sync so a stopped VM's disk has it too."""
    lago.run("ssh", vm, "--", "sh", "-c", f"rm -f /root/m-*; echo {text} > /root/m-{text}; sync")


def markers(lago, vm):
    out = lago.run("ssh", vm, "--", "sh", "-c", "cat /root/m-* 2>/dev/null; true").stdout
    return sorted(out.split())


def states(lago):
    return {vm: v["state"] for vm, v in lago.json("status")["vms"].items()}


def timed(fn, *args):
    t0 = time.monotonic()
    result = fn(*args)
    print(f"{' '.join(args)}: {time.monotonic() - t0:.2f} s")
    return result


def test_snapshot_and_revert_of_three_running_vms(lago, template, tmp_path):
    status = up(lago, template, tmp_path)
    for vm in VMS:
        set_marker(lago, vm, f"s1-{vm}")

    timed(lago.run, "snapshot", "s1")
    for vm in VMS:
        set_marker(lago, vm, f"later-{vm}")
    assert markers(lago, "vm1") == ["later-vm1"]

    timed(lago.run, "revert", "s1")

    assert states(lago) == {vm: "running" for vm in VMS}
    for vm in VMS:
        assert markers(lago, vm) == [f"s1-{vm}"]
        assert lago.run("ssh", vm, "--", "hostname").stdout.strip() == vm
    # Snapshots are listed in status, per env and per VM.
    status = lago.json("status")
    assert [s["name"] for s in status["snapshots"]] == ["s1"]
    assert status["snapshots"][0]["vms"] == {vm: "running" for vm in VMS}
    assert all(v["snapshots"] == ["s1"] for v in status["vms"].values())
    assert "s1" in lago.run("status").stdout

    # --delete frees it: gone from libvirt and the name can be used again.
    lago.run("snapshot", "--delete", "s1")
    assert lago.json("snapshot", "--list") == []
    for v in status["vms"].values():
        assert virsh("snapshot-list", v["libvirt_name"], "--name").strip() == ""
    proc = lago.run("revert", "s1", check=False)
    assert proc.returncode == 2 and "no snapshot 's1'" in proc.stderr
    lago.run("snapshot", "s1")
    lago.run("destroy", "-y")


def test_snapshot_and_revert_of_stopped_vms_keep_them_stopped(lago, template, tmp_path):
    up(lago, template, tmp_path)
    for vm in VMS:
        set_marker(lago, vm, f"s1-{vm}")
    lago.run("stop")
    assert set(states(lago).values()) == {"shut off"}

    timed(lago.run, "snapshot", "s1")
    assert set(states(lago).values()) == {"shut off"}

    lago.run("start")
    for vm in VMS:
        set_marker(lago, vm, f"later-{vm}")
    lago.run("stop")

    timed(lago.run, "revert", "s1")
    assert set(states(lago).values()) == {"shut off"}
    assert lago.json("status")["nets"]["lan"]["state"] == "down"

    lago.run("start")
    for vm in VMS:
        assert markers(lago, vm) == [f"s1-{vm}"]
    lago.run("destroy", "-y")


def test_two_snapshots_in_a_chain_revert_in_either_order(lago, template, tmp_path):
    names = ("vm0", "vm1")
    up(lago, template, tmp_path, names)
    for vm in names:
        set_marker(lago, vm, "a")
    lago.run("snapshot", "a")
    for vm in names:
        set_marker(lago, vm, "b")
    lago.run("snapshot", "b")
    for vm in names:
        set_marker(lago, vm, "c")

    lago.run("revert", "a")
    assert [markers(lago, vm) for vm in names] == [["a"], ["a"]]
    lago.run("revert", "b")
    assert [markers(lago, vm) for vm in names] == [["b"], ["b"]]
    lago.run("revert", "a")
    assert [markers(lago, vm) for vm in names] == [["a"], ["a"]]
    assert [s["name"] for s in lago.json("snapshot", "--list")] == ["a", "b"]

    # A VM stopped after a running snapshot comes back running on revert.
    lago.run("stop", "vm1")
    lago.run("revert", "b")
    assert states(lago) == {"vm0": "running", "vm1": "running"}
    assert markers(lago, "vm1") == ["b"]
    lago.run("destroy", "-y")


def test_bad_and_duplicate_snapshot_names_exit_2(lago, template, tmp_path):
    up(lago, template, tmp_path, ("solo",))
    for bad in ("../x", "-rf", "a b", ""):
        proc = lago.run("snapshot", bad, check=False)
        assert proc.returncode == 2, bad
    lago.run("snapshot", "ok")
    proc = lago.run("snapshot", "ok", check=False)
    assert proc.returncode == 2 and "already exists" in proc.stderr
    assert [s["name"] for s in lago.json("snapshot", "--list")] == ["ok"]
    lago.run("destroy", "-y")


def _sockets(directory):
    return [f for f in os.listdir(directory)
            if stat.S_ISSOCK(os.lstat(os.path.join(directory, f)).st_mode)]


def test_ssh_exit_code_script_and_connection_reuse(lago, template, tmp_path):
    status = up(lago, template, tmp_path, ("vm0",))
    assert lago.run("ssh", "vm0", "--", "sh", "-c", "exit 3", check=False).returncode == 3

    script = tmp_path / "hello.sh"
    script.write_text('#!/bin/sh\necho "hello $1 from $(hostname)"\nexit 4\n')
    proc = lago.run("ssh", "vm0", "-s", str(script), "--", "there", check=False)
    assert proc.returncode == 4, proc.stderr
    assert proc.stdout.strip() == "hello there from vm0"
    # The script ran from a temp file that is gone afterwards.
    assert lago.run("ssh", "vm0", "--", "sh", "-c", "ls /tmp").stdout.strip() == ""

    # Connection reuse: one master socket in the prefix's ssh/ dir that ssh -O check accepts.
    control = os.path.join(status["path"], "ssh")
    socks = _sockets(control)
    assert len(socks) == 1
    ip = status["vms"]["vm0"]["ip"]
    check = subprocess.run(["ssh", "-F", "/dev/null", "-o", "ControlPath=%C", "-O", "check",
                            f"root@{ip}"], cwd=control, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    # Benchmark only (printed, not asserted): 20 sequential commands over the master.
    t0 = time.monotonic()
    for _ in range(20):
        lago.run("ssh", "vm0", "--", "true")
    print(f"20 x ssh vm0 -- true: {time.monotonic() - t0:.2f} s")
    assert _sockets(control) == socks

    # The master belongs to one boot of the VM, told by its QEMU process (libvirt's pid file
    # and the process's start time, read without virsh): after a restart the master to the
    # old boot is closed, and the next call logs in afresh.
    def qemu_process():
        lv = status["vms"]["vm0"]["libvirt_name"]
        pid = open(f"/run/libvirt/qemu/{lv}.pid").read().strip()
        return f"{pid}:{open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[19]}"

    stamp = os.path.join(control, "vm0.boot")
    first = qemu_process()
    assert open(stamp).read().strip() == first
    lago.run("stop", "vm0")
    lago.run("start", "vm0")
    assert lago.run("ssh", "vm0", "--", "true", timeout=60).returncode == 0
    assert open(stamp).read().strip() == qemu_process() != first
    lago.run("destroy", "-y")


def _mode(path):
    return oct(stat.S_IMODE(os.lstat(path).st_mode))


def test_copy_to_and_back_keeps_tree_modes_and_links(lago, template, tmp_path):
    up(lago, template, tmp_path, ("vm0",))
    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    (src / "run.sh").write_text("#!/bin/sh\necho run\n")
    os.chmod(src / "run.sh", 0o751)
    (src / "sub" / "secret").write_text("s3cret\n")
    os.chmod(src / "sub" / "secret", 0o600)
    os.chmod(src / "sub", 0o700)
    os.symlink("sub/secret", src / "link")

    lago.run("copy-to", "vm0", str(src), "/root")
    remote = lago.run("ssh", "vm0", "--", "stat", "-c", "%a %n", "/root/tree/run.sh",
                      "/root/tree/sub", "/root/tree/sub/secret").stdout.split("\n")
    assert remote[:3] == ["751 /root/tree/run.sh", "700 /root/tree/sub",
                          "600 /root/tree/sub/secret"]
    assert lago.run("ssh", "vm0", "--", "cat", "/root/tree/link").stdout == "s3cret\n"
    # A file to a new name.
    lago.run("copy-to", "vm0", str(src / "run.sh"), "/root/renamed.sh")
    assert lago.run("ssh", "vm0", "--", "/root/renamed.sh").stdout == "run\n"

    back = tmp_path / "back"
    back.mkdir()
    lago.run("copy-from", "vm0", "/root/tree", str(back))
    got = back / "tree"
    for rel in ("run.sh", "sub", "sub/secret", "link"):
        assert _mode(got / rel) == _mode(src / rel), rel
    assert os.readlink(got / "link") == "sub/secret"
    assert (got / "sub" / "secret").read_text() == "s3cret\n"
    lago.run("copy-from", "vm0", "/root/renamed.sh", str(tmp_path / "one.sh"))
    assert _mode(tmp_path / "one.sh") == "0o751"

    # A guest symlink pointing out of the tree is not followed on the host.
    lago.run("ssh", "vm0", "--", "sh", "-c",
             "mkdir /root/evil && ln -s /etc /root/evil/etc && ln -s ../../.. /root/evil/up")
    box = tmp_path / "box"
    box.mkdir()
    lago.run("copy-from", "vm0", "/root/evil", str(box))
    assert sorted(os.listdir(box / "evil")) == []
    assert sorted(os.listdir(box)) == ["evil"]
    proc = lago.run("copy-from", "vm0", "/nonexistent", str(box), check=False)
    assert proc.returncode == 1 and "vm0" in proc.stderr
    lago.run("destroy", "-y")


def _with_deploy(envfile, scripts):
    import yaml
    doc = yaml.safe_load(open(envfile))
    for vm, paths in scripts.items():
        doc["domains"][vm]["metadata"] = {"deploy-scripts": paths}
    open(envfile, "w").write(yaml.safe_dump(doc, sort_keys=False))


def test_deploy_runs_scripts_in_order_and_names_the_failing_one(lago, template, tmp_path):
    good = tmp_path / "good.sh"
    good.write_text("#!/bin/sh\necho good-output-$(hostname)\necho 1 >> /root/order\n")
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/sh\necho bad-output >&2\necho 2 >> /root/order\nexit 9\n")
    never = tmp_path / "never.sh"
    never.write_text("#!/bin/sh\necho 3 >> /root/order\n")
    envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}], "vm1": [{"net": "lan"}]})
    _with_deploy(envfile, {"vm0": [str(good)], "vm1": [str(good), str(bad), str(never)]})
    # up deploys a new env; the failing script fails up, and the env stays up.
    proc = lago.run("up", envfile, check=False)
    assert proc.returncode == 1
    assert "vm1" in proc.stderr and "bad.sh" in proc.stderr and "exit code 9" in proc.stderr
    assert lago.run("ssh", "vm0", "--", "cat", "/root/order").stdout.split() == ["1"]
    assert lago.run("ssh", "vm1", "--", "cat", "/root/order").stdout.split() == ["1", "2"]
    prefix = lago.json("status")["path"]
    log = open(os.path.join(prefix, "logs", "lago.log")).read()
    assert "good-output-vm0" in log and "bad-output" in log

    # The prefix keeps its own copies (SPEC §9 scripts/): deploy runs what init saw.
    assert os.access(os.path.join(prefix, "scripts", "vm1", "01-bad.sh"), os.R_OK)
    good.write_text("#!/bin/sh\necho changed >> /root/order\n")

    # Re-running up does not deploy again; 'deploy' does, with the same verdict.
    lago.run("up", envfile)
    assert lago.run("ssh", "vm0", "--", "cat", "/root/order").stdout.split() == ["1"]
    proc = lago.run("deploy", check=False)
    assert proc.returncode == 1 and "vm1: deploy script" in proc.stderr
    assert lago.run("ssh", "vm0", "--", "cat", "/root/order").stdout.split() == ["1", "1"]
    assert lago.run("ssh", "vm1", "--", "cat", "/root/order").stdout.split() == [
        "1", "2", "1", "2"]
    lago.run("destroy", "-y")


def test_exports_reach_the_vms(lago, template, tmp_path):
    status = up(lago, template, tmp_path, ("vm0", "vm1"))
    cfg = lago.run("ssh-config", "--write").stdout.strip()
    for vm in ("vm0", "vm1"):
        proc = subprocess.run(["ssh", "-F", cfg, "-o", "BatchMode=yes", vm, "hostname"],
                              capture_output=True, text=True, timeout=60)
        assert proc.stdout.strip() == vm, proc.stderr
    inv = lago.run("ansible_hosts").stdout
    for vm, v in status["vms"].items():
        assert f"{vm} ansible_host={v['ip']} " in inv
    hosts = lago.run("hosts").stdout.splitlines()
    assert sorted(hosts) == sorted(f"{v['ip']} {vm} {vm}.lago.local"
                                   for vm, v in status["vms"].items())
    lago.run("destroy", "-y")


def test_the_exported_ssh_config_shares_one_master_with_lago_ssh(pyz, template, tmp_path):
    # A short workdir: the config's ControlPath is absolute and must fit a socket address.
    short = tempfile.mkdtemp(prefix="lg", dir="/var/tmp")
    os.chmod(short, 0o755)
    lago = Lago(pyz, os.path.join(short, ".lago"), str(tmp_path / "leases"),
                "192.168.200.0-192.168.230.0")
    try:
        envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}]})
        lago.run("up", envfile)
        cfg = lago.run("ssh-config", "--write").stdout.strip()
        assert "ControlMaster auto" in open(cfg).read()
        ssh_f = ["ssh", "-F", cfg, "-o", "BatchMode=yes"]
        first = subprocess.run(ssh_f + ["vm0", "hostname"], capture_output=True, text=True,
                               timeout=60)
        assert first.stdout.strip() == "vm0", first.stderr
        check = subprocess.run(ssh_f + ["-O", "check", "vm0"], capture_output=True, text=True)
        assert check.returncode == 0 and "Master running" in check.stderr, check.stderr
        control = os.path.join(lago.workdir, "default", "ssh")
        socks = _sockets(control)
        assert len(socks) == 1
        # lago.pyz ssh rides on the same master, and the master outlives both clients.
        assert lago.run("ssh", "vm0", "--", "hostname").stdout.strip() == "vm0"
        assert _sockets(control) == socks
        assert subprocess.run(ssh_f + ["vm0", "sh", "-c", "'exit 4'"]).returncode == 4
    finally:
        if os.path.isdir(os.path.join(lago.workdir, "default")):
            lago.run("destroy", "-y")
        shutil.rmtree(short, ignore_errors=True)


def test_collect_from_running_and_stopped_vm_gives_the_same_files(lago, template, tmp_path):
    import yaml
    envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}]})
    doc = yaml.safe_load(open(envfile))
    doc["domains"]["vm0"]["artifacts"] = ["/root/art", "../../etc/hostname"]
    open(envfile, "w").write(yaml.safe_dump(doc, sort_keys=False))
    lago.run("up", envfile)
    lago.run("ssh", "vm0", "--", "sh", "-c",
             "mkdir -p /root/art/sub && echo one > /root/art/a.log && chmod 640 /root/art/a.log"
             " && echo two > /root/art/sub/b.log && ln -s /etc /root/art/out"
             " && ln -s ../../.. /root/art/up && ln -s a.log /root/art/ok && sync")

    live = tmp_path / "live"
    lago.run("collect", "--output", str(live))
    lago.run("stop")
    cold = tmp_path / "cold"
    t0 = time.monotonic()
    lago.run("collect", "--output", str(cold))
    print(f"collect from a stopped VM: {time.monotonic() - t0:.2f} s")

    for out in (live, cold):
        assert os.listdir(out) == ["vm0"]
        got = tree(out / "vm0")
        assert got["root/art/a.log"][1:] == (0o640, b"one\n")
        assert got["root/art/sub/b.log"][2] == b"two\n"
        assert got["etc/hostname"][2].strip() in (b"vm0", b"tiny")
        assert os.readlink(out / "vm0" / "root" / "art" / "ok") == "a.log"
        # Links out of DIR are refused, so nothing can be written through them.
        assert "root/art/out" not in got and "root/art/up" not in got
    assert tree(live) == tree(cold)
    lago.run("destroy", "-y")


def test_console_wait_sees_the_login_prompt_and_times_out_on_absent_text(lago, template,
                                                                         tmp_path):
    up(lago, template, tmp_path, ("vm0",))
    proc = lago.run("console", "vm0", "--wait", "login:", "--timeout", "60", check=False)
    assert proc.returncode == 0, proc.stderr
    # Detached cleanly: the console is free for the next caller.
    assert lago.run("console", "vm0", "--wait", "login:", "--timeout", "60",
                    check=False).returncode == 0
    proc = lago.run("console", "vm0", "--wait", "no-such-text-xyz", "--timeout", "6",
                    check=False)
    assert proc.returncode == 1 and "did not appear" in proc.stderr
    lago.run("stop")
    assert lago.run("console", "vm0", "--wait", "login:", check=False).returncode == 2
    lago.run("destroy", "-y")


def test_export_then_init_elsewhere_boots_with_the_data(lago, template, tmp_path, pyz):
    from conftest import Lago
    up(lago, template, tmp_path, ("vm0",))
    lago.run("ssh", "vm0", "--", "sh", "-c", "echo exported-data > /root/keep; sync")
    assert lago.run("export", "--output", str(tmp_path / "x"), check=False).returncode == 2
    lago.run("stop")
    for mode, extra in (("layered", []), ("standalone", ["--standalone"]),
                        ("bundle", ["--bundle"])):
        out = tmp_path / mode
        result = lago.json("export", "--output", str(out), *extra)
        listed = dict(reversed(line.split()) for line in
                      (out / "SHA256SUMS").read_text().splitlines())
        assert listed["vm0-root.qcow2"] == result["disks"]["vm0-root.qcow2"]
        if mode != "bundle":
            assert list(listed) == ["vm0-root.qcow2"]
        info = subprocess.run(["qemu-img", "info", "--output", "json",
                               str(out / "vm0-root.qcow2")], capture_output=True, text=True,
                              check=True).stdout
        assert ("backing-filename" in info) == (mode != "standalone")
        if mode == "bundle":
            # Carried elsewhere, the bundle alone must do: every file it needs is inside it.
            moved = tmp_path / "carried"
            shutil.copytree(out, moved)
            shutil.rmtree(out)
            chain = json.loads(subprocess.run(
                ["qemu-img", "info", "--backing-chain", "--output", "json",
                 str(moved / "vm0-root.qcow2")], capture_output=True, text=True,
                check=True).stdout)
            assert [os.path.dirname(i["filename"]) for i in chain] == \
                [str(moved), str(moved / "templates")]
            doc = json.loads((moved / "env.json").read_text())
            boot = doc["domains"]["vm0"]["boot"]
            assert boot["kernel"].startswith("boot/") and boot["initrd"].startswith("boot/")
            template_rel = os.path.relpath(chain[1]["filename"], moved)
            assert set(listed) == {"vm0-root.qcow2", template_rel, boot["kernel"], boot["initrd"]}
            for rel, digest in listed.items():
                assert hashlib.sha256((moved / rel).read_bytes()).hexdigest() == digest, rel
            result["env_file"] = str(moved / "env.json")

        other = Lago(pyz, str(tmp_path / f"w-{mode}" / ".lago"), lago.lease_dir,
                     "192.168.200.0-192.168.230.0")
        try:
            other.run("up", result["env_file"])
            assert other.run("ssh", "vm0", "--", "cat", "/root/keep").stdout == "exported-data\n"
        finally:
            if os.path.isdir(os.path.join(other.workdir, "default")):
                other.run("destroy", "-y")
    lago.run("destroy", "-y")


def _pexpect():
    import sys
    vendor = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "vendor")
    if vendor not in sys.path:
        sys.path.insert(0, vendor)
    import pexpect
    return pexpect


def test_interactive_ssh_and_console_hand_over_the_terminal(lago, template, tmp_path, pyz):
    import sys
    pexpect = _pexpect()
    up(lago, template, tmp_path, ("vm0",))
    base = [pyz, "-w", lago.workdir]
    shell = pexpect.spawn(sys.executable, base + ["ssh", "vm0"], env=lago.env, timeout=60,
                          encoding="utf-8")
    shell.expect(r"[#$] ")
    shell.sendline("echo tty=$(tty); exit 6")
    shell.expect(r"tty=/dev/pts/\d+")
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 6

    console = pexpect.spawn(sys.executable, base + ["console", "vm0"], env=lago.env,
                            timeout=60, encoding="utf-8")
    console.expect_exact("Escape character")
    console.send("\r")
    console.expect_exact("login:")
    console.sendcontrol("]")
    console.expect(pexpect.EOF)
    console.close()
    assert console.exitstatus == 0
    lago.run("destroy", "-y")
