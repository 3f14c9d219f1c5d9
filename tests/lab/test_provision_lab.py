"""Provisioning on a real distro: the Debian template, two or four VMs, two nets (SPEC §7)."""
import json
import os
import subprocess
import threading

PASSWORD = "Lago-Sysprep.5529"  # distinctive, so any leak is found by grep


def write_debian_env(tmp_path, debian, provision, vms=("deb0", "deb1"), disk=None, disks=None):
    import yaml  # test-only dependency
    doc = {"nets": {"lan": {"type": "nat", "management": True},
                    "stor": {"type": "isolated"}},
           "domains": {}}
    for vm in vms:
        doc["domains"][vm] = {
            "memory": 512, "provision": provision, "distro": "debian",
            "root-password": PASSWORD,
            "nics": [{"net": "lan"}, {"net": "stor"}],
            "disks": [(disks or {}).get(vm) or disk or {
                "name": "root", "type": "file", "path": debian["disk"], "format": "qcow2"}],
            "boot": {"kernel": debian["kernel_path"], "initrd": debian["initrd_path"],
                     "cmdline": debian["cmdline"]},
        }
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


class ArgvWatch:
    """Scans every process's argv while lago runs, for a secret that must never be there."""

    def __init__(self, secret):
        self.secret = secret.encode()
        self.hits = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop.wait(0.05):
            for pid in os.listdir("/proc"):
                if not pid.isdigit() or int(pid) == os.getpid():
                    continue
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as fh:
                        argv = fh.read()
                except OSError:
                    continue
                if self.secret in argv:
                    self.hits.append(argv.replace(b"\0", b" ").decode("utf-8", "replace"))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def password_matches(shadow_hash, password):
    """Recompute the hash with its own salt on the host: libxcrypt through the crypt module
    knows yescrypt ($y$, which virt-sysprep uses for Debian 12); openssl knows $1$, $5$, $6$."""
    try:
        import crypt  # deprecated, still in 3.11/3.12; gone in 3.13
        return crypt.crypt(password, shadow_hash) == shadow_hash
    except ImportError:
        pass
    parts = shadow_hash.split("$")
    scheme, salt = parts[1], parts[2]
    assert scheme in ("1", "5", "6"), f"unexpected hash scheme in {shadow_hash[:8]}..."
    out = subprocess.run(["openssl", "passwd", f"-{scheme}", "-salt", salt, "-stdin"],
                         input=password, capture_output=True, text=True, check=True).stdout
    return out.strip() == shadow_hash


def print_steps(stderr):
    """The timed steps of `up`, shown by `pytest -rP` (measurements for the record)."""
    for line in stderr.splitlines():
        if any(w in line for w in ("Sysprep", "Provision", "seed", "Wait for ssh", "Initialize")):
            print(line.strip())


def assert_guest_facts(lago, vm, info):
    assert lago.run("ssh", vm, "--", "hostname").stdout.strip() == vm
    assert lago.run("ssh", vm, "--", "systemctl", "is-active", "ssh").stdout.strip() == "active"
    shadow = lago.run("ssh", vm, "--", "getent", "shadow", "root").stdout.strip().split(":")[1]
    assert password_matches(shadow, PASSWORD)
    assert not password_matches(shadow, PASSWORD + "x")  # the check itself can fail
    links = json.loads(lago.run("ssh", vm, "--", "ip", "-j", "addr").stdout)
    by_mac = {l.get("address"): {a["local"] for a in l.get("addr_info", [])
                                 if a.get("family") == "inet"} for l in links}
    for nic in info["nics"]:
        assert nic["ip"] in by_mac.get(nic["mac"], set()), (vm, nic, by_mac)
    return shadow


def test_sysprep_gives_each_vm_its_hostname_key_password_and_addresses(lago, debian, tmp_path):
    # Four VMs: three disks are configured together in one appliance, by device (the clones'
    # file systems share their UUIDs), and each must still get its own facts. deb3's disk has
    # a Lago build step: it rides along in that VM's own virt-sysprep run.
    vms = ("deb0", "deb1", "deb2", "deb3")
    build = [{"virt-customize": {"mkdir": "/etc/lago-build",
                                 "write": "/etc/lago-build/step:built at init"}}]
    envfile = write_debian_env(tmp_path, debian, "sysprep", vms=vms, disks={"deb3": {
        "name": "root", "type": "file", "path": debian["disk"], "format": "qcow2",
        "build": build}})
    with ArgvWatch(PASSWORD) as watch:
        up = lago.run("up", envfile, timeout=1200)
    assert watch.hits == []
    print_steps(up.stderr)

    status = lago.json("status")
    hashes = []
    for vm, info in status["vms"].items():
        hashes.append(assert_guest_facts(lago, vm, info))
        built = lago.run("ssh", vm, "--", "cat", "/etc/lago-build/step", check=False).stdout
        assert built == ("built at init" if vm == "deb3" else ""), (vm, built)
        # The template's `127.0.1.1 debian-template` line names the clone now.
        hosts = lago.run("ssh", vm, "--", "cat", "/etc/hosts").stdout.splitlines()
        assert [line.split() for line in hosts if line.startswith("127.0.1.1")] == [
            ["127.0.1.1", vm]], hosts
        # root's key directory as sshd's StrictModes wants it.
        assert lago.run("ssh", vm, "--", "stat", "-c", "%a %U", "/root/.ssh",
                        "/root/.ssh/authorized_keys").stdout.split() == ["700", "root",
                                                                         "600", "root"]
        # /etc/shadow, rewritten with root's hash, keeps the template's owner and mode.
        assert lago.run("ssh", vm, "--", "stat", "-c", "%a %U %G", "/etc/shadow").stdout.split() \
            == ["640", "root", "shadow"], vm
    # The clones got their own SSH host keys (the template's were replaced).
    assert sorted(status["vms"]) == list(vms)
    keys = {lago.run("ssh", vm, "--", "cat", "/etc/ssh/ssh_host_ed25519_key.pub").stdout
            for vm in status["vms"]}
    assert len(keys) == len(vms)
    # The second NICs (isolated net) reach each other: deb1's sshd answers on its stor address
    # (bash's /dev/tcp: minbase has no ping).
    peer = status["vms"]["deb1"]["nics"][1]["ip"]
    banner = lago.run("ssh", "deb0", "--", "bash", "-c",
                      f"exec 3<>/dev/tcp/{peer}/22 && head -c 4 <&3", check=False)
    assert banner.stdout == "SSH-", banner.stderr

    logs = os.path.join(status["path"], "logs")
    for name in os.listdir(logs):
        with open(os.path.join(logs, name), errors="replace") as fh:
            text = fh.read()
        assert PASSWORD not in text, name
        assert not [h for h in hashes if h in text], name  # nor its hash
    # The commands and password files are gone once provisioning ends.
    assert not [n for n in os.listdir(status["path"]) if n.startswith(".sysprep-")]
    lago.run("destroy", "-y")


def test_cloud_init_from_a_store_template_gives_each_vm_the_same_facts(lago, debian, tmp_path):
    # The disks come from the template store this time: add, pin in env.lock, gc.
    lago.env["LAGO_TEMPLATE_STORE"] = str(tmp_path / "store")
    lago.run("template", "add", "debian", debian["disk"], "--version", "12",
             "--metadata", '{"distro": "debian"}')
    envfile = write_debian_env(tmp_path, debian, "cloud-init", vms=("ci0", "ci1"),
                               disk={"name": "root", "type": "template",
                                     "template_name": "debian"})
    with ArgvWatch(PASSWORD) as watch:
        up = lago.run("up", envfile, timeout=1200)
    assert watch.hits == []
    print_steps(up.stderr)
    lock = json.loads((tmp_path / "env.lock").read_text())
    assert lock["templates"]["debian"]["version"] == "12"
    assert lago.json("template", "gc", "--dry-run")["removed"] == []
    status = lago.json("status")
    hashes = []
    for vm, info in status["vms"].items():
        hashes.append(assert_guest_facts(lago, vm, info))
        # cloud-init did the work (not a leftover of the template).
        ci = lago.run("ssh", vm, "--", "cloud-init", "status", "--long", check=False).stdout
        assert "status: done" in ci and "DataSourceNoCloud" in ci, ci
    logs = os.path.join(status["path"], "logs")
    for name in os.listdir(logs):
        with open(os.path.join(logs, name), errors="replace") as fh:
            text = fh.read()
        assert PASSWORD not in text, name
        assert not [h for h in hashes if h in text], name  # nor its hash
    lago.run("destroy", "-y")
    assert [r["name"] for r in lago.json("template", "gc")["removed"]] == ["debian"]
