"""init/up --ssh-key: an existing key pair instead of a new one, for images that trust it."""
import json
import os
import subprocess

import yaml

from conftest import write_env


def test_a_brought_key_is_the_envs_key_and_an_image_that_trusts_it_needs_no_password(
        lago, template, tmp_path):
    key = tmp_path / "mykey"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)

    # First env: the template does not trust the key yet; lago finds that out and installs
    # it with the root password, like its own key.
    first = write_env(tmp_path, template, {"vm0": [{"net": "lan"}]}, name="first.yaml")
    lago.run("-P", "first", "up", first, "--ssh-key", str(key))
    status = lago.json("-P", "first", "status")
    prefix = status["path"]
    assert open(os.path.join(prefix, "id_rsa")).read() == key.read_text()
    assert oct(os.stat(os.path.join(prefix, "id_rsa")).st_mode & 0o777) == "0o600"
    assert (open(os.path.join(prefix, "id_rsa.pub")).read().split()[:2]
            == key.with_suffix(".pub").read_text().split()[:2])
    assert lago.run("-P", "first", "ssh", "vm0", "--", "hostname").stdout.strip() == "vm0"
    # The same command again starts what is down; another key for an existing env is refused.
    lago.run("-P", "first", "up", first, "--ssh-key", str(key))
    other = tmp_path / "otherkey"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    refused = lago.run("-P", "first", "up", first, "--ssh-key", str(other), check=False)
    assert refused.returncode == 2 and "--ssh-key" in refused.stderr
    # stop is a hard power-off: what the guest has not written out yet would be lost.
    lago.run("-P", "first", "ssh", "vm0", "--", "sync")
    lago.run("-P", "first", "stop")

    # Second env, on a disk that trusts the key now (an overlay of the first VM's disk) and
    # with no password at all: only the brought key can get lago in.
    disk = json.loads(open(os.path.join(prefix, "state.json")).read())["vms"]["vm0"]["disks"][0]
    second = write_env(tmp_path, template, {"vm0": [{"net": "lan"}]}, name="second.yaml")
    doc = yaml.safe_load(open(second))
    vm = doc["domains"]["vm0"]
    del vm["root-password"]
    vm["disks"][0]["path"] = disk["path"]
    with open(second, "w") as fh:
        yaml.safe_dump(doc, fh)
    lago.run("-P", "second", "up", second, "--ssh-key", str(key), timeout=300)
    assert lago.run("-P", "second", "ssh", "vm0", "--", "true").returncode == 0
    lago.run("-P", "second", "destroy", "-y")
    lago.run("-P", "first", "destroy", "-y")
    assert key.exists(), "the user's key stays where it was"
