"""Upstream Lago's ``lago.dirlock``: shared or exclusive locks on a directory, held by a key.

A holder is named by its key file (a prefix's uuid file) and the key it holds, not by a
process: the lock lasts until ``unlock`` or until the key file is gone or holds another key
(then the holder is dead and no longer counts). The holders are kept in ``DIR/.rwlock``
(JSON ``{"excl": bool, "users": {key_path: key}}``), changed under an exclusive ``flock``
and written atomically.
"""
from __future__ import annotations

import os
import time
from typing import Any, Dict

from .fsutil import flocked, read_json, write_json

LOCK_TIMEOUT = 30.0  # for the flock that guards .rwlock itself, held for milliseconds


def _lock_path(path: str) -> str:
    return os.path.join(path, ".rwlock")


def _read_key(key_path: str) -> Any:
    try:
        with open(key_path, encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        return None


def _holders(path: str) -> Dict[str, Any]:
    try:
        data: Dict[str, Any] = read_json(_lock_path(path))
    except (OSError, ValueError):
        return {"excl": False, "users": {}}
    live = {k: v for k, v in data.get("users", {}).items() if _read_key(k) == v}
    return {"excl": bool(data.get("excl")) and bool(live), "users": live}


def trylock(path: str, excl: bool, key_path: str) -> bool:
    """Take the lock of directory ``path`` once if it can be had (``excl``: alone) for the
    key in ``key_path``; True if it was taken."""
    key = _read_key(key_path)
    if key is None:
        raise FileNotFoundError(f"{key_path}: no key file to lock {path} with")
    with flocked(os.path.join(path, ".rwlock.lock"), LOCK_TIMEOUT, f"lock of {path}"):
        held = _holders(path)
        others = {k: v for k, v in held["users"].items() if k != key_path}
        if others and (excl or held["excl"]):
            return False
        held["users"][key_path] = key
        held["excl"] = excl
        write_json(_lock_path(path), held)
    return True


def lock(path: str, excl: bool, key_path: str) -> None:
    """Wait until the lock of ``path`` is taken (see trylock)."""
    while not trylock(path, excl, key_path):
        time.sleep(0.1)


def unlock(path: str, key_path: str) -> None:
    """Give up the lock that the key in ``key_path`` holds on ``path``."""
    with flocked(os.path.join(path, ".rwlock.lock"), LOCK_TIMEOUT, f"lock of {path}"):
        held = _holders(path)
        held["users"].pop(key_path, None)
        held["excl"] = held["excl"] and bool(held["users"])
        write_json(_lock_path(path), held)
