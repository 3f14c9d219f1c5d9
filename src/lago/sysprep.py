"""Upstream Lago's ``lago.sysprep``: change a guest disk offline with virt-sysprep.

``sysprep(disk, [set_hostname("web"), add_ssh_key(path), ...])``: each function makes one
modification (a ``Mod``: lines of a virt-customize commands file, files to upload, keys to
authorize); ``sysprep`` runs virt-sysprep once with all of them, its default clean-ups less
the removal of SSH host keys (as provisioning does, see guestfs.py). The commands file and
the uploads live in a private (0700) temp directory for the run; a password reaches the
guest only as a crypt hash inside that file, never on a command line or in a log.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from typing import List, Sequence, Tuple

from . import config, guestfs, host, openssl, qemu_img
from .errors import UsageError
from .log import logger

LOG = logger("lago")
_HOSTNAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$")
_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,222}$")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")


@dataclass(frozen=True)
class Mod:
    """One modification: commands-file lines, files to upload [(guest path, content,
    mode)] and public keys for root's authorized_keys."""

    lines: Tuple[str, ...] = ()
    files: Tuple[Tuple[str, str, str], ...] = ()
    keys: Tuple[str, ...] = ()


def _checked(value: str, pattern: "re.Pattern[str]", what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise UsageError(f"sysprep: bad {what} {str(value)[:80]!r}")
    return value


def set_hostname(hostname: str) -> Mod:
    name = _checked(hostname, _HOSTNAME, "hostname")
    return Mod(lines=(f"write /etc/hostname:{name}", "touch /etc/hosts",
                      f"edit /etc/hosts:s/^(127\\.0\\.1\\.1\\s+).*$/${{1}}{name}/"))


def set_root_password(password: str) -> Mod:
    # Hashed on the host now; the edit runs on the host over a copy of /etc/shadow.
    escaped = openssl.password_hash(password).replace("$", "\\$")
    return Mod(lines=(f"{guestfs.SHADOW_EDIT}s{{^root:[^:]*:}}{{root:{escaped}:}}",))


def add_ssh_key(key: str, with_restorecon_fix: bool = False) -> Mod:
    """Authorize the public key in file ``key`` for root (``with_restorecon_fix``: relabel
    SELinux contexts afterwards)."""
    try:
        with open(key, encoding="utf-8") as fh:
            text = fh.read().strip()
    except OSError as exc:
        raise UsageError(f"sysprep: cannot read the public key {key}: {exc.strerror}") from None
    if not text.startswith(("ssh-", "ecdsa-", "sk-")):
        raise UsageError(f"sysprep: {key} does not hold an OpenSSH public key")
    return Mod(keys=(text,), lines=("selinux-relabel",) if with_restorecon_fix else ())


def config_net_interface_dhcp(iface: str, hwaddr: str) -> Mod:
    """DHCP on the NIC with MAC ``hwaddr`` (named ``iface``): an ifcfg file for EL and a
    systemd-networkd file for the others (each distro reads its own)."""
    _checked(iface, re.compile(r"^[A-Za-z0-9_.-]{1,15}$"), "interface name")
    mac = _checked(hwaddr, _MAC, "MAC address").lower()
    ifcfg = f"DEVICE={iface}\nBOOTPROTO=dhcp\nONBOOT=yes\nHWADDR={mac}\n"
    networkd = f"[Match]\nMACAddress={mac}\n\n[Network]\nDHCP=ipv4\n"
    return Mod(files=((f"/etc/sysconfig/network-scripts/ifcfg-{iface}", ifcfg, "0644"),
                      (f"/etc/systemd/network/10-lago-{iface}.network", networkd, "0644")))


def set_selinux_mode(mode: str) -> Mod:
    if mode not in ("enforcing", "permissive", "disabled"):
        raise UsageError(f"sysprep: SELinux mode must be enforcing, permissive or disabled, "
                         f"not {mode!r}")
    return Mod(lines=("mkdir /etc/selinux", "touch /etc/selinux/config",
                      f"edit /etc/selinux/config:s/^SELINUX=.*$/SELINUX={mode}/"))


def set_iscsi_initiator_name(name: str) -> Mod:
    iqn = _checked(name, _WORD, "iSCSI initiator name")
    return Mod(lines=("mkdir /etc/iscsi",
                      f"write /etc/iscsi/initiatorname.iscsi:InitiatorName={iqn}"))


def commands(mods: Sequence[Mod], tmp: str) -> str:
    """The commands file for ``mods``, with the files they upload written into ``tmp``."""
    lines: List[str] = []
    uploads = [f for mod in mods for f in mod.files]
    keys = [k for mod in mods for k in mod.keys]
    if keys:
        uploads.append(("/root/.ssh/authorized_keys", "\n".join(keys) + "\n", "0600"))
        lines += ["mkdir /root/.ssh", "chmod 0700:/root/.ssh"]
    for i, (guest, content, mode) in enumerate(uploads):
        local = os.path.join(tmp, f"upload{i}")
        _write_private(local, content)
        lines += [f"mkdir {os.path.dirname(guest)}", f"upload {local}:{guest}",
                  f"chmod {mode}:{guest}"]
    # SELinux relabelling goes last: it must see every file written before it.
    rest = [line for mod in mods for line in mod.lines]
    lines += [l for l in rest if l != "selinux-relabel"]
    lines += ["selinux-relabel"] if "selinux-relabel" in rest else []
    return "\n".join(lines) + "\n"


def sysprep(disk: str, mods: Sequence[Mod]) -> None:
    """Apply ``mods`` to the guest on ``disk`` (qcow2 or raw) with one virt-sysprep run."""
    for mod in mods:
        if not isinstance(mod, Mod):
            raise UsageError(f"sysprep: {mod!r} is not a modification from lago.sysprep")
    fmt = qemu_img.info(disk)["format"]
    domain_type = host.domain_type(config.load()[0].domain_type)
    with tempfile.TemporaryDirectory(prefix="lago-sysprep-") as tmp:  # made 0700
        text = commands(mods, tmp)
        cmd_file = os.path.join(tmp, "commands")
        _write_private(cmd_file, text)
        LOG.debug("sysprep %s:\n%s", disk, guestfs.masked_commands(text))
        guestfs.sysprep([(disk, fmt)], cmd_file, domain_type)


def _write_private(path: str, content: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(content)
