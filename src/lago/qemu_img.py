"""qemu-img: one function per subcommand, JSON output parsed."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from . import runner


def info_argv(path: str) -> List[str]:
    # -U: read the header even while a running VM holds the image lock.
    return ["qemu-img", "info", "-U", "--output", "json", path]


def info(path: str) -> Dict[str, Any]:
    return json.loads(runner.run(info_argv(path), timeout=60).stdout)


def create_argv(path: str, fmt: str = "qcow2", size: Optional[str] = None,
                backing: Optional[str] = None, backing_fmt: Optional[str] = None) -> List[str]:
    """Overlay (backing + backing_fmt, always both) or blank disk (size)."""
    argv = ["qemu-img", "create", "-q", "-f", fmt]
    if backing is not None:
        if not backing_fmt:
            raise ValueError("an overlay needs the backing file's format")
        argv += ["-b", backing, "-F", backing_fmt]
    argv.append(path)
    if size is not None:
        argv.append(size)
    return argv


def create(path: str, fmt: str = "qcow2", size: Optional[str] = None,
           backing: Optional[str] = None, backing_fmt: Optional[str] = None) -> None:
    runner.run(create_argv(path, fmt, size, backing, backing_fmt), timeout=120)


def convert_argv(src: str, dst: str, fmt: str = "qcow2", backing: Optional[str] = None,
                 backing_fmt: Optional[str] = None, compress: bool = False) -> List[str]:
    """Copy an image's current content (no snapshots) to ``dst``: whole (flattened), or
    only what differs from ``backing`` (an overlay on it; its format always named);
    ``compress``: qcow2's compressed clusters."""
    argv = ["qemu-img", "convert", "-q", "-O", fmt] + (["-c"] if compress else [])
    if backing is not None:
        if not backing_fmt:
            raise ValueError("an overlay needs the backing file's format")
        argv += ["-B", backing, "-F", backing_fmt]
    return argv + [src, dst]


def convert(src: str, dst: str, fmt: str = "qcow2", backing: Optional[str] = None,
            backing_fmt: Optional[str] = None, timeout: float = 3600,
            compress: bool = False) -> None:
    runner.run(convert_argv(src, dst, fmt, backing, backing_fmt, compress), timeout=timeout)


def rebase_unsafe_argv(path: str, backing: str, backing_fmt: str) -> List[str]:
    """Point ``path`` at another backing file holding the same data, without reading it
    (``-u``): how an overlay gets a backing path relative to its own directory."""
    return ["qemu-img", "rebase", "-q", "-u", "-b", backing, "-F", backing_fmt, path]


def rebase_unsafe(path: str, backing: str, backing_fmt: str, timeout: float = 300) -> None:
    runner.run(rebase_unsafe_argv(path, backing, backing_fmt), timeout=timeout)
