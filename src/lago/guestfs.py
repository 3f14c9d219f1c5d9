"""libguestfs tools: argv builders (pure) and calls through the runner.

Where KVM is unusable, the appliance must run under TCG with the direct backend (SPEC §7).
virt-sysprep's guest configuration is a virt-customize commands file (one operation per line,
without the leading ``--``), so nothing but paths appears on its command line; the root
password is read from a file (``--root-password file:PATH``).
"""
from __future__ import annotations

import os
from typing import Dict, List, Optional, Sequence, Tuple

from . import runner

# Everything virt-sysprep's defaults do, except removing the SSH host keys: guests whose sshd
# has no first-boot key generation (Debian) would refuse to start. Fresh, per-guest keys are
# made in the customize step instead (see sysprep_commands).
OPERATIONS = "defaults,-ssh-hostkeys"
# One clone of a template per VM: the appliance boot dominates, so allow for TCG.
SYSPREP_TIMEOUT = 900.0


def environment(domain_type: str) -> Dict[str, str]:
    env = {"LIBGUESTFS_BACKEND": "direct"}
    if domain_type != "kvm":
        env["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg"
    return env


def copy_out_argv(disks: Sequence[Tuple[str, str]], paths: Sequence[str], dest: str) -> List[str]:
    """virt-copy-out of guest ``paths`` into local directory ``dest``; disks are (path, format),
    opened read-only, the guest's file systems found by inspection."""
    argv = ["virt-copy-out"]
    for path, fmt in disks:
        argv += [f"--format={fmt}", "-a", path]
    return argv + list(paths) + [dest]


def copy_out(disks: Sequence[Tuple[str, str]], paths: Sequence[str], dest: str,
             domain_type: str, timeout: float = 600) -> runner.Result:
    return runner.run(copy_out_argv(disks, paths, dest), env=environment(domain_type),
                      timeout=timeout)


def sysprep_argv(disks: Sequence[Tuple[str, str]], commands_file: str,
                 root_password_file: Optional[str] = None,
                 operations: str = OPERATIONS) -> List[str]:
    """virt-sysprep over one guest's disks [(path, format)], configured by commands_file."""
    argv = ["virt-sysprep", "--quiet", "--operations", operations]
    for path, fmt in disks:
        argv += ["--format", fmt, "-a", path]
    argv += ["--commands-from-file", commands_file]
    if root_password_file:
        argv += ["--root-password", f"file:{root_password_file}"]
    return argv


def sysprep_commands(*, hostname: str, pubkey_file: str, ssh_user: str = "root",
                     uploads: Sequence[Tuple[str, str, str]] = (),
                     host_keys: Sequence[str] = (),
                     selinux_relabel: bool = False, iscsi_iqn: Optional[str] = None) -> str:
    """The commands file: hostname, key, uploaded files [(local, guest path, mode)], the
    guest's SSH host keys (local private keys named ``ssh_host_TYPE_key``, ``.pub`` beside
    them), iSCSI initiator name, SELinux relabel (last: it must see every file written).

    Nothing runs inside the guest: no guest command is needed, so this works for any guest
    the appliance can write to, and nothing is computed by the emulated appliance."""
    lines = [f"hostname {hostname}",
             # Some inspectors skip the hostname for unknown distros; the file always works.
             f"write /etc/hostname:{hostname}",
             f"ssh-inject {ssh_user}:file:{pubkey_file}"]
    for local, guest, mode in uploads:
        lines.append(f"mkdir {_dirname(guest)}")
        lines.append(f"upload {local}:{guest}")
        lines.append(f"chmod {mode}:{guest}")
    # New host keys per guest: the template's are shared by every clone and get removed.
    lines += ["delete /etc/ssh/ssh_host_*_key", "delete /etc/ssh/ssh_host_*_key.pub"]
    for key in host_keys:
        guest = f"/etc/ssh/{os.path.basename(key)}"
        lines += [f"upload {key}:{guest}", f"chmod 0600:{guest}",
                  f"upload {key}.pub:{guest}.pub", f"chmod 0644:{guest}.pub"]
    # The guest is configured now: cloud-init (if the image has it) must not redo it at boot.
    # (A guest without cloud-init gets an unread marker file.)
    lines += ["mkdir /etc/cloud", "touch /etc/cloud/cloud-init.disabled"]
    if iscsi_iqn:
        lines += ["mkdir /etc/iscsi", f"write /etc/iscsi/initiatorname.iscsi:InitiatorName={iscsi_iqn}"]
    if selinux_relabel:
        lines.append("selinux-relabel")
    return "\n".join(lines) + "\n"


def sysprep(disks: Sequence[Tuple[str, str]], commands_file: str,
            root_password_file: Optional[str], domain_type: str) -> None:
    runner.run(sysprep_argv(disks, commands_file, root_password_file),
               env=environment(domain_type), timeout=SYSPREP_TIMEOUT)


def _dirname(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"
