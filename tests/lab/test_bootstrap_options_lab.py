"""up --skip-bootstrap, and a VM's wait_for command, on real VMs."""
import json

import yaml

from conftest import host_objects, write_env


def _with(envfile, **keys):
    doc = yaml.safe_load(open(envfile))
    for dom in doc["domains"].values():
        dom.update(keys)
    with open(envfile, "w") as fh:
        yaml.safe_dump(doc, fh)
    return envfile


def _phases(path):
    return [(e["vm"], e["phase"], e["event"]) for e in map(json.loads, open(path))]


def test_skip_bootstrap_uses_the_image_as_it_is_and_up_waits_for_wait_for(lago, template,
                                                                           tmp_path):
    # provision: sysprep asked for in the file; --skip-bootstrap means no virt-sysprep at all.
    # ssh answers ~4 s after boot; wait_for holds up until the guest has been up 8 s.
    envfile = _with(write_env(tmp_path, template, {"vm0": [{"net": "lan"}]}),
                    provision="sysprep", wait_for="test $(cut -d. -f1 /proc/uptime) -ge 8")
    events = tmp_path / "events.jsonl"
    lago.run("up", envfile, "--skip-bootstrap", "--events", str(events))
    phases = _phases(events)
    assert ("vm0", "ssh-ready", "end") in phases and ("vm0", "wait-for", "end") in phases
    assert [p for p in phases if p[1] == "provision"] == []
    uptime = float(lago.run("ssh", "vm0", "--", "cut", "-d", " ", "-f1",
                            "/proc/uptime").stdout)
    assert uptime >= 8
    assert lago.run("ssh", "vm0", "--", "hostname").stdout.strip() == "vm0"
    lago.run("destroy", "-y")


def test_a_wait_for_command_that_never_succeeds_fails_up_and_rolls_back(lago, template,
                                                                       tmp_path):
    before = host_objects()
    envfile = _with(write_env(tmp_path, template, {"vm0": [{"net": "lan"}]}),
                    wait_for="echo not yet; exit 3")
    lago.env["LAGO_BOOT_TIMEOUT"] = "15"
    proc = lago.run("up", envfile, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "wait_for" in proc.stderr and "exit 3" in proc.stderr and "not yet" in proc.stderr
    assert host_objects() == before
