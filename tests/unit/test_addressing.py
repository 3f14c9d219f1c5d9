import ipaddress

import pytest

from lago import addressing, envfile, state


def _load(tmp_path, text):
    (tmp_path / "base.img").write_text("x")
    p = tmp_path / "env.yaml"
    p.write_text(text)
    return envfile.load_env(str(p))


def test_mac_is_a_pure_function_of_the_ip():
    assert addressing.mac_for("192.168.200.2") == "54:52:c0:a8:c8:02"
    assert addressing.mac_for("10.0.0.255") == "54:52:0a:00:00:ff"


def test_names_fit_libvirt_and_bridge_limits():
    uuid = "ffffffff-ffff-4fff-8fff-ffffffffffff"
    assert addressing.domain_name(uuid, "vm") == "lago-ffffffff-vm"
    assert len(addressing.bridge_name(uuid, 99)) <= 15


def test_plan_keeps_static_ips_and_fills_others_from_two_up(tmp_path):
    env = _load(tmp_path, """
nets: {lan: {}}
domains:
  a: {provision: none, nics: [{net: lan}], disks: [{type: file, path: base.img}]}
  b: {provision: none, nics: [{net: lan, ip: 192.168.201.2}], disks: [{type: file, path: base.img}]}
  c: {provision: none, nics: [{net: lan}], disks: [{type: file, path: base.img}]}
""")
    assert addressing.subnet_requests(env) == [ipaddress.IPv4Network("192.168.201.0/24")]
    planned = addressing.plan(env, "12345678-0000", [ipaddress.IPv4Network("192.168.201.0/24")])
    ips = {vm: info["ip"] for vm, info in planned["vms"].items()}
    assert ips == {"a": "192.168.201.3", "b": "192.168.201.2", "c": "192.168.201.4"}
    assert planned["nets"]["lan"]["gw"] == "192.168.201.1"
    for info in planned["vms"].values():
        for nic in info["nics"]:
            assert nic["mac"] == addressing.mac_for(nic["ip"])


def test_management_net_gives_the_vm_address(tmp_path):
    env = _load(tmp_path, """
nets: {a: {}, m: {management: true}}
domains:
  v: {provision: none, nics: [{net: a}, {net: m}], disks: [{type: file, path: base.img}]}
""")
    planned = addressing.plan(env, "12345678", [ipaddress.IPv4Network("192.168.1.0/24"),
                                                ipaddress.IPv4Network("192.168.2.0/24")])
    assert planned["vms"]["v"]["ip"] == "192.168.2.2"
    names = addressing.dns_hosts(env, state.vms_from_dict(planned["vms"]))
    assert names["192.168.2.2"] == ["v", "v-eth1"]
    assert names["192.168.1.2"] == ["v-eth0"]


def test_full_subnet_outside_dhcp_range_is_an_input_error(tmp_path):
    vms = "\n".join(f"  v{i}: {{provision: none, nics: [{{net: n}}], disks: [{{type: file, path: base.img}}]}}"
                    for i in range(4))
    env = _load(tmp_path, f"nets: {{n: {{dhcp: {{start: 5, end: 254}}}}}}\ndomains:\n{vms}\n")
    with pytest.raises(Exception, match="no free address"):
        addressing.plan(env, "12345678", [ipaddress.IPv4Network("192.168.9.0/24")])


def test_existing_bridge_net_is_not_leased_and_takes_its_subnet_from_gw(tmp_path):
    env = _load(tmp_path, """
nets:
  lan: {}
  own: {type: bridge}
  ext: {type: bridge, bridge: br-lab, gw: 10.20.30.1}
domains:
  a: {provision: none, nics: [{net: lan}, {net: own}, {net: ext}],
      disks: [{type: file, path: base.img}]}
""")
    assert addressing.leased_nets(env) == ["lan", "own"]
    assert addressing.subnet_requests(env) == [None, None]
    leased = [ipaddress.IPv4Network("192.168.201.0/24"), ipaddress.IPv4Network("192.168.202.0/24")]
    subnets = addressing.all_subnets(env, leased)
    assert [str(s) for s in subnets] == ["192.168.201.0/24", "192.168.202.0/24", "10.20.30.0/24"]
    planned = addressing.plan(env, "12345678-0000", subnets)
    assert planned["nets"]["ext"]["bridge"] == "br-lab"
    assert planned["nets"]["ext"]["own_bridge"] is False
    assert planned["nets"]["own"]["bridge"] == "lago12345678n1"
    assert planned["nets"]["own"]["own_bridge"] is True
    assert planned["vms"]["a"]["nics"][2]["ip"] == "10.20.30.2"
