"""guestfish in remote-control mode: one libguestfs appliance for the boot disks of several
guests, each guest's root file system mounted in turn, by device.

Booting the appliance is most of a sysprep under TCG (~10 s of a ~25 s run on an idle 2-core
machine); virt-sysprep boots one per guest, and two cores run two at a time. Here one appliance
serves them all. Clones of one template carry the same file system UUIDs, so nothing is
mounted by UUID or through inspection (which resolves /etc/fstab by UUID): a guest's root is
the file system on its own disk that holds /etc/fstab, and a guest whose fstab mounts anything
else that provisioning writes to is left to virt-sysprep (see ``simple_fstab``).

A guest costs one read-write mount: the few files provisioning edits are read back as text
(``read_script``), edited on the host, and written with the new files in one ``tar-in``
(``configure_script``). The scripts hold paths only; what is secret (the edited /etc/shadow)
travels in a private local tarball.
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import time
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from . import runner
from .errors import ExternalError

# One appliance for every disk; the boot is the same, each guest adds a few seconds.
TIMEOUT = 900.0
# Mount points a guest may have besides "/" (none of them is written to here).
_OTHER_MOUNTS = ("none", "swap", "/boot", "/boot/efi", "/proc", "/sys", "/dev/pts", "/dev/shm",
                 "/tmp", "/run")
_PID = re.compile(r"GUESTFISH_PID=(\d+)")

# What virt-sysprep's default operations remove from a clone of a fresh template (host keys,
# root's .ssh and /etc/machine-id are replaced by the new files). Removing a file is a system
# call in the appliance, so these go by glob whether or not anything matches; removing a tree
# runs `rm -rf` there (~0.1 s under TCG, even for nothing), so the trees are removed only
# where read_script found them.
CLEANUP_FILES = ("/etc/ssh/ssh_host_*", "/root/.bash_history", "/home/*/.bash_history",
                 "/var/log/*.log", "/var/log/apt/*",
                 "/etc/udev/rules.d/70-persistent-net.rules", "/var/lib/dbus/machine-id",
                 "/etc/passwd-", "/etc/shadow-", "/etc/group-", "/etc/gshadow-")
CLEANUP_TREES = ("/root/.ssh", "/home/*/.ssh", "/var/lib/dhcp/*", "/var/lib/dhclient/*",
                 "/tmp/*", "/var/tmp/*", "/var/log/journal/*")
# A guest's root is mounted as ext4 (ext2/3/4), by device and with its type given, so the
# kernel mounts nothing else from that disk: clones of one template share file system UUIDs,
# and the kernel tracks btrfs devices by UUID. Other kinds of root go to virt-sysprep.
_MOUNT = 'mount-vfs "{opts}" ext4 {dev} /'


def quote(arg: str) -> str:
    """One guestfish word, whatever it holds."""
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def listen_argv(disks: Sequence[Tuple[str, str]]) -> List[str]:
    argv = ["guestfish", "--listen", "--rw"]
    for path, fmt in disks:
        argv += [f"--format={fmt}", "-a", path]
    return argv


def roots_by_disk(devices: Sequence[str], partitions: Sequence[str]) -> Dict[int, List[str]]:
    """{disk index: where its root could be}: the disk's partitions, or the whole disk where
    it has none. A disk is /dev/sdX; its partitions /dev/sdXN."""
    out: Dict[int, List[str]] = {}
    for i, dev in enumerate(devices):
        parts = [p for p in partitions if p.startswith(dev) and p[len(dev):].isdigit()]
        out[i] = sorted(parts, key=lambda p: int(p[len(dev):])) or [dev]
    return out


# A guest file read back as text (its /etc/fstab, /etc/shadow, /etc/hosts) is at most this
# long; a longer one is not edited here (the guest goes to virt-sysprep).
MAX_READ = 256 * 1024
_LINES = MAX_READ  # head-n's line limit: no file of MAX_READ bytes has more lines


def new_mark() -> str:
    """A marker for one script's output that no guest can put in its files: the scripts print
    guests' files between marker lines, and a guessable one in a guest's file would let it
    pose as another section (another disk's root, another file)."""
    return "@@lago-" + secrets.token_hex(16)


def sections(text: str, mark: str) -> Dict[str, List[str]]:
    """{key: its lines} of a script's output, each section opened by an ``echo MARK key``."""
    out: Dict[str, List[str]] = {}
    current: Optional[List[str]] = None
    for line in text.splitlines():
        if line.startswith(mark + " "):
            current = out.setdefault(line[len(mark) + 1:], [])
        elif current is not None:
            current.append(line)
    return out


def listing_script(mark: str) -> str:
    return f"echo {mark} devices\nlist-devices\necho {mark} partitions\nlist-partitions\n"


def fstab_script(filesystems: Sequence[str], mark: str) -> str:
    """Each candidate mounted read-only in turn, its /etc/fstab printed (for the disks with
    more than one candidate root)."""
    return "".join(f"echo {mark} {fs}\n-{_MOUNT.format(opts='ro', dev=quote(fs))}\n"
                   f"-head-n {_LINES} /etc/fstab\n-umount-all\n" for fs in filesystems)


def read_script(root: str, texts: Sequence[str], owners: Sequence[str],
                present: Sequence[str], mark: str) -> str:
    """``root`` mounted read-write (it stays mounted for configure_script); for each guest
    path of ``texts`` whether it is a regular file, its size and its lines; the owner and mode
    of ``owners``; whether each of ``present`` is a regular file; what CLEANUP_TREES match."""
    lines = ["-" + _MOUNT.format(opts="", dev=quote(root))]
    for g in texts:
        lines += [f"echo {mark} file {g}", f"-is-file {quote(g)}", f"echo {mark} size {g}",
                  f"-filesize {quote(g)}", f"echo {mark} text {g}", f"-head-n {_LINES} {quote(g)}"]
    for g in owners:
        lines += [f"echo {mark} stat {g}", f"-lstatns {quote(g)}"]
    for g in present:
        lines += [f"echo {mark} file {g}", f"-is-file {quote(g)}"]
    for pattern in CLEANUP_TREES:
        lines += [f"echo {mark} glob {pattern}", f"-glob-expand {quote(pattern)}"]
    return "\n".join(lines) + "\n"


class Found(NamedTuple):
    """What read_script found in a guest."""

    files: Dict[str, Optional[str]]  # each regular file: its text, or None (not read whole)
    owners: Dict[str, Tuple[int, int, int]]  # (uid, gid, permission bits)
    trees: List[str]  # what CLEANUP_TREES match


def parse_read(text: str, mark: str) -> Found:
    sec = sections(text, mark)
    files: Dict[str, Optional[str]] = {}
    owners = {}
    trees = []
    for key, lines in sec.items():
        kind, _, path = key.partition(" ")
        if kind == "file" and lines == ["true"]:
            files[path] = _whole(sec, path)
        elif kind == "stat":
            fields = dict(line.split(": ", 1) for line in lines if ": " in line)
            if all(fields.get(f, "").isdigit() for f in ("st_uid", "st_gid", "st_mode")):
                owners[path] = (int(fields["st_uid"]), int(fields["st_gid"]),
                                int(fields["st_mode"]) & 0o7777)
        elif kind == "glob" and path in CLEANUP_TREES:
            trees += [m for m in (_match(path, line) for line in lines) if m]
    return Found(files, owners, trees)


def _whole(sec: Mapping[str, List[str]], path: str) -> Optional[str]:
    """The file's text where its lines add up to its size (one byte more where the last line
    had no newline) and it is at most MAX_READ long; None otherwise (a NUL byte, too long)."""
    body = "".join(f"{line}\n" for line in sec.get(f"text {path}", []))
    size = (sec.get(f"size {path}") or [""])[0]
    raw = len(body.encode("utf-8", "surrogateescape"))
    if size.isdigit() and int(size) <= MAX_READ and raw in (int(size), int(size) + 1):
        return body
    return None


def _match(pattern: str, line: str) -> Optional[str]:
    """``line`` of glob-expand's output as a path to remove, if it is one match of
    ``pattern``: each "*" one name (not "." or ".."), no other directory. A file name with a
    newline in it splits into lines that are not (or that name a sibling in the same
    directory, which the same pattern removes anyway)."""
    path = line[:-1] if line.endswith("/") else line
    want, got = pattern.split("/"), path.split("/")
    if len(want) != len(got):
        return None
    for w, g in zip(want, got):
        if w != g and not (w == "*" and g not in ("", ".", "..")):
            return None
    return path


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


def configure_script(tarball: str, trees: Sequence[str]) -> str:
    """One guest, its root mounted by read_script: the clean-up (``trees``: what read_script
    found of CLEANUP_TREES), the files of ``tarball`` unpacked over "/" (owners and modes as
    the archive has them), unmounted."""
    lines = [f"-glob rm-f {pattern}" for pattern in CLEANUP_FILES]
    lines += [f"-rm-rf {quote(tree)}" for tree in trees]
    lines += [f"tar-in {quote(tarball)} /", "umount-all"]
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
        self.calls = 0

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
        """Run guestfish commands (one a line) in the appliance; their output. The output
        holds guests' files: read as bytes, undecodable ones kept (surrogateescape)."""
        self.calls += 1
        script = os.path.join(self.tmp, f"script-{self.calls}")
        out = script + ".out"
        with open(os.open(script, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w",
                  encoding="utf-8") as fh:
            fh.write(text)
        try:
            runner.run_files(["guestfish", f"--remote={self.pid}"], stdin_path=script,
                             stdout_path=out, env=self.env, timeout=TIMEOUT)
            with open(out, encoding="utf-8", errors="surrogateescape") as fh:
                return fh.read()
        finally:
            for path in (script, out):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)

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
