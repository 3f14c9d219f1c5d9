"""The environment model on real libvirt: several nets, static and automatic addresses, DNS,
isolation, concurrent envs and leases, and the lifecycle verbs."""
import ipaddress
import json
import os
import subprocess
import sys

import pytest

from conftest import Lago, host_objects, write_env

HERE = os.path.dirname(os.path.abspath(__file__))


def mac_of(ip):
    return "54:52:" + ":".join(f"{b:02x}" for b in ipaddress.IPv4Address(ip).packed)


def nslookup(lago, vm, name):
    """The address `name` resolves to inside `vm` (busybox nslookup), or None."""
    out = lago.run("ssh", vm, "--", "nslookup", name, check=False).stdout
    answers = out.split("Name:", 1)[1] if "Name:" in out else ""
    for word in answers.split():
        try:
            return str(ipaddress.IPv4Address(word))
        except ValueError:
            continue
    return None


def pings(lago, vm, ip):
    return lago.run("ssh", vm, "--", "ping", "-c", "1", "-W", "3", ip,
                    check=False).returncode == 0


THREE_NETS = {"lan1": {"type": "nat"}, "lan2": {"type": "nat"}, "iso": {"type": "isolated"}}


def test_three_vms_on_two_nat_nets_and_an_isolated_net(lago, template, tmp_path):
    # Static addresses pin their /24s; the rest comes from the pool.
    nets = {"lan1": {"type": "nat", "gw": "192.168.211.1"}, "lan2": {"type": "nat"},
            "iso": {"type": "isolated", "gw": "192.168.213.1"}}
    envfile = write_env(tmp_path, template, {
        "a": [{"net": "lan1", "ip": "192.168.211.10"}, {"net": "lan2"}, {"net": "iso"}],
        "b": [{"net": "lan2"}, {"net": "lan1"}],
        "c": [{"net": "iso", "ip": "192.168.213.20"}],
    }, nets=nets)
    lago.run("up", envfile)
    st = lago.json("status")
    subnets = {name: ipaddress.IPv4Network(n["subnet"]) for name, n in st["nets"].items()}
    assert str(subnets["lan1"]) == "192.168.211.0/24"
    assert str(subnets["iso"]) == "192.168.213.0/24"
    assert len(set(subnets.values())) == 3

    nics = {vm: st["vms"][vm]["nics"] for vm in "abc"}
    assert [n["net"] for n in nics["a"]] == ["lan1", "lan2", "iso"]
    assert [n["dev"] for n in nics["a"]] == ["eth0", "eth1", "eth2"]
    assert nics["a"][0]["ip"] == "192.168.211.10"
    assert nics["c"][0]["ip"] == "192.168.213.20"
    # Automatic addresses: .2 upwards in VM order, skipping the static ones.
    assert nics["a"][1]["ip"] == str(subnets["lan2"].network_address + 2)
    assert nics["a"][2]["ip"] == "192.168.213.2"
    assert nics["b"][0]["ip"] == str(subnets["lan2"].network_address + 3)
    assert nics["b"][1]["ip"] == "192.168.211.2"
    for vm in "abc":
        for nic in nics[vm]:
            assert ipaddress.IPv4Address(nic["ip"]) in subnets[nic["net"]]
            assert nic["mac"] == mac_of(nic["ip"])
        # The VM's address is its NIC on the management net (its first NIC here).
        assert st["vms"][vm]["ip"] == nics[vm][0]["ip"]

    # The guests really hold those addresses.
    for vm in "abc":
        shown = lago.run("ssh", vm, "--", "ip", "-4", "-o", "addr").stdout
        for nic in nics[vm]:
            assert f"{nic['ip']}/24" in shown, (vm, nic, shown)

    # Every VM resolves every other by name and by name-ethN.
    for vm in "abc":
        for other in "abc":
            if other == vm:
                continue
            assert nslookup(lago, vm, other) == st["vms"][other]["ip"], (vm, other)
            for nic in nics[other]:
                assert nslookup(lago, vm, f"{other}-{nic['dev']}") == nic["ip"], (vm, other, nic)

    # Pings answer on every net two VMs share.
    for vm in "abc":
        mine = {n["net"] for n in nics[vm]}
        for other in "abc":
            for nic in nics[other]:
                if other != vm and nic["net"] in mine:
                    assert pings(lago, vm, nic["ip"]), (vm, other, nic)

    # The isolated net has no way out: c has no default route and cannot reach the NAT nets.
    assert "default" not in lago.run("ssh", "c", "--", "ip", "route").stdout
    assert not pings(lago, "c", nics["a"][0]["ip"])
    assert not pings(lago, "c", nics["b"][0]["ip"])
    # The NAT nets do have one.
    assert "default via" in lago.run("ssh", "a", "--", "ip", "route").stdout

    lago.run("destroy", "-y")


def host_bridge(name, address):
    """A bridge of the test's own in the lab namespace, holding `address`; removed after."""
    subprocess.run(["ip", "link", "add", name, "type", "bridge"], check=True)
    try:
        subprocess.run(["ip", "addr", "add", address, "dev", name], check=True)
        subprocess.run(["ip", "link", "set", name, "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "link", "del", name], check=False)


@pytest.fixture
def routed_subnet():
    """A subnet the lab namespace already routes."""
    for _ in host_bridge("troute0", "192.168.200.1/24"):
        yield "192.168.200.0/24"


def test_two_envs_at_once_get_different_subnets_and_skip_routed_ones(lago, template, tmp_path,
                                                                    routed_subnet):
    envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}], "vm1": [{"net": "lan"}]})
    lago.run("-P", "one", "up", envfile)
    lago.run("-P", "two", "up", envfile)
    one = lago.json("-P", "one", "status")
    two = lago.json("-P", "two", "status")
    subnets = {one["nets"]["lan"]["subnet"], two["nets"]["lan"]["subnet"]}
    assert len(subnets) == 2
    assert routed_subnet not in subnets
    assert one["uuid"] != two["uuid"]

    lago.run("-P", "one", "destroy", "-y")
    # The other env still works, inside and from the host.
    assert lago.run("-P", "two", "ssh", "vm0", "--", "hostname").stdout.strip() == "vm0"
    assert lago.run("-P", "two", "ssh", "vm0", "--", "ping", "-c", "1", "-W", "3",
                    two["vms"]["vm1"]["ip"], check=False).returncode == 0
    leased = [f for f in os.listdir(lago.lease_dir) if not f.startswith(".")]
    assert len(leased) == 1
    lago.run("-P", "two", "destroy", "-y")


def test_ten_concurrent_inits_share_a_pool_of_ten_and_the_eleventh_is_refused(pyz, template,
                                                                            tmp_path):
    envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}]})
    lease_dir = str(tmp_path / "leases")
    pool = "192.168.240.0-192.168.249.0"
    env = dict(os.environ, LAGO_LEASE_DIR=lease_dir, LAGO_SUBNET_POOL=pool)
    workdirs = [str(tmp_path / f"w{i}" / ".lago") for i in range(11)]
    procs = [subprocess.Popen([sys.executable, pyz, "-w", wd, "init", envfile], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for wd in workdirs]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    ok = [wd for wd, (rc, _) in zip(workdirs, results) if rc == 0]
    refused = [err for rc, err in results if rc != 0]
    assert len(ok) == 10, results
    assert len(refused) == 1 and [rc for rc, _ in results].count(2) == 1, results
    assert "192.168.240.0" in refused[0] and "192.168.249.0" in refused[0], refused[0]

    subnets = set()
    for wd in ok:
        with open(os.path.join(wd, "default", "state.json")) as fh:
            subnets.add(json.load(fh)["nets"]["lan"]["subnet"])
    assert len(subnets) == 10
    assert len([f for f in os.listdir(lease_dir) if not f.startswith(".")]) == 10

    for wd in ok:
        Lago(pyz, wd, lease_dir, pool).run("destroy", "-y")
    assert [f for f in os.listdir(lease_dir) if not f.startswith(".")] == []


def schema_of(value):
    """The shape of status --json: keys and leaf types; maps keyed by VM/net name collapse to
    one representative entry."""
    if isinstance(value, dict):
        return {k: schema_of(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [schema_of(value[0])] if value else []
    return type(value).__name__


def test_lifecycle_stop_start_shutdown_cleanup_keep_addresses(lago, template, tmp_path):
    baseline = host_objects()
    envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}], "vm1": [{"net": "lan"}]})
    lago.run("up", envfile)
    first = lago.json("status")
    ips = {vm: v["ip"] for vm, v in first["vms"].items()}

    # status --json keeps its documented shape.
    shape = schema_of({**first, "nets": {"NET": first["nets"]["lan"]},
                       "vms": {"VM": first["vms"]["vm0"]}})
    with open(os.path.join(HERE, "golden", "status-schema.json")) as fh:
        assert shape == json.load(fh), json.dumps(shape, indent=2, sort_keys=True)

    lago.run("stop", "vm1")
    st = lago.json("status")
    assert st["vms"]["vm1"]["state"] == "shut off" and st["vms"]["vm0"]["state"] == "running"
    assert st["nets"]["lan"]["state"] == "up"
    lago.run("start", "vm1")
    assert lago.run("ssh", "vm1", "--", "hostname").stdout.strip() == "vm1"

    # A graceful shutdown runs the guest's own shutdown (its hook leaves a mark on disk).
    hook = "printf '#!/bin/sh\\necho clean > /root/shutdown-ran\\n' > /etc/shutdown.d/mark && " \
           "chmod +x /etc/shutdown.d/mark && rm -f /root/shutdown-ran"
    lago.run("ssh", "vm0", "--", "sh", "-c", hook)
    lago.run("shutdown", "vm0")
    assert lago.json("status")["vms"]["vm0"]["state"] == "shut off"
    lago.run("stop")
    st = lago.json("status")
    assert {v["state"] for v in st["vms"].values()} == {"shut off"}
    assert st["nets"]["lan"]["state"] == "down"

    lago.run("start")
    st = lago.json("status")
    assert {vm: v["ip"] for vm, v in st["vms"].items()} == ips
    assert lago.run("ssh", "vm0", "--", "cat", "/root/shutdown-ran").stdout.strip() == "clean"

    # cleanup removes the libvirt objects and keeps the prefix; start brings them back.
    before = host_objects()
    lago.run("cleanup")
    after = host_objects()
    assert len(before["domains"] - after["domains"]) == 2
    assert len(before["networks"] - after["networks"]) == 1
    assert os.path.exists(os.path.join(st["path"], "state.json"))
    lago.run("start")
    assert lago.json("status")["vms"]["vm1"]["ip"] == ips["vm1"]
    assert lago.run("ssh", "vm1", "--", "hostname").stdout.strip() == "vm1"

    lago.run("destroy", "-y")
    assert host_objects() == baseline
    assert not os.path.exists(st["path"])


@pytest.fixture
def user_bridge():
    """A host bridge that exists before the env and must outlive it."""
    yield from host_bridge("tuserbr0", "192.168.236.1/24")


def test_bridge_nets_own_and_existing(lago, template, tmp_path, user_bridge):
    baseline = host_objects()
    nets = {"lan": {"type": "nat"}, "own": {"type": "bridge", "mtu": 1400},
            "ext": {"type": "bridge", "bridge": user_bridge, "gw": "192.168.236.1"}}
    envfile = write_env(tmp_path, template,
                        {"vm0": [{"net": "lan"}, {"net": "own"}, {"net": "ext"}]}, nets=nets)
    lago.run("up", envfile)
    st = lago.json("status")
    own, ext = st["nets"]["own"], st["nets"]["ext"]
    assert ext["bridge"] == user_bridge and ext["subnet"] == "192.168.236.0/24"
    links = {l["ifname"]: l for l in json.loads(subprocess.run(
        ["ip", "-j", "-d", "link"], capture_output=True, text=True, check=True).stdout)}
    assert own["bridge"] in links and links[own["bridge"]]["mtu"] == 1400
    # Only the pool-leased nets hold lease files; the existing bridge's subnet is the user's.
    leased = sorted(f for f in os.listdir(lago.lease_dir) if not f.startswith("."))
    assert len(leased) == 2 and not any("192.168.236" in f for f in leased)

    # No DHCP on bridge nets: the guest is given its planned address by hand here (a
    # provisioner writes it in real images); then the host side answers on both bridges.
    nics = st["vms"]["vm0"]["nics"]
    for nic in nics[1:]:
        lago.run("ssh", "vm0", "--", "ip", "addr", "add", nic["ip"] + "/24", "dev", nic["dev"])
    assert pings(lago, "vm0", own["gw"])
    assert pings(lago, "vm0", "192.168.236.1")

    lago.run("destroy", "-y")
    after = host_objects()
    assert after == baseline
    names = {l["ifname"] for l in json.loads(subprocess.run(
        ["ip", "-j", "link"], capture_output=True, text=True, check=True).stdout)}
    assert user_bridge in names and own["bridge"] not in names


def test_a_missing_host_bridge_is_refused_before_anything_is_made(lago, template, tmp_path):
    baseline = host_objects()
    nets = {"lan": {"type": "nat"},
            "ext": {"type": "bridge", "bridge": "tnosuchbr0", "gw": "192.168.237.1"}}
    envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}, {"net": "ext"}]},
                        nets=nets)
    proc = lago.run("up", envfile, check=False)
    assert proc.returncode == 2
    assert "host bridge 'tnosuchbr0' does not exist" in proc.stderr
    assert host_objects() == baseline
    # Refused before the workdir, a lease or a disk was made.
    assert not os.path.exists(lago.workdir)
    assert not os.path.isdir(lago.lease_dir) or not [
        f for f in os.listdir(lago.lease_dir) if not f.startswith(".")]
