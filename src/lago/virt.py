"""Upstream Lago's ``lago.virt``: an env's VMs and networks as objects (VirtEnv, Network).

The objects hold names and the specs they were made from (the prefix's state.json entries);
what can change (run state, services, files in a guest) is asked of libvirt or the guest on
every call, and every change goes through the operations the command line runs, under the
prefix's lock. ``VM``, ``ServiceState`` and the service classes are in ``vm.py``.
"""
from __future__ import annotations

import hashlib
import ipaddress
import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from . import addressing, state, virsh
from .errors import UsageError
from .vm import VM, ServiceState, _Service, _ip_to_mac

if TYPE_CHECKING:
    from .prefix import Prefix

__all__ = ["VirtEnv", "Network", "NATNetwork", "BridgeNetwork", "VM", "ServiceState",
           "_Service", "_ip_to_mac"]

_DNS_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$")


class _Object:
    """A libvirt object as upstream's ``libvirt_con`` listed it: name() and isActive()."""

    def __init__(self, name: str, active: bool) -> None:
        self._name, self._active = name, active

    def name(self) -> str:
        return self._name

    def isActive(self) -> bool:  # noqa: N802 (libvirt's spelling)
        return self._active


class _Connection:
    """The libvirt connection, asked through virsh: the listings upstream scripts used."""

    def __init__(self, uri: str) -> None:
        self.uri = uri

    def getURI(self) -> str:  # noqa: N802
        return self.uri

    def listAllDomains(self) -> List[_Object]:  # noqa: N802
        return [_Object(n, s == "running") for n, s in virsh.domains(self.uri).items()]

    def listAllNetworks(self) -> List[_Object]:  # noqa: N802
        return [_Object(n, up) for n, up in virsh.networks(self.uri).items()]


class VirtEnv:
    """The VMs and networks of one prefix."""

    def __init__(self, prefix: "Prefix", vm_specs: Dict[str, Any],
                 net_specs: Dict[str, Any]) -> None:
        self.prefix = prefix
        self._uuid = state.read_uuid(prefix.files) or ""
        self._nets = {name: self._create_net({**spec, "name": name})
                      for name, spec in net_specs.items()}
        self._vms = {name: self._create_vm({**spec, "name": name})
                     for name, spec in vm_specs.items()}
        self._libvirt_con: Optional[_Connection] = None

    def __repr__(self) -> str:
        return f"<lago.virt.VirtEnv of {self.prefix.paths.prefix()}>"

    @classmethod
    def from_prefix(cls, prefix: "Prefix") -> "VirtEnv":
        st = prefix._loaded().state
        return cls(prefix, {n: vm.to_dict() for n, vm in st.vms.items()},
                   {n: net.to_dict() for n, net in st.nets.items()})

    def _create_net(self, net_spec: Dict[str, Any]) -> "Network":
        return (BridgeNetwork if net_spec.get("type") == "bridge" else NATNetwork)(self, net_spec)

    def _create_vm(self, vm_spec: Dict[str, Any]) -> VM:
        return VM(self, vm_spec)

    def prefixed_name(self, unprefixed_name: str, max_length: int = 0) -> str:
        """The name of ``unprefixed_name``'s libvirt object: ``lago-<8 hex of the env
        uuid>-NAME``; with ``max_length``, shortened (a hash of the name) to fit."""
        name = addressing.network_name(self._uuid, unprefixed_name)
        if max_length and len(name) > max_length:
            head = addressing.network_name(self._uuid, "")
            room = max_length - len(head)
            if room < 4:
                raise UsageError(f"cannot prefix {unprefixed_name!r} in {max_length} characters")
            name = head + hashlib.sha1(unprefixed_name.encode()).hexdigest()[:room]
        return name

    def virt_path(self, *args: str) -> str:
        return self.prefix.paths.virt(*args)

    @property
    def libvirt_con(self) -> _Connection:
        if self._libvirt_con is None:
            self._libvirt_con = _Connection(self.prefix.cfg.libvirt_url)
        return self._libvirt_con

    def bootstrap(self) -> None:
        """Provision every VM's boot disk again (VMs stopped), all at once."""
        from .utils import invoke_in_parallel
        invoke_in_parallel(lambda vm: vm.bootstrap(), list(self._vms.values()))

    def start(self, vm_names: Optional[Sequence[str]] = None) -> None:
        self.prefix.start(vm_names)

    def stop(self, vm_names: Optional[Sequence[str]] = None) -> None:
        self.prefix.stop(vm_names)

    def create_snapshots(self, name: str) -> None:
        self.prefix.create_snapshots(name)

    def revert_snapshots(self, name: str) -> None:
        self.prefix.revert_snapshots(name)

    def save(self) -> None:
        """Write what was changed without saving (network mappings) to the prefix."""
        for net in self._nets.values():
            net.save()

    def get_nets(self) -> Dict[str, "Network"]:
        return dict(self._nets)

    def get_net(self, name: Optional[str] = None) -> Optional["Network"]:
        """The network ``name`` (None if there is none), or without a name the management
        network (the first VM's; else the first network)."""
        if name is not None:
            return self._nets.get(name)
        for vm in self._vms.values():
            return self._nets[vm._spec["management_net"]]
        return next(iter(self._nets.values()), None)

    def get_vms(self) -> Dict[str, VM]:
        return dict(self._vms)

    def get_vm(self, name: str) -> VM:
        return self._vms[name]


class Network:
    """One network of an env."""

    def __init__(self, env: VirtEnv, spec: Dict[str, Any]) -> None:
        self._env = env
        self._spec = spec
        self._pending: Dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<lago.virt.{type(self).__name__} {self.name()}>"

    def _uri(self) -> str:
        return str(self._env.prefix.cfg.libvirt_url)

    def name(self) -> str:
        return str(self._spec["name"])

    def gw(self) -> str:
        return str(self._spec["gw"])

    def is_management(self) -> bool:
        """Is it the management network (the one whose address is used) of a VM?"""
        return any(vm._spec["management_net"] == self.name()
                   for vm in self._env.get_vms().values())

    def _libvirt_name(self) -> str:
        return str(self._spec["libvirt_name"])

    def _mapping(self) -> Dict[str, str]:
        """Every name this network's DNS answers, with its address: each VM (``vm``, and
        ``vm-ethN`` per NIC), the env file's dns_records and mappings not yet saved."""
        p = self._env.prefix._loaded()
        out: Dict[str, str] = {}
        for vm, info in p.state.vms.items():
            for nic in info.nics:
                if nic.net == self.name() and nic.ip:
                    if nic.ip == info.ip and info.management_net == self.name():
                        out[vm] = nic.ip
                    out.setdefault(vm, nic.ip)
                    out[f"{vm}-{nic.dev}"] = nic.ip
        out.update(p.env.nets[self.name()].dns_records)
        out.update(self._pending)
        return out

    def resolve(self, name: str) -> str:
        """The address of host ``name`` on this network; KeyError if it has none here."""
        return self._mapping()[name]

    def add_mapping(self, name: str, ip: str, save: bool = True) -> None:
        """Give ``name`` the address ``ip`` in the env's DNS: kept in the env and given to
        its networks at once, or with save() when ``save`` is false."""
        if not _DNS_NAME.match(name or ""):
            raise UsageError(f"bad host name {str(name)[:80]!r}")
        try:
            inside = ipaddress.IPv4Address(ip) in ipaddress.IPv4Network(self._spec["subnet"])
        except ValueError:
            inside = False
        if not inside:
            raise UsageError(f"{ip} is not an address of network {self.name()} "
                             f"({self._spec['subnet']})")
        self._pending[name] = str(ip)
        if save:
            self.save()

    def add_mappings(self, mappings: Sequence[Sequence[str]]) -> None:
        """add_mapping for each (name, ip), saved once."""
        for name, ip in mappings:
            self.add_mapping(name, ip, save=False)
        self.save()

    def save(self) -> None:
        """Keep the mappings added without saving in the env, and give them to the env's
        networks that libvirt has (running ones at once)."""
        if not self._pending:
            return
        p = self._env.prefix._loaded()
        with p.transaction():
            model = p.env
            before = addressing.dns_hosts(model, p.state.vms)
            model.nets[self.name()].dns_records.update(self._pending)
            state.save_env(p.files, model)
            after = addressing.dns_hosts(model, p.state.vms)
            self._update_libvirt(p.state.nets, before, after,
                                 sorted(set(self._pending.values())))
        self._pending.clear()

    def _update_libvirt(self, nets: Dict[str, state.NetState], before: Dict[str, List[str]],
                        after: Dict[str, List[str]], ips: List[str]) -> None:
        """Every network of the env serves the env's whole DNS (see networks.py): each
        defined one gets the new names. libvirt cannot modify a DNS host, only delete and
        add one, and refuses a second host with the same address."""
        from . import xmlgen
        defined = virsh.networks(self._uri())
        for net in nets.values():
            lv = net.libvirt_name
            if lv not in defined or net.type == "bridge":  # bridge nets have no DNS
                continue
            for ip in ips:
                if ip in before:
                    virsh.net_update(self._uri(), lv, "delete", "dns-host",
                                     xmlgen.dns_host_xml(ip, before[ip]), defined[lv])
                virsh.net_update(self._uri(), lv, "add-last", "dns-host",
                                 xmlgen.dns_host_xml(ip, after[ip]), defined[lv])

    def alive(self) -> bool:
        return bool(virsh.networks(self._uri()).get(self._libvirt_name()))

    def start(self) -> None:
        """Define (if needed) and start this network (and its host bridge, if lago's)."""
        p = self._env.prefix._loaded()
        with p.transaction() as undo:
            # The orchestrator's own step, so the network is the one 'start' would make.
            p._ensure_networks(undo, [self.name()])

    def stop(self) -> None:
        virsh.net_destroy(self._uri(), self._libvirt_name())


class NATNetwork(Network):
    """A NAT (or isolated) network: libvirt's own bridge, DHCP and DNS."""


class BridgeNetwork(Network):
    """A network on a host bridge: lago's own (removed with the env) or an existing one."""

    def stop(self) -> None:
        super().stop()
        if self._spec.get("own_bridge"):
            from . import iproute
            iproute.delete_link(self._spec["bridge"])
