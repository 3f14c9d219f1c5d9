"""libguestfs tools: argv builders (pure) and calls through the runner.

Where KVM is unusable, the appliance must run under TCG with the direct backend (SPEC §7).
virt-sysprep's guest configuration is a virt-customize commands file (one operation per line,
without the leading ``--``), so nothing but paths appears on its command line. The root
password reaches the guest as a SHA-512 crypt hash made on the host, inside that (private)
commands file.
"""
from __future__ import annotations

import os
import re
from typing import Dict, List, Optional, Sequence, Tuple

from . import runner, safe

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
                 operations: str = OPERATIONS) -> List[str]:
    """virt-sysprep over one guest's disks [(path, format)], configured by commands_file."""
    argv = ["virt-sysprep", "--quiet", "--operations", operations]
    for path, fmt in disks:
        argv += ["--format", fmt, "-a", path]
    return argv + ["--commands-from-file", commands_file]


# What a crypt(3) hash is made of; anything else could not go into the shadow edit as it is.
_CRYPT_HASH = re.compile(r"^[$./0-9A-Za-z]+$")
SHADOW_EDIT = "edit /etc/shadow:"


def sysprep_commands(*, hostname: str, pubkey_file: str, ssh_user: str = "root",
                     root_hash: Optional[str] = None,
                     uploads: Sequence[Tuple[str, str, str]] = (),
                     host_keys: Sequence[str] = (),
                     selinux_relabel: bool = False, iscsi_iqn: Optional[str] = None,
                     build: Sequence[str] = ()) -> str:
    """The commands file: hostname, key, root password hash, uploaded files [(local, guest
    path, mode)], the guest's SSH host keys (local private keys named ``ssh_host_TYPE_key``,
    ``.pub`` beside them), iSCSI initiator name, SELinux relabel (last: it must see every
    file written).

    Nothing runs inside the guest, so this works for any guest the appliance can write to,
    and nothing is computed by the emulated appliance. Nor is Augeas started there: the
    customize operations ``hostname``, ``root-password`` and ``ssh-inject`` each load it,
    ~6-7 s apiece under TCG (one Debian disk: 49 s with them, 27.5 s with plain file writes
    and host-side ``edit``s). ``ssh-inject`` stays for a user other than root, whose home
    directory and ids only the guest's passwd knows."""
    lines = [f"write /etc/hostname:{hostname}",
             # The Debian-style `127.0.1.1 NAME` line follows (a file without one is kept).
             "touch /etc/hosts",
             f"edit /etc/hosts:s/^(127\\.0\\.1\\.1\\s+).*$/${{1}}{hostname}/"]
    if ssh_user == "root":
        # The default operations (ssh-userdir) have removed root's .ssh: the env's key is all
        # it holds, as ssh-inject would leave it.
        lines += ["mkdir /root/.ssh", "chmod 0700:/root/.ssh",
                  f"upload {pubkey_file}:/root/.ssh/authorized_keys",
                  "chmod 0600:/root/.ssh/authorized_keys"]
    else:
        lines.append(f"ssh-inject {safe.user(ssh_user)}:file:{pubkey_file}")
    if root_hash is not None:
        if not _CRYPT_HASH.match(root_hash):
            raise ValueError("not a crypt(3) hash")
        # `edit` runs its Perl expression on the host, over a copy of the file.
        escaped = root_hash.replace("$", "\\$")
        lines.append(f"{SHADOW_EDIT}s{{^root:[^:]*:}}{{root:{escaped}:}}")
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
    # The disk's build steps (customize_lines), after the bootstrap as Lago ran them.
    lines += list(build)
    if selinux_relabel:
        lines.append("selinux-relabel")
    # One operation per line, and `edit` runs Perl on the host: a value with a line break
    # (a hostname, a path) must never become an operation of its own.
    return "".join(safe.one_line(line, "a virt-customize command") + "\n" for line in lines)


def with_root_hash(shadow: str, root_hash: str) -> str:
    """/etc/shadow's text with root's password field set to ``root_hash``."""
    if not _CRYPT_HASH.match(root_hash):
        raise ValueError("not a crypt(3) hash")
    return re.sub(r"^root:[^:\n]*:", lambda m: f"root:{root_hash}:", shadow, count=1,
                  flags=re.M)


def hosts_naming(hosts: str, hostname: str) -> str:
    """/etc/hosts' text with the Debian-style ``127.0.1.1`` line naming ``hostname`` (as the
    commands file's edit does; a file without one is kept)."""
    return re.sub(r"^(127\.0\.1\.1\s+).*$", lambda m: m.group(1) + hostname, hosts,
                  flags=re.M)


def masked_commands(text: str) -> str:
    """The commands file as it may be logged: without the root password's hash."""
    return "\n".join(SHADOW_EDIT + "******" if line.startswith(SHADOW_EDIT) else line
                     for line in text.split("\n"))


def sysprep(disks: Sequence[Tuple[str, str]], commands_file: str, domain_type: str) -> None:
    runner.run(sysprep_argv(disks, commands_file), env=environment(domain_type),
               timeout=SYSPREP_TIMEOUT)


# virt-customize options a disk's ``build`` step may use: those that work on the image
# offline (--no-network), each with whether it takes an argument. Installing or updating
# packages needs the network and is refused. ``edit`` is refused too: its Perl expression
# runs on the host, as root, not in the guest (``run-command`` and ``write`` do that job).
CUSTOMIZE_OPTIONS = {
    "append-line": True, "chmod": True, "chown": True, "copy": True, "copy-in": True,
    "delete": True, "firstboot": True, "firstboot-command": True,
    "hostname": True, "link": True, "mkdir": True, "move": True, "password": True,
    "root-password": True, "run": True, "run-command": True, "scrub": True,
    "selinux-relabel": False, "ssh-inject": True, "timezone": True, "touch": True,
    "truncate": True, "truncate-recursive": True, "uninstall": True, "upload": True,
    "write": True,
}
_NEEDS_NETWORK = ("install", "update", "firstboot-install", "network", "sm-register",
                  "sm-attach")
CUSTOMIZE_TIMEOUT = 900.0


def customize_problems(options: Dict[str, object]) -> List[Tuple[str, str]]:
    """[(option, problem)] for a build step's options: each one allowed, with an argument
    where it needs one."""
    out = []
    for key, value in options.items():
        name = str(key)
        if name in _NEEDS_NETWORK:
            out.append((name, f"'{name}' needs the network; build steps run offline"))
        elif name == "edit":
            out.append((name, "'edit' runs its Perl expression on the host; use 'run-command' "
                              "(sed, in the guest) or 'write'"))
        elif name not in CUSTOMIZE_OPTIONS:
            out.append((name, f"'{name}' is not a virt-customize option a build step may use "
                              f"({', '.join(sorted(CUSTOMIZE_OPTIONS))})"))
        elif isinstance(value, dict):
            out.append((name, "expected a string or a list of strings"))
        elif any("\n" in str(v) for v in (value if isinstance(value, list) else [value])):
            out.append((name, "an argument is one line (use upload for a file's content)"))
        elif CUSTOMIZE_OPTIONS[name] and name != "ssh-inject" and \
                any(str(v) == "" for v in (value if isinstance(value, list) else [value])):
            out.append((name, f"'{name}' needs an argument"))
    return out


def _customize_items(steps: Sequence[Dict[str, object]],
                     pubkey_file: str) -> List[Tuple[str, Optional[str]]]:
    """(option, argument or None) of build steps, in order: a list argument repeats the
    option, an empty ``ssh-inject`` injects the env's key for root (as Lago did)."""
    out: List[Tuple[str, Optional[str]]] = []
    for options in steps:
        for name, value in options.items():
            for arg in value if isinstance(value, list) else [value]:
                if name == "ssh-inject" and not arg:
                    out.append((name, f"root:file:{pubkey_file}"))
                else:
                    out.append((name, str(arg) if CUSTOMIZE_OPTIONS[name] else None))
    return out


def customize_argv(disk: Tuple[str, str], steps: Sequence[Dict[str, object]],
                   pubkey_file: str) -> List[str]:
    """One virt-customize run over a disk (path, format) for its build steps. No shell:
    each argument is one argv item."""
    path, fmt = disk
    argv = ["virt-customize", "--quiet", "--no-network", "--format", fmt, "-a", path]
    for name, arg in _customize_items(steps, pubkey_file):
        argv += [f"--{name}"] + ([arg] if arg is not None else [])
    return argv


def customize_lines(steps: Sequence[Dict[str, object]], pubkey_file: str) -> List[str]:
    """The build steps as commands-file lines, for a disk that virt-sysprep configures
    anyway: one appliance boot instead of two."""
    return [name if arg is None else f"{name} {arg}"
            for name, arg in _customize_items(steps, pubkey_file)]


def customize(disk: Tuple[str, str], steps: Sequence[Dict[str, object]], pubkey_file: str,
              domain_type: str) -> None:
    runner.run(customize_argv(disk, steps, pubkey_file), env=environment(domain_type),
               timeout=CUSTOMIZE_TIMEOUT)


def _dirname(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"
