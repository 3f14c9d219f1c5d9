"""status, read only: an env's saved state and one `virsh list` → the schema of `status --json`
(documented in the README).

Its own path, apart from the orchestrator: it takes no lock, changes nothing, and imports
only the state and virsh modules, so `status` starts in about the time Python and one virsh
call take.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from . import state, virsh, workdir
from .paths import PrefixPaths, WorkdirPaths

EXTERNAL = "external"  # the state of a vm-provider ssh machine: it exists outside libvirt


def read(uri: str, wd: WorkdirPaths, prefix_name: str) -> Dict[str, Any]:
    """The status of prefix ``prefix_name`` of workdir ``wd`` (NotFound if it has none)."""
    paths = workdir.existing(wd, prefix_name)
    st = state.require(paths)
    distros = {vm: d.get("distro") for vm, d in state.saved_domains(paths).items()}
    return describe(uri, paths, st, distros)


def describe(uri: str, paths: PrefixPaths, st: state.State,
             distros: Dict[str, Optional[str]]) -> Dict[str, Any]:
    """The prefix, its nets and VMs (one virsh call for all), its snapshots."""
    doms, nets = virsh.inventory(uri)
    snaps = st.snapshots or {}
    return {
        "schema": 1,
        "prefix": paths.name,
        "path": paths.root,
        "uuid": st.uuid,
        "env_file": st.env_file,
        "domain_type": st.domain_type,
        "nets": {name: {"type": n.type, "subnet": n.subnet, "gw": n.gw, "bridge": n.bridge,
                        "libvirt_name": n.libvirt_name,
                        "state": "up" if nets.get(n.libvirt_name) else "down"}
                 for name, n in st.nets.items()},
        "vms": {vm: {"state": EXTERNAL if v.external
                     else doms.get(str(v.libvirt_name), "undefined"),
                     "ip": v.ip, "distro": distros[vm],
                     "libvirt_name": v.libvirt_name,
                     "nics": [{"net": n.net, "ip": n.ip, "mac": n.mac, "dev": n.dev}
                              for n in v.nics],
                     "snapshots": list(snaps)}
                for vm, v in st.vms.items()},
        "snapshots": [{"name": n, **snap} for n, snap in snaps.items()],
    }


def secrets(wd: WorkdirPaths, prefix_name: str) -> Dict[str, Dict[str, Any]]:
    """{vm: {"root_password", "ssh_user", "ssh_password"}}: shown only on request."""
    env = state.load_env(workdir.existing(wd, prefix_name))
    return {vm: {"root_password": dom.root_password, "ssh_user": dom.ssh_user,
                 "ssh_password": dom.ssh_password} for vm, dom in env.domains.items()}
