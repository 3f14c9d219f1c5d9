"""Small file-system primitives: atomic writes and bounded flock."""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import tempfile
import time
from typing import Any, Callable, Iterator, Optional

from .errors import LockBusy, NotFound


def unlink_if_present(path: str) -> None:
    """Remove a file; one that is already gone is what the caller wanted."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def write_atomic(path: str, data: str, mode: int = 0o644) -> None:
    """Write ``data`` to a temp file beside ``path``, fsync it, then rename over ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json(path: str, obj: Any, mode: int = 0o644) -> None:
    write_atomic(path, json.dumps(obj, indent=2, sort_keys=True) + "\n", mode)


def read_json(path: str) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


@contextlib.contextmanager
def flocked(path: str, timeout: float, what: str,
            holder: Optional[Callable[[], str]] = None) -> Iterator[int]:
    """Hold an exclusive flock on ``path`` (created if needed), waiting at most ``timeout`` s.

    The kernel drops the lock when the process dies, so a crash never leaves a stale lock. The
    lock file records the holder's PID for the busy message.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if _same_file(fd, path):
                    break
                # The holder deleted the file (destroy removes the prefix): a lock on the old
                # inode excludes nobody, so lock whatever file the path names now.
                os.close(fd)
                try:
                    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
                except FileNotFoundError:
                    fd = -1
                    raise NotFound(f"{what} was removed while this command waited for it "
                                   "(another lago process destroyed it)") from None
                continue
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    who = _read_holder(fd)
                    raise LockBusy(f"{what} is locked by another lago process{who}",
                                   hint=f"waited {timeout:g} s for {path}; try again when it ends")
                time.sleep(delay)
                delay = min(delay * 2, 0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield fd
    finally:
        if fd >= 0:
            os.close(fd)


def _same_file(fd: int, path: str) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    fst = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (fst.st_dev, fst.st_ino)


def _read_holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode().strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""
