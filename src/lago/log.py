"""Logging set-up and nested, timed steps.

Human progress goes to stderr through the ``lago`` logger; the prefix's ``logs/lago.log`` gets
everything at DEBUG. ``step()`` prints one line per finished step with its time, indented by
nesting depth (per thread, so parallel per-VM steps do not interleave their depth).
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from typing import Iterator, Optional

from . import events

LOG = logging.getLogger("lago")
_depth = threading.local()
_file_handlers: dict = {}


class _StepFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        indent = "  " * getattr(record, "depth", 0)
        msg = record.getMessage()
        if record.levelno >= logging.WARNING:
            msg = f"{record.levelname.lower()}: {msg}"
        if record.exc_info:  # --debug: the traceback of the error below
            msg += "\n" + self.formatException(record.exc_info)
        return indent + msg


_progress = {"on": False, "last": 0.0, "shown": False}


def progress(label: str, done: int, total: Optional[int]) -> None:
    """One updating line on a terminal (downloads, long copies); nothing otherwise."""
    if not _progress["on"] or time.monotonic() - _progress["last"] < 0.2:
        return
    _progress["last"] = time.monotonic()
    mib = done / (1 << 20)
    if total:
        line = f"{label}: {100 * done // total:3d}% {mib:.1f}/{total / (1 << 20):.1f} MiB"
    else:
        line = f"{label}: {mib:.1f} MiB"
    sys.stderr.write("\r" + line + "\x1b[K")
    sys.stderr.flush()
    _progress["shown"] = True


def progress_end() -> None:
    if _progress["shown"]:
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()
        _progress["shown"] = False


def setup(verbosity: int = 0, debug: bool = False) -> None:
    """Configure stderr output: -q → warnings, default → steps, -v/--debug → commands too."""
    root = logging.getLogger("lago")
    root.setLevel(logging.DEBUG)
    for h in list(root.handlers):
        if not isinstance(h, logging.FileHandler):
            root.removeHandler(h)
    handler = logging.StreamHandler()
    if debug or verbosity > 0:
        level = logging.DEBUG
    elif verbosity < 0:
        level = logging.WARNING
    else:
        level = logging.INFO
    handler.setLevel(level)
    _progress["on"] = level == logging.INFO and sys.stderr.isatty()
    handler.setFormatter(_StepFormatter())
    root.addHandler(handler)
    root.propagate = False


def attach_file(path: str) -> None:
    """Add a DEBUG file handler (idempotent per path); the directory must exist."""
    if path in _file_handlers:
        return
    # Made 0600 before anything is written (it holds commands and their output), never
    # through a link, and an older one is tightened.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC,
                 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(process)d %(threadName)s %(levelname)s %(message)s"))
    logging.getLogger("lago").addHandler(handler)
    _file_handlers[path] = handler


def detach_file(path: str) -> None:
    handler = _file_handlers.pop(path, None)
    if handler:
        logging.getLogger("lago").removeHandler(handler)
        handler.close()


def depth() -> int:
    return getattr(_depth, "value", 0)


@contextlib.contextmanager
def step(fmt: str, *args: object, vm: Optional[str] = None,
         phase: Optional[str] = None) -> Iterator[None]:
    """Log ``fmt % args`` once the block ends, with its duration; on error say it failed.
    With ``phase`` the step is also a phase event (events.py) of ``vm`` (None: env-wide)."""
    level = depth()
    _depth.value = level + 1
    start = time.monotonic()
    LOG.debug("begin: " + fmt, *args, extra={"depth": level})
    try:
        with events.timed(phase, vm) if phase else contextlib.nullcontext():
            yield
    except BaseException:
        LOG.info("[fail %5.1fs] " + fmt, time.monotonic() - start, *args,
                 extra={"depth": level})
        raise
    finally:
        _depth.value = level
    LOG.info("[%7.2fs] " + fmt, time.monotonic() - start, *args, extra={"depth": level})
