"""Logging set-up and nested, timed steps.

Human progress goes to stderr through the ``lago`` logger; the prefix's ``logs/lago.log`` gets
everything at DEBUG. ``step()`` prints one line per finished step with its time, indented by
nesting depth (per thread, so parallel per-VM steps do not interleave their depth).

Modules take their logger from ``logger(name)``, not from the logging module: importing
logging costs ~6 ms, more than `lago.pyz ssh VM -- CMD` spends on its own work, and that run
logs nothing at the default verbosity. So ``setup()`` only notes the verbosity until a record
comes that a handler would show; then logging is imported and set up as asked.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Iterator, Optional

from . import events

if TYPE_CHECKING:
    import logging

# logging's levels (the same numbers), known without importing it.
DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40
_lock = threading.Lock()
# The stderr level setup() asked for while logging is not set up yet (None: it is, or setup()
# was never called and logging is the caller's).
_wanted: Optional[int] = None
_depth = threading.local()
_file_handlers: dict = {}


class Logger:
    """``logging.getLogger(name)``, imported and set up by the first record a handler takes."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def debug(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(DEBUG, msg, args, kwargs)

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(INFO, msg, args, kwargs)

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(WARNING, msg, args, kwargs)

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(ERROR, msg, args, kwargs)

    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(ERROR, msg, args, {"exc_info": True, **kwargs})

    def _log(self, level: int, msg: str, args: tuple, kwargs: dict) -> None:
        wanted = _wanted
        if wanted is not None and level < wanted:
            return  # only stderr would take it (a log file sets logging up), and it would not
        real(self.name).log(level, msg, *args, **kwargs)

    def __getattr__(self, attr: str) -> Any:  # the rest of logging.Logger's interface
        return getattr(real(self.name), attr)


def logger(name: str) -> Logger:
    return Logger(name)


def real(name: str) -> "logging.Logger":
    """The logging module's logger of ``name``, with what setup() asked for in place."""
    import logging
    if _wanted is not None:
        _configure()
    return logging.getLogger(name)


LOG = logger("lago")


def _step_formatter() -> "logging.Formatter":
    import logging

    class StepFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            indent = "  " * getattr(record, "depth", 0)
            msg = record.getMessage()
            if record.levelno >= logging.WARNING:
                msg = f"{record.levelname.lower()}: {msg}"
            if record.exc_info:  # --debug: the traceback of the error below
                msg += "\n" + self.formatException(record.exc_info)
            return indent + msg

    return StepFormatter()


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
    """Configure stderr output: -q → warnings, default → steps, -v/--debug → commands too.
    Done when the first record comes that stderr shows (at once if logging is imported)."""
    global _wanted
    if debug or verbosity > 0:
        level = DEBUG
    elif verbosity < 0:
        level = WARNING
    else:
        level = INFO
    _progress["on"] = level == INFO and sys.stderr.isatty()
    with _lock:
        _wanted = level
    if "logging" in sys.modules:  # paid for already (by a caller, or a library)
        _configure()


def _configure() -> None:
    global _wanted
    import logging
    with _lock:
        if _wanted is None:
            return
        root = logging.getLogger("lago")
        root.setLevel(logging.DEBUG)
        for h in list(root.handlers):
            if not isinstance(h, logging.FileHandler):
                root.removeHandler(h)
        handler = logging.StreamHandler()
        handler.setLevel(_wanted)
        handler.setFormatter(_step_formatter())
        root.addHandler(handler)
        root.propagate = False
        _wanted = None


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
    import logging
    real("lago")  # stderr as setup() asked, before the file takes every record
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(process)d %(threadName)s %(levelname)s %(message)s"))
    logging.getLogger("lago").addHandler(handler)
    _file_handlers[path] = handler


def detach_file(path: str) -> None:
    handler = _file_handlers.pop(path, None)
    if handler:
        real("lago").removeHandler(handler)
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
