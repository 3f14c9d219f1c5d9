"""The first vertical slice on real libvirt: up → status → ssh → destroy."""
import json
import os

from conftest import host_objects, write_env


def test_two_vm_env_comes_up_answers_ssh_and_is_destroyed_without_a_trace(lago, template,
                                                                          tmp_path):
    before = host_objects()
    envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}], "vm1": [{"net": "lan"}]})

    events_file = tmp_path / "events.jsonl"
    up = lago.run("up", envfile, "--events", str(events_file))

    status = lago.json("status")
    assert set(status["vms"]) == {"vm0", "vm1"}
    # Every phase of every VM is in the events file, started then ended, and up's table
    # shows the per-VM phase times.
    evs = [json.loads(line) for line in events_file.read_text().splitlines()]
    ended = {(e["vm"], e["phase"]) for e in evs if e["event"] == "end"}
    assert {(None, "lease"), (None, "network")} <= ended
    for vm in ("vm0", "vm1"):
        assert {(vm, p) for p in ("overlay", "define", "boot", "banner", "key-install",
                                  "ssh-ready")} <= ended
    assert [e for e in evs if e["event"] == "fail"] == []
    assert all(e["seconds"] >= 0 for e in evs if e["event"] == "end")
    # Once each: one network, started once (not again by start() once it is up).
    ends = [(e["vm"], e["phase"]) for e in evs if e["event"] == "end"]
    assert len(ends) == len(set(ends)), ends
    table = [line.split() for line in up.stdout.splitlines()]
    assert ["vm", "overlay", "define", "boot", "banner", "key-install", "ssh-ready"] in table
    assert {row[0] for row in table if len(row) == 7 and row[1].endswith("s")} == {"vm0", "vm1"}
    assert all(vm["state"] == "running" for vm in status["vms"].values())
    net = status["nets"]["lan"]
    assert net["state"] == "up" and net["gw"].endswith(".1")
    for vm in status["vms"].values():
        nic = vm["nics"][0]
        octets = [int(x) for x in nic["ip"].split(".")]
        assert nic["mac"] == "54:52:" + ":".join(f"{o:02x}" for o in octets)

    for name in ("vm0", "vm1"):
        assert lago.run("ssh", name, "--", "hostname").stdout.strip() == name
    vm1_ip = status["vms"]["vm1"]["ip"]
    assert lago.run("ssh", "vm0", "--", "ping", "-c", "1", "-W", "5", vm1_ip,
                    check=False).returncode == 0
    assert lago.run("ssh", "vm0", "--", "sh", "-c", "exit 7", check=False).returncode == 7
    # A VM may be named by a unique suffix.
    assert lago.run("ssh", "m1", "--", "hostname").stdout.strip() == "vm1"

    prefix = status["path"]
    with open(os.path.join(prefix, "logs", "lago.log")) as fh:
        assert template["root-password"] not in fh.read()
    assert oct(os.stat(os.path.join(prefix, "id_rsa")).st_mode & 0o777) == "0o600"

    during = host_objects()
    assert len(during["domains"] - before["domains"]) == 2
    assert len(during["networks"] - before["networks"]) == 1

    lago.run("destroy", "-y")

    assert host_objects() == before
    assert not os.path.exists(prefix)
    assert [f for f in os.listdir(lago.lease_dir) if not f.startswith(".")] == []


def test_up_twice_does_not_duplicate_anything(lago, template, tmp_path):
    envfile = write_env(tmp_path, template, {"solo": [{"net": "lan"}]})
    lago.run("up", envfile)
    first = lago.json("status")
    before = host_objects()
    again = lago.json("up", envfile)
    assert again["started"] == []
    assert host_objects() == before
    assert lago.json("status")["vms"]["solo"]["ip"] == first["vms"]["solo"]["ip"]
    lago.run("destroy", "-y")


def test_broken_env_files_exit_2_with_location_and_touch_nothing(lago, template, tmp_path):
    before = host_objects()
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("nets:\n  lan: {type: nat\ndomains: {}\n")
    proc = lago.run("up", str(bad_yaml), check=False)
    assert proc.returncode == 2
    assert "bad.yaml:" in proc.stderr and "syntax" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1

    unknown_net = write_env(tmp_path, template, {"vm0": [{"net": "wan"}]}, name="unknown.yaml")
    proc = lago.run("up", unknown_net, check=False)
    assert proc.returncode == 2
    assert "domains.vm0.nics[0].net: unknown net 'wan'" in proc.stderr
    assert "unknown.yaml:" in proc.stderr

    assert host_objects() == before
    assert not os.path.exists(lago.workdir)
    assert not os.path.exists(lago.lease_dir)


def test_vm_that_never_answers_is_rolled_back_and_the_log_is_kept(lago, template, tmp_path):
    before = host_objects()
    envfile = write_env(tmp_path, template, {"dud": [{"net": "lan"}]})
    # A kernel command line without a root device: the guest never reaches ssh.
    text = open(envfile).read().replace(template["cmdline"], "console=ttyS0 panic=-1 root=/dev/nope")
    open(envfile, "w").write(text)
    lago.env["LAGO_BOOT_TIMEOUT"] = "20"
    proc = lago.run("up", envfile, check=False)
    assert proc.returncode == 1
    assert "dud" in proc.stderr and "did not answer" in proc.stderr
    assert host_objects() == before
    prefix = os.path.join(lago.workdir, "default")
    assert os.path.exists(os.path.join(prefix, "logs", "lago.log"))
    assert not os.path.exists(os.path.join(prefix, "state.json"))
    assert [f for f in os.listdir(lago.lease_dir) if not f.startswith(".")] == []
