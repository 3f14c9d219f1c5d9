"""Workdir discovery and prefixes (SPEC §2, §9): a workdir holds prefixes and a `current` link."""
from __future__ import annotations

import contextlib
import os
import shutil
from typing import List, Optional

from .errors import NotFound, UsageError
from .paths import CURRENT, WORKDIR_NAME, PrefixPaths, WorkdirPaths

DEFAULT_PREFIX = "default"


def find(explicit: str = "", cwd: Optional[str] = None) -> WorkdirPaths:
    """The -w/--workdir given, else the nearest ``.lago`` walking up from cwd, else ./.lago."""
    if explicit:
        return WorkdirPaths(os.path.abspath(explicit))
    start = os.path.abspath(cwd or os.getcwd())
    here = start
    while True:
        candidate = os.path.join(here, WORKDIR_NAME)
        if os.path.isdir(candidate):
            return WorkdirPaths(candidate)
        parent = os.path.dirname(here)
        if parent == here:
            return WorkdirPaths(os.path.join(start, WORKDIR_NAME))
        here = parent


PREFIX_NAME_MAX = 64  # bytes; the prefix path also goes into libvirt XML and socket paths


def check_name(name: str) -> str:
    if not name or name in (".", "..", CURRENT) or "/" in name or name.startswith(".") or \
            len(name.encode("utf-8", "surrogatepass")) > PREFIX_NAME_MAX or \
            not name.isprintable():
        raise UsageError(f"{name[:80]!r} is not a valid prefix name",
                         hint=f"use up to {PREFIX_NAME_MAX} bytes of printable characters, "
                              "not starting with '.' and without '/'")
    return name


def prefix_for_new(wd: WorkdirPaths, name: str = "") -> PrefixPaths:
    """The prefix an init/up writes to: the named one, else current's target, else default."""
    if name and name != CURRENT:
        return wd.prefix(check_name(name))
    target = current_name(wd)
    return wd.prefix(target or DEFAULT_PREFIX)


def existing(wd: WorkdirPaths, name: str = "") -> PrefixPaths:
    """An existing prefix: the named one or current's target."""
    if name and name != CURRENT:
        paths = wd.prefix(check_name(name))
    else:
        target = current_name(wd)
        if target is None:
            raise NotFound(f"no environment in {wd.root}",
                           hint="bring one up with 'lago.pyz up ENVFILE' or pass -w/--workdir")
        paths = wd.prefix(target)
    if not os.path.isdir(paths.root):
        raise NotFound(f"no environment '{paths.name}' in {wd.root}",
                       hint=f"known: {', '.join(list_prefixes(wd)) or 'none'}")
    return paths


def set_current(wd: WorkdirPaths, name: str) -> None:
    tmp = wd.current + ".tmp"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(name, tmp)
    os.replace(tmp, wd.current)


def clear_current_if(wd: WorkdirPaths, name: str) -> None:
    if current_name(wd) == name:
        os.unlink(wd.current)


def current_name(wd: WorkdirPaths) -> Optional[str]:
    try:
        return os.path.basename(os.readlink(wd.current))
    except OSError:
        return None


def list_prefixes(wd: WorkdirPaths) -> List[str]:
    if not os.path.isdir(wd.root):
        return []
    return sorted(n for n in os.listdir(wd.root)
                  if not n.startswith(".") and n != CURRENT
                  and os.path.isdir(os.path.join(wd.root, n)))


def clear_prefix(p: PrefixPaths) -> None:
    """Remove everything of a half-made or abandoned prefix except its logs and lock file
    (the lock is held by the caller; the logs say what happened)."""
    if not os.path.isdir(p.root):
        return
    for name in os.listdir(p.root):
        if name in (os.path.basename(p.logs), os.path.basename(p.lock)):
            continue
        path = os.path.join(p.root, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
