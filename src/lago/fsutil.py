"""Small file-system primitives: atomic writes and bounded flock."""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import stat
import tempfile
import time
from typing import Any, Callable, Iterator, Optional

from .errors import LockBusy, NotFound, UsageError


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
    lock file records the holder's PID for the busy message. It is 0600: flock needs only a
    file one can open, so a lock file others can read is one any local user can hold.
    """
    fd = _open_lock(path)
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
                fd = -1  # closed: if the reopening fails, there is nothing to close
                try:
                    fd = _open_lock(path)
                except FileNotFoundError:
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
        if _own_plain_file(fd):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield fd
    finally:
        if fd >= 0:
            os.close(fd)


def _open_lock(path: str) -> int:
    """Open (or create) a lock file, never through a symlink and never anything but a plain
    file: a link planted where a lock file belongs must not make lago write elsewhere."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     0o600)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        raise UsageError(f"{path} is a symbolic link, not a lock file",
                         hint="remove it; lago makes its lock files itself") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise UsageError(f"{path} is not a plain file, not a lock file",
                         hint="remove it; lago makes its lock files itself")
    if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) != 0o600:
        os.fchmod(fd, 0o600)  # one made by an older lago (0644)
    return fd


def _own_plain_file(fd: int) -> bool:
    """Only a lock file that is ours alone is written: one hard-linked to another file (or
    owned by someone else) is locked but left as it is."""
    st = os.fstat(fd)
    return stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and st.st_uid == os.geteuid()


def read_small(path: str, limit: int = 1 << 16) -> str:
    """The text of a plain file of at most ``limit`` bytes. OSError for anything else: a FIFO
    (which would block), a device (``/dev/zero`` never ends) or a file too big — callers
    treat it like a missing file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a plain file", path)
        data = os.read(fd, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit} bytes", path)
    return data.decode("utf-8", errors="replace")


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
