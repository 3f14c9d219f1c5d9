"""The env model: what a validated env file is, and how it is kept in a prefix (env.json).

Only data here. Building it from a user's file, with located errors, is the envfile package;
commands that read a prefix that already exists (status, ssh) need this module alone.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

DEFAULT_MEMORY = 512
DEFAULT_DNS_DOMAIN = "lago.local"


@dataclass
class Nic:
    net: str
    ip: Optional[str] = None


@dataclass
class Disk:
    name: str
    dev: str
    type: str
    format: str = "qcow2"
    path: Optional[str] = None
    size: Optional[str] = None
    template_name: Optional[str] = None
    template_version: Optional[str] = None
    metadata: Dict[str, Any] = field(default_factory=dict)
    make_a_copy: bool = False  # the env gets its own copy of ``path``, not an overlay on it
    build: List[Dict[str, Any]] = field(default_factory=list)  # virt-customize steps at init


@dataclass
class Boot:
    kernel: str
    initrd: Optional[str] = None
    cmdline: str = ""


@dataclass
class Domain:
    name: str
    nics: List[Nic]
    disks: List[Disk]
    memory: int = DEFAULT_MEMORY
    vcpu: int = 1
    metadata: Dict[str, Any] = field(default_factory=dict)
    artifacts: List[str] = field(default_factory=list)
    groups: List[str] = field(default_factory=list)
    bootstrap: bool = True
    provision: str = "sysprep"
    root_password: Optional[str] = None
    ssh_user: str = "root"
    ssh_password: Optional[str] = None
    distro: Optional[str] = None
    boot: Optional[Boot] = None
    wait_for: str = "ssh"
    provider: str = "libvirt"  # or "ssh": an existing machine, reached at its nics[0].ip
    cpu_model: Optional[str] = None
    cpu_custom: Optional[Dict[str, Any]] = None
    nested: bool = False
    upstream: Dict[str, Any] = field(default_factory=dict)  # Lago keys kept as written (vm-type)


@dataclass
class Net:
    name: str
    type: str = "nat"
    dhcp: Optional[Dict[str, int]] = None
    management: bool = False
    gw: Optional[str] = None
    dns_domain_name: str = DEFAULT_DNS_DOMAIN
    dns_records: Dict[str, str] = field(default_factory=dict)
    mtu: Optional[int] = None
    bridge: Optional[str] = None  # an existing host bridge (type bridge); lago never removes it


@dataclass
class Env:
    path: str
    domains: Dict[str, Domain]
    nets: Dict[str, Net]
    # What validation warned about (keys Lago ignored); not kept in the prefix.
    warnings: List[str] = field(default_factory=list, compare=False)

    def to_dict(self, secrets: bool = True) -> Dict[str, Any]:
        domains = {n: asdict(d) for n, d in self.domains.items()}
        if not secrets:
            for d in domains.values():
                for key in ("root_password", "ssh_password"):
                    if d[key]:
                        d[key] = "******"
        return {"path": self.path, "domains": domains,
                "nets": {n: asdict(n_) for n, n_ in self.nets.items()}}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Env":
        domains = {}
        for name, d in data["domains"].items():
            d = dict(d)
            d["nics"] = [Nic(**n) for n in d["nics"]]
            d["disks"] = [Disk(**x) for x in d["disks"]]
            d["boot"] = Boot(**d["boot"]) if d.get("boot") else None
            domains[name] = Domain(**d)
        nets = {name: Net(**n) for name, n in data["nets"].items()}
        return cls(data["path"], domains, nets)

    def management_net(self, vm: str) -> str:
        """The net whose address is the VM's address: its NIC on a management net, else its first."""
        nics = self.domains[vm].nics
        for nic in nics:
            if self.nets[nic.net].management:
                return nic.net
        return nics[0].net

    def libvirt_vms(self, names: List[str]) -> List[str]:
        """Those of ``names`` that are libvirt domains (not vm-provider ssh machines)."""
        return [n for n in names if self.domains[n].provider != "ssh"]
