"""Env model → libvirt network and domain XML, with ElementTree (pure, no I/O)."""
from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional

METADATA_NS = "urn:lago:env:1"

BUS_BY_DEV = {"vd": "virtio", "sd": "scsi", "hd": "ide"}
SEED_DEV = "hdd"  # the cloud-init seed cdrom; env files may not use it for a disk


def _sub(parent: ET.Element, tag: str, text: Optional[str] = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k.rstrip("_"): str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _render(root: ET.Element) -> str:
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def network_xml(name: str, bridge: str, net_type: str, subnet: str, gw: str,
                dhcp_range: Optional[Dict[str, str]], hosts: List[Dict[str, str]],
                dns_domain: str, dns: Dict[str, List[str]], mtu: Optional[int] = None) -> str:
    """A libvirt <network>: bridge, optional NAT, DNS names, DHCP range and reservations.

    hosts: [{"mac", "ip", "name"}] DHCP reservations. dns: ip → hostnames.
    """
    net = ET.Element("network")
    _sub(net, "name", name)
    if net_type == "bridge":
        # A host bridge: libvirt only plugs the VMs in; no DHCP or DNS on it.
        _sub(net, "forward", mode="bridge")
        _sub(net, "bridge", name=bridge)
        return _render(net)
    _sub(net, "bridge", name=bridge, stp="off", delay="0")
    if mtu:
        _sub(net, "mtu", size=str(mtu))
    if net_type == "nat":
        _sub(net, "forward", mode="nat")
    _sub(net, "domain", name=dns_domain, localOnly="yes")
    if dns:
        dns_el = _sub(net, "dns")
        for ip in sorted(dns, key=ipaddress.IPv4Address):
            host = _sub(dns_el, "host", ip=ip)
            for hostname in dns[ip]:
                _sub(host, "hostname", hostname)
    prefix = ipaddress.IPv4Network(subnet)
    ip_el = _sub(net, "ip", address=gw, netmask=str(prefix.netmask))
    dhcp = _sub(ip_el, "dhcp")
    if dhcp_range:
        _sub(dhcp, "range", start=dhcp_range["start"], end=dhcp_range["end"])
    for host in sorted(hosts, key=lambda h: ipaddress.IPv4Address(h["ip"])):
        _sub(dhcp, "host", mac=host["mac"], name=host["name"], ip=host["ip"])
    return _render(net)


def domain_xml(*, name: str, vm: str, domain_type: str, arch: str, memory_mib: int, vcpu: int,
               disks: List[Dict[str, str]], nics: List[Dict[str, str]],
               kernel: Optional[str] = None, initrd: Optional[str] = None,
               cmdline: Optional[str] = None, console_log: Optional[str] = None,
               prefix: str = "", uuid: str = "", seed: Optional[str] = None,
               cpu: Optional[ET.Element] = None) -> str:
    """A libvirt <domain>. disks: [{"path","format","dev"}]; nics: [{"network","mac","mtu"?}];
    seed: a cloud-init NoCloud ISO, attached as a read-only IDE cdrom; cpu: a <cpu> element
    (cpu.py), else QEMU's default CPU."""
    dom = ET.Element("domain", type=domain_type)
    _sub(dom, "name", name)
    _sub(dom, "title", vm)
    meta = _sub(dom, "metadata")
    ET.SubElement(meta, f"{{{METADATA_NS}}}env", prefix=prefix, uuid=uuid, vm=vm)
    _sub(dom, "memory", str(memory_mib), unit="MiB")
    _sub(dom, "vcpu", str(vcpu))
    if cpu is not None:
        dom.append(cpu)
    os_el = _sub(dom, "os")
    _sub(os_el, "type", "hvm", arch=arch)
    if kernel:
        _sub(os_el, "kernel", kernel)
        if initrd:
            _sub(os_el, "initrd", initrd)
        if cmdline:
            _sub(os_el, "cmdline", cmdline)
    else:
        _sub(os_el, "boot", dev="hd")
    features = _sub(dom, "features")
    _sub(features, "acpi")
    _sub(features, "apic")
    _sub(dom, "clock", offset="utc")
    _sub(dom, "on_poweroff", "destroy")
    _sub(dom, "on_reboot", "restart")
    _sub(dom, "on_crash", "destroy")
    devices = _sub(dom, "devices")
    if any(d["dev"].startswith("sd") for d in disks):
        _sub(devices, "controller", type="scsi", index="0", model="virtio-scsi")
    for disk in disks:
        d = _sub(devices, "disk", type="file", device="disk")
        _sub(d, "driver", name="qemu", type=disk["format"], discard="unmap")
        _sub(d, "source", file=disk["path"])
        _sub(d, "target", dev=disk["dev"], bus=BUS_BY_DEV[disk["dev"][:2]])
    if seed:
        cd = _sub(devices, "disk", type="file", device="cdrom")
        _sub(cd, "driver", name="qemu", type="raw")
        _sub(cd, "source", file=seed)
        _sub(cd, "target", dev=SEED_DEV, bus="ide")
        _sub(cd, "readonly")
    for nic in nics:
        i = _sub(devices, "interface", type="network")
        _sub(i, "source", network=nic["network"])
        _sub(i, "mac", address=nic["mac"])
        _sub(i, "model", type="virtio")
        if nic.get("mtu"):
            _sub(i, "mtu", size=str(nic["mtu"]))
    serial = _sub(devices, "serial", type="pty")
    _sub(serial, "target", port="0")
    if console_log:
        _sub(serial, "log", file=console_log, append="on")
    console = _sub(devices, "console", type="pty")
    _sub(console, "target", type="serial", port="0")
    # The QEMU guest agent's port (used when the guest runs qemu-guest-agent) and a VNC
    # display reachable from this host only.
    channel = _sub(devices, "channel", type="unix")
    _sub(channel, "target", type="virtio", name="org.qemu.guest_agent.0")
    graphics = _sub(devices, "graphics", type="vnc", port="-1", autoport="yes")
    _sub(graphics, "listen", type="address", address="127.0.0.1")
    rng = _sub(devices, "rng", model="virtio")
    _sub(rng, "backend", "/dev/urandom", model="random")
    _sub(devices, "memballoon", model="none")
    return _render(dom)


def parse_metadata(xml: str) -> Optional[Dict[str, str]]:
    """The lago metadata of a domain XML, or None if it has none."""
    root = ET.fromstring(xml)
    el = root.find(f"metadata/{{{METADATA_NS}}}env")
    return dict(el.attrib) if el is not None else None



def parse_network(xml: str) -> Dict[str, Optional[str]]:
    """{"bridge", "subnet"} of a libvirt network XML (None where it has none)."""
    root = ET.fromstring(xml)
    bridge = root.find("bridge")
    subnet = None
    ip = root.find("ip")
    if ip is not None and ip.get("address"):
        mask = ip.get("netmask") or ip.get("prefix") or "24"
        subnet = str(ipaddress.IPv4Network(f"{ip.get('address')}/{mask}", strict=False))
    return {"bridge": bridge.get("name") if bridge is not None else None, "subnet": subnet}

ET.register_namespace("lago", METADATA_NS)


def dns_host_xml(ip: str, hostnames: List[str]) -> str:
    """One ``<host ip><hostname/>…</host>`` of a network's DNS, for ``virsh net-update``."""
    host = ET.Element("host", ip=ip)
    for name in hostnames:
        _sub(host, "hostname", name)
    return ET.tostring(host, encoding="unicode")
