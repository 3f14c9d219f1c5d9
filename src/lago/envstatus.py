"""An env's status as data: the schema of `status --json` (documented in the README)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

from . import virsh

if TYPE_CHECKING:
    from .env import Prefix

EXTERNAL = "external"  # the state of a vm-provider ssh machine: it exists outside libvirt


def describe(prefix: Prefix) -> Dict[str, Any]:
    """The prefix, its nets and VMs (one virsh call for all), its snapshots."""
    st, env = prefix.state, prefix.env
    doms, nets = virsh.inventory(prefix.uri)
    return {
        "schema": 1,
        "prefix": prefix.paths.name,
        "path": prefix.paths.root,
        "uuid": st["uuid"],
        "env_file": st["env_file"],
        "domain_type": st["domain_type"],
        "nets": {name: {"type": n["type"], "subnet": n["subnet"], "gw": n["gw"],
                        "bridge": n["bridge"], "libvirt_name": n["libvirt_name"],
                        "state": "up" if nets.get(n["libvirt_name"]) else "down"}
                 for name, n in st["nets"].items()},
        "vms": {vm: {"state": EXTERNAL if v.get("provider") == "ssh"
                     else doms.get(v["libvirt_name"], "undefined"),
                     "ip": v["ip"], "distro": env.domains[vm].distro,
                     "libvirt_name": v["libvirt_name"],
                     "nics": [{"net": n["net"], "ip": n["ip"], "mac": n["mac"],
                               "dev": n["dev"]} for n in v["nics"]],
                     "snapshots": list(st.get("snapshots", {}))}
                for vm, v in st["vms"].items()},
        "snapshots": [{"name": n, **snap} for n, snap in st.get("snapshots", {}).items()],
    }
