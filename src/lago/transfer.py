"""Tar streams for copy-to / copy-from / collect: built and unpacked here, with no tool.

Unpacking never trusts the stream (it comes from a guest): every member must land inside the
destination after resolving symlinks already on disk, links must point inside it, and device
nodes are refused. Permission bits are kept, but never set-user-ID, set-group-ID or sticky, and
never the guest's owner: what lands is owned by whoever runs lago. Symlinks are made after
every other member (nothing is written through a link the stream made) and checked again once
they all exist, since one link can resolve through another.
"""
from __future__ import annotations

import os
import posixpath
import shutil
import stat
import tarfile
import tempfile
from typing import Any, Callable, Dict, List, Optional

from .errors import ExternalError, UsageError
from .log import logger

LOG = logger("lago")
# Permission bits a guest may set on the host: not S_ISUID, S_ISGID or S_ISVTX.
MODE_BITS = 0o777


def pack(src: str, arcname: str, out_path: str) -> None:
    """Write ``src`` (a file or a directory, recursively) into a tar at ``out_path`` as
    ``arcname``; modes, times and symlinks are kept."""
    with tarfile.open(out_path, "w", format=tarfile.PAX_FORMAT) as tf:
        tf.add(src, arcname=arcname, recursive=True)


def pack_contents(directory: str, out_path: str) -> None:
    """Write everything inside ``directory`` (not the directory itself) into a tar."""
    with tarfile.open(out_path, "w", format=tarfile.PAX_FORMAT) as tf:
        for name in sorted(os.listdir(directory)):
            tf.add(os.path.join(directory, name), arcname=name, recursive=True)


def inside(root: str, path: str) -> bool:
    """True if ``path`` is ``root`` or below it (both absolute, normalized)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def unpack(tar_path: str, dest: str, top: Optional[str] = None) -> List[str]:
    """Extract a tar into the existing directory ``dest``; returns the members refused.
    ``top``: only that member and what is below it are wanted, and links below it must
    stay below it (it is moved elsewhere afterwards)."""
    root = os.path.realpath(dest)
    refused: List[str] = []
    dirs: List[tarfile.TarInfo] = []
    links: List[tarfile.TarInfo] = []
    if os.path.getsize(tar_path) == 0:
        return refused  # nothing was sent (e.g. every artifact was missing)
    try:
        tf = tarfile.open(tar_path, "r:*")
    except tarfile.TarError as exc:
        raise ExternalError(f"the guest sent no readable tar stream: {exc}") from None

    def refuse(member: tarfile.TarInfo, why: str) -> None:
        LOG.warning("not extracted: %s (%s)", member.name, why)
        refused.append(member.name)
    with tf:
        for member in tf:
            why = _refuse(root, member, top)
            if why:
                refuse(member, why)
            elif member.issym():
                links.append(member)
            elif member.isdir():
                _make_dir(os.path.join(root, member.name))
                dirs.append(member)
            else:
                why = _write(tf, member, root, _limit(root, member, top))
                if why:
                    refuse(member, why)
    made = []
    for member in links:
        why = _refuse(root, member, top) or _symlink(root, member)
        if why:
            refuse(member, why)
        else:
            made.append(member)
    # Only now is every link there: one that resolves through another is checked as it is.
    for member in made:
        target = os.path.join(root, member.name)
        if not inside(_limit(root, member, top), os.path.realpath(target)):
            os.unlink(target)
            refuse(member, f"symlink to {member.linkname} resolves outside the destination")
    for d in reversed(dirs):
        path = os.path.join(root, d.name)
        os.chmod(path, d.mode & MODE_BITS)
        os.utime(path, (d.mtime, d.mtime))
    return refused


def _limit(root: str, m: tarfile.TarInfo, top: Optional[str]) -> str:
    """Where ``m``'s links must resolve: below ``top`` for what is below it."""
    return root if top is None or m.name.rstrip("/") == top else os.path.join(root, top)


def _refuse(root: str, m: tarfile.TarInfo, top: Optional[str] = None) -> str:
    if os.path.isabs(m.name) or ".." in m.name.split("/"):
        return "path outside the destination"
    if not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
        return "not a file, directory or link"
    name = m.name.rstrip("/")
    if top is not None and name != top and not name.startswith(top + "/"):
        return f"not part of {top}"
    target = os.path.normpath(os.path.join(root, m.name))
    # Resolve what is already on disk (a link made earlier, or one in dest itself) first:
    # only then does a '..' in a link's target mean what the kernel will make of it.
    parent = os.path.realpath(os.path.dirname(target))
    if not inside(root, parent) or not inside(root, target):
        return "path outside the destination"
    limit = _limit(root, m, top)
    if m.issym():
        dest = os.path.realpath(os.path.join(parent, m.linkname))
        if os.path.isabs(m.linkname) or not inside(limit, dest):
            return f"symlink to {m.linkname} points outside the destination"
    if m.islnk():
        dest = os.path.realpath(os.path.join(root, m.linkname))
        if not inside(limit, dest):
            return f"hard link to {m.linkname} points outside the destination"
    return ""


def _clear(path: str) -> None:
    """Remove a non-directory at ``path`` (a link is removed, never followed)."""
    if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
        os.unlink(path)


def _make_dir(path: str) -> None:
    _clear(path)
    os.makedirs(path, exist_ok=True)


def _write(tf: tarfile.TarFile, m: tarfile.TarInfo, root: str, limit: str) -> str:
    """A file or hard link, created afresh (never through a link, never with the guest's
    owner or special bits). Returns why it was refused, or ''."""
    target = os.path.join(root, m.name)
    if os.path.isdir(target) and not os.path.islink(target):
        return "a directory of that name exists"
    os.makedirs(os.path.dirname(target), exist_ok=True)
    _clear(target)
    if m.islnk():
        src = os.path.join(root, m.linkname)
        if not os.path.lexists(src) or not stat.S_ISREG(os.lstat(src).st_mode) or \
                not inside(limit, os.path.realpath(src)):
            return f"hard link to {m.linkname}: no such file in the destination"
        os.link(src, target, follow_symlinks=False)
        return ""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                 0o600)
    with os.fdopen(fd, "wb") as out:
        data = tf.extractfile(m)
        if data is not None:
            shutil.copyfileobj(data, out, 1 << 20)
        os.fchmod(out.fileno(), m.mode & MODE_BITS)
    os.utime(target, (m.mtime, m.mtime))
    return ""


def _symlink(root: str, m: tarfile.TarInfo) -> str:
    target = os.path.join(root, m.name)
    if os.path.isdir(target) and not os.path.islink(target):
        return "a directory of that name exists"
    os.makedirs(os.path.dirname(target), exist_ok=True)
    _clear(target)
    os.symlink(m.linkname, target)
    os.utime(target, (m.mtime, m.mtime), follow_symlinks=False)
    return ""


# -- a guest path placed at a host path (copy-from, extract_paths) ----------------------------

def remote_path(path: str) -> str:
    norm = posixpath.normpath(path)
    if norm in ("/", "."):
        raise UsageError(f"'{path}' names no file or directory to copy")
    return norm


def receive(vm: str, src: str, dst: str, fill: Callable[[str], None]) -> Dict[str, Any]:
    """Place guest path ``src`` at local ``dst`` (into it if it is a directory, else as it)
    from a tar stream that ``fill(tar_path)`` writes, holding ``basename(src)`` at its top.
    The stream is unpacked with transfer's checks into a fresh directory beside the
    destination, and only the one expected entry is moved into place."""
    name = posixpath.basename(src)
    if os.path.isdir(dst):
        into, final = dst, os.path.join(dst, name)
    else:
        into, final = os.path.dirname(os.path.abspath(dst)), os.path.abspath(dst)
        if not os.path.isdir(into):
            raise UsageError(f"{into}: no such directory")
    # Unpack into a fresh directory beside the destination, then move the one expected
    # entry into place: only what the command asked for can appear.
    stage = tempfile.mkdtemp(prefix=".lago-copy-", dir=into)
    try:
        tar = os.path.join(stage, ".stream.tar")
        fill(tar)
        unpacked = os.path.join(stage, "out")
        os.mkdir(unpacked)
        unpack(tar, unpacked, top=name)
        got = os.path.join(unpacked, name)
        if not os.path.lexists(got):
            raise ExternalError(f"{vm}: the copy of {src} came back empty")
        if os.path.isdir(final) and not os.path.islink(final) and final != dst:
            raise UsageError(f"{final} already exists and is a directory")
        os.replace(got, final)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {"vm": vm, "src": src, "dst": final}
