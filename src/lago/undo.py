"""A stack of compensating actions: what a failed command created is removed in reverse."""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Callable, Iterator, List, Tuple

from .log import logger

LOG = logger("lago")


class Undo:
    def __init__(self) -> None:
        self._actions: List[Tuple[str, Callable[[], object]]] = []

    def push(self, what: str, action: Callable[[], object]) -> None:
        self._actions.append((what, action))

    def rollback(self) -> None:
        """Run every action newest first; a failing action is logged and the rest still run."""
        if self._actions:
            LOG.warning("rolling back %d step(s) of this run", len(self._actions))
        with _signals_deferred():
            self._run_all()

    def _run_all(self) -> None:
        while self._actions:
            what, action = self._actions.pop()
            try:
                LOG.debug("undo: %s", what)
                action()
            except Exception as exc:  # keep unwinding: leaving more behind is worse
                LOG.warning("could not undo %s: %s", what, exc)

    def clear(self) -> None:
        self._actions.clear()


_DEFERRED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """A second Ctrl-C or SIGTERM must not cut a rollback short (that leaves more behind than
    either signal's sender wants); note it and let the rollback finish."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    seen: List[int] = []
    old = {sig: signal.signal(sig, lambda signum, frame: seen.append(signum))
           for sig in _DEFERRED}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        if seen:
            LOG.warning("signal %d arrived during the rollback; it finished first", seen[0])
