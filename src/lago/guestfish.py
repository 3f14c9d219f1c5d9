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
import stat
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


def device(index: int) -> str:
    """The appliance's name for the ``index``-th disk added: libguestfs calls them /dev/sda,
    /dev/sdb, ... /dev/sdz, /dev/sdaa, ... in the order they were added, whatever the bus."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("a") + rest) + name
    return "/dev/sd" + name


def partitions_of(dev: str, partitions: Sequence[str]) -> List[str]:
    """The partitions of disk ``dev`` among list-partitions' output (/dev/sdXN), in order."""
    parts = [p for p in partitions if p.startswith(dev) and p[len(dev):].isdigit()]
    return sorted(parts, key=lambda p: int(p[len(dev):]))


# A guest file read back (its /etc/fstab, /etc/shadow, /etc/hosts) is at most this long; a
# longer one is not edited here (the guest goes to virt-sysprep).
MAX_READ = 256 * 1024


def new_mark() -> str:
    """A marker for one script's output that no guest can put in its files: the scripts print
    guests' files between marker lines, and a guessable one in a guest's file would let it
    pose as another section (another disk's root, another file)."""
    return "@@lago-" + secrets.token_hex(16)


def sections(text: str, mark: str) -> Dict[str, List[str]]:
    """{key: its lines} of a script's output, each section opened by an ``echo MARK key``.
    Lines end at newlines only, so a section's lines joined by newlines give back exactly
    what was printed (a file read by pread_lines)."""
    out: Dict[str, List[str]] = {}
    current: Optional[List[str]] = None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the output
    for line in lines:
        if line.startswith(mark + " "):
            current = out.setdefault(line[len(mark) + 1:], [])
        elif current is not None:
            current.append(line)
    return out


def partitions_script(mark: str) -> str:
    # list-partitions waits for udev (~0.5 s under TCG): asked only for a disk whose whole
    # device is not a root.
    return f"echo {mark} partitions\nlist-partitions\n"


def fstab_script(filesystems: Sequence[str], mark: str) -> str:
    """Each candidate mounted read-only in turn: whether it holds an /etc/fstab (for the
    disks whose whole device is not a root)."""
    return "".join(f"echo {mark} {fs}\n-{_MOUNT.format(opts='ro', dev=quote(fs))}\n"
                   f"-is-file /etc/fstab\n-umount-all\n" for fs in filesystems)


def read_script(root: str, texts: Sequence[str], present: Sequence[str], mark: str) -> str:
    """``root`` mounted read-write (it stays mounted for configure_script); each guest path of
    ``texts`` and ``present``: its kind, owner, mode and size (lstatns, which follows no
    link); the bytes of each of ``texts`` (pread, up to MAX_READ, then a newline of ours);
    what CLEANUP_TREES match. Daemon calls that wait for no process: cheap under TCG."""
    lines = ["-" + _MOUNT.format(opts="", dev=quote(root))]
    for g in list(texts) + list(present):
        lines += [f"echo {mark} stat {g}", f"-lstatns {quote(g)}"]
    for g in texts:
        lines += [f"echo {mark} text {g}", f"-pread {quote(g)} {MAX_READ} 0", 'echo ""']
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
        if kind == "stat":
            st = dict(line.split(": ", 1) for line in lines if ": " in line)
            if not all(st.get(f, "").isdigit() for f in ("st_uid", "st_gid", "st_mode", "st_size")):
                continue
            mode = int(st["st_mode"])
            if stat.S_ISREG(mode):
                owners[path] = (int(st["st_uid"]), int(st["st_gid"]), mode & 0o7777)
                files[path] = _whole(sec.get(f"text {path}"), int(st["st_size"]))
        elif kind == "glob" and path in CLEANUP_TREES:
            trees += [m for m in (_match(path, line) for line in lines) if m]
    return Found(files, owners, trees)


def _whole(lines: Optional[List[str]], size: int) -> Optional[str]:
    """A file's text from its pread section, where it came back whole: exactly ``size``
    bytes, at most MAX_READ; None otherwise (not read, too long, changed)."""
    if lines is None or size > MAX_READ:
        return None
    # The newline echoed after the bytes ended the last line: joined, they are the file.
    body = "\n".join(lines)
    if len(body.encode("utf-8", "surrogateescape")) != size:
        return None
    return body


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
