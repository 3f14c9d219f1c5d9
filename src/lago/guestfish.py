"""guestfish in remote-control mode: one libguestfs appliance for the boot disks of several
guests, each guest's root file system mounted in turn, by device.

Booting the appliance is most of a sysprep under TCG (~10 s of a ~25 s run on an idle 2-core
machine); virt-sysprep boots one per guest, and two cores run two at a time. Here one appliance
serves them all. Clones of one template carry the same file system UUIDs, so nothing is
mounted by UUID or through inspection (which resolves /etc/fstab by UUID): a guest's root is
the file system on its own disk that holds /etc/fstab, and a guest whose fstab mounts anything
else that provisioning writes to is left to virt-sysprep (see ``simple_fstab``).

The scripts hold paths only; what is secret (the edited /etc/shadow) travels in private local
files that guestfish uploads.
"""
from __future__ import annotations

import os
import re
import secrets
import signal
import time
from typing import Dict, List, Mapping, Sequence, Tuple

from . import runner
from .errors import ExternalError

# One appliance for every disk; the boot is the same, each guest adds a few seconds.
TIMEOUT = 900.0
# File systems mounted one at a time by device. Not btrfs: the kernel tracks btrfs devices by
# file system UUID, and clones share theirs.
MOUNTABLE = ("ext2", "ext3", "ext4", "xfs")
# Mount points a guest may have besides "/" (none of them is written to here).
_OTHER_MOUNTS = ("none", "swap", "/boot", "/boot/efi", "/proc", "/sys", "/dev/pts", "/dev/shm",
                 "/tmp", "/run")
_PID = re.compile(r"GUESTFISH_PID=(\d+)")

# What virt-sysprep's default operations remove from a clone of a fresh template (host keys,
# root's .ssh and /etc/machine-id are replaced by the customize step); each line may find
# nothing to remove.
CLEANUP = ("rm-rf /root/.ssh", "glob rm-rf /home/*/.ssh", "glob rm-f /etc/ssh/ssh_host_*",
           "rm-f /root/.bash_history", "glob rm-f /home/*/.bash_history",
           "glob rm-rf /var/lib/dhcp/*", "glob rm-rf /var/lib/dhclient/*",
           "glob rm-rf /tmp/*", "glob rm-rf /var/tmp/*", "glob rm-rf /var/log/journal/*",
           "glob rm-f /var/log/*.log", "glob rm-f /var/log/apt/*",
           "rm-f /etc/udev/rules.d/70-persistent-net.rules", "rm-f /var/lib/dbus/machine-id",
           "rm-f /etc/passwd-", "rm-f /etc/shadow-", "rm-f /etc/group-", "rm-f /etc/gshadow-")


def quote(arg: str) -> str:
    """One guestfish word, whatever it holds."""
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def listen_argv(disks: Sequence[Tuple[str, str]]) -> List[str]:
    argv = ["guestfish", "--listen", "--rw"]
    for path, fmt in disks:
        argv += [f"--format={fmt}", "-a", path]
    return argv


def roots_by_disk(devices: Sequence[str], filesystems: Mapping[str, str]) -> Dict[int, List[str]]:
    """{disk index: the file systems on it that could be a root}; ``filesystems`` is
    list-filesystems' {device: type}. A disk is /dev/sdX; its partitions /dev/sdXN."""
    out: Dict[int, List[str]] = {i: [] for i in range(len(devices))}
    for fs, kind in sorted(filesystems.items()):
        for i, dev in enumerate(devices):
            if kind in MOUNTABLE and (fs == dev or (fs.startswith(dev) and fs[len(dev):].isdigit())):
                out[i].append(fs)
    return out


def parse_filesystems(text: str) -> Dict[str, str]:
    return {dev.strip(): kind.strip() for dev, _, kind in
            (line.partition(":") for line in text.splitlines()) if kind}


def new_mark() -> str:
    """A marker line for one probe's output that no guest can put in its files: the probe
    prints each guest's /etc/fstab between markers, and a guessable one in a guest's fstab
    would let it pose as another disk's root (and receive that VM's keys)."""
    return "@@lago-" + secrets.token_hex(16)


def probe_script(candidates: Mapping[int, Sequence[str]], local: str,
                 names: Sequence[str], mark: str) -> str:
    """Each candidate mounted read-only in turn: its /etc/fstab printed after a ``mark``
    line, ``names`` (guest paths) downloaded to ``local/<disk>-<n>-<basename>``."""
    lines = []
    for i, fss in sorted(candidates.items()):
        for n, fs in enumerate(fss):
            lines += [f"echo {mark} {i} {fs}", f"-mount-ro {quote(fs)} /", "-cat /etc/fstab"]
            lines += [f"-download {quote(g)} {quote(probe_file(local, i, n, g))}" for g in names]
            lines.append("-umount-all")
    return "\n".join(lines) + "\n"


def probe_file(local: str, disk: int, n: int, guest: str) -> str:
    return os.path.join(local, f"{disk}-{n}-{os.path.basename(guest)}")


def parse_probe(text: str, mark: str) -> Dict[int, List[Tuple[str, str]]]:
    """{disk index: [(file system, its /etc/fstab or '')]} from probe_script's output."""
    out: Dict[int, List[Tuple[str, str]]] = {}
    seen: List[Tuple[int, str, List[str]]] = []
    for line in text.splitlines():
        if line.startswith(mark + " "):
            _, disk, fs = line.split(" ", 2)
            seen.append((int(disk), fs, []))
        elif seen:
            seen[-1][2].append(line)
    for disk, fs, lines in seen:
        out.setdefault(disk, []).append((fs, "".join(f"{line}\n" for line in lines)))
    return out


def simple_fstab(text: str) -> bool:
    """Whether a guest's fstab mounts nothing but "/" where provisioning writes (/etc, /root,
    /var, /home): such a guest is configured with its root file system alone."""
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 3:
            continue
        where, kind = fields[1], fields[2]
        if where != "/" and where not in _OTHER_MOUNTS and kind not in ("swap", "proc",
                                                                         "sysfs", "tmpfs"):
            return False
    return True


def configure_script(root: str, tarball: str, uploads: Sequence[Tuple[str, str]]) -> str:
    """One guest: its root mounted, the clean-up, the files of ``tarball`` unpacked over "/"
    (owners and modes as the archive has them), ``uploads`` [(local, guest)] written into
    existing files (which keep their owner and mode), unmounted."""
    lines = [f"mount {quote(root)} /"]
    lines += [f"-{op}" for op in CLEANUP]
    lines.append(f"tar-in {quote(tarball)} /")
    lines += [f"upload {quote(local)} {quote(guest)}" for local, guest in uploads]
    lines.append("umount-all")
    return "\n".join(lines) + "\n"


class Appliance:
    """A guestfish server with ``disks`` [(path, format)] attached, read-write: ``start``,
    then ``script`` as often as needed; after ``stop`` the appliance is gone (its QEMU has
    closed the disks)."""

    def __init__(self, disks: Sequence[Tuple[str, str]], env: Mapping[str, str],
                 tmp: str) -> None:
        self.disks = list(disks)
        self.env = dict(env)
        self.tmp = tmp  # a private directory for the server's output
        self.pid = 0

    def start(self) -> None:
        # The server keeps the stderr it was started with: files, not pipes, so that this
        # returns when the starting process does.
        out_file = os.path.join(self.tmp, "listen.out")
        try:
            runner.run_files(listen_argv(self.disks), stdout_path=out_file, env=self.env,
                             timeout=60, stderr_path=os.path.join(self.tmp, "listen.err"))
        finally:
            with open(out_file, encoding="utf-8", errors="replace") as fh:
                out = fh.read()
            match = _PID.search(out)
            self.pid = int(match.group(1)) if match else 0
        if not self.pid:
            raise ExternalError(f"guestfish --listen said no GUESTFISH_PID: {out.strip()[:200]}")
        try:
            self.script("run\n")
        except BaseException:
            self.stop()
            raise

    def script(self, text: str) -> str:
        """Run guestfish commands (one a line) in the appliance; their output."""
        return runner.run(["guestfish", f"--remote={self.pid}"], input=text, env=self.env,
                          timeout=TIMEOUT).stdout

    def stop(self) -> None:
        """Ask the server to exit, and wait until it has: its QEMU holds the disks until then."""
        if not self.pid:
            return
        try:
            runner.run(["guestfish", f"--remote={self.pid}", "--", "exit"], env=self.env,
                       timeout=60)
        except ExternalError:
            pass
        deadline = time.monotonic() + 60
        while _alive(self.pid):
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                break
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie does not: it holds no files)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
