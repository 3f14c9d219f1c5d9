"""An env file beside a SHA256SUMS (what ``export`` writes; a bundle carried from elsewhere)
is checked before it is used: every listed file must be there with its hash, every disk the
env file names by a path must be one of them, and the files those disks refer to (backing
files) must be listed too, or be named by an absolute path. So a bundle's relative paths
cannot reach a host file (``../../etc/hostname``) and its disks are the ones it was made with.
"""
from __future__ import annotations

import hashlib
import os
from typing import Dict, List

from . import imagefile, model
from .errors import SpecError

SUMS_FILE = "SHA256SUMS"
_CHAIN_MAX = 16


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _inside(root: str, path: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def read_sums(directory: str, problems: List[str]) -> Dict[str, str]:
    """{real path: sha256} of a SHA256SUMS (``HASH  NAME`` lines, names relative to it)."""
    sums: Dict[str, str] = {}
    root = os.path.realpath(directory)
    with open(os.path.join(directory, SUMS_FILE), encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            parts = line.rstrip("\n").split(None, 1)
            if not line.strip():
                continue
            name = parts[1].lstrip("*") if len(parts) == 2 else ""
            path = os.path.realpath(os.path.join(root, name))
            if len(parts[0]) != 64 or not name or not _inside(root, path):
                problems.append(f"{SUMS_FILE}:{n}: not a 'SHA256  FILE' line for a file "
                                "inside its directory")
                continue
            sums[path] = parts[0].lower()
    return sums


def check(env: model.Env) -> None:
    """Raise SpecError (exit 2) listing every problem, if the env file is part of a bundle."""
    directory = os.path.dirname(env.path)
    if not os.path.isfile(os.path.join(directory, SUMS_FILE)):
        return
    problems: List[str] = []
    sums = read_sums(directory, problems)
    for path, digest in sorted(sums.items()):
        if not os.path.isfile(path):
            problems.append(f"{SUMS_FILE}: {os.path.relpath(path, directory)} is missing")
        elif sha256(path) != digest:
            problems.append(f"{SUMS_FILE}: {os.path.relpath(path, directory)} does not "
                            "have the listed sha256")
    for dom in env.domains.values():
        for disk in dom.disks:
            if disk.path is not None:
                problems += _disk_problems(dom.name, disk, sums)
    if problems:
        raise SpecError(env.path, problems + [f"(checked against {SUMS_FILE}: a bundle is "
                                              "used only as it was exported)"])


def _disk_problems(vm: str, disk: model.Disk, sums: Dict[str, str]) -> List[str]:
    where = f"domains.{vm}.disks.{disk.name}"
    path = os.path.realpath(disk.path or "")
    if path not in sums:
        return [f"{where}: {disk.path} is not listed in {SUMS_FILE}"]
    for _ in range(_CHAIN_MAX):
        if disk.format == "raw":
            return []
        refs = imagefile.references(path)
        if not refs:
            return []
        relative = [r for r in refs if not os.path.isabs(r)]
        for ref in relative:
            if os.path.realpath(imagefile.backing_path(path, ref)) not in sums:
                return [f"{where}: its image refers to {ref}, which is not listed in "
                        f"{SUMS_FILE}"]
        if not relative:
            return []  # a template named by its absolute path (a layered export): as named
        path = os.path.realpath(imagefile.backing_path(path, relative[0]))
    return [f"{where}: a backing chain longer than {_CHAIN_MAX}"]
