"""An env's VMs as libvirt domains: each one's XML (from its saved state and its env-file
spec), defined, and powered on (or resumed), every step pushing its undo first as the
orchestrator (env.py), which decides when, does.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Dict

from . import cpu, events, host, virsh, xmlgen
from .errors import CommandFailed, ExternalError
from .undo import Undo

if TYPE_CHECKING:
    from .prefix import Prefix


def define(prefix: Prefix, vm: str, undo: Undo) -> None:
    """Define the VM's domain in libvirt (not started)."""
    lv = prefix.state.vms[vm].libvirt_name
    undo.push(f"undefine domain {lv}", lambda: virsh.undefine(prefix.uri, lv))
    with events.timed("define", vm):
        virsh.define(prefix.uri, domain_xml(prefix, vm))


def boot(prefix: Prefix, vm: str, defined: Dict[str, str], undo: Undo) -> None:
    """Power on (or resume) a defined VM."""
    lv = prefix.state.vms[vm].libvirt_name
    if defined.get(lv) == "paused":
        # Left paused by an interrupted snapshot: its memory is intact, so go on running.
        with events.timed("boot", vm):
            virsh.resume(prefix.uri, lv)
        return
    if defined.get(lv, "shut off") == "shut off":
        # Only a VM this run powers on is powered off by the rollback: a paused one (a
        # killed snapshot) fails to start and must keep its memory.
        undo.push(f"stop domain {lv}", lambda: virsh.destroy(prefix.uri, lv))
    try:
        with events.timed("boot", vm):
            virsh.start(prefix.uri, lv)
    except CommandFailed as exc:
        if "Cannot access storage file" in exc.stderr and "Permission denied" in exc.stderr:
            raise ExternalError(
                f"{vm}: QEMU may not read its disk under {prefix.files.images}",
                hint="QEMU runs as an unprivileged user: keep the workdir under directories "
                     "others can enter (chmod o+x), or set user/group in qemu.conf") from exc
        raise


def domain_xml(prefix: Prefix, vm: str) -> str:
    """The VM's libvirt domain XML."""
    st, dom = prefix.state, prefix.env.domains[vm]
    info, nets, direct = st.vms[vm], st.nets, dom.boot
    return xmlgen.domain_xml(
        name=info.libvirt_name, vm=vm, domain_type=st.domain_type,
        arch=os.uname().machine, memory_mib=dom.memory, vcpu=dom.vcpu,
        disks=[{"path": d.path, "format": d.format, "dev": d.dev} for d in info.disks],
        nics=[{"network": nets[n.net].libvirt_name, "mac": n.mac,
               "mtu": prefix.env.nets[n.net].mtu} for n in info.nics],
        kernel=direct.kernel if direct else None, initrd=direct.initrd if direct else None,
        cmdline=direct.cmdline if direct else None, seed=info.seed,
        console_log=os.path.join(prefix.files.logs, f"{vm}.console.log"),
        prefix=prefix.files.root, uuid=st.uuid,
        cpu=cpu.element(cpu_model=dom.cpu_model, cpu_custom=dom.cpu_custom, nested=dom.nested,
                        vcpu=dom.vcpu, domain_type=st.domain_type,
                        host=host.cpu_facts()))
