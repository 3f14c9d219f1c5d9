"""An ssh session into a VM of an existing env, read only: the VM by name, its ssh target, and
the master connection of this boot of the VM.

Its own path, apart from the orchestrator (as envstatus is for status): `lago.pyz ssh VM --
CMD` in a loop pays for Python, the saved state and ssh, not for the modules that make envs.
"""
from __future__ import annotations

import os
from typing import List, Optional, Tuple

from . import ssh, state
from .errors import NotFound, UsageError
from .paths import PrefixPaths

# Where libvirt's system QEMU driver keeps a running domain's pid file (<name>.pid).
SYSTEM_URI = "qemu:///system"
SYSTEM_RUN_DIR = "/run/libvirt/qemu"


def resolve_vm(st: state.State, prefix_name: str, name: str) -> str:
    """A VM by exact name or by a unique suffix."""
    names = list(st.vms)
    if name in names:
        return name
    matches = [n for n in names if n.endswith(name)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(f"'{name}' matches several VMs: {', '.join(matches)}")
    raise NotFound(f"no VM '{name}' in environment '{prefix_name}'",
                   hint=f"VMs: {', '.join(names)}")


def qemu_process(run_dir: str, domain: str) -> Optional[str]:
    """``PID:START`` of the domain's QEMU process (START: its start time in clock ticks since
    the host booted, /proc/PID/stat field 22), read from libvirt's pid file without asking
    libvirt; None when the file or the process is not there (not running, not readable).
    Every start of a domain (a revert included) is a new process: a new PID:START, where a
    PID alone could come round again."""
    try:
        with open(os.path.join(run_dir, f"{domain}.pid"), encoding="ascii") as fh:
            pid = fh.read().strip()
        if not pid.isdigit():
            return None
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            # The command name (field 2) may hold blanks and ')': fields count after the last.
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return f"{pid}:{fields[19]}" if len(fields) > 19 else None


def boot_id(uri: str, domain: str, run_dir: str = SYSTEM_RUN_DIR) -> Optional[str]:
    """What tells this boot of a domain from its earlier ones: its QEMU process where the
    pid file can be read (the system URI, as root: no virsh run), else the domain's id, new on
    every start ('-' when it is off); None when libvirt has no such domain."""
    if uri == SYSTEM_URI:
        found = qemu_process(run_dir, domain)
        if found is not None:
            return found
    from . import virsh
    return virsh.domid(uri, domain)


def keep_master_of_this_boot(t: ssh.Target, vm: str, boot: str) -> None:
    """Close the master connection to ``vm`` if it was opened to an earlier boot of the VM.

    A master outlives the guest it talks to when the VM is stopped and started again (no FIN
    ever arrives), and the next command through it would fail. So the boot's id is kept
    beside the socket (``VM.boot``), and a master from another boot is closed first."""
    control = str(t.control_dir)
    stamp = os.path.join(control, f"{vm}.boot")
    try:
        with open(stamp, encoding="utf-8") as fh:
            seen: Optional[str] = fh.read().strip()
    except FileNotFoundError:
        seen = None
    if seen != boot:
        if seen is not None:
            ssh.close_master(t)
        from .fsutil import write_atomic
        write_atomic(stamp, boot + "\n", mode=0o600)


def direct_target(paths: PrefixPaths, st: state.State, vm: str, user: str,
                  control_dir: Optional[str] = None) -> ssh.Target:
    """The VM's address, ``user`` and the env's key; through the master connection in
    ``control_dir`` if one is given (nothing is checked or opened here)."""
    return ssh.Target(host=st.vms[vm].ip or "", user=user, key=paths.ssh_key,
                      known_hosts=paths.known_hosts, control_dir=control_dir)


def target(paths: PrefixPaths, st: state.State, uri: str, vm: str, user: str) -> ssh.Target:
    """The VM's ssh target with connection reuse through the prefix's control directory (a
    master from an earlier boot of the VM closed first)."""
    control = paths.ssh_control_dir
    os.makedirs(control, mode=0o700, exist_ok=True)
    info = st.vms[vm]
    t = direct_target(paths, st, vm, user, control)
    if not info.external:  # an existing machine: no libvirt domain, no boots of lago's
        boot = boot_id(uri, str(info.libvirt_name))
        if boot is None:
            raise UsageError(f"VM {vm} has never been started (no libvirt domain yet)",
                             hint=f"start it: lago.pyz start {vm}")
        keep_master_of_this_boot(t, vm, boot)
    return t


def session_argv(t: ssh.Target, command: List[str], script: Optional[str] = None,
                 tty: bool = False) -> Tuple[List[str], str]:
    """(ssh argv, the directory to run it in) for a shell, a command or a local script (fed
    on stdin) through the target's master connection."""
    if script:
        if not os.path.isfile(script):
            raise UsageError(f"{script}: no such script")
        command = ssh.script_command(command)
    # The ControlPath is relative to the control directory: ssh runs there.
    return ssh.command_argv(t, command or None, tty=tty), str(t.control_dir)


def open_session(uri: str, paths: PrefixPaths, vm: str, command: List[str],
                 script: Optional[str] = None, tty: bool = False) -> Tuple[List[str], str]:
    """ssh_session of an env read from its prefix directory: (ssh argv, its directory)."""
    st = state.require(paths)
    vm = resolve_vm(st, paths.name, vm)
    user = state.saved_domains(paths)[vm].get("ssh_user") or "root"  # model.Domain's default
    t = target(paths, st, uri, vm, user)
    return session_argv(t, command, script, tty)
