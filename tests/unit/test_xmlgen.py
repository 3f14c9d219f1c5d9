import xml.etree.ElementTree as ET

from lago import addressing, envfile, state, xmlgen


def _env(tmp_path):
    base = tmp_path / "base.qcow2"
    base.write_text("x")
    kernel = tmp_path / "vmlinuz"
    kernel.write_text("k")
    path = tmp_path / "env.yaml"
    path.write_text(f"""
nets:
  lan: {{type: nat, dhcp: {{start: 100, end: 200}}, dns_records: {{db: 192.168.210.50}}}}
  back: {{type: isolated, mtu: 9000}}
domains:
  vm0:
    provision: none
    nics: [{{net: lan, ip: 192.168.210.10}}, {{net: back}}]
    disks: [{{type: file, path: {base}}}, {{type: empty, size: 1G, dev: sdb, name: data}}]
    boot: {{kernel: {kernel}, cmdline: "console=ttyS0 a<b&c"}}
  vm1:
    provision: none
    nics: [{{net: lan}}]
    disks: [{{type: file, path: {base}}}]
""")
    return envfile.load_env(str(path))


UUID = "0123abcd-0000-4000-8000-000000000000"


def _plan(env):
    import ipaddress
    return addressing.plan(env, UUID, [ipaddress.IPv4Network("192.168.210.0/24"),
                                       ipaddress.IPv4Network("192.168.211.0/24")])


def test_network_xml_matches_golden(tmp_path, golden):
    env = _env(tmp_path)
    planned = _plan(env)
    net = planned["nets"]["lan"]
    hosts = [{"mac": n["mac"], "ip": n["ip"], "name": vm}
             for vm, info in planned["vms"].items() for n in info["nics"] if n["net"] == "lan"]
    xml = xmlgen.network_xml(net["libvirt_name"], net["bridge"], "nat", net["subnet"], net["gw"],
                             net["dhcp"], hosts, "lago.local", addressing.dns_hosts(env, state.vms_from_dict(planned["vms"])))
    golden("network-nat.xml", xml)
    root = ET.fromstring(xml)
    assert root.find("forward").get("mode") == "nat"
    assert len(root.find("bridge").get("name")) <= 15


def test_isolated_network_has_no_forward_and_keeps_mtu(tmp_path):
    xml = xmlgen.network_xml("n", "br", "isolated", "192.168.5.0/24", "192.168.5.1", None, [],
                             "lago.local", {}, mtu=9000)
    root = ET.fromstring(xml)
    assert root.find("forward") is None
    assert root.find("mtu").get("size") == "9000"


def test_domain_xml_matches_golden(tmp_path, golden):
    env = _env(tmp_path)
    dom = env.domains["vm0"]
    xml = xmlgen.domain_xml(
        name="lago-0123abcd-vm0", vm="vm0", domain_type="qemu", arch="x86_64",
        memory_mib=dom.memory, vcpu=dom.vcpu,
        disks=[{"path": "/p/images/vm0-disk0.qcow2", "format": "qcow2", "dev": "vda"},
               {"path": "/p/images/vm0-data.qcow2", "format": "qcow2", "dev": "sdb"}],
        nics=[{"network": "lago-0123abcd-lan", "mac": "54:52:c0:a8:d2:0a"}],
        kernel="/k/vmlinuz", initrd="/k/initrd.img", cmdline="console=ttyS0 a<b&c",
        console_log="/p/logs/vm0.console.log", prefix="/p", uuid=UUID)
    golden("domain-direct-boot.xml", xml)
    root = ET.fromstring(xml)
    assert root.find("os/cmdline").text == "console=ttyS0 a<b&c"
    assert xmlgen.parse_metadata(xml) == {"prefix": "/p", "uuid": UUID, "vm": "vm0"}
    assert root.find("devices/controller").get("model") == "virtio-scsi"


def test_hostile_names_stay_inside_xml_text():
    xml = xmlgen.network_xml("a'b\"<x/>&", "br0", "nat", "192.168.5.0/24", "192.168.5.1", None,
                             [], "lago.local", {"192.168.5.9": ["$(reboot)"]})
    root = ET.fromstring(xml)
    assert root.find("name").text == "a'b\"<x/>&"
    assert root.find("dns/host/hostname").text == "$(reboot)"


def test_bridge_network_only_plugs_into_the_host_bridge():
    xml = xmlgen.network_xml("lago-1-br", "br-lab", "bridge", "10.20.30.0/24", "10.20.30.1",
                             {"start": "10.20.30.100", "end": "10.20.30.254"},
                             [{"mac": "54:52:0a:14:1e:02", "ip": "10.20.30.2", "name": "a"}],
                             "lago.local", {"10.20.30.2": ["a"]})
    root = ET.fromstring(xml)
    assert root.find("forward").get("mode") == "bridge"
    assert root.find("bridge").get("name") == "br-lab"
    assert root.find("ip") is None and root.find("dns") is None


def test_domain_with_cloud_init_seed_matches_golden(golden):
    xml = xmlgen.domain_xml(
        name="lago-0123abcd-ci", vm="ci", domain_type="qemu", arch="x86_64", memory_mib=512,
        vcpu=1, disks=[{"path": "/p/images/ci-root.qcow2", "format": "qcow2", "dev": "vda"}],
        nics=[{"network": "lago-0123abcd-lan", "mac": "54:52:c0:a8:d2:0b"}],
        seed="/p/images/ci-seed.iso", prefix="/p", uuid=UUID)
    golden("domain-cloud-init-seed.xml", xml)
    cd = [d for d in ET.fromstring(xml).findall("devices/disk") if d.get("device") == "cdrom"]
    assert len(cd) == 1 and cd[0].find("readonly") is not None
    assert cd[0].find("source").get("file") == "/p/images/ci-seed.iso"
