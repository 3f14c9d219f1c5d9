"""Tar streams for copy-to / copy-from / collect: built and unpacked here, with no tool.

Unpacking never trusts the stream (it comes from a guest): every member must land inside the
destination after resolving symlinks already on disk, links must point inside it, and device
nodes are refused. Modes are kept.
"""
from __future__ import annotations

import logging
import os
import tarfile
from typing import List

from .errors import ExternalError

LOG = logging.getLogger("lago")


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


def unpack(tar_path: str, dest: str) -> List[str]:
    """Extract a tar into the existing directory ``dest``; returns the members refused."""
    root = os.path.realpath(dest)
    refused: List[str] = []
    dirs = []
    if os.path.getsize(tar_path) == 0:
        return refused  # nothing was sent (e.g. every artifact was missing)
    try:
        tf = tarfile.open(tar_path, "r:*")
    except tarfile.TarError as exc:
        raise ExternalError(f"the guest sent no readable tar stream: {exc}") from None
    with tf:
        for member in tf:
            why = _refuse(root, member)
            if why:
                LOG.warning("not extracted: %s (%s)", member.name, why)
                refused.append(member.name)
                continue
            target = os.path.join(root, member.name)
            if os.path.islink(target):
                # Writing would follow it; a link made by an earlier member is replaced.
                os.unlink(target)
            if member.isdir():
                # Modes of directories last (as tar does): a read-only directory must still
                # receive its files.
                os.makedirs(os.path.join(root, member.name), exist_ok=True)
                dirs.append(member)
            else:
                _extract(tf, member, root)
    for d in reversed(dirs):
        path = os.path.join(root, d.name)
        os.chmod(path, d.mode & 0o7777)
        os.utime(path, (d.mtime, d.mtime))
    return refused


def _refuse(root: str, m: tarfile.TarInfo) -> str:
    if os.path.isabs(m.name) or ".." in m.name.split("/"):
        return "path outside the destination"
    if not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
        return "not a file, directory or link"
    target = os.path.normpath(os.path.join(root, m.name))
    # Resolve what is already on disk (a symlink extracted earlier, or one in dest itself).
    if not inside(root, os.path.realpath(os.path.dirname(target))) or not inside(root, target):
        return "path outside the destination"
    if m.issym():
        dest = os.path.normpath(os.path.join(os.path.dirname(target), m.linkname))
        if os.path.isabs(m.linkname) or not inside(root, os.path.realpath(dest)):
            return f"symlink to {m.linkname} points outside the destination"
    if m.islnk():
        dest = os.path.realpath(os.path.join(root, m.linkname))
        if not inside(root, dest):
            return f"hard link to {m.linkname} points outside the destination"
    return ""


def _extract(tf: tarfile.TarFile, m: tarfile.TarInfo, root: str) -> None:
    # The checks above replace tarfile's own filters (3.12+), which would also clear mode
    # bits that copy must keep.
    if hasattr(tarfile, "fully_trusted_filter"):
        tf.extract(m, root, set_attrs=True, filter="fully_trusted")
    else:
        tf.extract(m, root, set_attrs=True)
